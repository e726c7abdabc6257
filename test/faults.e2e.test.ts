import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openJournal } from "@ballast/keeper";
import { type DemoChains, demoConfigYaml, seedDemoPortfolio } from "@ballast/keeper/demo";
import {
  ANVIL_PRIVATE_KEYS,
  type RpcProxy,
  setPrice,
  startRpcProxy,
  startTestChain,
  TEST_ACCOUNT_INDEX,
  type TestChain,
  testAccounts,
} from "@ballast/testkit";
import type { Hex } from "viem";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { STAND_IN_PATHS, type StandIns, startStandIns } from "../apps/keeper/test/alert-stand-ins.ts";
import { cli, startCli } from "./cli.ts";
import {
  hashesFrom,
  listenPort,
  nonces,
  txsFrom,
  undocumentedLabels,
  waitFor,
  withLogOnError,
} from "./helpers.ts";

// The keeper process against two local chains behind RPC fault-injection proxies. Every case counts what landed on
// chain and the account's nonces, read from the chains, never log lines. One rebalance per chain is right after
// ETH falls 20%.

const account = testAccounts.keeper;
const env = { BALLAST_DEMO_KEY: ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX.keeper] as string };

let chains: DemoChains;
let list: TestChain[];
let snapshots: Hex[] = [];
let dir: string;
let proxies: RpcProxy[] = [];
let start: bigint[] = [];
/** Every config sends its alerts to this webhook stand-in; emptied before each case. */
let standIns: StandIns;

type CaseOptions = { tick?: string; confirmTimeout?: string; bands?: string; blockTime?: string };

/**
 * A config whose RPCs are fresh fault proxies (one per chain; their drop patterns come from `seed`) and whose journal
 * is `name`.db.
 */
async function setup(name: string, opts: CaseOptions & { seed?: number } = {}) {
  const seed = opts.seed ?? 1;
  proxies = await Promise.all(list.map((c, i) => startRpcProxy(c.rpcUrl, {}, { seed: seed * 1_000 + i })));
  return configFor(name, opts);
}

function configFor(name: string, opts: CaseOptions = {}) {
  const file = join(dir, `${name}.yaml`);
  const journal = join(dir, `${name}.db`);
  const yaml = demoConfigYaml(chains, {
    journal,
    cooldown: "0s",
    rpc: { ethereum: proxies[0]?.url as string, base: proxies[1]?.url as string },
    tick: opts.tick ?? "1s",
    confirmTimeout: opts.confirmTimeout ?? "2s",
    ...(opts.bands ? { bands: opts.bands } : {}),
    ...(opts.blockTime ? { blockTime: opts.blockTime } : {}),
  });
  writeFileSync(
    file,
    `${yaml}  alerts: { sinks: [{ type: webhook, url: "${standIns.url}${STAND_IN_PATHS.webhook}" }] }\n`,
  );
  return { file, journal };
}

const faults = (f: Parameters<RpcProxy["setFaults"]>[0]) => {
  for (const p of proxies) p.setFaults(f);
};
const automine = (on: boolean) => Promise.all(list.map((c) => c.testClient.setAutomine(on)));
const mine = () => Promise.all(list.map((c) => c.testClient.mine({ blocks: 1 })));
const landed = () => Promise.all(list.map((c, i) => txsFrom(c, account.address, start[i] as bigint)));
/** The keeper's account has a transaction waiting in the pool of every chain. */
const queued = async () =>
  (await Promise.all(list.map((c) => nonces(c, account.address)))).every((n) => n.pending > n.latest);

/**
 * Journal records per status, read by a second, read-only handle while the keeper may run (none before the keeper
 * created the journal). Read-only: a read-write open migrates, nine write locks the keeper waits behind, in the process
 * that also runs the fault proxies, polled every 50 ms.
 */
async function journalRecords(path: string): Promise<{ chainId: number; status: string; hash: string }[]> {
  if (!existsSync(path)) return [];
  const j = await openJournal(path, { readonly: true });
  try {
    const created = await j.sql.all("SELECT 1 FROM sqlite_master WHERE name = 'transactions'");
    if (created.length === 0) return [];
    const rows = await j.sql.all<{ chainId: number; status: string; json: string }>(
      'SELECT chain_id AS "chainId", status, json FROM transactions',
    );
    return rows.map((r) => ({
      chainId: r.chainId,
      status: r.status,
      hash: (JSON.parse(r.json) as { attempts: { hash: string }[] }).attempts.at(-1)?.hash ?? "",
    }));
  } finally {
    await j.close();
  }
}

/** The webhook alerts of this case: event and the chain it names (from the subject `plan:chain`). */
const alerts = () =>
  standIns
    .accepted("webhook")
    .map((r) => r.body as { event: string; subject: string })
    .map((b) => `${b.event} ${b.subject.split(":").at(-1)}`);

/** Policy bands that put each chain's sleeves out of band on their own after ETH −20%. */
const TIGHT_BANDS = "{ absolute: 0.5%, relative: 10% }";

/** Cycles a daemon logged so far (at level info). */
const cyclesOf = (stderr: string) => stderr.match(/"msg":"cycle (done|failed)"/g)?.length ?? 0;

/** After the run: nothing queued, and the journal's next nonce is the chain's. */
async function expectNoncesSettled(journalPath: string) {
  const j = await openJournal(journalPath);
  try {
    for (const c of list) {
      const n = await nonces(c, account.address);
      expect(n.pending).toBe(n.latest);
      expect(await j.txStore.getNonce(c.chainId, account.address)).toBe(n.latest);
    }
  } finally {
    await j.close();
  }
}

beforeAll(async () => {
  const [ethereum, base] = await Promise.all([
    startTestChain({ chainId: 1 }),
    startTestChain({ chainId: 8453 }),
  ]);
  chains = { ethereum, base };
  list = [ethereum, base];
  await seedDemoPortfolio(chains, account);
  dir = mkdtempSync(join(tmpdir(), "ballast-faults-"));
  standIns = await startStandIns({ telegramToken: "0:unused" });
});

beforeEach(async () => {
  standIns.received.length = 0;
  snapshots = await Promise.all(list.map((c) => c.testClient.snapshot()));
  // ETH falls 20%: each chain needs exactly one rebalance.
  await Promise.all(list.map((c) => setPrice(c, { asset: "WETH", usdPrice: 2_400n * 10n ** 8n })));
  start = await Promise.all(list.map((c) => c.publicClient.getBlockNumber({ cacheTime: 0 })));
});

afterEach(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  proxies = [];
  await Promise.all(list.map((c) => c.testClient.setIntervalMining({ interval: 0 })));
  await automine(true);
  await Promise.all(list.map((c, i) => c.testClient.revert({ id: snapshots[i] as Hex })));
});

afterAll(async () => {
  await standIns?.close();
  await Promise.all([chains?.ethereum.stop(), chains?.base.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("exactly once under faults: the keeper process, two local chains, fault-injecting RPC proxies", () => {
  it("eth_blockNumber failing after the broadcast for 4 cycles with mining paused, then resumed and restarted: one rebalance per chain", async () => {
    const { file, journal } = await setup("method-fails");
    await automine(false);
    faults({ failMethods: ["eth_blockNumber"] });
    const daemon = await cli(["run", "--max-cycles", "4", "-c", file], env);
    expect(daemon.code, daemon.stderr).toBe(0);
    // Each chain got one transaction, still queued (no blocks): the later cycles held instead of re-sending.
    for (const c of list) {
      const n = await nonces(c, account.address);
      expect(n.pending - n.latest).toBe(1);
    }
    expect((await journalRecords(journal)).map((r) => r.status)).toEqual(["signed", "signed"]);
    expect(proxies.every((p) => p.stats().failed > 0)).toBe(true);
    // The rebalance was alerted; its transactions, still in flight, were not (yet).
    expect(alerts().filter((a) => a.startsWith("tx-"))).toEqual([]);
    expect(alerts().filter((a) => a.startsWith("rebalance"))).toHaveLength(1);

    faults({});
    await automine(true);
    await mine();
    const restarted = await cli(["run", "--once", "-c", file], env);
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(await landed()).toEqual([1, 1]);
    expect((await journalRecords(journal)).map((r) => r.status)).toEqual(["confirmed", "confirmed"]);
    await expectNoncesSettled(journal);
    // The restart settled them before its first cycle, and said so.
    expect(
      alerts()
        .filter((a) => a.startsWith("tx-"))
        .sort(),
    ).toEqual(["tx-confirmed base", "tx-confirmed ethereum"]);
  });

  // With the demo's bands (±2%), ETH −20% puts only base's sleeves out of band; ethereum's legs ride along in the same
  // rebalance. Bands of ±0.5% put each chain out of band on its own, so a chain whose batch failed before anything was
  // signed is still out of band and fires again, and the outcome does not depend on which requests are dropped.
  it.each([1, 2, 3])(
    "drop pattern %i: 3 in 10 requests dropped (answers lost after the node saw them), 2-second blocks: one rebalance per chain, every sleeve in band",
    async (seed) => {
      // The config says the chains' 2-second blocks: chain id 1's 12 s would poll receipts every 3 s.
      const { file, journal } = await setup(`drops-${seed}`, { seed, bands: TIGHT_BANDS, blockTime: "2s" });
      await automine(false);
      await Promise.all(list.map((c) => c.testClient.setIntervalMining({ interval: 2 })));
      faults({ dropRate: 0.3 });
      const daemon = startCli(["run", "-c", file], { ...env, BALLAST_LOG_LEVEL: "info" });
      try {
        // Both batches sent and final under the faults, then three more cycles under the same faults (they must hold).
        await withLogOnError(daemon, async () => {
          await waitFor(
            "both batches final",
            async () => {
              const r = await journalRecords(journal);
              return r.length === 2 && r.every((x) => x.status === "confirmed");
            },
            90_000,
          );
          const then = cyclesOf(daemon.stderrSoFar());
          await waitFor("three more cycles", () => cyclesOf(daemon.stderrSoFar()) >= then + 3);
        });
      } finally {
        daemon.child.kill("SIGTERM");
      }
      const done = await daemon.done;
      expect(done.code, done.stderr).toBe(0);
      expect(proxies.every((p) => p.stats().dropped > 0)).toBe(true);
      expect(await landed()).toEqual([1, 1]);
      expect((await journalRecords(journal)).map((r) => r.status)).toEqual(["confirmed", "confirmed"]);
      await expectNoncesSettled(journal);
      // Read back from the chains (no faults): every sleeve inside its band, so no later cycle sends either.
      faults({});
      const status = await cli(["status", "--json", "-c", file], env);
      expect(status.code, status.stderr).toBe(0);
      const { sleeves } = JSON.parse(status.stdout) as { sleeves: { id: string; outOfBand: boolean }[] };
      expect(sleeves.filter((s) => s.outOfBand)).toEqual([]);
    },
    180_000,
  );

  // A chain whose batch failed before anything was signed has nothing in flight: the next cycle decides again from the
  // chains (ARCHITECTURE.md, "A batch that failed before signing"). Still out of band, it is retried; inside its band,
  // it holds.
  it("a chain whose batch failed before signing while the other's landed: retried by the next cycle while out of band, never the chain that landed", async () => {
    const { file, journal } = await setup("failed-before-signing", { bands: TIGHT_BANDS });
    proxies[0]?.setFaults({ failMethods: ["eth_estimateGas"] });
    const first = await cli(["run", "--once", "-c", file], env);
    expect(first.code).toBe(3);
    expect(first.stderr).toMatch(/chain ethereum: failed — RPC eth_estimateGas failed/);
    expect(await landed()).toEqual([0, 1]);
    expect((await journalRecords(journal)).map((r) => r.chainId)).toEqual([8453]);
    // What the demo's ±2% bands make of the same chains: ethereum's sleeves are inside them, so they would hold.
    const demoBands = configFor("failed-before-signing-demo-bands");
    const wide = await cli(["status", "--json", "-c", demoBands.file], env);
    expect(wide.code, wide.stderr).toBe(0);
    const held = JSON.parse(wide.stdout) as {
      decision: { fire: boolean };
      sleeves: { outOfBand: boolean }[];
    };
    expect(held.decision.fire).toBe(false);
    expect(held.sleeves.filter((s) => s.outOfBand)).toEqual([]);
    // With ±0.5% ethereum is still out of band: the next run sends its batch, and nothing more on base.
    proxies[0]?.setFaults({});
    const second = await cli(["run", "--once", "-c", file], env);
    expect(second.code, second.stderr).toBe(0);
    expect(await landed()).toEqual([1, 1]);
    expect((await journalRecords(journal)).map((r) => r.status)).toEqual(["confirmed", "confirmed"]);
    await expectNoncesSettled(journal);
  }, 180_000);

  it("two daemons on one journal: the second refuses to start; the first rebalances once per chain and its journal follows the chain during the run", async () => {
    const { file, journal } = await setup("two-daemons");
    await automine(false);
    const first = startCli(["run", "-c", file], { ...env, BALLAST_LOG_LEVEL: "info" });
    try {
      await waitFor("the first daemon's transactions in the pool", queued);
      const second = await cli(["run", "-c", file], env);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain("is in use by another keeper");
      // Its dashboard shows both transactions in flight (the chains hold meanwhile).
      const port = await listenPort(first);
      const inFlight = async () => {
        const status = (await (await fetch(`http://127.0.0.1:${port}/api/status`)).json()) as {
          cycle: { inFlight?: { chainId: number; kind: string }[] } | null;
        };
        return (status.cycle?.inFlight ?? []).map((i) => `${i.kind} ${i.chainId}`).sort();
      };
      await waitFor(
        "both transactions in flight on the dashboard",
        async () => (await inFlight()).length === 2,
      );
      expect(await inFlight()).toEqual(["transaction 1", "transaction 8453"]);
      // Blocks resume while the first daemon runs: its own cycles mark both transactions final.
      await automine(true);
      await mine();
      await waitFor("both batches final in the running daemon's journal", async () => {
        const r = await journalRecords(journal);
        return r.length === 2 && r.every((x) => x.status === "confirmed");
      });
      // The cycles that settled them alerted each confirmation.
      await waitFor(
        "both confirmations alerted",
        () => alerts().filter((a) => a.startsWith("tx-")).length >= 2,
      );
      expect(
        alerts()
          .filter((a) => a.startsWith("tx-"))
          .sort(),
      ).toEqual(["tx-confirmed base", "tx-confirmed ethereum"]);
    } finally {
      first.child.kill("SIGTERM");
    }
    expect((await first.done).code).toBe(0);
    expect(await landed()).toEqual([1, 1]);
    await expectNoncesSettled(journal);
  });

  it("two keepers with separate journals on one key: one rebalance lands per chain, the other refuses the foreign pending transaction", async () => {
    const a = await setup("keeper-a", { confirmTimeout: "60s" });
    const b = configFor("keeper-b", { confirmTimeout: "60s" });
    await automine(false);
    const first = startCli(["run", "--once", "-c", a.file], env);
    await waitFor("keeper A's transactions in the pool", queued);
    const second = await cli(["run", "--once", "-c", b.file], env);
    expect(second.code).toBe(3); // partial: a chain whose batch did not land
    expect(second.stderr).toContain("has a pending transaction this journal did not send");
    expect(second.stderr).toContain("ALERT: another process signs with this key");
    expect(await journalRecords(b.journal)).toEqual([]);
    await automine(true);
    await mine();
    const done = await first.done;
    expect(done.code, done.stderr).toBe(0);
    expect(await landed()).toEqual([1, 1]);
    await expectNoncesSettled(a.journal);
  });

  it("/healthz tells the truth: 503 while batches fail and once a chain is unreadable for 3 cycles; failed requests counted per method", async () => {
    const { file } = await setup("health");
    faults({ failMethods: ["eth_estimateGas"] });
    const daemon = startCli(["run", "-c", file], { ...env, BALLAST_LOG_LEVEL: "info" });
    try {
      const port = await listenPort(daemon);
      const health = async () => {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        return {
          status: r.status,
          body: (await r.json()) as { chains: Record<string, Record<string, unknown>> },
        };
      };
      const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

      // Sending fails before anything is signed: the batches failed, nothing landed.
      await waitFor("a failed batch", async () => (await health()).body.chains.ethereum?.batchError != null);
      expect((await health()).status).toBe(503);
      expect(await metrics()).toMatch(
        /ballast_rpc_errors_total\{chain="ethereum",method="eth_estimateGas"\} [1-9]/,
      );
      expect(await landed()).toEqual([0, 0]);

      // The RPC recovers: the next cycles rebalance once and health comes back.
      faults({});
      await waitFor("healthy again", async () => (await health()).status === 200);
      expect(await landed()).toEqual([1, 1]);
      // Every request the proxy failed (each retry too) was counted, once, under its chain and method.
      const text = await metrics();
      for (const [i, chain] of ["ethereum", "base"].entries()) {
        const counted = [
          ...text.matchAll(
            new RegExp(`ballast_rpc_errors_total\\{chain="${chain}",method="([a-z_A-Z]+)"\\} (\\d+)`, "g"),
          ),
        ];
        expect(counted.map((m) => m[1])).toEqual(["eth_estimateGas"]);
        expect(Number(counted[0]?.[2])).toBe(proxies[i]?.stats().failed);
      }
      expect(undocumentedLabels(text)).toEqual([]);

      // base cannot be read (every eth_call fails): unhealthy after 3 cycles in a row, not before.
      proxies[1]?.setFaults({ failMethods: ["eth_call"] });
      await waitFor(
        "base unreadable",
        async () => Number((await health()).body.chains.base?.unreadableCycles) >= 1,
      );
      const early = await health();
      if (Number(early.body.chains.base?.unreadableCycles) < 3) expect(early.status).toBe(200);
      await waitFor("unhealthy", async () => (await health()).status === 503);
      expect(Number((await health()).body.chains.base?.unreadableCycles)).toBeGreaterThanOrEqual(3);
      expect(await metrics()).toMatch(/ballast_rpc_errors_total\{chain="base",method="eth_call"\} [1-9]/);
    } finally {
      daemon.child.kill("SIGTERM");
    }
    expect((await daemon.done).code).toBe(0);
    expect(await landed()).toEqual([1, 1]);
  });

  it("mempool dropped, no blocks, restart: the same signed bytes are rebroadcast; SIGTERM while settling (a read stuck on a slow RPC) exits before that read times out and keeps the journal", async () => {
    const { file, journal } = await setup("lost-mempool", { confirmTimeout: "60s" });
    await automine(false);
    const crashed = startCli(["run", "--once", "-c", file], env);
    await waitFor("both transactions broadcast", async () => {
      const r = await journalRecords(journal);
      return r.length === 2 && r.every((x) => x.status === "broadcast");
    });
    crashed.child.kill("SIGKILL");
    await crashed.done;
    const journaled = await journalRecords(journal);
    await Promise.all(
      list.map((c) => c.testClient.request({ method: "anvil_dropAllTransactions" } as never)),
    );
    for (const c of list) {
      const n = await nonces(c, account.address);
      expect(n.pending).toBe(n.latest);
    }

    // Restart: settling finds the node lost them and hands over the same bytes (no new signature).
    const restarted = startCli(["run", "--once", "-c", file], env);
    await waitFor("the rebroadcast", queued);
    for (const [i, c] of list.entries()) {
      const hash = journaled.find((r) => r.chainId === c.chainId)?.hash as Hex;
      expect((await c.publicClient.getTransaction({ hash })).hash).toBe(hash);
      expect(start[i]).toBe(await c.publicClient.getBlockNumber({ cacheTime: 0 }));
    }
    // SIGTERM while it waits for a block that does not come, one of its reads stuck on an RPC that answers in 30 s
    // (a request times out after 10 s and is retried): it stops before that request could time out (its grace period
    // is 3 s; 8 s leaves a loaded machine room to deliver the signal and reap the process), the journal unchanged.
    faults({ delayMs: 30_000 });
    const asked = proxies.map((p) => p.methods().length);
    await waitFor("a settle read stuck on the slow RPC", async () =>
      proxies.some((p, i) => p.methods().length > (asked[i] as number)),
    );
    const t0 = Date.now();
    restarted.child.kill("SIGTERM");
    await restarted.done;
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(await journalRecords(journal)).toEqual(journaled);

    faults({});
    await automine(true);
    await mine();
    const settled = await cli(["run", "--once", "-c", file], env);
    expect(settled.code, settled.stderr).toBe(0);
    // Exactly one transaction landed per chain, and it is the journaled one, byte for byte.
    for (const [i, c] of list.entries())
      expect(await hashesFrom(c, account.address, start[i] as bigint)).toEqual([
        journaled.find((r) => r.chainId === c.chainId)?.hash,
      ]);
    await expectNoncesSettled(journal);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Journal, openJournal } from "@ballast/keeper";
import { type DemoChains, demoConfigYaml, seedDemoPortfolio } from "@ballast/keeper/demo";
import {
  type Postgres,
  setPrice,
  startPostgres,
  startTcpProxy,
  startTestChain,
  type TcpProxy,
  type TestChain,
} from "@ballast/testkit";
import { type Hex, keccak256, stringToHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli } from "./cli.ts";
import { waitFor } from "./helpers.ts";

// Two keeper processes (`ballast work`) on one Postgres journal share 20 portfolios on two local chains: 19 accounts
// of their own, and a 20th that signs with the first one's key (its twin: the same account, so the same holdings and
// a key two portfolios share). `pnpm bench:workers` measures larger N.
const KEYS = Array.from({ length: 19 }, (_, i) => {
  const key = keccak256(stringToHex(`ballast workers e2e ${i}`));
  return { name: `p${String(i).padStart(2, "0")}`, key, address: privateKeyToAccount(key).address };
});
const TWIN = `${KEYS[0]?.name}-twin`;
const PORTFOLIOS = [...KEYS.map((k) => k.name), TWIN].sort();
const env: Record<string, string> = Object.fromEntries(
  KEYS.map((k) => [`KEY_${k.name.toUpperCase()}`, k.key]),
);

let chains: DemoChains;
let pg: Postgres;
let journal: string;
/** The test's own view of the journal (direct, never through a worker's proxy). */
let view: Journal;
/** The portfolio files, on the journal directly and through `proxy` (the same portfolios, the same database). */
let direct: string;
let proxied: string;
let proxy: TcpProxy;
const temp: string[] = [];

const list = () => [chains.ethereum, chains.base] as TestChain[];
const heads = () => Promise.all(list().map((c) => c.publicClient.getBlockNumber({ cacheTime: 0 })));
const drift = (usd: bigint) =>
  Promise.all(list().map((c) => setPrice(c, { asset: "WETH", usdPrice: usd * 10n ** 8n })));

type Row = {
  portfolio: string;
  chainId: number;
  planId: string;
  sender: string;
  status: string;
  json: string;
};
/** Every journaled transaction: one row per (chain, plan), with its portfolio and sender. */
const journaled = () =>
  view.sql.all<Row>(
    'SELECT portfolio, chain_id AS "chainId", plan_id AS "planId", sender, status, json FROM transactions',
  );
/** The journal before a step: its transactions (chain:plan) and its last decision's id. */
type Before = { txs: Set<string>; decision: number };
const fresh = async (before: Before) =>
  (await journaled()).filter((r) => !before.txs.has(`${r.chainId}:${r.planId}`));
const snapshot = async (): Promise<Before> => {
  const [row] = await view.sql.all<{ id: number | null }>("SELECT max(id) AS id FROM decisions");
  return {
    txs: new Set((await journaled()).map((r) => `${r.chainId}:${r.planId}`)),
    decision: Number(row?.id ?? 0),
  };
};

/**
 * Every drifted portfolio rebalanced since `before`: each key sent and confirmed, nothing in flight, and each
 * portfolio's latest decision (made since) is to hold: back in its bands. (A batch fenced out by a handover is not
 * resent if the chains already sent brought the portfolio back in band.)
 */
async function allRebalanced(before: Before): Promise<boolean> {
  const rows = await fresh(before);
  if (
    !KEYS.every((k) => rows.some((r) => r.sender === k.address.toLowerCase() && r.status === "confirmed")) ||
    !rows.every((r) => r.status === "confirmed" || r.status === "dropped")
  )
    return false;
  const latest = await view.sql.all<{ portfolio: string; fire: number }>(
    `SELECT portfolio, fire FROM decisions d
     WHERE id = (SELECT max(id) FROM decisions WHERE portfolio = d.portfolio AND dry_run = 0) AND id > ?`,
    [before.decision],
  );
  return latest.length === PORTFOLIOS.length && latest.every((d) => Number(d.fire) === 0);
}

/** The transactions on `chain` in blocks (after, head], by sender (lowercase). */
async function sentSince(chain: TestChain, after: bigint): Promise<Map<string, Hex[]>> {
  const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
  const by = new Map<string, Hex[]>();
  for (let b = after + 1n; b <= head; b++) {
    const block = await chain.publicClient.getBlock({ blockNumber: b, includeTransactions: true });
    for (const t of block.transactions)
      by.set(t.from.toLowerCase(), [...(by.get(t.from.toLowerCase()) ?? []), t.hash]);
  }
  return by;
}

/**
 * Nothing was sent twice and no nonce clashed: every transaction of each key on chain since `since` is a journaled
 * one (whichever portfolio sent it), one transaction per plan, and the journal's next nonce is the chain's.
 */
async function expectExactlyOnce(since: bigint[]) {
  const rows = await journaled();
  for (const [i, c] of list().entries()) {
    const onChain = await sentSince(c, since[i] as bigint);
    for (const k of KEYS) {
      const sender = k.address.toLowerCase();
      const mine = rows.filter((r) => r.sender === sender && r.chainId === c.chainId);
      const landed = mine.filter((r) => r.status === "confirmed" || r.status === "reverted");
      const hashes = new Set(
        landed.map((r) => (JSON.parse(r.json) as { inclusion: { hash: Hex } }).inclusion.hash),
      );
      const sent = onChain.get(sender) ?? [];
      expect(
        sent.filter((h) => !hashes.has(h)),
        `${k.name} on ${c.chainId}: sent, not journaled`,
      ).toEqual([]);
      expect(new Set(mine.map((r) => r.planId)).size, `${k.name}: one transaction per plan`).toBe(
        mine.length,
      );
      const next = await c.publicClient.getTransactionCount({ address: k.address, blockTag: "pending" });
      expect(await view.txStore.getNonce(c.chainId, k.address), `${k.name} nonce on ${c.chainId}`).toBe(next);
    }
  }
}

const work = (dir = direct) =>
  startCli(["work", dir, "--lease-ttl", "6", "--tick", "1", "--listen", "127.0.0.1:0"], {
    ...env,
    BALLAST_LOG_LEVEL: "info",
  });
type Worker = ReturnType<typeof work>;

type WorkerHealth = {
  ok: boolean;
  journal: { ok: boolean };
  leases: string[];
  portfolios: Record<string, { ok: boolean }>;
};
/** A worker's `/healthz`: its status and body, once it logged its listener. */
async function healthz(w: Worker): Promise<{ status: number; body: WorkerHealth }> {
  const port = /"listen":"127\.0\.0\.1:(\d+)"/.exec(w.stderrSoFar())?.[1];
  if (!port) return { status: 0, body: { ok: false, journal: { ok: false }, leases: [], portfolios: {} } };
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: res.status, body: (await res.json()) as WorkerHealth };
}
const held = async (w: Worker) => Object.keys((await healthz(w)).body.portfolios).sort();

/** Both workers healthy, each holding its even share (10), all 20 between them. */
async function evenlySpread(a: Worker, b: Worker): Promise<boolean> {
  const [ha, hb] = await Promise.all([healthz(a), healthz(b)]);
  const [pa, pb] = [Object.keys(ha.body.portfolios), Object.keys(hb.body.portfolios)];
  return (
    ha.status === 200 &&
    hb.status === 200 &&
    pa.length === 10 &&
    pb.length === 10 &&
    JSON.stringify([...pa, ...pb].sort()) === JSON.stringify(PORTFOLIOS)
  );
}

/** Blocks once a second: a worker broadcasts, then waits for receipts, and is cut off or killed while it waits. */
async function intervalMining<T>(fn: () => Promise<T>): Promise<T> {
  await Promise.all(list().map((c) => c.testClient.setAutomine(false)));
  await Promise.all(list().map((c) => c.testClient.setIntervalMining({ interval: 1 })));
  try {
    return await fn();
  } finally {
    await Promise.all(list().map((c) => c.testClient.setIntervalMining({ interval: 0 })));
    await Promise.all(list().map((c) => c.testClient.setAutomine(true)));
  }
}

beforeAll(async () => {
  const [ethereum, base, server] = await Promise.all([
    startTestChain({ chainId: 1 }),
    startTestChain({ chainId: 8453 }),
    startPostgres(),
  ]);
  chains = { ethereum, base };
  pg = server;
  journal = await pg.createDatabase("workers");
  view = await openJournal(journal);
  proxy = await startTcpProxy(pg.port);
  const viaProxy = new URL(journal);
  viaProxy.port = String(proxy.port);
  // The whale funds every account on each chain: one account after another.
  for (const k of KEYS) await seedDemoPortfolio(chains, privateKeyToAccount(k.key));
  const folder = (url: string) => {
    const dir = mkdtempSync(join(tmpdir(), "ballast-workers-"));
    temp.push(dir);
    mkdirSync(dir, { recursive: true });
    const file = (name: string, key: string) =>
      writeFileSync(
        join(dir, `${name}.yaml`),
        demoConfigYaml(chains, { journal: url, cooldown: "0s", confirmTimeout: "20s" }).replaceAll(
          "env:BALLAST_DEMO_KEY",
          `env:KEY_${key.toUpperCase()}`,
        ),
      );
    for (const k of KEYS) file(k.name, k.name);
    file(TWIN, KEYS[0]?.name as string);
    return dir;
  };
  direct = folder(journal);
  proxied = folder(viaProxy.toString());
}, 600_000);

afterAll(async () => {
  await view?.close();
  await proxy?.close();
  await Promise.all([chains?.ethereum.stop(), chains?.base.stop(), pg?.stop()]);
  for (const dir of temp) rmSync(dir, { recursive: true, force: true });
});

describe("several keepers on one Postgres journal", { timeout: 300_000 }, () => {
  it("two workers, 20 drifted portfolios, two on one key: spread 10 and 10, each rebalanced, nothing twice, no nonce clash", async () => {
    await drift(2_400n);
    const since = await heads();
    const before = await snapshot();
    const [a, b] = [work(), work()];
    try {
      await waitFor("every portfolio rebalanced on both chains", () => allRebalanced(before), 240_000);
      // Each worker's /healthz names the portfolios it holds (its even share: 10 each, all 20 between them) and
      // answers 200 once every one of them has completed a healthy cycle.
      await waitFor("both workers healthy, holding 10 portfolios each", () => evenlySpread(a, b), 60_000);
      const { body } = await healthz(a);
      for (const name of Object.keys(body.portfolios)) expect(body.leases).toContain(`portfolio:${name}`);
    } finally {
      a.child.kill("SIGTERM");
      b.child.kill("SIGTERM");
    }
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    await expectExactlyOnce(since);
  });

  it("SIGKILL a worker in the middle of sending: the other takes over within the lease TTL, nothing is sent twice", async () => {
    await drift(2_900n);
    const since = await heads();
    const before = await snapshot();
    const a = work();
    let b: Worker | undefined;
    try {
      await intervalMining(async () => {
        await waitFor(
          "the first worker journaled a new transaction",
          async () => (await fresh(before)).length > 0,
          120_000,
        );
        a.child.kill("SIGKILL");
        await a.done;
        const killedAt = Date.now();
        b = work();
        const started = b;
        await waitFor(
          "the second worker took a portfolio",
          () => started.stderrSoFar().includes("portfolio taken"),
          60_000,
        );
        // It cannot take them before the dead worker's leases expire (6 s), and must soon after.
        expect(Date.now() - killedAt).toBeLessThan(6_000 + 30_000);
        await waitFor("every portfolio rebalanced, nothing in flight", () => allRebalanced(before), 240_000);
      });
    } finally {
      a.child.kill("SIGKILL");
      b?.child.kill("SIGTERM");
      await b?.done;
    }
    await expectExactlyOnce(since);
  });

  it("a worker cut off from Postgres mid-sending stops sending and says so; the other takes over; healed, it rejoins", async () => {
    await drift(2_000n);
    const since = await heads();
    const before = await snapshot();
    // a reaches the journal through a proxy the test cuts; b directly.
    const [a, b] = [work(proxied), work(direct)];
    try {
      await intervalMining(async () => {
        await waitFor(
          "a journaled a transaction of a portfolio it holds",
          async () => {
            const mine = await held(a);
            return (await fresh(before)).some((r) => mine.includes(r.portfolio));
          },
          120_000,
        );
        proxy.cut();
        // a cannot renew its leases: it gives them up, and is no healthy standby (503, the journal named), and its
        // log says so. (Both are waited for: the log line reaches this process through a pipe, the /healthz answer
        // through a socket, in either order.)
        await waitFor(
          "a reports its journal unreachable, on /healthz and in its log",
          async () => {
            const h = await healthz(a);
            const down = h.status === 503 && !h.body.journal.ok && h.body.leases.length === 0;
            return down && a.stderrSoFar().includes("JOURNAL UNREACHABLE");
          },
          20_000,
        );
        // b takes all 20 once a's leases (its worker lease too) expired, settles what a sent, and finishes.
        await waitFor("b holds all 20", async () => (await held(b)).length === 20, 60_000);
        await waitFor("every portfolio rebalanced, nothing in flight", () => allRebalanced(before), 240_000);
      });
      await expectExactlyOnce(since);
      // Healed: a takes its share back (b hands over 10), healthy again, and nothing more is sent twice.
      proxy.heal();
      await waitFor("a rejoined: 10 and 10, both healthy", () => evenlySpread(a, b), 60_000);
    } finally {
      proxy.heal();
      a.child.kill("SIGTERM");
      b.child.kill("SIGTERM");
    }
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    await expectExactlyOnce(since);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openJournal } from "@ballast/keeper";
import { type DemoChains, demoConfigYaml, seedDemoPortfolio } from "@ballast/keeper/demo";
import {
  ANVIL_PRIVATE_KEYS,
  type Postgres,
  setPrice,
  startPostgres,
  startTestChain,
  TEST_ACCOUNT_INDEX,
  type TestChain,
  testAccounts,
} from "@ballast/testkit";
import type { Address, Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli } from "./cli.ts";
import { hashesFrom, waitFor } from "./helpers.ts";

// Two keeper processes (`ballast work`) on one Postgres journal share three portfolios on two local chains, plus a
// fourth that signs with alice's key too (her twin: the same account, so the same holdings). Small N keeps CI lean;
// `pnpm bench:workers` measures larger ones.
const NAMES = ["alice", "bob", "carol"] as const;
const env: Record<string, string> = Object.fromEntries(
  NAMES.map((n) => [`KEY_${n.toUpperCase()}`, ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX[n]] as string]),
);

let chains: DemoChains;
let pg: Postgres;
let dir: string;
let journal: string;

const sender = (n: (typeof NAMES)[number]) => testAccounts[n].address.toLowerCase();
const list = () => [chains.ethereum, chains.base] as TestChain[];
const heads = () => Promise.all(list().map((c) => c.publicClient.getBlockNumber({ cacheTime: 0 })));
const drift = (usd: bigint) =>
  Promise.all(list().map((c) => setPrice(c, { asset: "WETH", usdPrice: usd * 10n ** 8n })));

/** Every journaled transaction: one row per (chain, plan), with its portfolio and sender. */
async function journaled() {
  const j = await openJournal(journal);
  try {
    return await j.sql.all<{
      portfolio: string;
      chainId: number;
      planId: string;
      sender: string;
      status: string;
      json: string;
    }>(
      'SELECT portfolio, chain_id AS "chainId", plan_id AS "planId", sender, status, json FROM transactions ORDER BY portfolio',
    );
  } finally {
    await j.close();
  }
}

/**
 * Nothing was sent twice and no nonce clashed: every transaction of each key on chain since `since` is a journaled
 * one (whichever portfolio sent it), one transaction per plan, and the journal's next nonce is the chain's.
 */
async function expectExactlyOnce(since: bigint[]) {
  const rows = await journaled();
  const j = await openJournal(journal);
  try {
    for (const n of NAMES) {
      const account = testAccounts[n].address as Address;
      for (const [i, c] of list().entries()) {
        const onChain = await hashesFrom(c, account, since[i] as bigint);
        const mine = rows.filter((r) => r.sender === account.toLowerCase() && r.chainId === c.chainId);
        const landed = mine.filter((r) => r.status === "confirmed" || r.status === "reverted");
        const hashes = landed.map((r) => (JSON.parse(r.json) as { inclusion: { hash: Hex } }).inclusion.hash);
        expect(onChain.sort(), `${n} on ${c.chainId}`).toEqual(
          hashes.filter((h) => onChain.includes(h)).sort(),
        );
        expect(new Set(mine.map((r) => r.planId)).size, `${n}: one transaction per plan`).toBe(mine.length);
        const next = await c.publicClient.getTransactionCount({ address: account, blockTag: "pending" });
        expect(await j.txStore.getNonce(c.chainId, account), `${n} nonce on ${c.chainId}`).toBe(next);
      }
    }
  } finally {
    await j.close();
  }
}

const work = () =>
  startCli(["work", dir, "--lease-ttl", "3", "--tick", "1", "--listen", "127.0.0.1:0"], {
    ...env,
    BALLAST_LOG_LEVEL: "info",
  });

type WorkerHealth = { ok: boolean; leases: string[]; portfolios: Record<string, { ok: boolean }> };
/** A worker's `/healthz`: its status and body, once it logged its listener. */
async function healthz(w: ReturnType<typeof work>): Promise<{ status: number; body: WorkerHealth }> {
  const port = /"listen":"127\.0\.0\.1:(\d+)"/.exec(w.stderrSoFar())?.[1];
  if (!port) return { status: 0, body: { ok: false, leases: [], portfolios: {} } };
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: res.status, body: (await res.json()) as WorkerHealth };
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
  for (const n of NAMES) await seedDemoPortfolio(chains, testAccounts[n]);
  dir = mkdtempSync(join(tmpdir(), "ballast-workers-"));
  mkdirSync(dir, { recursive: true });
  const file = (name: string, key: string) =>
    writeFileSync(
      join(dir, `${name}.yaml`),
      demoConfigYaml(chains, { journal, cooldown: "0s", confirmTimeout: "20s" }).replaceAll(
        "env:BALLAST_DEMO_KEY",
        `env:KEY_${key.toUpperCase()}`,
      ),
    );
  for (const n of NAMES) file(n, n);
  file("alice-twin", "alice");
});

afterAll(async () => {
  await Promise.all([chains?.ethereum.stop(), chains?.base.stop(), pg?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("several keepers on one Postgres journal", { timeout: 240_000 }, () => {
  it("two workers, four drifted portfolios, two on one key: each key rebalanced, nothing twice, no nonce clash", async () => {
    await drift(2_400n);
    const since = await heads();
    const [a, b] = [work(), work()];
    try {
      await waitFor(
        "every portfolio confirmed on both chains",
        async () => {
          const rows = (await journaled()).filter((r) => r.status === "confirmed");
          return NAMES.every((n) => rows.filter((r) => r.sender === sender(n)).length >= 2);
        },
        180_000,
      );
      // Each worker's /healthz names the portfolios it holds (each by one worker, all four between them) and
      // answers 200 once every one of them has completed a healthy cycle.
      const all = ["alice", "alice-twin", "bob", "carol"];
      await waitFor(
        "both workers healthy, holding every portfolio between them",
        async () => {
          const [ha, hb] = await Promise.all([healthz(a), healthz(b)]);
          const held = [...Object.keys(ha.body.portfolios), ...Object.keys(hb.body.portfolios)].sort();
          return ha.status === 200 && hb.status === 200 && JSON.stringify(held) === JSON.stringify(all);
        },
        30_000,
      );
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
    // Blocks once a second: the worker broadcasts, then waits for receipts — and is killed while waiting.
    await Promise.all(list().map((c) => c.testClient.setAutomine(false)));
    await Promise.all(list().map((c) => c.testClient.setIntervalMining({ interval: 1 })));
    const before = new Set((await journaled()).map((r) => `${r.chainId}:${r.planId}`));
    const a = work();
    let b: ReturnType<typeof work> | undefined;
    try {
      await waitFor(
        "the first worker journaled a new transaction",
        async () => (await journaled()).some((r) => !before.has(`${r.chainId}:${r.planId}`)),
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
      // It cannot take them before the dead worker's leases expire (3 s), and must soon after.
      const failoverMs = Date.now() - killedAt;
      expect(failoverMs).toBeLessThan(3_000 + 20_000);
      await waitFor(
        "every portfolio rebalanced on both chains, nothing in flight",
        async () => {
          const fresh = (await journaled()).filter((r) => !before.has(`${r.chainId}:${r.planId}`));
          const confirmed = (n: (typeof NAMES)[number]) =>
            fresh.filter((r) => r.sender === sender(n) && r.status === "confirmed");
          return (
            NAMES.every((n) => confirmed(n).length >= 2) &&
            fresh.every((r) => r.status === "confirmed" || r.status === "dropped")
          );
        },
        180_000,
      );
    } finally {
      a.child.kill("SIGKILL");
      b?.child.kill("SIGTERM");
      await b?.done;
      await Promise.all(list().map((c) => c.testClient.setIntervalMining({ interval: 0 })));
      await Promise.all(list().map((c) => c.testClient.setAutomine(true)));
    }
    await expectExactlyOnce(since);
  });
});

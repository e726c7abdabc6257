import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { assembleKeeper } from "./assemble.ts";
import { loadConfig } from "./config.ts";
import { type ChainHealth, freshHealth } from "./daemon.ts";
import { exampleConfig } from "./example.ts";
import { openJournal } from "./journal.ts";
import { createMetrics, serveMetrics } from "./metrics.ts";
import { pauseSending, recordBatch } from "./risk.ts";
import { workerHealth } from "./worker.ts";

const dir = mkdtempSync(join(tmpdir(), "ballast-worker-health-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = {
  BALLAST_KEY: `0x${"11".repeat(32)}`,
  ETH_RPC_URL: "http://127.0.0.1:1",
  ARB_RPC_URL: "http://127.0.0.1:2",
};

/** Two portfolios of the example config (ethereum, arbitrum) on one journal; nothing here reads a chain. */
async function twoPortfolios() {
  const file = join(dir, "fund.yaml");
  writeFileSync(file, exampleConfig());
  const config = loadConfig(file, env);
  const journal = await openJournal(":memory:");
  const held = new Map(
    ["fund-a", "fund-b"].map((name) => {
      const keeper = assembleKeeper(config, journal.forPortfolio(name), {
        env,
        needKeys: false,
        log: pino({ level: "silent" }),
        metrics: createMetrics(),
      });
      return [name, { keeper, health: freshHealth(keeper) }] as const;
    }),
  );
  const cycled = (h: Record<string, ChainHealth>, patch: Partial<ChainHealth> = {}) => {
    for (const key of Object.keys(h))
      h[key] = { at: Date.now(), error: null, unreadableCycles: 0, batchError: null, inFlight: 0, ...patch };
  };
  const leases = { owner: "host:1:abc", names: () => ["portfolio:fund-b", "portfolio:fund-a"] };
  return { held, cycled, leases, journal };
}

describe("/healthz of a worker", () => {
  it("is ok only when every portfolio it holds is, by the rules of run, and names each one's state and the leases", async () => {
    const { held, cycled, leases, journal } = await twoPortfolios();
    const a = held.get("fund-a")?.health as Record<string, ChainHealth>;
    const b = held.get("fund-b")?.health as Record<string, ChainHealth>;
    // Before a portfolio's first cycle it is not healthy, as under run.
    let h = await workerHealth(held, leases, 5_000);
    expect(h.ok).toBe(false);
    expect(h.owner).toBe("host:1:abc");
    expect(h.leases).toEqual(["portfolio:fund-a", "portfolio:fund-b"]);
    expect(Object.keys(h.portfolios)).toEqual(["fund-a", "fund-b"]);
    cycled(a);
    cycled(b);
    h = await workerHealth(held, leases, 5_000);
    expect(h.ok).toBe(true);
    expect(h.portfolios["fund-a"]?.ok).toBe(true);
    // One portfolio's failed batch makes the worker unhealthy, and the body says which portfolio and chain.
    cycled(b, { batchError: "reverted" });
    h = await workerHealth(held, leases, 5_000);
    expect(h.ok).toBe(false);
    expect(h.portfolios["fund-a"]?.ok).toBe(true);
    expect(h.portfolios["fund-b"]).toMatchObject({
      ok: false,
      chains: { ethereum: { batchError: "reverted" } },
    });
    cycled(b);
    // An operator's pause of one portfolio is healthy; a tripped breaker (in that portfolio's journal rows) is not.
    await pauseSending(journal.forPortfolio("fund-a"), { at: 1, reason: "audit" });
    expect((await workerHealth(held, leases, 5_000)).ok).toBe(true);
    const limits = held.get("fund-b")?.keeper.config.policy.limits as never;
    for (let at = 2; at < 10; at++)
      await recordBatch(journal.forPortfolio("fund-b"), limits, {
        at,
        chain: "arbitrum",
        ok: false,
        detail: "x",
      });
    h = await workerHealth(held, leases, 5_000);
    expect(h.ok).toBe(false);
    expect(h.portfolios["fund-a"]).toMatchObject({
      ok: true,
      chains: { ethereum: { sending: expect.any(String) } },
    });
    expect(h.portfolios["fund-b"]).toMatchObject({
      ok: false,
      chains: { arbitrum: { sending: expect.any(String) } },
    });
    // Served: 503 with that body.
    const s = await serveMetrics("127.0.0.1:0", createMetrics(), () => workerHealth(held, leases, 5_000));
    try {
      const res = await fetch(`http://127.0.0.1:${s.port}/healthz`);
      expect(res.status).toBe(503);
      expect(Object.keys(((await res.json()) as { portfolios: object }).portfolios)).toEqual([
        "fund-a",
        "fund-b",
      ]);
    } finally {
      await s.close();
    }
    // A worker holding nothing (a standby) is healthy while it reaches the journal, so it can take over…
    const standby = { owner: "standby", names: () => [] };
    const up = { ok: true, error: null, since: 1 };
    expect(await workerHealth(new Map(), standby, 5_000, up)).toEqual({
      ok: true,
      owner: "standby",
      journal: up,
      leases: [],
      portfolios: {},
    });
    // …and not when it is cut off from it: it holds nothing because it cannot, and could take nothing over.
    const down = { ok: false, error: "Connection terminated unexpectedly", since: 2 };
    expect(await workerHealth(new Map(), standby, 5_000, down)).toMatchObject({ ok: false, journal: down });
    await journal.close();
  });
});

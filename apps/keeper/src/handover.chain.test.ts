import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setPrice, type TestChain, testAccounts } from "@ballast/testkit";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assembleKeeper } from "./assemble.ts";
import { loadConfig } from "./config.ts";
import {
  type DemoChains,
  demoConfigYaml,
  demoEnv,
  seedDemoPortfolio,
  startDemoChains,
} from "./demo-portfolio.ts";
import { openJournal } from "./journal.ts";
import { keeperCycle } from "./keeper.ts";
import { LeaseLostError } from "./leases.ts";
import { createMetrics } from "./metrics.ts";
import { sendingStops } from "./risk.ts";

// A keeper whose lease passed to another keeper mid-cycle (the fence refuses to journal its transaction) has not
// failed a batch: it handed the portfolio over. The circuit breaker must not count it, or a few handovers would stop
// the portfolio's sending for its new owner too (the breaker is in the portfolio's journal rows).
let chains: DemoChains;
let dir: string;
beforeAll(async () => {
  chains = await startDemoChains();
  await seedDemoPortfolio(chains, testAccounts.keeper);
  dir = mkdtempSync(join(tmpdir(), "ballast-handover-"));
});
afterAll(async () => {
  await Promise.all([chains?.ethereum.stop(), chains?.base.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("a lost lease mid-cycle", () => {
  it("is a handover: nothing sent, the batch held, no failed batch and no breaker trip however often", async () => {
    const list = [chains.ethereum, chains.base] as TestChain[];
    await Promise.all(list.map((c) => setPrice(c, { asset: "WETH", usdPrice: 2_400n * 10n ** 8n })));
    const file = join(dir, "fund.yaml");
    writeFileSync(file, demoConfigYaml(chains, { journal: join(dir, "journal.db"), cooldown: "0s" }));
    const env = demoEnv();
    const config = loadConfig(file, env);
    const journal = await openJournal(config.keeper.journal);
    const lost = async () => {
      throw new LeaseLostError("portfolio:fund", "worker-a");
    };
    const metrics = createMetrics();
    const k = assembleKeeper(config, journal.forPortfolio("fund", lost), {
      env,
      needKeys: true,
      log: pino({ level: "silent" }),
      metrics,
    });
    const nonces = () =>
      Promise.all(
        list.map((c) => c.publicClient.getTransactionCount({ address: testAccounts.keeper.address })),
      );
    const before = await nonces();
    try {
      // More cycles than `maxConsecutiveFailures` (3): each would count as a failed batch on every chain.
      for (let i = 0; i < 4; i++) {
        const c = await keeperCycle(k, { now: 1_000 + i, execute: true });
        expect(c.result.decision?.fire).toBe(true);
        expect(c.sent.map((s) => [s.key, s.status])).toEqual([
          ["ethereum", "held"],
          ["base", "held"],
        ]);
        expect(c.sent[0]?.error).toMatch(/no longer held by worker-a/);
      }
      expect(await nonces()).toEqual(before);
      const events = await journal.sql.all<{ kind: string }>(
        "SELECT kind FROM risk_events WHERE portfolio = ?",
        ["fund"],
      );
      expect(events.filter((e) => e.kind === "batch-failed" || e.kind === "trip")).toEqual([]);
      expect([...(await sendingStops(k.journal, ["ethereum", "base"])).values()]).toEqual([]);
      expect(metrics.render()).toMatch(/ballast_tx_total\{chain="base",outcome="lease-lost"\} 4/);
    } finally {
      await journal.close();
    }
  });
});

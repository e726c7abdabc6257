import { setPrice, testAccounts } from "@ballast/testkit";
import { describe, expect, it } from "vitest";
import { demoKeeper, useDemoChains } from "../test/demo-keeper.ts";
import { keeperCycle } from "./keeper.ts";
import { LeaseLostError } from "./leases.ts";
import { sendingStops } from "./risk.ts";

// A keeper whose lease passed to another keeper mid-cycle (the fence refuses to journal its transaction) has not
// failed a batch: it handed the portfolio over. The circuit breaker must not count it, or a few handovers would stop
// the portfolio's sending for its new owner too (the breaker is in the portfolio's journal rows).
const demo = useDemoChains("handover");

describe("a lost lease mid-cycle", () => {
  it("is a handover: nothing sent, the batch held, no failed batch and no breaker trip however often", async () => {
    const { list } = demo;
    await Promise.all(list.map((c) => setPrice(c, { asset: "WETH", usdPrice: 2_400n * 10n ** 8n })));
    const lost = async () => {
      throw new LeaseLostError("portfolio:fund", "worker-a");
    };
    const { k, journal, metrics } = await demoKeeper(demo, "fund", { cooldown: "0s" }, lost);
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

import { setPrice } from "@ballast/testkit";
import { describe, expect, it } from "vitest";
import { demoKeeper, useDemoChains } from "../test/demo-keeper.ts";
import { keeperCycle } from "./keeper.ts";

// The last rebalance's time is read on the cycle's own clock (`now`): a batch that landed while a cycle settled it, in
// a later wall-clock second than the cycle's start (or journaled by a keeper whose clock runs ahead), must not be "in
// the future" for that cycle — the engine refuses that and the whole cycle failed (seen in the faults e2e).
const demo = useDemoChains("settle-clock");

describe("the last rebalance on the cycle's clock", () => {
  it("a batch settled by a later cycle journals that cycle's now, and the cycle goes on", async () => {
    await Promise.all(demo.list.map((c) => setPrice(c, { asset: "WETH", usdPrice: 2_400n * 10n ** 8n })));
    const { k, journal } = await demoKeeper(demo, "settled", {
      cooldown: "0s",
      confirmTimeout: "1s",
      tick: "1s",
    });
    try {
      await Promise.all(demo.list.map((c) => c.testClient.setAutomine(false)));
      const first = await keeperCycle(k, { now: 1_000, execute: true });
      expect(first.sent.map((s) => s.status)).toEqual(["in-flight", "in-flight"]);
      await Promise.all(demo.list.map((c) => c.testClient.mine({ blocks: 1 })));
      // The clock of this cycle is far behind the wall clock the settlement used to journal.
      const second = await keeperCycle(k, { now: 1_001, execute: true });
      expect(second.settled.map((r) => r.status)).toEqual(["confirmed", "confirmed"]);
      expect(await k.journal.get("lastRebalanceAt")).toBe("1001");
      expect(second.result.decision).toBeDefined();
    } finally {
      await Promise.all(demo.list.map((c) => c.testClient.setAutomine(true)));
      await journal.close();
    }
  });

  it("a last rebalance after this cycle's clock (another keeper's clock ahead) counts as now: the cooldown holds", async () => {
    await Promise.all(demo.list.map((c) => setPrice(c, { asset: "WETH", usdPrice: 1_900n * 10n ** 8n })));
    const { k, journal } = await demoKeeper(demo, "ahead", {
      cooldown: "1h",
      confirmTimeout: "1s",
      tick: "1s",
    });
    try {
      await k.journal.put("lastRebalanceAt", "2050");
      const c = await keeperCycle(k, { now: 2_000, execute: true });
      expect(c.result.decision?.fire).toBe(false);
      expect(JSON.stringify(c.result.decision)).toMatch(/cooldown/);
      expect(c.sent).toEqual([]);
    } finally {
      await journal.close();
    }
  });
});

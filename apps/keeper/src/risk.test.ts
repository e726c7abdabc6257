import type { Plan } from "@ballast/core";
import { describe, expect, it } from "vitest";
import type { LimitsConfig } from "./config.ts";
import { openJournal } from "./journal.ts";
import {
  checkLimits,
  consecutiveFailures,
  dailyTurnoverUsd,
  pauseSending,
  recordBatch,
  recordSent,
  resumeSending,
  reviewBreakers,
  sendingStops,
} from "./risk.ts";

const USD = 10n ** 18n;
const limits: LimitsConfig = {
  maxTradeUsd: 1_000n * USD,
  maxCycleUsd: 2_000n * USD,
  maxDailyUsd: 3_000n * USD,
  onExceed: "scale",
  maxLossUsd: 50n * USD,
  lossWindow: 86_400,
  maxConsecutiveFailures: 3,
};
/** A plan with one leg per given USD amount and that turnover. */
const planOf = (turnover: bigint, legs: bigint[]): Plan =>
  ({
    id: "0xplan",
    turnoverUsd: turnover * USD,
    chains: [{ chainId: 1, legs: legs.map((usd) => ({ usd: usd * USD })), awaitsTransfers: false }],
  }) as unknown as Plan;

describe("checkLimits", () => {
  it("passes a plan within every cap", () => {
    expect(checkLimits(planOf(900n, [500n, 400n]), limits, 3_000n * USD)).toEqual({ kind: "within" });
  });

  it("scales a plan over the cycle cap to the cap, and one with a leg over maxTradeUsd by leg / maxTrade", () => {
    expect(checkLimits(planOf(2_500n, [800n, 900n]), limits, 3_000n * USD)).toMatchObject({
      kind: "scale",
      maxTurnoverUsd: 2_000n * USD,
    });
    // 1 500 turnover, largest leg 1 500 > 1 000: scale by 2/3.
    expect(checkLimits(planOf(1_500n, [1_500n]), limits, 3_000n * USD)).toMatchObject({
      kind: "scale",
      maxTurnoverUsd: 1_000n * USD,
    });
  });

  it("uses what is left of the daily cap, and holds when nothing is left or onExceed is hold", () => {
    expect(checkLimits(planOf(900n, [900n]), limits, 600n * USD)).toMatchObject({
      kind: "scale",
      maxTurnoverUsd: 600n * USD,
      why: expect.stringContaining("left of maxDailyUsd"),
    });
    expect(checkLimits(planOf(900n, [900n]), limits, 0n).kind).toBe("hold");
    expect(checkLimits(planOf(2_500n, [900n]), { ...limits, onExceed: "hold" }, 3_000n * USD).kind).toBe(
      "hold",
    );
  });
});

describe("pause, resume and the circuit breaker in the journal", () => {
  it("a chain pause, a global pause, and resumes of each scope", async () => {
    const j = await openJournal(":memory:");
    await pauseSending(j, { at: 1, chain: "base", reason: "audit" });
    expect([...(await sendingStops(j, ["ethereum", "base"])).keys()]).toEqual(["base"]);
    await pauseSending(j, { at: 2, reason: "incident" });
    expect((await sendingStops(j, ["ethereum", "base"])).get("ethereum")?.reason).toBe("incident");
    expect((await sendingStops(j, ["ethereum", "base"])).get("base")?.reason).toBe("audit");
    await resumeSending(j, { at: 3, chain: "base", reason: "done" });
    // The global pause still holds base.
    expect((await sendingStops(j, ["ethereum", "base"])).get("base")?.reason).toBe("incident");
    await resumeSending(j, { at: 4, reason: "all clear" });
    expect((await sendingStops(j, ["ethereum", "base"])).size).toBe(0);
  });

  it("trips after maxConsecutiveFailures, a confirmed batch resets the count, resume clears the trip", async () => {
    const j = await openJournal(":memory:");
    const fail = (at: number) => recordBatch(j, limits, { at, chain: "base", ok: false, detail: "reverted" });
    expect(await fail(1)).toBeUndefined();
    expect(await fail(2)).toBeUndefined();
    await recordBatch(j, limits, { at: 3, chain: "base", ok: true, detail: "confirmed" });
    expect(await fail(4)).toBeUndefined();
    expect(await fail(5)).toBeUndefined();
    await recordBatch(j, limits, { at: 6, chain: "ethereum", ok: false, detail: "other chain" });
    expect(await fail(7)).toMatch(/3 consecutive failed or refused batches/);
    expect((await sendingStops(j, ["ethereum", "base"])).get("base")?.kind).toBe("breaker");
    expect((await sendingStops(j, ["ethereum", "base"])).has("ethereum")).toBe(false);
    // A restart with the same config keeps it; with a higher threshold it is cleared.
    expect(await reviewBreakers(j, limits, ["base"], 8)).toEqual([]);
    expect(await reviewBreakers(j, { ...limits, maxConsecutiveFailures: 5 }, ["base"], 9)).toEqual(["base"]);
    expect(await consecutiveFailures(j, "base")).toBe(0);
  });

  it("sums turnover over the rolling 24 hours", async () => {
    const j = await openJournal(":memory:");
    const state = { navUsd: 1n, unmanagedUsd: 0n, prices: new Map() } as never;
    await recordSent(j, { at: 1_000, plan: planOf(700n, []), state, chains: ["base"] });
    await recordSent(j, { at: 50_000, plan: planOf(300n, []), state, chains: ["base"] });
    expect(await dailyTurnoverUsd(j, 60_000)).toBe(1_000n * USD);
    expect(await dailyTurnoverUsd(j, 1_000 + 86_400)).toBe(300n * USD);
  });
});

import { describe, expect, it } from "vitest";
import {
  chain,
  DAI1,
  debt,
  ETH,
  holding,
  policy,
  realisticCost,
  sleeve,
  snapshot,
  supply,
  token,
  USDC1,
  usd,
  WETH1,
} from "../test/fixtures.ts";
import { InvalidAmountError } from "./errors.ts";
import { WAD } from "./math.ts";
import type { Plan } from "./plan.ts";
import { plan } from "./planner.ts";
import type { Policy } from "./policy.ts";
import { portfolioState } from "./state.ts";
import { costGate, type Decision, decide, gateDecision, valueLossGate } from "./triggers.ts";

const reason = (d: Decision, rule: string) => d.reasons.find((r) => r.rule === rule);
const sleeves = [
  sleeve("weth", "token", WETH1, 4000),
  sleeve("usdc", "supply", USDC1, 3500),
  sleeve("dai", "token", DAI1, 2500),
];
const drifted = snapshot([chain(ETH, [token(WETH1, "30"), supply(USDC1, "20000"), token(DAI1, "20000")])]); // 60/20/20
const onTarget = snapshot([chain(ETH, [token(WETH1, "21"), supply(USDC1, "34000"), token(DAI1, "24000")])]); // 42/34/24
const run = (
  snap = drifted,
  over: Partial<Policy> = {},
  clock: { now: number; lastRebalanceAt?: number } = { now: 10_000 },
) => {
  const pol = policy(sleeves, over);
  return decide(portfolioState(snap, pol), pol, clock);
};

describe("decide", () => {
  it("fires on a band breach and says which sleeves", () => {
    const d = run();
    expect(d.fire).toBe(true);
    expect(reason(d, "band")?.fired).toBe(true);
    expect(reason(d, "band")?.detail).toMatch(
      /weth drift 2000 bps beyond band ±500 bps; usdc drift -1500 bps/,
    );
  });

  it("does not fire inside the bands", () => {
    const d = run(onTarget);
    expect(d.fire).toBe(false);
    expect(reason(d, "band")?.detail).toMatch(/all 3 sleeves inside their bands/);
  });

  it("calendar: fires when the period elapsed or never rebalanced; hybrid = band OR calendar", () => {
    const cal = { trigger: "calendar", calendarSeconds: 7 * 86_400 } as const;
    expect(run(onTarget, cal, { now: 8 * 86_400, lastRebalanceAt: 0 }).fire).toBe(true);
    expect(run(onTarget, cal, { now: 6 * 86_400, lastRebalanceAt: 0 }).fire).toBe(false);
    expect(reason(run(onTarget, cal, { now: 1 }), "calendar")?.detail).toBe("never rebalanced");
    expect(reason(run(drifted, cal, { now: 1, lastRebalanceAt: 0 }), "band")).toBeUndefined();
    const hybrid = { calendarSeconds: 7 * 86_400 };
    expect(run(drifted, hybrid, { now: 100, lastRebalanceAt: 0 }).fire).toBe(true);
    expect(run(onTarget, hybrid, { now: 8 * 86_400, lastRebalanceAt: 0 }).fire).toBe(true);
    expect(run(onTarget, hybrid, { now: 100, lastRebalanceAt: 0 }).fire).toBe(false);
  });

  it("cooldown blocks a firing trigger", () => {
    const d = run(drifted, { cooldownSeconds: 3600 }, { now: 1000, lastRebalanceAt: 0 });
    expect(d.fire).toBe(false);
    expect(reason(d, "cooldown")).toMatchObject({ fired: true, effect: "block" });
    expect(run(drifted, { cooldownSeconds: 3600 }, { now: 4000, lastRebalanceAt: 0 }).fire).toBe(true);
  });

  it("min trade blocks when every deviation is smaller than the minimum trade", () => {
    const d = run(drifted, { minTradeUsd: usd("50000") });
    expect(d.fire).toBe(false);
    expect(reason(d, "min-trade")?.fired).toBe(true);
  });

  it("a health-factor breach fires and overrides the cooldown", () => {
    const hfPolicy = policy([sleeve("s", "supply", WETH1, 15_000), sleeve("d", "debt", USDC1, -5000)], {
      cooldownSeconds: 3600,
      healthFactor: { floorWad: (18n * WAD) / 10n, liquidationThresholdBps: { [WETH1.id]: 8250 } },
      bands: { absoluteBps: 10_000 },
    });
    const snap = snapshot([chain(ETH, [supply(WETH1, "75"), debt(USDC1, "50000")], { WETH: "1400" })]); // HF 1.617
    const d = decide(portfolioState(snap, hfPolicy), hfPolicy, { now: 100, lastRebalanceAt: 0 });
    expect(reason(d, "health-factor")?.fired).toBe(true);
    expect(reason(d, "cooldown")?.fired).toBe(true);
    expect(d.fire).toBe(true);
  });

  it("an unmanaged lending account below the floor is reported but does not fire", () => {
    const pol = policy(sleeves, {
      healthFactor: { floorWad: (18n * WAD) / 10n, liquidationThresholdBps: { [WETH1.id]: 8250 } },
    });
    const snap = snapshot([
      chain(ETH, [
        token(WETH1, "21"),
        supply(USDC1, "34000"),
        token(DAI1, "24000"),
        holding("supply", "spark", WETH1, "1"),
        holding("debt", "spark", USDC1, "1500"),
      ]),
    ]);
    const d = decide(portfolioState(snap, pol), pol, { now: 1 });
    expect(reason(d, "health-factor")).toMatchObject({ fired: false });
    expect(reason(d, "health-factor")?.detail).toMatch(/unmanaged account/);
  });

  it("rejects a bad clock", () => {
    expect(() => run(drifted, {}, { now: -1 })).toThrow(InvalidAmountError);
    expect(() => run(drifted, {}, { now: 10, lastRebalanceAt: 20 })).toThrow(/lastRebalanceAt/);
  });
});

describe("post-plan gates", () => {
  const pol = policy(sleeves, { maxCostOfDriftRemovedBps: 100 });
  const st = portfolioState(drifted, pol);
  const p = plan(st, realisticCost, { now: 1 });

  it("cost gate passes when cost is a small share of the drift removed", () => {
    expect(costGate(p, pol)).toMatchObject({ rule: "cost-gate", fired: false });
    expect(costGate(p, { ...pol, maxCostOfDriftRemovedBps: 1 })).toMatchObject({ fired: true });
    const { maxCostOfDriftRemovedBps: _drop, ...noGate } = pol;
    expect(costGate(p, noGate).fired).toBe(false);
  });

  it("cost gate boundary: cost exactly at the limit passes, one unit more blocks (bps are 1/10,000)", () => {
    // $10,000 of drift removed; the limit is 100 bps of it = $100 (amounts are USD wads).
    const removed = 10_000n * 10n ** 18n;
    const at = (cost: bigint): Plan => ({
      ...p,
      driftRemovedUsd: removed,
      estimatedCost: { ...p.estimatedCost, totalUsd: cost },
    });
    const limit = 100n * 10n ** 18n;
    expect(costGate(at(limit), pol).fired).toBe(false);
    expect(costGate(at(limit + 1n), pol).fired).toBe(true);
    // A plan that removes no drift but costs something always blocks; a free plan never does.
    expect(costGate({ ...at(1n), driftRemovedUsd: 0n }, pol).fired).toBe(true);
    expect(costGate(at(0n), pol).fired).toBe(false);
  });

  it("value-loss gate compares fees + slippage + bridge with the limit", () => {
    expect(valueLossGate(p).fired).toBe(false);
    const tight: Plan = { ...p, guards: { ...p.guards, maxValueLossUsd: 1n } };
    expect(valueLossGate(tight).fired).toBe(true);
  });

  it("gateDecision adds the plan's verdicts, and an empty plan blocks", () => {
    const d = decide(st, pol, { now: 1 });
    expect(gateDecision(d, p, pol).fire).toBe(true);
    const empty: Plan = { ...p, chains: [], transfers: [] };
    const g = gateDecision(d, empty, pol);
    expect(g.fire).toBe(false);
    expect(reason(g, "empty-plan")?.fired).toBe(true);
  });
});

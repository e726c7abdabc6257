import { describe, expect, it } from "vitest";
import {
  BASE,
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
  USDC8453,
  usd,
  WETH1,
  WETH8453,
} from "../test/fixtures.ts";
import { InvalidAmountError } from "./errors.ts";
import { WAD } from "./math.ts";
import type { Plan } from "./plan.ts";
import { plan } from "./planner.ts";
import type { Policy, Sleeve } from "./policy.ts";
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
    expect(reason(run(onTarget, cal, { now: 1 }), "calendar")).toMatchObject({
      fired: true,
      detail: "never rebalanced",
    });
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

  it("names the account below the floor (HF 75 × $1,400 × 82.5% / $50,000 = 1.7325); exactly at the floor is not below", () => {
    const at = (floorWad: bigint) => {
      const pol = policy([sleeve("s", "supply", WETH1, 15_000), sleeve("d", "debt", USDC1, -5000)], {
        healthFactor: { floorWad, liquidationThresholdBps: { [WETH1.id]: 8250 } },
        bands: { absoluteBps: 10_000 },
      });
      const snap = snapshot([chain(ETH, [supply(WETH1, "75"), debt(USDC1, "50000")], { WETH: "1400" })]);
      return reason(decide(portfolioState(snap, pol), pol, { now: 100 }), "health-factor");
    };
    expect(at((18n * WAD) / 10n)).toMatchObject({
      fired: true,
      detail: "chain 1 aave-v3 HF 1.7325 < floor 1.8",
    });
    expect(at((17_325n * WAD) / 10_000n)).toMatchObject({
      fired: false,
      detail: "every health factor ≥ floor 1.7325",
    });
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

  it("rejects a bad clock, and takes its edges: now 0, a rebalance at 0 or right now", () => {
    expect(() => run(drifted, {}, { now: -1 })).toThrow(InvalidAmountError);
    expect(() => run(drifted, {}, { now: -1 })).toThrow(
      "Invalid amount at clock.now: expected unix seconds (a non-negative integer), got -1.",
    );
    expect(() => run(drifted, {}, { now: 10, lastRebalanceAt: 20 })).toThrow(
      "Invalid amount at clock.lastRebalanceAt: expected unix seconds ≤ now, got 20.",
    );
    for (const now of [1.5, Number.NaN, "5" as unknown as number])
      expect(() => run(drifted, {}, { now })).toThrow(/clock\.now/);
    for (const lastRebalanceAt of [-1, 1.5, 11])
      expect(() => run(drifted, {}, { now: 10, lastRebalanceAt })).toThrow(/clock\.lastRebalanceAt/);
    expect(run(drifted, {}, { now: 0 }).fire).toBe(true);
    expect(run(drifted, {}, { now: 10, lastRebalanceAt: 0 }).fire).toBe(true);
    expect(run(drifted, {}, { now: 10, lastRebalanceAt: 10 }).fire).toBe(true);
  });

  it("says why, word for word: periods in d/h/m/s, dollars with cents and thousands, every rule's detail", () => {
    const details = (
      snap: typeof drifted,
      over: Partial<Policy>,
      clock: { now: number; lastRebalanceAt: number },
    ) => run(snap, over, clock).reasons.map((r) => [r.rule, r.fired, r.detail]);
    expect(
      details(
        drifted,
        { calendarSeconds: 7 * 86_400, cooldownSeconds: 3_600 },
        { now: 90_061, lastRebalanceAt: 0 },
      ),
    ).toEqual([
      ["band", true, "weth drift 2000 bps beyond band ±500 bps; usdc drift -1500 bps beyond band ±500 bps"],
      ["calendar", false, "90061s since the last rebalance, period 7d"],
      ["cooldown", false, "cooldown 1h elapsed"],
      ["min-trade", false, "largest deviation from target $20,000.00, minimum trade $0.00"],
    ]);
    // On target: 42/34/24 against 40/35/25, so the largest deviation is WETH's 2% of $100,000.
    expect(
      details(onTarget, { calendarSeconds: 7_200, cooldownSeconds: 90 }, { now: 7_205, lastRebalanceAt: 5 }),
    ).toEqual([
      ["band", false, "all 3 sleeves inside their bands (max |drift| 200 bps)"],
      ["calendar", true, "2h since the last rebalance, period 2h"],
      ["cooldown", false, "cooldown 90s elapsed"],
      ["min-trade", false, "largest deviation from target $2,000.00, minimum trade $0.00"],
    ]);
    expect(
      details(onTarget, { calendarSeconds: 120, cooldownSeconds: 60 }, { now: 61, lastRebalanceAt: 0 }),
    ).toEqual([
      ["band", false, "all 3 sleeves inside their bands (max |drift| 200 bps)"],
      ["calendar", false, "61s since the last rebalance, period 2m"],
      ["cooldown", false, "cooldown 1m elapsed"],
      ["min-trade", false, "largest deviation from target $2,000.00, minimum trade $0.00"],
    ]);
    const justNow = { calendarSeconds: 3 * 86_400, cooldownSeconds: 86_400, minTradeUsd: usd("1234.5") };
    expect(details(onTarget, justNow, { now: 1_000, lastRebalanceAt: 1_000 })).toEqual([
      ["band", false, "all 3 sleeves inside their bands (max |drift| 200 bps)"],
      ["calendar", false, "0s since the last rebalance, period 3d"],
      ["cooldown", true, "0s since the last rebalance, cooldown 1d"],
      ["min-trade", false, "largest deviation from target $2,000.00, minimum trade $1,234.50"],
    ]);
    const cooling = { calendarSeconds: 3 * 86_400, cooldownSeconds: 3_600 };
    expect(details(onTarget, cooling, { now: 1_800, lastRebalanceAt: 0 })[2]).toEqual([
      "cooldown",
      true,
      "30m since the last rebalance, cooldown 1h",
    ]);
  });

  it("the cooldown ends exactly at its length, and is a rule only when set, > 0 and after a rebalance", () => {
    const cool = { cooldownSeconds: 3600 };
    expect(run(drifted, cool, { now: 3600, lastRebalanceAt: 0 }).fire).toBe(true);
    expect(run(drifted, cool, { now: 3599, lastRebalanceAt: 0 }).fire).toBe(false);
    const rules = (over: Partial<Policy>, clock: { now: number; lastRebalanceAt?: number }) =>
      run(drifted, over, clock).reasons.map((r) => r.rule);
    expect(rules(cool, { now: 5000, lastRebalanceAt: 0 })).toEqual(["band", "cooldown", "min-trade"]);
    expect(rules({}, { now: 5000, lastRebalanceAt: 0 })).toEqual(["band", "min-trade"]);
    expect(rules({ cooldownSeconds: 0 }, { now: 5000, lastRebalanceAt: 0 })).toEqual(["band", "min-trade"]);
    expect(rules(cool, { now: 5000 })).toEqual(["band", "min-trade"]);
  });

  it("min trade: a largest deviation exactly at the minimum trade does not block", () => {
    // drifted: WETH is $60,000 against a $40,000 target, the largest deviation.
    expect(run(drifted, { minTradeUsd: usd("20000") }).fire).toBe(true);
    expect(run(drifted, { minTradeUsd: usd("20000") + 1n }).fire).toBe(false);
  });

  it("a health-factor breach overrides only the cooldown: the minimum trade still blocks", () => {
    const pol = policy([sleeve("s", "supply", WETH1, 15_000), sleeve("d", "debt", USDC1, -5000)], {
      cooldownSeconds: 3600,
      minTradeUsd: usd("1000000"),
      healthFactor: { floorWad: (18n * WAD) / 10n, liquidationThresholdBps: { [WETH1.id]: 8250 } },
      bands: { absoluteBps: 10_000 },
    });
    const snap = snapshot([chain(ETH, [supply(WETH1, "75"), debt(USDC1, "50000")], { WETH: "1400" })]);
    const d = decide(portfolioState(snap, pol), pol, { now: 100, lastRebalanceAt: 0 });
    expect([reason(d, "health-factor")?.fired, reason(d, "min-trade")?.fired, d.fire]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it("an account is managed when a supply or a debt sleeve of the policy is on its chain and protocol", () => {
    // HF of the aave-v3 account on ethereum: 75 × $1,400 × 82.5% / $50,000 = 1.7325, below the 1.8 floor.
    const healthFactor = { floorWad: (18n * WAD) / 10n, liquidationThresholdBps: { [WETH1.id]: 8250 } };
    const fired = (sleeves: Sleeve[]) => {
      const pol = policy(sleeves, { healthFactor, bands: { absoluteBps: 10_000 } });
      const snap = snapshot([
        chain(ETH, [supply(WETH1, "75"), debt(USDC1, "50000")], { WETH: "1400" }),
        chain(BASE, [token(WETH8453, "50")]),
      ]);
      return reason(decide(portfolioState(snap, pol), pol, { now: 100 }), "health-factor")?.fired;
    };
    // Only a supply sleeve, or only a debt sleeve, beside a wallet sleeve: managed either way.
    expect(fired([sleeve("s", "supply", WETH1, 10_000), sleeve("w", "token", WETH8453, 0)])).toBe(true);
    expect(fired([sleeve("d", "debt", USDC1, -5000), sleeve("w", "token", WETH8453, 15_000)])).toBe(true);
    // The same protocol on another chain does not manage this account.
    expect(fired([sleeve("s", "supply", WETH8453, 0), sleeve("w", "token", WETH8453, 10_000)])).toBe(false);
    // Nor does a sleeve of that protocol that is not a lending position (here a token sleeve).
    expect(fired([sleeve("t", "token", WETH1, 0, "aave-v3"), sleeve("w", "token", WETH8453, 10_000)])).toBe(
      false,
    );
  });

  it("a managed account without debt (no health factor) is not below the floor", () => {
    const pol = policy([sleeve("s", "supply", WETH1, 10_000), sleeve("d", "debt", USDC1, 0)], {
      healthFactor: { floorWad: (18n * WAD) / 10n, liquidationThresholdBps: { [WETH1.id]: 8250 } },
    });
    const snap = snapshot([chain(ETH, [supply(WETH1, "75")])]);
    expect(reason(decide(portfolioState(snap, pol), pol, { now: 100 }), "health-factor")).toMatchObject({
      fired: false,
      detail: "every health factor ≥ floor 1.8",
    });
  });

  it("lists every account below the floor", () => {
    const healthFactor = {
      floorWad: 2n * WAD,
      liquidationThresholdBps: { [WETH1.id]: 8250, [WETH8453.id]: 8250 },
    };
    const pol = policy([sleeve("s", "supply", WETH1, 15_000), sleeve("d", "debt", USDC1, -5000)], {
      healthFactor,
      bands: { absoluteBps: 10_000 },
    });
    const snap = snapshot([
      chain(ETH, [supply(WETH1, "75"), debt(USDC1, "50000")], { WETH: "1400" }),
      chain(BASE, [
        holding("supply", "aave-v3", WETH8453, "1"),
        holding("debt", "aave-v3", USDC8453, "1000"),
      ]),
    ]);
    expect(reason(decide(portfolioState(snap, pol), pol, { now: 100 }), "health-factor")?.detail).toBe(
      "chain 1 aave-v3 HF 1.7325 < floor 2; chain 8453 aave-v3 HF 1.65 < floor 2 (unmanaged account)",
    );
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

  it("gives each gate's figures: cost as bps of the drift removed (∞ when none is removed), value loss, legs", () => {
    // realisticCost: $5.50 gas + $10.006 fees + $20.012 slippage = $35.518, shown to the cent below.
    expect(costGate(p, pol).detail).toBe(
      "estimated cost $35.51 is 17.75 bps of the drift removed ($19,999.99); limit 100 bps",
    );
    expect(costGate({ ...p, driftRemovedUsd: 0n }, pol)).toMatchObject({
      fired: true,
      detail: "estimated cost $35.51 is ∞ of the drift removed ($0.00); limit 100 bps",
    });
    const { maxCostOfDriftRemovedBps: _drop, ...noGate } = pol;
    expect(costGate(p, noGate).detail).toBe("no cost gate (estimated cost $35.51)");
    expect(valueLossGate(p).detail).toBe("estimated value loss $30.01, limit $1,000.00");
    const d = gateDecision(decide(st, pol, { now: 1 }), p, pol);
    expect(reason(d, "empty-plan")?.detail).toBe("the plan has legs");
    const empty = gateDecision(decide(st, pol, { now: 1 }), { ...p, chains: [], transfers: [] }, pol);
    expect(reason(empty, "empty-plan")?.detail).toBe(
      "the plan has no leg (every move is below the minimum trade)",
    );
  });

  it("the value-loss limit counts fees, slippage and bridge costs, each one, and blocks only above the limit", () => {
    const at = (feesUsd: bigint, slippageUsd: bigint, bridgeUsd: bigint): boolean =>
      valueLossGate({
        ...p,
        estimatedCost: { ...p.estimatedCost, feesUsd, slippageUsd, bridgeUsd },
        guards: { ...p.guards, maxValueLossUsd: 100n },
      }).fired;
    expect(at(40n, 30n, 30n)).toBe(false);
    expect([at(41n, 30n, 30n), at(40n, 31n, 30n), at(40n, 30n, 31n)]).toEqual([true, true, true]);
  });

  it("gateDecision adds the plan's verdicts, and an empty plan blocks", () => {
    const d = decide(st, pol, { now: 1 });
    expect(gateDecision(d, p, pol).fire).toBe(true);
    const empty: Plan = { ...p, chains: [], transfers: [] };
    const g = gateDecision(d, empty, pol);
    expect(g.fire).toBe(false);
    expect(reason(g, "empty-plan")?.fired).toBe(true);
  });

  it("a firing cost gate or value-loss limit blocks the decision", () => {
    const d = decide(st, pol, { now: 1 });
    const costly: Plan = { ...p, estimatedCost: { ...p.estimatedCost, totalUsd: p.driftRemovedUsd } };
    expect(gateDecision(d, costly, pol).fire).toBe(false);
    const lossy: Plan = { ...p, guards: { ...p.guards, maxValueLossUsd: 1n } };
    expect(gateDecision(d, lossy, pol).fire).toBe(false);
  });

  it("a plan that adds drift and costs something blocks; a free one never; no gate is a non-firing block", () => {
    const at = (totalUsd: bigint, driftRemovedUsd: bigint): Plan => ({
      ...p,
      driftRemovedUsd,
      estimatedCost: { ...p.estimatedCost, totalUsd },
    });
    expect(costGate(at(1n, -usd("12.34")), pol)).toMatchObject({
      fired: true,
      detail: "estimated cost $0.00 is ∞ of the drift removed (-$12.34); limit 100 bps",
    });
    expect(costGate(at(0n, -usd("12.34")), pol).fired).toBe(false);
    expect(costGate(at(0n, 0n), pol).fired).toBe(false);
    const { maxCostOfDriftRemovedBps: _drop, ...noGate } = pol;
    expect(costGate(p, noGate)).toEqual({
      rule: "cost-gate",
      effect: "block",
      fired: false,
      detail: "no cost gate (estimated cost $35.51)",
    });
  });
});

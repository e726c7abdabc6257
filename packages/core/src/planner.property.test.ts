import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bridgedCost, leveraged, portfolio, uniformCost, zeroCostBridged } from "../test/arbitraries.ts";
import type { CostModel } from "./cost.ts";
import { HealthFactorFloorError, InfeasiblePlanError, NonPositiveNavError } from "./errors.ts";
import { abs, mulDiv, WAD } from "./math.ts";
import { type Plan, planLegs, planToJSON } from "./plan.ts";
import { DUST_USD, plan } from "./planner.ts";
import type { Policy } from "./policy.ts";
import { type PortfolioState, portfolioState } from "./state.ts";

const RUNS = { numRuns: Number(process.env.PROPERTY_RUNS ?? 60) };
const USD = 10n ** 18n;
const costModel = fc.constantFrom<[string, CostModel]>(
  ["zero", zeroCostBridged],
  ["uniform", uniformCost],
  ["bridged", bridgedCost],
);

/** Value the rounding may lose: a few base units per leg, each worth < $0.001 here (WBTC is the coarsest). */
const tolerance = (p: Plan) =>
  (USD / 1000n) * BigInt(10 + 4 * (planLegs(p).length + p.residuals.length + p.sleeves.length));
const flowLoss = (p: Plan) =>
  p.estimatedCost.feesUsd + p.estimatedCost.slippageUsd + p.estimatedCost.bridgeUsd;
const idleUsd = (p: Plan) =>
  p.residuals.filter((r) => r.sleeveId === undefined).reduce((a, r) => a + r.usd, 0n);
/** Post drift of every sleeve (wad), computed exactly from post values. */
const postDrift = (st: PortfolioState, p: Plan) =>
  p.sleeves.map((s, i) => mulDiv(s.postUsd, WAD, p.postNavUsd) - (st.sleeves[i]?.targetWad as bigint));
const withPolicy = (pol: Policy, over: Partial<Policy>): Policy => ({ ...pol, ...over });
/** Minimum trade as a fraction (1/10,000) of NAV. */
const minTradeOf = (st: PortfolioState, tenThousandths: number) =>
  (st.navUsd * BigInt(tenThousandths)) / 10_000n;

/** The portfolio's state, or undefined (the run is skipped) for NAVs under $10k, where one base unit of WBTC is a bps. */
function stateOrSkip(
  snapshot: Parameters<typeof portfolioState>[0],
  policy: Policy,
): PortfolioState | undefined {
  try {
    const st = portfolioState(snapshot, policy);
    fc.pre(st.navUsd >= 10_000n * USD);
    return st;
  } catch (e) {
    if (e instanceof NonPositiveNavError) fc.pre(false);
    throw e;
  }
}

describe("planner properties", () => {
  it("conserves value: NAV = post NAV + idle residuals + estimated fees, slippage and bridge costs (± rounding)", () => {
    fc.assert(
      fc.property(
        portfolio(),
        costModel,
        fc.constantFrom("target", "band-edge" as const),
        fc.integer({ min: 0, max: 300 }),
        ({ snapshot, policy }, [, cm], mode, mt) => {
          const st0 = stateOrSkip(snapshot, policy);
          if (!st0) return;
          const pol = withPolicy(policy, { rebalanceTo: mode, minTradeUsd: minTradeOf(st0, mt) });
          const st = portfolioState(snapshot, pol);
          const p = plan(st, cm, { now: 1 });
          for (const r of p.residuals) expect(r.amount).toBeGreaterThanOrEqual(0n);
          const leak = p.navUsd - p.postNavUsd - idleUsd(p) - flowLoss(p);
          expect(abs(leak) <= tolerance(p)).toBe(true);
          expect(p.postNavUsd <= p.navUsd).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it("to target with a zero-cost model: every post drift ≤ 1 bps", () => {
    fc.assert(
      fc.property(portfolio(), ({ snapshot, policy }) => {
        const st = stateOrSkip(snapshot, policy);
        if (!st) return;
        const p = plan(st, zeroCostBridged, { now: 1 });
        for (const d of postDrift(st, p)) expect(abs(d) <= 10n ** 14n).toBe(true);
      }),
      RUNS,
    );
  });

  it("band edge: every post drift inside its band, zero or uniform costs", () => {
    fc.assert(
      fc.property(portfolio(), costModel, ({ snapshot, policy }, [, cm]) => {
        const pol = withPolicy(policy, { rebalanceTo: "band-edge" });
        const st = stateOrSkip(snapshot, pol);
        if (!st) return;
        const p = plan(st, cm, { now: 1 });
        postDrift(st, p).forEach((d, i) => {
          expect(abs(d) <= (st.sleeves[i]?.bandWad as bigint) + 10n ** 12n).toBe(true);
        });
      }),
      RUNS,
    );
  });

  it("no leg (exit, swap, entry, transfer) is below the minimum trade, but a swap feeding an LP entry above it", () => {
    fc.assert(
      fc.property(
        portfolio(),
        costModel,
        fc.constantFrom("target", "band-edge" as const),
        fc.integer({ min: 1, max: 500 }),
        ({ snapshot, policy }, [, cm], mode, mt) => {
          const st0 = stateOrSkip(snapshot, policy);
          if (!st0) return;
          const pol = withPolicy(policy, { rebalanceTo: mode, minTradeUsd: minTradeOf(st0, mt) });
          const p = plan(portfolioState(snapshot, pol), cm, { now: 1 });
          const legs = planLegs(p);
          // An LP entry's part: the entry takes none of its assets without it (planner.test.ts has the case).
          const feedsLp = (l: (typeof legs)[number]) =>
            l.type === "swap" &&
            l.usd >= DUST_USD &&
            legs.some(
              (e) =>
                e.type === "entry" &&
                e.chainId === l.chainId &&
                e.amounts.length > 1 &&
                e.amounts.some((a) => a.asset === l.assetOut) &&
                e.usd >= pol.minTradeUsd,
            );
          for (const l of legs) expect(l.usd >= pol.minTradeUsd || feedsLp(l)).toBe(true);
          for (const t of p.transfers) expect(t.usd >= pol.minTradeUsd).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it("single chain, single venue: turnover within 1% of the theoretical minimum (sum of positive deviations)", () => {
    fc.assert(
      fc.property(portfolio({ maxChains: 1 }), costModel, ({ snapshot, policy }, [, cm]) => {
        const st = stateOrSkip(snapshot, policy);
        if (!st) return;
        let minimum = 0n;
        for (const s of st.sleeves) {
          const dev = s.valueUsd - mulDiv(s.targetWad, st.navUsd, WAD);
          if (dev > 0n) minimum += dev;
        }
        if (minimum < 100n * USD) return; // nothing meaningful to trade
        const p = plan(st, cm, { now: 1 });
        expect(p.turnoverUsd * 100n <= minimum * 101n).toBe(true);
        expect(p.turnoverUsd * 100n >= minimum * 99n).toBe(true);
        const swapped = planLegs(p).reduce((a, l) => (l.type === "swap" ? a + l.usd : a), 0n);
        expect(swapped * 100n <= minimum * 101n).toBe(true);
      }),
      RUNS,
    );
  });

  it("is deterministic: identical inputs give an identical plan and id", () => {
    fc.assert(
      fc.property(portfolio(), costModel, ({ snapshot, policy }, [, cm]) => {
        const st = stateOrSkip(snapshot, policy);
        if (!st) return;
        const a = plan(st, cm, { now: 7 });
        const b = plan(
          portfolioState(structuredClone(snapshot), structuredClone(policy)),
          structuredClone(cm),
          { now: 7 },
        );
        expect(planToJSON(b)).toBe(planToJSON(a));
      }),
      { numRuns: Math.ceil(RUNS.numRuns / 2) },
    );
  });

  it("never plans a health factor below the floor (or throws a typed error saying it cannot)", () => {
    fc.assert(
      fc.property(leveraged, costModel, ({ snapshot, policy }, [, cm]) => {
        const st = stateOrSkip(snapshot, policy);
        if (!st) return;
        let p: Plan;
        try {
          p = plan(st, cm, { now: 1 });
        } catch (e) {
          expect(e instanceof HealthFactorFloorError || e instanceof InfeasiblePlanError).toBe(true);
          return;
        }
        const floor = policy.healthFactor?.floorWad as bigint;
        for (const h of p.guards.healthFactors) {
          if (h.postWad !== null) expect(h.postWad >= floor).toBe(true);
          if (h.intermediateWad !== null) expect(h.intermediateWad >= WAD).toBe(true);
        }
      }),
      { numRuns: RUNS.numRuns * 2 },
    );
  });
});

import { plan } from "@ballast/core";
import { defaultCostModel } from "@ballast/engine";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyPlan, openBook, valueBook } from "./account.ts";
import { chains, ethPath, rules, sleeves, zeroRates } from "./fixtures.test-util.ts";
import { syntheticHistory } from "./history.ts";
import { backtest } from "./run.ts";
import { buildWorld, type Market, repricePositions } from "./world.ts";

const NAV = 1_000_000n * 10n ** 18n;
/** Daily rows over four months of a volatile WETH (90% a year) against USDC at $1. */
const path = (seed: number, steps = 120, intervalSeconds = 86_400) =>
  syntheticHistory({
    symbols: ["WETH", "USDC"],
    stable: ["USDC"],
    startPrices: { WETH: 3_000n * 10n ** 18n },
    start: 1_735_689_600,
    steps,
    intervalSeconds,
    seed,
    volatility: 0.9,
    drift: 0,
    correlation: 0,
  });
const rates = { ...zeroRates, supplyAprBps: 300, lpFeeAprBps: 1_200 };

describe("backtest", () => {
  it("is deterministic: the same seed gives the same report, another seed another one", () => {
    const run = (seed: number) =>
      backtest({
        chains,
        sleeves,
        policies: [
          { name: "5/25", rules: rules() },
          { name: "weekly", rules: rules({ calendarSeconds: 7 * 86_400 }) },
        ],
        history: path(seed),
        initialNavUsd: NAV,
        rates,
      });
    const a = run(11);
    expect(a.policies[0]?.rebalances.length).toBeGreaterThan(0);
    expect(run(11)).toEqual(a);
    expect(run(12).policies[0]?.navUsd).not.toEqual(a.policies[0]?.navUsd);
  });

  it("rebalances nothing and spends nothing when prices never move", () => {
    const progress: number[] = [];
    const r = backtest({
      onProgress: ({ done, total }) => {
        progress.push(done);
        expect(total).toBe(24 * 30 * 5);
      },
      chains,
      sleeves,
      policies: [
        { name: "band", rules: rules() },
        { name: "hybrid weekly", rules: rules({ calendarSeconds: 7 * 86_400 }) },
        { name: "calendar daily", rules: rules({ trigger: "calendar", calendarSeconds: 86_400 }) },
      ],
      history: ethPath(Array.from({ length: 24 * 30 }, () => 3_000)),
      initialNavUsd: NAV,
      rates: zeroRates,
    });
    for (const p of r.policies) {
      expect(p.rebalances).toEqual([]);
      expect(p.cost.totalUsd).toBe(0n);
      expect(p.turnoverUsd).toBe(0n);
      expect(p.blocked).toEqual({ total: 0, byRule: {} });
      expect(p.finalNavUsd).toBe(p.navUsd[0]);
    }
    expect(r.buyAndHold.finalNavUsd).toBe(r.buyAndHold.navUsd[0]);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(24 * 30 * 5);
  });

  it("rebalances exactly once after a single jump beyond the band, with the plan plan() makes for that state", () => {
    const prices = [...Array.from({ length: 10 }, () => 3_000), ...Array.from({ length: 30 }, () => 4_500)];
    const history = ethPath(prices);
    const r = backtest({
      chains,
      sleeves,
      policies: [{ name: "band", rules: rules() }],
      history,
      initialNavUsd: NAV,
      rates: zeroRates,
    });
    const [only, ...more] = r.policies[0]?.rebalances ?? [];
    expect(more).toEqual([]);
    expect(only?.step).toBe(10);
    // The same state, built from the opening allocation and the jump, planned directly.
    const world = buildWorld(chains, sleeves, history);
    const book = openBook(world, world.markets[0] as Market, NAV);
    const market = world.markets[10] as Market;
    repricePositions(book, market);
    const { state } = valueBook(world, book, market, rules(), zeroRates);
    expect(state.sleeves.some((s) => s.outOfBand)).toBe(true);
    const direct = plan(state, defaultCostModel({ slots: world.slots }), {
      now: market.now,
      onNoBridge: "per-chain",
    });
    expect(only?.plan).toEqual(direct);
    expect(only?.plan.id).toBe(direct.id);
    // The figures of that one rebalance: 1 step of 40 out of band, the largest drift is this state's, and turnover and
    // cost per year are the plan's over the mean NAV, scaled from 39 hours to a year.
    const p = r.policies[0];
    expect(p?.outOfBandBps).toBe(250);
    expect(p?.maxDriftBps).toBe(Number(state.maxDriftWad / 10n ** 12n) / 100);
    const meanNav = Number((p?.navUsd ?? []).reduce((a, x) => a + x, 0n) / 40n);
    const perYear = (usd: bigint) => (Number(usd) / meanNav) * (8_760 / 39) * 10_000;
    expect(p?.turnoverBpsPerYear).toBeCloseTo(perYear(direct.turnoverUsd), 1);
    expect(p?.costDragBpsPerYear).toBeCloseTo(perYear(direct.estimatedCost.totalUsd), 1);
    expect(p?.finalNavUsd).toBe(p?.navUsd.at(-1));
  });

  it("applying a plan lands the account where the plan says: post values per sleeve within a cent per $10k", () => {
    const history = ethPath([3_000, 4_500]);
    const world = buildWorld(chains, sleeves, history);
    const book = openBook(world, world.markets[0] as Market, NAV);
    const market = world.markets[1] as Market;
    repricePositions(book, market);
    const { state } = valueBook(world, book, market, rules(), zeroRates);
    const made = plan(state, defaultCostModel({ slots: world.slots }), {
      now: market.now,
      onNoBridge: "per-chain",
    });
    expect(made.chains[0]?.legs.length).toBeGreaterThan(2);
    applyPlan(world, book, made, market);
    const after = valueBook(world, book, market, rules(), zeroRates).state;
    made.sleeves.forEach((expected, i) => {
      const got = after.sleeves[i]?.valueUsd ?? 0n;
      const diff = got > expected.postUsd ? got - expected.postUsd : expected.postUsd - got;
      expect(diff * 1_000_000n).toBeLessThanOrEqual(expected.postUsd > 0n ? expected.postUsd : 10n ** 18n);
    });
    expect(after.sleeves.every((s) => !s.outOfBand)).toBe(true);
  });

  it("adds costs up: the total is the sum of every leg's fee, slippage, gas and bridge, and of the plans' estimates", () => {
    const r = backtest({
      chains,
      sleeves,
      policies: [{ name: "band", rules: rules() }],
      history: path(5),
      initialNavUsd: NAV,
      rates,
    });
    const p = r.policies[0];
    expect(p?.rebalances.length).toBeGreaterThan(1);
    const legs = p?.rebalances.flatMap((x) => x.legs) ?? [];
    const legSum = legs.reduce((a, l) => a + l.feesUsd + l.slippageUsd + l.gasUsd + l.bridgeUsd, 0n);
    expect(legs.some((l) => l.action === "swap" && l.feesUsd > 0n)).toBe(true);
    expect(p?.cost.totalUsd).toBe(legSum);
    expect(p?.cost.totalUsd).toBe(
      (p?.cost.feesUsd ?? 0n) +
        (p?.cost.slippageUsd ?? 0n) +
        (p?.cost.gasUsd ?? 0n) +
        (p?.cost.bridgeUsd ?? 0n),
    );
    expect(p?.cost.totalUsd).toBe(p?.rebalances.reduce((a, x) => a + x.plan.estimatedCost.totalUsd, 0n));
  });

  // Path by path this is not a theorem: in a strong trend band-edge fires again and again from the band edge, where
  // weights drift faster (seed 1 of this path: 232,004 vs 216,488 USD). Over several paths it is the rule, so the
  // property compares totals over a handful of paths that fast-check picks (its seed pinned: a red run is a finding).
  it("band-edge turns over less than rebalancing to target on the same paths (property over sets of paths)", () => {
    const turnover = (seed: number) => {
      const r = backtest({
        chains,
        sleeves,
        policies: [
          { name: "target", rules: rules() },
          { name: "band-edge", rules: rules({ rebalanceTo: "band-edge" }) },
        ],
        history: path(seed),
        initialNavUsd: NAV,
        rates,
      });
      return r.policies.map((p) => p.turnoverUsd);
    };
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 5, maxLength: 5 }),
        (seeds) => {
          let [target, edge] = [0n, 0n];
          for (const [t = 0n, e = 0n] of seeds.map(turnover)) [target, edge] = [target + t, edge + e];
          expect(target).toBeGreaterThan(0n);
          expect(edge).toBeLessThanOrEqual(target);
        },
      ),
      { numRuns: 4, seed: 20_261_207 },
    );
  });
});

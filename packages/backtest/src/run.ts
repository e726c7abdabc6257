import {
  BallastError,
  type BridgeRoute,
  type CostModel,
  type Decision,
  decide,
  gateDecision,
  isqrt,
  max,
  type Plan,
  plan as planPortfolio,
} from "@ballast/core";
import { type ChainStatics, defaultCostModel, type PolicyRules, type SleeveSpec } from "@ballast/engine";
import { accrue, applyPlan, type LegCost, type MarketRates, openBook, valueBook } from "./account.ts";
import { BacktestInputError } from "./errors.ts";
import type { PriceHistory } from "./history.ts";
import { type Book, bookNav, buildWorld, type Market, repricePositions, type World } from "./world.ts";

/** One policy variant to replay: a name and the engine's rules (the sleeves are shared by every variant). */
export type PolicyVariant = { readonly name: string; readonly rules: PolicyRules };

/** Inputs of {@link backtest}. */
export type BacktestParameters = {
  /** The chains' static setup (tokens, Aave and Uniswap presence), as the keeper builds it from its config. */
  readonly chains: readonly ChainStatics[];
  readonly sleeves: readonly SleeveSpec[];
  /** One or more variants, replayed on the same path. */
  readonly policies: readonly PolicyVariant[];
  /**
   * Default: the engine's `defaultCostModel` for these sleeves (the one the keeper plans with), plus the routes of
   * `bridge`.
   */
  readonly costModel?: CostModel;
  /**
   * With the default cost model: what bridging costs between the chains ({@link bridgeRoutes}). None: no route, so
   * each chain is rebalanced on its own and drift between chains stays.
   */
  readonly bridge?: BridgeCost;
  readonly history: PriceHistory;
  /** The portfolio's value at the first row, USD wad; it starts exactly at target. */
  readonly initialNavUsd: bigint;
  readonly rates: MarketRates;
  /** Told every 1,000 steps (and at the end of each walk) how far the replay is: for a progress line. */
  readonly onProgress?: (progress: BacktestProgress) => void;
};

/** Where a replay is: which walk over the path (a policy or a reference), and steps done of all walks' steps. */
export type BacktestProgress = { readonly walk: string; readonly done: number; readonly total: number };

/** A rebalance the replay made: when, the plan the live planner produced, and what each of its legs cost. */
export type Rebalance = {
  readonly step: number;
  readonly at: number;
  readonly plan: Plan;
  readonly legs: readonly LegCost[];
  /** Σ legs' costs, USD wad. */
  readonly costUsd: bigint;
};

/** Cost totals, USD wad. */
export type CostTotals = {
  readonly feesUsd: bigint;
  readonly slippageUsd: bigint;
  readonly gasUsd: bigint;
  readonly bridgeUsd: bigint;
  readonly totalUsd: bigint;
};

/** One variant's outcome on the path. */
export type PolicyResult = {
  readonly name: string;
  readonly rebalances: readonly Rebalance[];
  /** Σ of the plans' turnover (value taken out of sources), USD wad. */
  readonly turnoverUsd: bigint;
  /** Turnover per year as a share of the average NAV, bps. */
  readonly turnoverBpsPerYear: number;
  readonly cost: CostTotals;
  /** Total cost per year as a share of the average NAV, bps. */
  readonly costDragBpsPerYear: number;
  /** Root mean square over steps of the tracking error (sqrt Σ drift² over sleeves), bps. */
  readonly trackingErrorRmsBps: number;
  /** Largest |drift| of any sleeve at any step, bps. */
  readonly maxDriftBps: number;
  /** Share of the steps with some sleeve out of its band (measured before that step's rebalance), bps. */
  readonly outOfBandBps: number;
  /** Plans made and then blocked by a gate (the keeper plans again next tick), and how often each gate blocked. */
  readonly blocked: {
    readonly total: number;
    readonly byRule: Readonly<Partial<Record<"empty-plan" | "cost-gate" | "value-loss", number>>>;
  };
  /** Steps where a plan fired but the planner refused (e.g. no plan keeps the health-factor floor), with the first reason. */
  readonly planErrors: { readonly count: number; readonly first?: string };
  /** NAV after the last step, net of the gas paid, USD wad. */
  readonly finalNavUsd: bigint;
  /** NAV net of gas paid so far, per step. */
  readonly navUsd: readonly bigint[];
  /** Max |drift| per step (before that step's rebalance), wad. */
  readonly maxDriftWad: readonly bigint[];
};

/** What {@link backtest} returns. Same inputs → the same report. */
export type BacktestReport = {
  readonly times: readonly number[];
  readonly initialNavUsd: bigint;
  readonly policies: readonly PolicyResult[];
  /** The portfolio left alone after the start (interest and LP fees still accrue). */
  readonly buyAndHold: { readonly finalNavUsd: bigint; readonly navUsd: readonly bigint[] };
  /** Rebalanced to target at every step for free (LP ranges kept while in range): the frictionless reference. */
  readonly continuous: { readonly finalNavUsd: bigint; readonly navUsd: readonly bigint[] };
};

/** One bridge cost for every route: a fee (bps of the value moved) and a fixed cost per transfer (USD wad). */
export type BridgeCost = { readonly feeBps: number; readonly fixedUsd: bigint };

/** A route both ways between every two chains for every token symbol both hold, each at `cost`. Sorted, deterministic. */
export function bridgeRoutes(chains: readonly ChainStatics[], cost: BridgeCost): BridgeRoute[] {
  const routes: BridgeRoute[] = [];
  for (const from of chains)
    for (const to of chains)
      if (from.chainId !== to.chainId)
        for (const { symbol } of from.tokens)
          if (to.tokens.some((t) => t.symbol === symbol))
            routes.push({ symbol, fromChainId: from.chainId, toChainId: to.chainId, ...cost });
  return routes.sort(
    (a, b) => a.fromChainId - b.fromChainId || a.toChainId - b.toChainId || (a.symbol < b.symbol ? -1 : 1),
  );
}

const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, x) => a + x, 0n);
/** `part / (mean × years)` in bps, two decimals. */
const perYearBps = (part: bigint, meanNav: bigint, seconds: number): number =>
  meanNav === 0n || seconds === 0
    ? 0
    : Number((part * 1_000_000n * 31_536_000n) / (meanNav * BigInt(seconds))) / 100;

type Stepper = (world: World, book: Book, market: Market) => { book: Book; nav: bigint };

/** Walks the path: accrue since the previous row, reprice the pools, then let `step` value (and maybe trade). */
function walk(
  world: World,
  p: BacktestParameters,
  label: { walk: string; index: number },
  step: Stepper,
): { navUsd: bigint[] } {
  const n = world.history.times.length;
  const total = n * (p.policies.length + 2);
  let book = openBook(world, world.markets[0] as Market, p.initialNavUsd);
  const navUsd: bigint[] = [];
  world.history.times.forEach((t, i) => {
    const market = world.markets[i] as Market;
    if (i > 0) accrue(book, t - (world.history.times[i - 1] as number), p.rates);
    repricePositions(book, market);
    const r = step(world, book, market);
    book = r.book;
    navUsd.push(r.nav);
    if (p.onProgress && ((i + 1) % 1_000 === 0 || i === n - 1))
      p.onProgress({ walk: label.walk, done: label.index * n + i + 1, total });
  });
  return { navUsd };
}

/** Replays one variant: the live `decide`, and when it fires the live `plan` and `gateDecision`, then the legs. */
function replay(
  world: World,
  p: BacktestParameters,
  variant: PolicyVariant,
  index: number,
  costModel: CostModel,
): PolicyResult {
  const rebalances: Rebalance[] = [];
  const drift: bigint[] = [];
  let gas = 0n;
  let squares = 0n;
  let outOfBand = 0;
  const blocked = { total: 0, byRule: {} as Record<string, number> };
  let lastRebalanceAt = world.history.times[0] as number; // the opening allocation is a rebalance
  const planErrors: { count: number; first?: string } = { count: 0 };
  const { navUsd } = walk(world, p, { walk: variant.name, index: index + 2 }, (w, book, market) => {
    const { state, policy } = valueBook(w, book, market, variant.rules, p.rates);
    drift.push(state.maxDriftWad);
    squares += state.trackingErrorWad * state.trackingErrorWad;
    if (state.sleeves.some((s) => s.outOfBand)) outOfBand += 1;
    let decision: Decision = decide(state, policy, { now: market.now, lastRebalanceAt });
    if (decision.fire) {
      try {
        const made = planPortfolio(state, costModel, { now: market.now, onNoBridge: "per-chain" });
        decision = gateDecision(decision, made, policy);
        if (decision.fire) {
          const legs = applyPlan(w, book, made, market);
          const costUsd = sum(legs.map((l) => l.feesUsd + l.slippageUsd + l.gasUsd + l.bridgeUsd));
          gas += sum(legs.map((l) => l.gasUsd));
          rebalances.push({ step: market.step, at: market.now, plan: made, legs, costUsd });
          lastRebalanceAt = market.now;
        } else {
          blocked.total += 1;
          for (const r of decision.reasons)
            if (r.effect === "block" && r.fired) blocked.byRule[r.rule] = (blocked.byRule[r.rule] ?? 0) + 1;
        }
      } catch (e) {
        if (!(e instanceof BallastError)) throw e;
        planErrors.count += 1;
        planErrors.first ??= e.shortMessage;
      }
    }
    return { book, nav: state.navUsd - gas };
  });
  const legs = rebalances.flatMap((r) => r.legs);
  const cost = {
    feesUsd: sum(legs.map((l) => l.feesUsd)),
    slippageUsd: sum(legs.map((l) => l.slippageUsd)),
    gasUsd: sum(legs.map((l) => l.gasUsd)),
    bridgeUsd: sum(legs.map((l) => l.bridgeUsd)),
    totalUsd: sum(rebalances.map((r) => r.costUsd)),
  };
  const times = world.history.times;
  const seconds = (times[times.length - 1] as number) - (times[0] as number);
  const meanNav = sum(navUsd) / BigInt(navUsd.length);
  const turnoverUsd = sum(rebalances.map((r) => r.plan.turnoverUsd));
  return {
    name: variant.name,
    rebalances,
    turnoverUsd,
    turnoverBpsPerYear: perYearBps(turnoverUsd, meanNav, seconds),
    cost,
    costDragBpsPerYear: perYearBps(cost.totalUsd, meanNav, seconds),
    trackingErrorRmsBps: Number(isqrt(squares / BigInt(navUsd.length)) / 10n ** 12n) / 100,
    maxDriftBps: Number(drift.reduce(max, 0n) / 10n ** 12n) / 100,
    outOfBandBps: Math.round((outOfBand * 1_000_000) / navUsd.length) / 100,
    blocked,
    planErrors,
    finalNavUsd: navUsd[navUsd.length - 1] as bigint,
    navUsd,
    maxDriftWad: drift,
  };
}

/**
 * Replays the keeper's own decision and planning code over a price history, for each policy variant on the same path,
 * next to two references: buy-and-hold and a free rebalance to target at every step. Pure and deterministic: no
 * clock, no I/O. Throws {@link BacktestInputError} for inputs that do not fit together, and the engine's or core's
 * typed errors for a bad sleeve or policy.
 */
export function backtest(p: BacktestParameters): BacktestReport {
  if (p.policies.length === 0) throw new BacktestInputError("policies", "at least one policy variant");
  if (p.initialNavUsd <= 0n) throw new BacktestInputError("initialNavUsd", "a positive USD amount");
  const world = buildWorld(p.chains, p.sleeves, p.history);
  const costModel = p.costModel ?? {
    ...defaultCostModel({ slots: world.slots }),
    ...(p.bridge ? { bridges: bridgeRoutes(p.chains, p.bridge) } : {}),
  };
  const hold = walk(world, p, { walk: "buy-and-hold", index: 0 }, (w, book, market) => ({
    book,
    nav: bookNav(w, book, market),
  }));
  const continuous = walk(world, p, { walk: "continuous rebalance", index: 1 }, (w, book, market) => {
    const nav = bookNav(w, book, market);
    return { book: openBook(w, market, nav, book), nav };
  });
  const last = (xs: readonly bigint[]) => xs[xs.length - 1] as bigint;
  return {
    times: p.history.times,
    initialNavUsd: p.initialNavUsd,
    policies: p.policies.map((v, i) => replay(world, p, v, i, costModel)),
    buyAndHold: { finalNavUsd: last(hold.navUsd), navUsd: hold.navUsd },
    continuous: { finalNavUsd: last(continuous.navUsd), navUsd: continuous.navUsd },
  };
}

import { type CompiledCosts, type CostModel, compileCostModel, type GasLegType } from "./cost.ts";
import {
  HealthFactorFloorError,
  InfeasiblePlanError,
  InvalidAmountError,
  MissingPriceError,
  NoBridgeError,
} from "./errors.ts";
import { type FlowContext, type FlowSolution, solveFlows } from "./flows.ts";
import {
  type HealthGroup,
  type HealthPosition,
  healthFactorOf,
  healthKey,
  healthPositions,
} from "./health.ts";
import { abs, mulDiv, usdValue, WAD, wadToBpsNumber } from "./math.ts";
import type { AssetId } from "./model.ts";
import {
  type ChainPlan,
  type HealthFactorProjection,
  type Leg,
  type LegAction,
  type Plan,
  type PlanOptions,
  planId,
  type Residual,
  type SleeveLeg,
  type SleeveOutcome,
  type SwapLeg,
  type Transfer,
} from "./plan.ts";
import { compositionOf } from "./policy.ts";
import type { PortfolioState, SleeveState } from "./state.ts";
import { desiredValues, type TargetGroup, type TargetSleeve } from "./targets.ts";

/** Legs worth less than this (one cent, USD wad) are never planned, even with a zero minimum trade. */
export const DUST_USD = 10n ** 16n;

/** Parameters of {@link plan}: the clock (unix seconds, only recorded and hashed) and planner options. */
export type PlanParameters = PlanOptions & { readonly now: number };

type Solved = {
  readonly sol: FlowSolution;
  /** Desired post values (before gross-up). */
  readonly P: readonly bigint[];
  /** Nominal deltas handed to the flow solver. */
  readonly d: readonly bigint[];
  /** Sleeves frozen because their legs fell below the minimum trade. */
  readonly frozen: ReadonlySet<number>;
  /** False when the rounds were cut short: some legs may still be below the minimum trade. */
  readonly complete: boolean;
};

type Work = {
  readonly state: PortfolioState;
  ctx: FlowContext;
  tsleeves: readonly TargetSleeve[];
  groups: TargetGroup[];
  perChain: boolean;
  /** The cost model cannot lose value on the way (no swap or bridge cost): one pass is exact. */
  readonly lossless: boolean;
};

/**
 * Plans the cheapest set of legs that takes the portfolio to its target (or band edge), as a pure function of the
 * state, the cost model and `now`. Exits → swaps → entries per chain, transfers separate; guards and the projected
 * health factor included. Deterministic: identical inputs give an identical plan and id.
 *
 * Throws {@link NoBridgeError} when value must cross chains without a route (unless `onNoBridge: "per-chain"`),
 * {@link HealthFactorFloorError} when no plan keeps every projected health factor at or above the floor.
 *
 * @example
 * const state = portfolioState(snapshot, policy);
 * const decision = decide(state, policy, { now, lastRebalanceAt });
 * if (decision.fire) console.log(formatPlanTable(plan(state, costModel, { now }), snapshot.assets));
 */
export function plan(state: PortfolioState, costModel: CostModel, params: PlanParameters): Plan {
  const { policy, snapshot } = state;
  if (typeof params.now !== "number" || !Number.isSafeInteger(params.now) || params.now < 0)
    throw new InvalidAmountError("params.now", params.now, "unix seconds (a non-negative integer)");
  const costs = compileCostModel(costModel, snapshot.assets);
  const comps = state.sleeves.map((s) => compositionOf(s.sleeve));
  comps.forEach((comp, i) => {
    comp.forEach((c, j) => {
      if (!state.prices.has(c.asset))
        throw new MissingPriceError(c.asset, `policy.sleeves[${i}].composition[${j}].asset`);
    });
  });
  const options: PlanOptions = params.onNoBridge === undefined ? {} : { onNoBridge: params.onNoBridge };
  // Nothing below a cent is ever planned, whatever the policy's minimum trade: such legs are rounding dust.
  const minTrade = policy.minTradeUsd > DUST_USD ? policy.minTradeUsd : DUST_USD;
  const ctx: FlowContext = {
    sleeves: state.sleeves,
    comps,
    assets: snapshot.assets,
    prices: state.prices,
    costs,
    minTrade,
    maxSlippageCbps: BigInt(policy.maxSlippageBps) * 100n,
    crossTol: minTrade > state.navUsd / 100_000_000n ? minTrade : state.navUsd / 100_000_000n,
    allowBridges: true,
  };
  const work: Work = {
    state,
    ctx,
    tsleeves: state.sleeves.map((s) => ({
      cur: s.valueUsd,
      weight: s.targetWad,
      band: s.bandWad,
      debt: s.sleeve.kind === "debt",
    })),
    groups: [{ members: state.sleeves.map((_, i) => i), nav: state.navUsd }],
    perChain: false,
    lossless: isLossless(costModel),
  };
  const warnings: string[] = [];
  const locks = new Map<number, bigint>();
  let solved = solveAll(work, locks);
  if (solved.sol.unmet) {
    const u = solved.sol.unmet;
    if (params.onNoBridge !== "per-chain") throw new NoBridgeError(u.usd, u.from, u.to);
    toPerChain(work);
    warnings.push(
      `no bridge route can move ${usd(u.usd)} from chain(s) ${u.from.join(", ")} to ${u.to.join(", ")}: each chain was rebalanced on its own`,
    );
    solved = solveAll(work, locks);
  }
  solved = repairHealth(work, locks, solved, warnings);
  return assemble(work, costs, solved, { now: params.now, options, warnings, costModel });
}

function toPerChain(work: Work): void {
  const byChain = new Map<number, number[]>();
  work.state.sleeves.forEach((s, i) => {
    const list = byChain.get(s.sleeve.chainId);
    if (list) list.push(i);
    else byChain.set(s.sleeve.chainId, [i]);
  });
  const tsleeves: TargetSleeve[] = [...work.tsleeves];
  const groups: TargetGroup[] = [];
  for (const [chainId, members] of [...byChain].sort((a, b) => a[0] - b[0])) {
    const nav = members.reduce((a, i) => a + (work.state.sleeves[i] as SleeveState).valueUsd, 0n);
    const wsum = members.reduce((a, i) => a + (work.state.sleeves[i] as SleeveState).targetWad, 0n);
    if (wsum <= 0n) {
      if (nav === 0n) continue;
      throw new InfeasiblePlanError(
        "policy.sleeves[].targetBps",
        `chain ${chainId} cannot be rebalanced on its own: its sleeves' target weights sum to ${wadToBpsNumber(wsum)} bps`,
      );
    }
    for (const i of members) {
      const t = tsleeves[i] as TargetSleeve;
      tsleeves[i] = { ...t, weight: mulDiv(t.weight, WAD, wsum) };
    }
    groups.push({ members, nav });
  }
  work.tsleeves = tsleeves;
  work.groups = groups;
  work.perChain = true;
  work.ctx = { ...work.ctx, allowBridges: false };
}

/**
 * Lossless first, then up to two more passes against NAV net of the previous pass's flow costs, each asking sinks for
 * more where the previous pass lost value on the way (a fixed-point iteration on the losses; it stops when every
 * sink node got what it asked within 1e-6).
 */
function solveAll(work: Work, locks: ReadonlyMap<number, bigint>): Solved {
  // The first pass only estimates losses when there may be some: one round is enough for that.
  let first = solveRounds(
    work,
    locks,
    work.groups,
    new Map(),
    [],
    work.lossless ? Number.POSITIVE_INFINITY : 1,
  );
  if (!first.complete && first.sol.feesUsd + first.sol.slippageUsd + first.sol.bridgeUsd === 0n)
    first = solveRounds(work, locks, work.groups, new Map(), [...first.frozen]);
  // To target: sleeves that did not trade in the first pass keep their value (the cost is borne by those that trade,
  // rather than by dust legs everywhere). Band edge needs no such rule: in-band sleeves stay unless the lower NAV
  // pushes them out of their band.
  const traded = new Set<number>();
  for (const e of first.sol.exits) traded.add(e.i);
  for (const e of first.sol.entries) traded.add(e.i);
  const idle =
    work.state.policy.rebalanceTo === "target"
      ? work.state.sleeves.map((_, i) => i).filter((i) => !traded.has(i) && !locks.has(i))
      : [];
  const grossUp = new Map<AssetId, bigint>();
  let last = first;
  for (let pass = 1; pass <= 2; pass++) {
    const { sol } = last;
    const cost = sol.feesUsd + sol.slippageUsd + sol.bridgeUsd;
    if (cost === 0n) break;
    // The share of its ask a sink node got is the loss ratio of the path that feeds it: ask need / share next time.
    // With proportional costs one step is exact; fixed costs (bridges) make it a fixed-point iteration.
    let changed = false;
    for (const [a, r] of sol.nodeRho) {
      const share = r > WAD ? WAD : r < WAD / 2n ? WAD / 2n : r;
      if (abs(share - (grossUp.get(a) ?? WAD)) > WAD / 100_000n) changed = true;
      if (share === WAD) grossUp.delete(a);
      else grossUp.set(a, share);
    }
    if (!changed) break;
    const groups = work.groups.map((g): TargetGroup => {
      if (!work.perChain) return { members: g.members, nav: g.nav - cost };
      const chainId = (work.state.sleeves[g.members[0] as number] as SleeveState).sleeve.chainId;
      return { members: g.members, nav: g.nav - (sol.chainCost.get(chainId) ?? 0n) };
    });
    // Start from what the previous pass froze: those legs are as small again.
    last = solveRounds(work, locks, groups, new Map(grossUp), [...new Set([...idle, ...last.frozen])]);
  }
  return last;
}

/** Solve, drop legs below the minimum trade (freeze their sleeves), re-solve until every leg clears it. */
function solveRounds(
  work: Work,
  locks: ReadonlyMap<number, bigint>,
  groups: readonly TargetGroup[],
  grossUp: ReadonlyMap<AssetId, bigint>,
  idle: readonly number[] = [],
  maxRounds = Number.POSITIVE_INFINITY,
): Solved {
  const { state, ctx } = work;
  const frozen = new Set<number>(idle);
  for (let round = 1; ; round++) {
    const fixed = new Map(locks);
    for (const i of frozen) fixed.set(i, (state.sleeves[i] as SleeveState).valueUsd);
    const P = desiredValues({
      sleeves: work.tsleeves,
      groups,
      mode: state.policy.rebalanceTo,
      minTrade: ctx.minTrade,
      fixed,
      maxTurnover: state.policy.maxTurnoverUsd,
    });
    const full: boolean[] = [];
    const d = state.sleeves.map((s, i) => {
      const p = P[i] as bigint;
      const delta = p - s.valueUsd;
      full.push(s.sleeve.kind === "debt" ? delta > 0n && p >= 0n : delta < 0n && p <= 0n);
      return delta;
    });
    const sol = solveFlows(ctx, d, full, grossUp);
    if (sol.unmet) return { sol, P, d, frozen, complete: true };
    const legged = new Set<number>();
    const small: number[] = [];
    for (const e of sol.exits) {
      legged.add(e.i);
      if (e.usd < ctx.minTrade || e.usd === 0n) small.push(e.i);
    }
    for (const e of sol.entries) {
      legged.add(e.i);
      if (e.usd < ctx.minTrade || e.usd === 0n) small.push(e.i);
    }
    d.forEach((x, i) => {
      if (x !== 0n && !legged.has(i)) small.push(i);
    });
    const fresh = small.filter((i) => !frozen.has(i));
    if (fresh.length === 0) return { sol, P, d, frozen, complete: true };
    for (const i of fresh) frozen.add(i);
    if (round >= maxRounds) return { sol, P, d, frozen, complete: false };
  }
}

type Projection = HealthFactorProjection & { readonly key: string };

/** Pre, intermediate (after exits) and post health factors of every lending account the policy guards. */
function projectHealth(state: PortfolioState, sol: FlowSolution): Projection[] {
  const hf = state.policy.healthFactor;
  if (!hf) return [];
  const bases = healthPositions(state);
  const copy = (p: HealthPosition) => ({ supply: new Map(p.supply), debt: new Map(p.debt) });
  const inter = new Map(bases.map((p) => [healthKey(p), copy(p)]));
  const post = new Map(bases.map((p) => [healthKey(p), copy(p)]));
  const bump = (m: Map<AssetId, bigint>, a: AssetId, x: bigint) => m.set(a, (m.get(a) ?? 0n) + x);
  for (const e of sol.exits) {
    const s = (state.sleeves[e.i] as SleeveState).sleeve;
    if (s.kind !== "supply" && s.kind !== "debt") continue;
    const key = healthKey(s);
    for (const target of [inter.get(key), post.get(key)]) {
      if (!target) continue;
      for (const [a, x] of e.amounts) bump(s.kind === "supply" ? target.supply : target.debt, a, -x);
    }
  }
  for (const e of sol.entries) {
    const s = (state.sleeves[e.i] as SleeveState).sleeve;
    if (s.kind !== "supply" && s.kind !== "debt") continue;
    const target = post.get(healthKey(s));
    if (!target) continue;
    for (const [a, x] of e.amounts) bump(s.kind === "supply" ? target.supply : target.debt, a, x);
  }
  const { assets } = state.snapshot;
  return bases.map((p) => {
    const key = healthKey(p);
    return {
      key,
      chainId: p.chainId,
      protocol: p.protocol,
      preWad: healthFactorOf(p, hf, assets, state.prices),
      intermediateWad: healthFactorOf(
        inter.get(key) as Pick<HealthPosition, "supply" | "debt">,
        hf,
        assets,
        state.prices,
      ),
      postWad: healthFactorOf(
        post.get(key) as Pick<HealthPosition, "supply" | "debt">,
        hf,
        assets,
        state.prices,
      ),
    };
  });
}

/**
 * Keeps every projected health factor ≥ the floor (and the intermediate one, after exits, ≥ 1): first move the
 * account's sleeves to their targets; if that is not enough, shrink their move from the current state by the largest
 * factor that keeps the floor; else throw {@link HealthFactorFloorError}.
 */
function repairHealth(work: Work, locks: Map<number, bigint>, solved: Solved, warnings: string[]): Solved {
  const hf = work.state.policy.healthFactor;
  if (!hf) return solved;
  const stage = new Map<string, number>();
  // Accounts the policy manages (a supply or debt sleeve); an account made only of unmanaged positions is reported,
  // not enforced: the plan never touches it.
  const managed = (p: HealthGroup) =>
    work.state.sleeves.filter(
      (s) =>
        s.sleeve.chainId === p.chainId &&
        s.sleeve.protocol === p.protocol &&
        (s.sleeve.kind === "supply" || s.sleeve.kind === "debt"),
    );
  for (let iter = 0; iter < 8; iter++) {
    const proj = projectHealth(work.state, solved.sol);
    const bad = proj.filter(
      (p) =>
        managed(p).length > 0 &&
        ((p.postWad !== null && p.postWad < hf.floorWad) ||
          (p.intermediateWad !== null && p.intermediateWad < WAD)),
    );
    if (bad.length === 0) return solved;
    for (const p of bad) {
      const members = managed(p);
      const k = stage.get(p.key) ?? 0;
      stage.set(p.key, k + 1);
      const postBad = p.postWad !== null && p.postWad < hf.floorWad;
      const targetOf = (s: SleeveState) => {
        const g = work.groups.find((x) => x.members.includes(s.index)) as TargetGroup;
        return mulDiv((work.tsleeves[s.index] as TargetSleeve).weight, g.nav, WAD);
      };
      if (
        k === 0 &&
        postBad &&
        members.some((s) => abs((solved.P[s.index] as bigint) - targetOf(s)) > work.ctx.minTrade)
      ) {
        for (const s of members) locks.set(s.index, targetOf(s));
        warnings.push(
          `health factor on chain ${p.chainId} (${p.protocol}) would end at ${hfText(p.postWad)} < floor ${hfText(hf.floorWad)}: its sleeves go to target`,
        );
        continue;
      }
      if (k <= 1) {
        const lambda = shrinkFactor(work, members, solved.P, p);
        if (lambda !== null && members.length > 0) {
          for (const s of members)
            locks.set(s.index, s.valueUsd + mulDiv((solved.P[s.index] as bigint) - s.valueUsd, lambda, WAD));
          warnings.push(
            `health factor on chain ${p.chainId} (${p.protocol}): its sleeves' move was shrunk to ${wadToBpsNumber(lambda) / 100}% to keep the floor`,
          );
          continue;
        }
      }
      if (!postBad)
        throw new InfeasiblePlanError(
          "policy.healthFactor",
          `on chain ${p.chainId} (${p.protocol}) the health factor after the exits would be ${hfText(p.intermediateWad)} < 1, so the batch would revert`,
        );
      throw new HealthFactorFloorError(p.chainId, p.protocol, p.postWad as bigint, hf.floorWad);
    }
    solved = solveAll(work, locks);
  }
  for (const p of projectHealth(work.state, solved.sol)) {
    if (managed(p).length === 0) continue;
    if (p.postWad !== null && p.postWad < hf.floorWad)
      throw new HealthFactorFloorError(p.chainId, p.protocol, p.postWad, hf.floorWad);
    if (p.intermediateWad !== null && p.intermediateWad < WAD)
      throw new InfeasiblePlanError(
        "policy.healthFactor",
        `on chain ${p.chainId} (${p.protocol}) the health factor after the exits would be ${hfText(p.intermediateWad)} < 1`,
      );
  }
  return solved;
}

/** Largest λ in [0, 1] such that moving the account's sleeves λ of the way keeps post HF ≥ floor and intermediate ≥ 1. */
function shrinkFactor(
  work: Work,
  members: readonly SleeveState[],
  P: readonly bigint[],
  p: Projection,
): bigint | null {
  const hf = work.state.policy.healthFactor;
  if (!hf) return null;
  // Unmanaged collateral and debt of the same account, in USD.
  let collUn = 0n;
  let debtUn = 0n;
  for (const h of work.state.unmanaged) {
    if (h.chainId !== p.chainId || h.protocol !== p.protocol) continue;
    for (const e of h.exposures) {
      const a = work.state.snapshot.assets.get(e.asset);
      const price = work.state.prices.get(e.asset);
      if (!a || price === undefined || e.amount === 0n) continue;
      if (h.kind === "supply")
        collUn += mulDiv(
          usdValue(e.amount, a.decimals, price),
          BigInt(hf.liquidationThresholdBps[e.asset] ?? 0),
          10_000n,
        );
      if (h.kind === "debt") debtUn += usdValue(-e.amount, a.decimals, price, "up");
    }
  }
  const lt = (s: SleeveState) => BigInt(hf.liquidationThresholdBps[s.sleeve.ref] ?? 0);
  const hfAt = (lambda: bigint, intermediate: boolean): bigint | null => {
    let coll = collUn;
    let debt = debtUn;
    for (const s of members) {
      let move = mulDiv((P[s.index] as bigint) - s.valueUsd, lambda, WAD);
      if (intermediate && move > 0n) move = 0n;
      const v = s.valueUsd + move;
      if (s.sleeve.kind === "supply") coll += mulDiv(v > 0n ? v : 0n, lt(s), 10_000n);
      else debt += v < 0n ? -v : 0n;
    }
    return debt === 0n ? null : mulDiv(coll, WAD, debt);
  };
  const floor = hf.floorWad + hf.floorWad / 2_000n;
  const ok = (lambda: bigint) => {
    const post = hfAt(lambda, false);
    const inter = hfAt(lambda, true);
    return (post === null || post >= floor) && (inter === null || inter >= WAD + WAD / 2_000n);
  };
  if (!ok(0n)) return null;
  let lo = 0n;
  let hi = WAD;
  if (ok(hi)) return hi;
  for (let k = 0; k < 60 && hi - lo > 1n; k++) {
    const mid = (lo + hi) / 2n;
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

const SOURCE: Record<SleeveState["sleeve"]["kind"], LegAction> = {
  token: "sell",
  supply: "withdraw",
  debt: "borrow",
  lp: "decrease",
};

function sinkAction(s: SleeveState): LegAction {
  switch (s.sleeve.kind) {
    case "token":
      return "buy-hold";
    case "supply":
      return "supply";
    case "debt":
      return "repay";
    case "lp":
      return s.holdings.length > 0 ? "increase" : "mint";
  }
}

const amountsOf = (m: ReadonlyMap<AssetId, bigint>) =>
  [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([asset, amount]) => ({ asset, amount }));

function assemble(
  work: Work,
  costs: CompiledCosts,
  solved: Solved,
  extra: { now: number; options: PlanOptions; warnings: string[]; costModel: CostModel },
): Plan {
  const { state } = work;
  const { policy, snapshot } = state;
  const { sol } = solved;
  const warnings = [...extra.warnings];
  const assets = snapshot.assets;
  const chainLegs = new Map<number, { exits: SleeveLeg[]; swaps: SwapLeg[]; entries: SleeveLeg[] }>();
  const legsOf = (c: number) => {
    let e = chainLegs.get(c);
    if (!e) {
      e = { exits: [], swaps: [], entries: [] };
      chainLegs.set(c, e);
    }
    return e;
  };
  const gas = (c: number, t: GasLegType) => costs.gasUsd(c, t);
  const sleeveLeg = (
    type: "exit" | "entry",
    s: SleeveState,
    action: LegAction,
    x: { amounts: ReadonlyMap<AssetId, bigint>; fraction: bigint; usd: bigint },
  ): SleeveLeg => {
    const holdingIds =
      type === "exit" || action === "repay"
        ? s.holdings.map((h) => h.id)
        : action === "increase" || action === "supply"
          ? s.holdings.slice(0, 1).map((h) => h.id)
          : [];
    return {
      type,
      step: 0,
      action,
      sleeveId: s.sleeve.id,
      chainId: s.sleeve.chainId,
      protocol: s.sleeve.protocol,
      kind: s.sleeve.kind,
      ref: s.sleeve.ref,
      holdingIds,
      amounts: amountsOf(x.amounts),
      fractionWad: x.fraction,
      usd: x.usd,
      gasUsd: gas(s.sleeve.chainId, action),
      needsCall: action !== "sell" && action !== "buy-hold",
    };
  };
  for (const e of [...sol.exits].sort((a, b) => a.i - b.i)) {
    const s = state.sleeves[e.i] as SleeveState;
    legsOf(s.sleeve.chainId).exits.push(sleeveLeg("exit", s, SOURCE[s.sleeve.kind], e));
  }
  for (const e of [...sol.entries].sort((a, b) => a.i - b.i)) {
    const s = state.sleeves[e.i] as SleeveState;
    legsOf(s.sleeve.chainId).entries.push(sleeveLeg("entry", s, sinkAction(s), e));
  }
  let slipWarned = false;
  for (const w of sol.swaps) {
    legsOf(w.chainId).swaps.push({ type: "swap", step: 0, ...w, gasUsd: gas(w.chainId, "swap") });
    if (w.expectedOut < w.minOut && !slipWarned) {
      slipWarned = true;
      warnings.push(
        `the cost model's slippage exceeds policy.maxSlippageBps (${policy.maxSlippageBps}) on some swaps: they may fail their minOut`,
      );
    }
  }
  const chains: ChainPlan[] = [...chainLegs.keys()]
    .sort((a, b) => a - b)
    .map((chainId) => {
      const e = chainLegs.get(chainId) as { exits: SleeveLeg[]; swaps: SwapLeg[]; entries: SleeveLeg[] };
      e.swaps.sort((a, b) =>
        a.assetIn < b.assetIn ? -1 : a.assetIn > b.assetIn ? 1 : a.assetOut < b.assetOut ? -1 : 1,
      );
      const legs: Leg[] = [...e.exits, ...e.swaps, ...e.entries].map((l, k) => ({ ...l, step: k + 1 }));
      return { chainId, legs, awaitsTransfers: sol.receivers.has(chainId) };
    });
  const transfers: Transfer[] = sol.transfers.map((t) => ({
    symbol: t.route.symbol,
    fromChainId: t.route.fromChainId,
    toChainId: t.route.toChainId,
    assetFrom: t.route.fromAsset,
    assetTo: t.route.toAsset,
    amount: t.amount,
    expectedReceived: t.received,
    usd: t.usd,
    costUsd: t.costUsd,
    gasUsd: gas(t.route.fromChainId, "transfer"),
  }));

  // Post state: current units − exits + entries; idle residuals belong to the token sleeve of that asset, if any.
  const post = state.sleeves.map((s) => new Map(s.units));
  const bump = (m: Map<AssetId, bigint>, a: AssetId, x: bigint) => m.set(a, (m.get(a) ?? 0n) + x);
  for (const e of sol.exits) for (const [a, x] of e.amounts) bump(post[e.i] as Map<AssetId, bigint>, a, -x);
  for (const e of sol.entries) for (const [a, x] of e.amounts) bump(post[e.i] as Map<AssetId, bigint>, a, x);
  const tokenSleeve = new Map<string, number>();
  state.sleeves.forEach((s, i) => {
    if (s.sleeve.kind === "token" && !tokenSleeve.has(s.sleeve.ref)) tokenSleeve.set(s.sleeve.ref, i);
  });
  const residuals: Residual[] = [];
  for (const [asset, amount] of [...sol.residual].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const a = assets.get(asset) as { chainId: number; decimals: number };
    const price = state.prices.get(asset) as bigint;
    const i = tokenSleeve.get(asset);
    if (i !== undefined) bump(post[i] as Map<AssetId, bigint>, asset, amount);
    const r: Residual = {
      chainId: a.chainId,
      asset,
      amount,
      usd: amount >= 0n ? usdValue(amount, a.decimals, price) : -usdValue(-amount, a.decimals, price, "up"),
      ...(i === undefined ? {} : { sleeveId: (state.sleeves[i] as SleeveState).sleeve.id }),
    };
    residuals.push(r);
  }
  const postUsd = post.map((m) => {
    let v = 0n;
    for (const [asset, amount] of m) {
      if (amount === 0n) continue;
      const a = assets.get(asset) as { decimals: number };
      const price = state.prices.get(asset) as bigint;
      v += amount > 0n ? usdValue(amount, a.decimals, price) : -usdValue(-amount, a.decimals, price, "up");
    }
    return v;
  });
  const postNav = postUsd.reduce((a, x) => a + x, 0n);
  let removed2 = 0n;
  const sleeves: SleeveOutcome[] = state.sleeves.map((s, i) => {
    const pu = postUsd[i] as bigint;
    const postW = postNav > 0n ? mulDiv(pu, WAD, postNav) : 0n;
    removed2 +=
      abs(s.valueUsd - mulDiv(s.targetWad, state.navUsd, WAD)) - abs(pu - mulDiv(s.targetWad, postNav, WAD));
    return {
      sleeveId: s.sleeve.id,
      chainId: s.sleeve.chainId,
      targetBps: s.sleeve.targetBps,
      bandBps: wadToBpsNumber(s.bandWad),
      preUsd: s.valueUsd,
      postUsd: pu,
      preBps: wadToBpsNumber(s.weightWad),
      postBps: wadToBpsNumber(postW),
      preDriftBps: wadToBpsNumber(s.driftWad),
      postDriftBps: wadToBpsNumber(postW - s.targetWad),
    };
  });
  const turnoverUsd = sol.exits.reduce((a, e) => a + e.usd, 0n);
  let gasUsd = transfers.reduce((a, t) => a + t.gasUsd, 0n);
  for (const c of chains) for (const l of c.legs) gasUsd += l.gasUsd;
  const estimatedCost = {
    gasUsd,
    feesUsd: sol.feesUsd,
    slippageUsd: sol.slippageUsd,
    bridgeUsd: sol.bridgeUsd,
    totalUsd: gasUsd + sol.feesUsd + sol.slippageUsd + sol.bridgeUsd,
  };
  const maxValueLossUsd = mulDiv(state.navUsd, BigInt(policy.maxValueLossBps), 10_000n);
  const lossUsd = sol.feesUsd + sol.slippageUsd + sol.bridgeUsd;
  if (lossUsd > maxValueLossUsd)
    warnings.push(
      `estimated value loss ${usd(lossUsd)} exceeds policy.maxValueLossBps (${usd(maxValueLossUsd)})`,
    );
  if (policy.rebalanceTo === "band-edge") {
    const out = sleeves.filter(
      (s, i) => Math.abs(s.postDriftBps) > s.bandBps && (state.sleeves[i] as SleeveState).bandWad >= 0n,
    );
    const stuck = out.filter((s) => Math.abs(s.postDriftBps) > s.bandBps + 0.01);
    if (stuck.length > 0)
      warnings.push(
        `still outside the band after the plan: ${stuck.map((s) => `${s.sleeveId} (${s.postDriftBps} bps)`).join(", ")}`,
      );
  }
  const hf = policy.healthFactor;
  if (hf) {
    for (const g of healthPositions(state)) {
      const members = state.sleeves.filter(
        (s) => s.sleeve.chainId === g.chainId && s.sleeve.protocol === g.protocol,
      );
      let coll = 0n;
      let debt = 0n;
      for (const s of members) {
        if (s.sleeve.kind === "supply")
          coll += s.targetWad * BigInt(hf.liquidationThresholdBps[s.sleeve.ref] ?? 0);
        if (s.sleeve.kind === "debt") debt -= s.targetWad * 10_000n;
      }
      if (debt > 0n && mulDiv(coll, WAD, debt) < hf.floorWad)
        warnings.push(
          `the target allocation on chain ${g.chainId} (${g.protocol}) implies a health factor of ${hfText(mulDiv(coll, WAD, debt))} < floor ${hfText(hf.floorWad)}: moves toward it are capped`,
        );
    }
  }
  const healthFactors = projectHealth(state, sol).map(({ key: _key, ...p }) => p);
  if (hf)
    for (const h of healthFactors)
      if (h.postWad !== null && h.postWad < hf.floorWad)
        warnings.push(
          `health factor on chain ${h.chainId} (${h.protocol}) is ${hfText(h.postWad)} < floor ${hfText(hf.floorWad)}; no sleeve of the policy manages that account`,
        );
  const swapsGuard = chains.flatMap((c) =>
    c.legs
      .filter((l): l is SwapLeg => l.type === "swap")
      .map((l) => ({
        chainId: c.chainId,
        step: l.step,
        assetIn: l.assetIn,
        assetOut: l.assetOut,
        minOut: l.minOut,
      })),
  );
  return {
    id: planId({
      snapshot,
      policy,
      costModel: extra.costModel,
      now: extra.now,
      options: extra.options,
      prices: state.prices,
    }),
    createdAt: extra.now,
    rebalanceTo: policy.rebalanceTo,
    scope: work.perChain ? "per-chain" : "global",
    navUsd: state.navUsd,
    postNavUsd: postNav,
    turnoverUsd,
    driftRemovedUsd: removed2 / 2n,
    chains,
    transfers,
    sleeves,
    residuals,
    estimatedCost,
    guards: {
      swaps: swapsGuard,
      maxValueLossUsd,
      healthFactorFloorWad: hf ? hf.floorWad : null,
      healthFactors,
    },
    warnings,
  };
}

const usd = (x: bigint): string => {
  const cents = x / 10n ** 16n;
  const neg = cents < 0n;
  const c = neg ? -cents : cents;
  return `${neg ? "-" : ""}$${(c / 100n).toLocaleString("en-US")}.${(c % 100n).toString().padStart(2, "0")}`;
};

const hfText = (x: bigint | null): string => {
  if (x === null) return "∞";
  const t = x / 10n ** 14n;
  return `${t / 10_000n}.${(t % 10_000n).toString().padStart(4, "0")}`;
};

/** True when no swap or bridge in the model costs anything (gas aside, which does not reduce the portfolio). */
function isLossless(m: CostModel): boolean {
  const swaps = [m.swap.default, ...(m.swap.chains ?? []), ...(m.swap.pairs ?? [])];
  return (
    swaps.every((c) => c.feeBps === 0 && c.slippageBps === 0) &&
    (m.bridges ?? []).every((b) => b.feeBps === 0 && b.fixedUsd === 0n)
  );
}

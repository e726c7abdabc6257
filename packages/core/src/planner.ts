import { assemble, type Projection, projectHealth } from "./assemble.ts";
import { type CostModel, compileCostModel } from "./cost.ts";
import { HealthFactorFloorError, InfeasiblePlanError, InvalidAmountError, NoBridgeError } from "./errors.ts";
import { flowContext } from "./flows/context.ts";
import { type FlowContext, type FlowSolution, solveFlows } from "./flows/index.ts";
import { formatUsd, formatHealthFactor as hfText } from "./format.ts";
import type { HealthGroup } from "./health.ts";
import { abs, mulDiv, usdValue, WAD, wadToBpsNumber } from "./math.ts";
import type { AssetId } from "./model.ts";
import type { Plan, PlanOptions } from "./plan.ts";
import type { PortfolioState, SleeveState } from "./state.ts";
import { desiredValues, type TargetGroup, type TargetSleeve } from "./targets.ts";

export { DUST_USD } from "./flows/context.ts";

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
  const { snapshot } = state;
  if (typeof params.now !== "number" || !Number.isSafeInteger(params.now) || params.now < 0)
    throw new InvalidAmountError("params.now", params.now, "unix seconds (a non-negative integer)");
  const costs = compileCostModel(costModel, snapshot.assets);
  const ctx = flowContext(state, costs);
  const options: PlanOptions = params.onNoBridge === undefined ? {} : { onNoBridge: params.onNoBridge };
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
      `no bridge route can move ${formatUsd(u.usd)} from chain(s) ${u.from.join(", ")} to ${u.to.join(", ")}: each chain was rebalanced on its own`,
    );
    solved = solveAll(work, locks);
  }
  solved = repairHealth(work, locks, solved, warnings);
  return assemble(state, costs, solved.sol, {
    now: params.now,
    options,
    costModel,
    warnings,
    perChain: work.perChain,
  });
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
      tsleeves[i] = { cur: t.cur, weight: mulDiv(t.weight, WAD, wsum), band: t.band, debt: t.debt };
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
  // Value must cross chains and no route can carry it: the caller throws or plans per chain. The passes below would
  // hide it — the sleeves it could not reach did not trade, so they would be kept as they are (idle).
  if (first.sol.unmet) return first;
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
            `health factor on chain ${p.chainId} (${p.protocol}): its sleeves' move was shrunk to ${(Math.trunc(wadToBpsNumber(lambda)) / 100).toFixed(2)}% to keep the floor`,
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

/** True when no swap or bridge in the model costs anything (gas aside, which does not reduce the portfolio). */
function isLossless(m: CostModel): boolean {
  const swaps = [m.swap.default, ...(m.swap.chains ?? []), ...(m.swap.pairs ?? [])];
  return (
    swaps.every((c) => c.feeBps === 0 && c.slippageBps === 0) &&
    (m.bridges ?? []).every((b) => b.feeBps === 0 && b.fixedUsd === 0n)
  );
}

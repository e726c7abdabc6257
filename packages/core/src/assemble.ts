import type { CompiledCosts, CostModel } from "./cost.ts";
import type { FlowSolution } from "./flows/index.ts";
import { formatUsd, formatHealthFactor as hfText } from "./format.ts";
import { type HealthPosition, healthFactorOf, healthKey, healthPositions } from "./health.ts";
import { abs, mulDiv, usdValue, WAD, wadToBpsNumber } from "./math.ts";
import type { AssetId } from "./model.ts";
import {
  type ChainPlan,
  type HealthFactorProjection,
  type Leg,
  type LegAction,
  type Plan,
  type PlanCost,
  type PlanGuards,
  type PlanOptions,
  planId,
  type Residual,
  type SleeveLeg,
  type SleeveOutcome,
  type SwapLeg,
  type Transfer,
} from "./plan.ts";
import type { PortfolioState, SleeveState } from "./state.ts";

/** What a plan is made from besides the solved flows: the clock, options, cost model and the warnings so far. */
export type AssembleInputs = {
  readonly now: number;
  readonly options: PlanOptions;
  readonly costModel: CostModel;
  readonly warnings: readonly string[];
  readonly perChain: boolean;
};

/**
 * The plan of solved flows, in three parts: the legs per chain and the transfers ({@link chainPlans}), the state
 * after them ({@link postState}), and what the simulation must check with the warnings ({@link guardsOf}).
 */
export function assemble(
  state: PortfolioState,
  costs: CompiledCosts,
  sol: FlowSolution,
  inputs: AssembleInputs,
): Plan {
  const { policy, snapshot } = state;
  const { chains, transfers, warnings: legWarnings } = chainPlans(state, costs, sol);
  const post = postState(state, sol);
  const estimatedCost = costOf(chains, transfers, sol);
  const { guards, warnings: guardWarnings } = guardsOf(state, sol, chains, post.sleeves);
  return {
    id: planId({
      snapshot,
      policy,
      costModel: inputs.costModel,
      now: inputs.now,
      options: inputs.options,
      prices: state.prices,
    }),
    createdAt: inputs.now,
    rebalanceTo: policy.rebalanceTo,
    scope: inputs.perChain ? "per-chain" : "global",
    navUsd: state.navUsd,
    postNavUsd: post.navUsd,
    turnoverUsd: sol.exits.reduce((a, e) => a + e.usd, 0n),
    driftRemovedUsd: post.driftRemovedUsd,
    chains,
    transfers,
    sleeves: post.sleeves,
    residuals: post.residuals,
    estimatedCost,
    guards,
    warnings: [...inputs.warnings, ...legWarnings, ...guardWarnings],
  };
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

/** A leg's amounts, by asset id. */
function amountsOf(m: ReadonlyMap<AssetId, bigint>): { asset: AssetId; amount: bigint }[] {
  const out: { asset: AssetId; amount: bigint }[] = [];
  for (const [asset, amount] of m) out.push({ asset, amount });
  return out.length > 1 ? out.sort((a, b) => (a.asset < b.asset ? -1 : 1)) : out;
}

function sleeveLeg(
  costs: CompiledCosts,
  type: "exit" | "entry",
  s: SleeveState,
  action: LegAction,
  x: { amounts: ReadonlyMap<AssetId, bigint>; fraction: bigint; usd: bigint },
): SleeveLeg {
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
    gasUsd: costs.gasUsd(s.sleeve.chainId, action),
    needsCall: action !== "sell" && action !== "buy-hold",
  };
}

type ChainLegs = { exits: SleeveLeg[]; swaps: SwapLeg[]; entries: SleeveLeg[] };

/** The legs of each chain, ordered exits → swaps → entries and numbered; the transfers between chains. */
function chainPlans(
  state: PortfolioState,
  costs: CompiledCosts,
  sol: FlowSolution,
): { chains: ChainPlan[]; transfers: Transfer[]; warnings: string[] } {
  const byChain = new Map<number, ChainLegs>();
  const legsOf = (c: number) => {
    let e = byChain.get(c);
    if (!e) {
      e = { exits: [], swaps: [], entries: [] };
      byChain.set(c, e);
    }
    return e;
  };
  for (const e of [...sol.exits].sort((a, b) => a.i - b.i)) {
    const s = state.sleeves[e.i] as SleeveState;
    legsOf(s.sleeve.chainId).exits.push(sleeveLeg(costs, "exit", s, SOURCE[s.sleeve.kind], e));
  }
  for (const e of [...sol.entries].sort((a, b) => a.i - b.i)) {
    const s = state.sleeves[e.i] as SleeveState;
    legsOf(s.sleeve.chainId).entries.push(sleeveLeg(costs, "entry", s, sinkAction(s), e));
  }
  for (const w of sol.swaps)
    legsOf(w.chainId).swaps.push(
      Object.assign({ type: "swap" as const, step: 0 }, w, { gasUsd: costs.gasUsd(w.chainId, "swap") }),
    );
  const warnings = sol.swaps.some((w) => w.expectedOut < w.minOut)
    ? [
        `the cost model's slippage exceeds policy.maxSlippageBps (${state.policy.maxSlippageBps}) on some swaps: they may fail their minOut`,
      ]
    : [];
  const chains = [...byChain.keys()]
    .sort((a, b) => a - b)
    .map((chainId): ChainPlan => {
      const e = byChain.get(chainId) as ChainLegs;
      e.swaps.sort((a, b) =>
        a.assetIn < b.assetIn ? -1 : a.assetIn > b.assetIn ? 1 : a.assetOut < b.assetOut ? -1 : 1,
      );
      const legs: Leg[] = [...e.exits, ...e.swaps, ...e.entries];
      // Built above for this plan alone, so numbered in place: a copy per leg with `{ ...l, step }` (a spread then a
      // property) takes V8's slow path, ~10 µs a leg on Node 20.
      legs.forEach((l, k) => {
        (l as { step: number }).step = k + 1;
      });
      return { chainId, legs, awaitsTransfers: sol.receivers.has(chainId) };
    });
  const transfers = sol.transfers.map(
    (t): Transfer => ({
      symbol: t.route.symbol,
      fromChainId: t.route.fromChainId,
      toChainId: t.route.toChainId,
      assetFrom: t.route.fromAsset,
      assetTo: t.route.toAsset,
      amount: t.amount,
      expectedReceived: t.received,
      usd: t.usd,
      costUsd: t.costUsd,
      gasUsd: costs.gasUsd(t.route.fromChainId, "transfer"),
    }),
  );
  return { chains, transfers, warnings };
}

function costOf(chains: readonly ChainPlan[], transfers: readonly Transfer[], sol: FlowSolution): PlanCost {
  let gasUsd = transfers.reduce((a, t) => a + t.gasUsd, 0n);
  for (const c of chains) for (const l of c.legs) gasUsd += l.gasUsd;
  return {
    gasUsd,
    feesUsd: sol.feesUsd,
    slippageUsd: sol.slippageUsd,
    bridgeUsd: sol.bridgeUsd,
    totalUsd: gasUsd + sol.feesUsd + sol.slippageUsd + sol.bridgeUsd,
  };
}

const signedUsd = (amount: bigint, decimals: number, price: bigint) =>
  amount >= 0n ? usdValue(amount, decimals, price) : -usdValue(-amount, decimals, price, "up");

type PostState = {
  readonly navUsd: bigint;
  readonly driftRemovedUsd: bigint;
  readonly sleeves: SleeveOutcome[];
  readonly residuals: Residual[];
};

/**
 * The portfolio after the plan: current units − exits + entries; idle residuals belong to the token sleeve of their
 * asset, if any. Post weights are of the post NAV; drift removed is ½ Σ (|pre deviation| − |post deviation|).
 */
function postState(state: PortfolioState, sol: FlowSolution): PostState {
  const { assets } = state.snapshot;
  // A sleeve's units are copied only when the plan changes them; an untouched sleeve keeps its value.
  const post: (Map<AssetId, bigint> | undefined)[] = new Array(state.sleeves.length);
  const bump = (i: number, a: AssetId, x: bigint) => {
    let m = post[i];
    if (m === undefined) post[i] = m = new Map((state.sleeves[i] as SleeveState).units);
    m.set(a, (m.get(a) ?? 0n) + x);
  };
  for (const e of sol.exits) for (const [a, x] of e.amounts) bump(e.i, a, -x);
  for (const e of sol.entries) for (const [a, x] of e.amounts) bump(e.i, a, x);
  const tokenSleeve = new Map<string, number>();
  state.sleeves.forEach((s, i) => {
    if (s.sleeve.kind === "token" && !tokenSleeve.has(s.sleeve.ref)) tokenSleeve.set(s.sleeve.ref, i);
  });
  const residuals = [...sol.residual]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([asset, amount]): Residual => {
      const a = assets.get(asset) as { chainId: number; decimals: number };
      const i = tokenSleeve.get(asset);
      if (i !== undefined) bump(i, asset, amount);
      return {
        chainId: a.chainId,
        asset,
        amount,
        usd: signedUsd(amount, a.decimals, state.prices.get(asset) as bigint),
        ...(i === undefined ? {} : { sleeveId: (state.sleeves[i] as SleeveState).sleeve.id }),
      };
    });
  const postUsd = state.sleeves.map((s, i) => {
    const m = post[i];
    if (m === undefined) return s.valueUsd;
    let v = 0n;
    for (const [asset, amount] of m)
      if (amount !== 0n)
        v += signedUsd(
          amount,
          (assets.get(asset) as { decimals: number }).decimals,
          state.prices.get(asset) as bigint,
        );
    return v;
  });
  const navUsd = postUsd.reduce((a, x) => a + x, 0n);
  let removed2 = 0n;
  const sleeves = state.sleeves.map((s, i): SleeveOutcome => {
    const pu = postUsd[i] as bigint;
    const postW = navUsd > 0n ? mulDiv(pu, WAD, navUsd) : 0n;
    removed2 +=
      abs(s.valueUsd - mulDiv(s.targetWad, state.navUsd, WAD)) - abs(pu - mulDiv(s.targetWad, navUsd, WAD));
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
  return { navUsd, driftRemovedUsd: removed2 / 2n, sleeves, residuals };
}

/**
 * The guards of a plan (swap minOuts, the value-loss bound, the health-factor floor and projections) and what it
 * must warn about: a value loss over the bound, sleeves still out of band, a target whose health factor is below the
 * floor, an unmanaged account below the floor.
 */
function guardsOf(
  state: PortfolioState,
  sol: FlowSolution,
  chains: readonly ChainPlan[],
  sleeves: readonly SleeveOutcome[],
): { guards: PlanGuards; warnings: string[] } {
  const { policy } = state;
  const warnings: string[] = [];
  const maxValueLossUsd = mulDiv(state.navUsd, BigInt(policy.maxValueLossBps), 10_000n);
  const lossUsd = sol.feesUsd + sol.slippageUsd + sol.bridgeUsd;
  if (lossUsd > maxValueLossUsd)
    warnings.push(
      `estimated value loss ${formatUsd(lossUsd)} exceeds policy.maxValueLossBps (${formatUsd(maxValueLossUsd)})`,
    );
  if (policy.rebalanceTo === "band-edge") {
    const stuck = sleeves.filter(
      (s, i) =>
        Math.abs(s.postDriftBps) > s.bandBps + 0.01 && (state.sleeves[i] as SleeveState).bandWad >= 0n,
    );
    if (stuck.length > 0)
      warnings.push(
        `still outside the band after the plan: ${stuck.map((s) => `${s.sleeveId} (${s.postDriftBps} bps)`).join(", ")}`,
      );
  }
  warnings.push(...targetHealthWarnings(state));
  const hf = policy.healthFactor;
  const healthFactors = projectHealth(state, sol).map(({ key: _key, ...p }) => p);
  if (hf)
    for (const h of healthFactors)
      if (h.postWad !== null && h.postWad < hf.floorWad)
        warnings.push(
          `health factor on chain ${h.chainId} (${h.protocol}) is ${hfText(h.postWad)} < floor ${hfText(hf.floorWad)}; no sleeve of the policy manages that account`,
        );
  const swaps = chains.flatMap((c) =>
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
    guards: { swaps, maxValueLossUsd, healthFactorFloorWad: hf ? hf.floorWad : null, healthFactors },
    warnings,
  };
}

/** A warning per lending account whose target allocation itself implies a health factor below the floor. */
function targetHealthWarnings(state: PortfolioState): string[] {
  const hf = state.policy.healthFactor;
  if (!hf) return [];
  const warnings: string[] = [];
  for (const g of healthPositions(state)) {
    let coll = 0n;
    let debt = 0n;
    for (const s of state.sleeves) {
      if (s.sleeve.chainId !== g.chainId || s.sleeve.protocol !== g.protocol) continue;
      if (s.sleeve.kind === "supply")
        coll += s.targetWad * BigInt(hf.liquidationThresholdBps[s.sleeve.ref] ?? 0);
      if (s.sleeve.kind === "debt") debt -= s.targetWad * 10_000n;
    }
    if (debt > 0n && mulDiv(coll, WAD, debt) < hf.floorWad)
      warnings.push(
        `the target allocation on chain ${g.chainId} (${g.protocol}) implies a health factor of ${hfText(mulDiv(coll, WAD, debt))} < floor ${hfText(hf.floorWad)}: moves toward it are capped`,
      );
  }
  return warnings;
}

/** A health-factor projection with the key of its account. */
export type Projection = HealthFactorProjection & { readonly key: string };

/** Pre, intermediate (after exits) and post health factors of every lending account the policy guards. */
export function projectHealth(state: PortfolioState, sol: FlowSolution): Projection[] {
  const hf = state.policy.healthFactor;
  if (!hf) return [];
  const bases = healthPositions(state);
  const copy = (p: HealthPosition) => ({ supply: new Map(p.supply), debt: new Map(p.debt) });
  const inter = new Map(bases.map((p) => [healthKey(p), copy(p)]));
  const post = new Map(bases.map((p) => [healthKey(p), copy(p)]));
  const bump = (m: Map<AssetId, bigint>, a: AssetId, x: bigint) => m.set(a, (m.get(a) ?? 0n) + x);
  const apply = (
    i: number,
    amounts: ReadonlyMap<AssetId, bigint>,
    sign: bigint,
    targets: (typeof post)[],
  ) => {
    const s = (state.sleeves[i] as SleeveState).sleeve;
    if (s.kind !== "supply" && s.kind !== "debt") return;
    for (const target of targets.map((t) => t.get(healthKey(s)))) {
      if (!target) continue;
      for (const [a, x] of amounts) bump(s.kind === "supply" ? target.supply : target.debt, a, sign * x);
    }
  };
  for (const e of sol.exits) apply(e.i, e.amounts, -1n, [inter, post]);
  for (const e of sol.entries) apply(e.i, e.amounts, 1n, [post]);
  const { assets } = state.snapshot;
  const hfOf = (p: Pick<HealthPosition, "supply" | "debt"> | undefined) =>
    healthFactorOf(p as Pick<HealthPosition, "supply" | "debt">, hf, assets, state.prices);
  return bases.map((p) => {
    const key = healthKey(p);
    return {
      key,
      chainId: p.chainId,
      protocol: p.protocol,
      preWad: healthFactorOf(p, hf, assets, state.prices),
      intermediateWad: hfOf(inter.get(key)),
      postWad: hfOf(post.get(key)),
    };
  });
}

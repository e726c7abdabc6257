import { canonicalJson, hashOf, toJsonValue } from "./canonical.ts";
import type { CostModel } from "./cost.ts";
import type { AssetId, HoldingKind, Snapshot } from "./model.ts";
import type { Policy, RebalanceTo } from "./policy.ts";

/** Leg actions that release assets into the account: sell (token sleeve, no call), withdraw, borrow, decrease (LP). */
export type SourceAction = "sell" | "withdraw" | "borrow" | "decrease";
/** Leg actions that take assets from the account: buy-hold (token sleeve, no call), supply, repay, mint, increase (LP). */
export type SinkAction = "buy-hold" | "supply" | "repay" | "mint" | "increase";
/** Every sleeve-leg action. */
export type LegAction = SourceAction | SinkAction;

/** An amount of one asset in base units. */
export type AssetAmount = { readonly asset: AssetId; readonly amount: bigint };

/**
 * A leg on one sleeve: an exit (source) or an entry (sink). The action is explicit, so the engine maps it to the
 * sleeve's adapter without guessing; `sell` and `buy-hold` move nothing on chain (`needsCall: false`).
 */
export type SleeveLeg = {
  readonly type: "exit" | "entry";
  /** 1-based position in the chain's ordered legs. */
  readonly step: number;
  readonly action: LegAction;
  readonly sleeveId: string;
  readonly chainId: number;
  readonly protocol: string;
  readonly kind: HoldingKind;
  readonly ref: string;
  /** Holdings acted on: every holding of the sleeve for an exit or repay, the increased position for `increase`. */
  readonly holdingIds: readonly string[];
  /** Base units per asset, all positive: what the exit releases / the entry puts in. */
  readonly amounts: readonly AssetAmount[];
  /**
   * Wad fraction of the sleeve's current position the leg takes (exit: withdrawn/decreased share of every holding;
   * repay: share of the debt repaid); 1e18 means all of it (use the protocol's "max"); 0 for borrow and entries.
   */
  readonly fractionWad: bigint;
  /** USD value of `amounts` at the plan's prices. */
  readonly usd: bigint;
  readonly gasUsd: bigint;
  readonly needsCall: boolean;
};

/** A swap on one chain: sell exactly `amountIn`, expect `expectedOut`, refuse less than `minOut`. */
export type SwapLeg = {
  readonly type: "swap";
  readonly step: number;
  readonly chainId: number;
  readonly assetIn: AssetId;
  readonly assetOut: AssetId;
  readonly amountIn: bigint;
  /** Output after the estimated fee and slippage. */
  readonly expectedOut: bigint;
  /** Guard: mid-price output × (1 − fee) × (1 − policy.maxSlippageBps). */
  readonly minOut: bigint;
  /** USD value of `amountIn`. */
  readonly usd: bigint;
  readonly feeUsd: bigint;
  readonly slippageUsd: bigint;
  readonly gasUsd: bigint;
};

/** One step of a chain's batch. */
export type Leg = SleeveLeg | SwapLeg;

/** A cross-chain move of the economic asset `symbol`; executed between the sending and the receiving chain's batches. */
export type Transfer = {
  readonly symbol: string;
  readonly fromChainId: number;
  readonly toChainId: number;
  readonly assetFrom: AssetId;
  readonly assetTo: AssetId;
  /** Base units of `assetFrom` sent. */
  readonly amount: bigint;
  /** Base units of `assetTo` expected to arrive after the bridge's fee and fixed cost. */
  readonly expectedReceived: bigint;
  readonly usd: bigint;
  /** Bridge fee + fixed cost, USD wad. */
  readonly costUsd: bigint;
  readonly gasUsd: bigint;
};

/** The ordered legs of one chain: exits → swaps → entries. */
export type ChainPlan = {
  readonly chainId: number;
  readonly legs: readonly Leg[];
  /** True when the chain receives transfers: run its batch after they arrive. */
  readonly awaitsTransfers: boolean;
};

/** A sleeve before and after the plan. Weights are bps of NAV (pre) and of post-plan NAV (post), two decimals. */
export type SleeveOutcome = {
  readonly sleeveId: string;
  readonly chainId: number;
  readonly targetBps: number;
  readonly bandBps: number;
  readonly preUsd: bigint;
  readonly postUsd: bigint;
  readonly preBps: number;
  readonly postBps: number;
  readonly preDriftBps: number;
  readonly postDriftBps: number;
};

/** Value a plan leaves idle in an account (rounding, dropped small swaps); `sleeveId` when a token sleeve holds it. */
export type Residual = {
  readonly chainId: number;
  readonly asset: AssetId;
  readonly amount: bigint;
  readonly usd: bigint;
  readonly sleeveId?: string;
};

/** Estimated cost of a plan, USD wad. Gas is paid from the native balance; the rest reduces the portfolio's value. */
export type PlanCost = {
  readonly gasUsd: bigint;
  readonly feesUsd: bigint;
  readonly slippageUsd: bigint;
  readonly bridgeUsd: bigint;
  readonly totalUsd: bigint;
};

/** Health factor of one lending account before, between exits and entries, and after the plan (`null` = no debt). */
export type HealthFactorProjection = {
  readonly chainId: number;
  readonly protocol: string;
  readonly preWad: bigint | null;
  readonly intermediateWad: bigint | null;
  readonly postWad: bigint | null;
};

/** What the simulation and execution must check. */
export type PlanGuards = {
  readonly swaps: readonly {
    readonly chainId: number;
    readonly step: number;
    readonly assetIn: AssetId;
    readonly assetOut: AssetId;
    readonly minOut: bigint;
  }[];
  /** Most value the batch may lose (NAV × policy.maxValueLossBps). */
  readonly maxValueLossUsd: bigint;
  readonly healthFactorFloorWad: bigint | null;
  readonly healthFactors: readonly HealthFactorProjection[];
};

/** A rebalancing plan: protocol-neutral legs per chain, transfers, expected outcome, costs and guards. */
export type Plan = {
  /** Hex SHA-256 of the canonical inputs (snapshot, policy, cost model, now, options). */
  readonly id: string;
  /** The `now` the plan was made for (unix seconds). */
  readonly createdAt: number;
  readonly rebalanceTo: RebalanceTo;
  /** "global", or "per-chain" when value could not cross chains and each chain was rebalanced on its own. */
  readonly scope: "global" | "per-chain";
  readonly navUsd: bigint;
  /** Σ post-plan sleeve values. */
  readonly postNavUsd: bigint;
  /** Value taken out of sources (exits and borrows), USD wad. */
  readonly turnoverUsd: bigint;
  /** ½ Σ (|pre deviation| − |post deviation|), USD wad: what the cost gate weighs the cost against. */
  readonly driftRemovedUsd: bigint;
  readonly chains: readonly ChainPlan[];
  readonly transfers: readonly Transfer[];
  readonly sleeves: readonly SleeveOutcome[];
  readonly residuals: readonly Residual[];
  readonly estimatedCost: PlanCost;
  readonly guards: PlanGuards;
  readonly warnings: readonly string[];
};

/** Options of the planner that change its output (and therefore take part in the plan id). */
export type PlanOptions = {
  /** What to do when per-chain totals must change and no bridge route exists: throw NoBridgeError (default) or rebalance each chain alone. */
  readonly onNoBridge?: "throw" | "per-chain";
};

/** The inputs a plan is a pure function of. */
export type PlanInputs = {
  readonly snapshot: Snapshot;
  readonly policy: Policy;
  readonly costModel: CostModel;
  readonly now: number;
  readonly options?: PlanOptions;
  /** The price book used, when it is not the snapshot's own. */
  readonly prices?: ReadonlyMap<string, bigint>;
};

/** Stable id of a plan: hex SHA-256 of the canonical JSON of its inputs. */
export const planId = (inputs: PlanInputs): string =>
  hashOf({
    v: 1,
    snapshot: inputs.snapshot,
    policy: inputs.policy,
    costModel: inputs.costModel,
    now: inputs.now,
    options: inputs.options ?? {},
    prices: inputs.prices,
  });

/** A plan as JSON text: bigints as decimal strings, keys sorted, indented (`space` = 0 for one line). */
export const planToJSON = (plan: Plan, space = 2): string =>
  space === 0 ? canonicalJson(plan) : JSON.stringify(toJsonValue(plan), null, space);

/** All legs of a plan, chain by chain, in execution order. */
export const planLegs = (plan: Plan): Leg[] => plan.chains.flatMap((c) => c.legs);

/** True when the plan has nothing to do. */
export const isEmptyPlan = (plan: Plan): boolean =>
  plan.transfers.length === 0 && plan.chains.every((c) => c.legs.length === 0);

import type { CompiledCosts, ResolvedRoute } from "../cost.ts";
import { usdValue } from "../math.ts";
import type { AssetId, Composition, PriceBook } from "../model.ts";
import type { SwapLeg } from "../plan.ts";
import type { SleeveState } from "../state.ts";
import type { AssetRegistry } from "../valuation.ts";

/** Everything the flow solver reads that does not change between rounds. */
export type FlowContext = {
  readonly sleeves: readonly SleeveState[];
  readonly comps: readonly Composition[];
  readonly assets: AssetRegistry;
  readonly prices: PriceBook;
  readonly costs: CompiledCosts;
  readonly minTrade: bigint;
  readonly maxSlippageCbps: bigint;
  /** Cross-chain imbalances at or below this (USD wad) are left alone. */
  readonly crossTol: bigint;
  /** False in per-chain mode: no bridge is used. */
  readonly allowBridges: boolean;
  /** How bridges compete with swaps (policy.bridge), the premium in centi-bps. */
  readonly bridge: { readonly objective: "cost" | "least-bridging"; readonly premiumCbps: number };
};

/** A sleeve exit as solved: units released per asset and the share of the position. */
export type ExitDraft = {
  readonly i: number;
  readonly amounts: Map<AssetId, bigint>;
  readonly fraction: bigint;
  readonly usd: bigint;
};
/** A sleeve entry as solved: units delivered per asset (after upstream losses). */
export type EntryDraft = ExitDraft;
/** A swap as solved: a swap leg before it has a step and its gas. */
export type SwapDraft = Omit<SwapLeg, "type" | "step" | "gasUsd">;
/** A bridge transfer as solved. */
export type TransferDraft = {
  readonly route: ResolvedRoute;
  readonly amount: bigint;
  readonly received: bigint;
  readonly usd: bigint;
  readonly costUsd: bigint;
};

/** Cross-chain value that should move and cannot (no route), USD wad, with the chains at either end. */
export type Unmet = { readonly usd: bigint; readonly from: number[]; readonly to: number[] };

/**
 * The legs that realise a set of sleeve deltas, with what stays idle and what could not cross chains: what the phases
 * produced (exits from phase 1; unmet value and receiving chains from 2; swaps, transfers and their costs from 3;
 * entries, idle units and loss ratios from 4).
 */
export type FlowSolution = Pick<SleeveFlows, "exits"> &
  Pick<CrossChain, "unmet" | "receivers"> &
  Omit<ChainFlows, "available" | "bridgeOut"> &
  Deliveries;

/**
 * One (chain, asset) node of the flow network after phase 1: units its sources release and its sinks ask for.
 * Phases after the first read nodes and never change them.
 */
export type FlowNode = {
  readonly asset: AssetId;
  readonly chainId: number;
  readonly dec: number;
  readonly price: bigint;
  readonly released: bigint;
  readonly demand: bigint;
};

/** The nodes of the network by asset. */
export type Nodes = ReadonlyMap<AssetId, FlowNode>;

/** What one sink asks of one node: `units` (grossed up for upstream losses) for a `need` of units. */
export type SinkPart = { readonly asset: AssetId; readonly units: bigint; readonly need: bigint };

/** A sleeve entry before deliveries. A debt repay has a `cap` (the debt) and is `full` when it repays all of it. */
export type SinkDraft = {
  readonly i: number;
  readonly fraction: bigint;
  readonly parts: readonly SinkPart[];
  readonly cap?: bigint;
  readonly full?: boolean;
};

/** Phase 1's record: nodes with their releases and demands, the exits, and the sinks to serve. */
export type SleeveFlows = {
  readonly nodes: Nodes;
  readonly exits: readonly ExitDraft[];
  readonly sinks: readonly SinkDraft[];
  /**
   * Nodes a multi-asset sink (LP) worth at least the minimum trade asks for: a swap into one is part of that entry,
   * kept below the minimum trade (without it the entry gets none of its other assets either).
   */
  readonly parts: ReadonlySet<AssetId>;
};

/** A bridge transfer the cross-chain phase chose: `usd` leaves the node `from` over `route`. */
export type PlannedTransfer = { readonly route: ResolvedRoute; readonly usd: bigint; readonly from: AssetId };

/** Phase 2's record: the transfers to make, the chains at their ends, and what no route could carry. */
export type CrossChain = {
  readonly planned: readonly PlannedTransfer[];
  readonly senders: ReadonlySet<number>;
  /** Chains that receive transfers. */
  readonly receivers: ReadonlySet<number>;
  /** Cross-chain imbalance no bridge could carry (beyond `crossTol`), or null. */
  readonly unmet: Unmet | null;
};

/** Phase 3's record: swaps and transfers as made, their costs, and per node what it holds and bridges out. */
export type ChainFlows = {
  readonly swaps: readonly SwapDraft[];
  readonly transfers: readonly TransferDraft[];
  /** Swap fees + slippage per chain. */
  readonly chainCost: ReadonlyMap<number, bigint>;
  readonly feesUsd: bigint;
  readonly slippageUsd: bigint;
  readonly bridgeUsd: bigint;
  /** Units a node holds after its chain's swaps and inbound transfers. */
  readonly available: ReadonlyMap<AssetId, bigint>;
  /** Units a node really bridges out. */
  readonly bridgeOut: ReadonlyMap<AssetId, bigint>;
};

/** Phase 4's record: the entries as delivered, what stays idle, and each sink node's loss ratio. */
export type Deliveries = {
  readonly entries: readonly EntryDraft[];
  /** Units left idle per asset after the plan (rounding, dropped swaps, unmatched value). */
  readonly residual: ReadonlyMap<AssetId, bigint>;
  /** Per asset with sinks: what the node could give them / what they asked (wad); losses upstream make it < 1. */
  readonly nodeRho: ReadonlyMap<AssetId, bigint>;
};

/** The node of `asset`: internal error if the registry or the price book lacks it (the planner checked both). */
export function flowNode(ctx: FlowContext, asset: AssetId): FlowNode {
  const a = ctx.assets.get(asset);
  const price = ctx.prices.get(asset);
  if (!a || price === undefined) throw new Error(`internal: asset ${asset} without registry entry or price`);
  return { asset, chainId: a.chainId, dec: a.decimals, price, released: 0n, demand: 0n };
}

/** Nodes grouped per chain, each group sorted by asset id; chains in ascending order. */
export function nodesByChain(nodes: Nodes): Map<number, FlowNode[]> {
  const byChain = new Map<number, FlowNode[]>();
  const sorted = [...nodes.values()].sort((a, b) => (a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0));
  for (const n of sorted) {
    const list = byChain.get(n.chainId);
    if (list) list.push(n);
    else byChain.set(n.chainId, [n]);
  }
  return new Map([...byChain].sort((a, b) => a[0] - b[0]));
}

/** Signed USD value of a node's net units (released − demand): surpluses round down, deficits up. */
export function netUsd(n: FlowNode): bigint {
  const u = n.released - n.demand;
  return u >= 0n ? usdValue(u, n.dec, n.price) : -usdValue(-u, n.dec, n.price, "up");
}

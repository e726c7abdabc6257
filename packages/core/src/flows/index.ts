import type { AssetId } from "../model.ts";
import { chainSwaps } from "./chains.ts";
import { crossChainFlows } from "./cross.ts";
import { deliveries } from "./deliver.ts";
import { sleeveFlows } from "./sleeves.ts";
import {
  type CrossChain,
  type FlowContext,
  type FlowNode,
  type FlowSolution,
  flowNode,
  type Nodes,
} from "./types.ts";

export { shareOfShortfall } from "./match.ts";
export type * from "./types.ts";

/**
 * Turns signed sleeve deltas (USD wad; + sink, − source) into legs, in four pure phases, each a record for the next:
 * 1. {@link sleeveFlows}: exits release units, entries ask for units per composition; netted per (chain, asset) node
 *    — same-asset flows cancel for free;
 * 2. {@link crossChainFlows}: which value crosses chains, over which bridges (an exact min-cost flow on a small graph);
 * 3. {@link chainSwaps}: per chain, surpluses swapped into deficits; transfers sent; losses propagate downstream;
 * 4. {@link deliveries}: what each sink gets, what stays idle, and each node's loss ratio for the next pass.
 * `full[i]` marks sleeves that leave entirely (exit everything / repay all); `grossUp` is the previous pass's loss
 * ratio per sink node.
 */
export function solveFlows(
  ctx: FlowContext,
  d: readonly bigint[],
  full: readonly boolean[],
  grossUp: ReadonlyMap<AssetId, bigint> = new Map(),
): FlowSolution {
  const sleeves = sleeveFlows(ctx, d, full, grossUp);
  const cross = crossChainFlows(ctx, sleeves.nodes);
  const nodes = withEndpoints(ctx, sleeves.nodes, cross);
  const chains = chainSwaps(ctx, nodes, cross, sleeves.parts);
  const { entries, residual, nodeRho } = deliveries(nodes, sleeves.sinks, chains);
  const { swaps, transfers, feesUsd, slippageUsd, bridgeUsd, chainCost } = chains;
  const { unmet, receivers } = cross;
  return {
    exits: sleeves.exits,
    entries,
    swaps,
    transfers,
    residual,
    feesUsd,
    slippageUsd,
    bridgeUsd,
    chainCost,
    unmet,
    receivers,
    nodeRho,
  };
}

/** Bridge endpoints may be new nodes: a token with no sleeve flow that carries value across. */
function withEndpoints(ctx: FlowContext, nodes: Nodes, cross: CrossChain): Nodes {
  const out = new Map<AssetId, FlowNode>(nodes);
  for (const t of cross.planned)
    for (const a of [t.route.fromAsset, t.route.toAsset]) if (!out.has(a)) out.set(a, flowNode(ctx, a));
  return out;
}

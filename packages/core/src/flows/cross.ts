import type { ResolvedRoute } from "../cost.ts";
import { minCostFlow } from "../flow.ts";
import { min } from "../math.ts";
import { cheapestCrossing } from "./cheapest.ts";
import { addRoute, crossingOf, type Graph, hubsAndTokens, spreadCbps } from "./graph.ts";
import {
  type CrossChain,
  type FlowContext,
  type FlowNode,
  type Nodes,
  netUsd,
  nodesByChain,
} from "./types.ts";

const BIG = 1_000_000_000; // centi-bps: lexicographic weight of cross-chain volume over every other cost

const NONE: CrossChain = { planned: [], senders: new Set(), receivers: new Set(), unmet: null };

/**
 * Phase 2: which value crosses chains, and over which routes — an exact min-cost flow on a small graph, in one of two
 * models (`policy.bridge.objective`):
 * - `"cost"` ({@link cheapestCrossing}): bridges compete with swaps on their true cost, also where per-chain totals
 *   need not change (mirror imbalances on two chains);
 * - `"least-bridging"`: only when one chain has more than it needs and another less (beyond `crossTol`); bridge
 *   arcs carry a big-M weight, so cross-chain volume is the least possible, then the cheapest.
 * With no route, the least-bridging model finds what cannot cross (`unmet`).
 */
export function crossChainFlows(ctx: FlowContext, nodes: Nodes): CrossChain {
  const byChain = nodesByChain(nodes);
  const routes = ctx.allowBridges
    ? ctx.costs.routes.filter((r) => byChain.has(r.fromChainId) && byChain.has(r.toChainId))
    : [];
  if (ctx.bridge.objective === "cost" && routes.length > 0) return cheapestCrossing(ctx, byChain, routes);
  const chainTotal = new Map<number, bigint>();
  for (const [c, ns] of byChain)
    chainTotal.set(
      c,
      ns.reduce((a, n) => a + netUsd(n), 0n),
    );
  const totals = [...chainTotal.values()];
  const needsCross = totals.some((t) => t > ctx.crossTol) && totals.some((t) => -t > ctx.crossTol);
  if (!needsCross) return NONE;
  const g = reducedGraph(ctx, byChain, routes, chainTotal);
  return crossingOf(ctx, g, minCostFlow(g.supply.length, g.supply, g.arcs));
}

/**
 * The least-bridging graph: per chain a swap hub holding the non-bridgeable assets, one node per bridgeable token;
 * token → hub costs the chain's swap, hub → token nothing, a bridge big-M + its fee + its fixed cost spread over the
 * most that can cross. Its size depends on chains × bridgeable symbols, not on the number of holdings.
 */
function reducedGraph(
  ctx: FlowContext,
  byChain: ReadonlyMap<number, readonly FlowNode[]>,
  routes: readonly ResolvedRoute[],
  chainTotal: ReadonlyMap<number, bigint>,
): Graph {
  const { g, bridged } = hubsAndTokens(ctx, byChain, routes);
  for (const [c, ns] of byChain)
    for (const n of ns) {
      const k = (bridged.has(n.asset) ? g.tokens.get(n.asset) : g.hubs.get(c)) as number;
      g.supply[k] = (g.supply[k] as bigint) + netUsd(n);
    }
  for (const r of routes) {
    const out = chainTotal.get(r.fromChainId) as bigint;
    const inn = chainTotal.get(r.toChainId) as bigint;
    const est = out > 0n && inn < 0n ? min(out, -inn) : 0n;
    if (est <= ctx.crossTol) continue;
    addRoute(g, r, BIG + r.feeCbps + spreadCbps(r.fixedUsd, est, BIG));
  }
  return g;
}

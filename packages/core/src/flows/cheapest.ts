import { CBPS, type ResolvedRoute } from "../cost.ts";
import { type FlowArc, type FlowResult, minCostFlow } from "../flow.ts";
import { addNode, addRoute, crossingOf, type Graph, hubsAndTokens, spreadCbps } from "./graph.ts";
import { type CrossChain, type FlowContext, type FlowNode, netUsd } from "./types.ts";

/** Fixed costs are spread over an estimate of the flow; the estimate is refined from the solved flow this often. */
const REFITS = 4;
/** Largest per-unit cost (centi-bps) a fixed cost is spread into: a route that would cost more is as good as closed. */
const MAX_SPREAD = 1_000_000_000;

type Solved = { readonly g: Graph; readonly res: FlowResult; readonly cost: bigint };

/**
 * The `"cost"` model of phase 2: per chain a swap hub and one node per asset; leaving an asset for the hub costs the
 * chain's swap (fee + slippage), coming back nothing, so every swap is charged once (see {@link costGraph}); a bridge costs its fee + the
 * policy's premium per unit and its fixed cost per transfer. The fixed cost makes the problem a fixed-charge flow:
 * it is spread over an estimate of the route's flow (first the most that could cross, then the flow last solved) and
 * the cheapest solution by true cost is kept, then improved by closing the routes it pays for one at a time
 * ({@link dropRoutes}). A route whose flow falls below the minimum trade is closed and the
 * graph solved again, so the transfers that remain carry the value the solution moves across chains — unless that
 * strands value no other route carries: then it stays open and its transfer is dropped (as in least bridging).
 */
export function cheapestCrossing(
  ctx: FlowContext,
  byChain: ReadonlyMap<number, readonly FlowNode[]>,
  routes: readonly ResolvedRoute[],
): CrossChain {
  // Each node's net value, valued once for every graph below.
  const net = new Map<FlowNode, bigint>();
  let surplus = 0n;
  let deficit = 0n;
  for (const ns of byChain.values())
    for (const n of ns) {
      const v = netUsd(n);
      net.set(n, v);
      if (v > 0n) surplus += v;
      else deficit -= v;
    }
  const most = surplus < deficit ? surplus : deficit;
  const est = new Map<ResolvedRoute, bigint>(routes.map((r) => [r, most]));
  // Each route's cost per unit at its estimate, recomputed only when the estimate moves.
  const cost = new Map<ResolvedRoute, number>(routes.map((r) => [r, routeCbps(ctx, r, most)]));
  let open = routes;
  const kept = new Set<ResolvedRoute>();
  let best: Solved | undefined;
  let last: { open: readonly ResolvedRoute[]; stranded: boolean } | undefined;
  for (let refit = 0; refit < REFITS; ) {
    const g = costGraph(ctx, byChain, net, open, cost);
    const res = minCostFlow(g.supply.length, g.supply, g.arcs);
    const stranded = crossingOf(ctx, g, res).unmet !== null;
    if (last && stranded && !last.stranded) {
      // Closing the small routes strands value no other route can carry: keep them (the transfer is dropped later).
      for (const r of last.open) if (!open.includes(r)) kept.add(r);
      open = last.open;
      last = undefined;
      continue;
    }
    const small = belowMinimum(ctx, g, res).filter(({ r }) => !kept.has(r));
    if (small.length > 0) {
      last = { open, stranded };
      open = open.filter((r) => !small.some((x) => x.r === r));
      continue;
    }
    last = undefined;
    const total = trueCost(ctx, g, res);
    if (!best || total < best.cost) best = { g, res, cost: total };
    refit++;
    let moved = false;
    for (const { r, arc } of g.routeArcs) {
      const f = res.flows[arc] as bigint;
      if (r.fixedUsd > 0n && f > 0n && f !== est.get(r)) {
        est.set(r, f);
        cost.set(r, routeCbps(ctx, r, f));
        moved = true;
      }
    }
    if (!moved) break;
  }
  const { g, res } = dropRoutes(ctx, byChain, net, cost, best as Solved);
  return crossingOf(ctx, g, res);
}

/**
 * A local search from the kept solution: each route it pays a fixed cost for is closed in turn and the graph solved
 * again at the last estimates; a solution that costs less in truth, strands nothing and sends nothing below the
 * minimum trade replaces it. Spreading fixed costs over estimates cannot see that one route carrying it all (or through
 * a third chain) costs less than two routes each carrying a part; closing one of the two shows it.
 */
function dropRoutes(
  ctx: FlowContext,
  byChain: ReadonlyMap<number, readonly FlowNode[]>,
  net: ReadonlyMap<FlowNode, bigint>,
  cost: ReadonlyMap<ResolvedRoute, number>,
  start: Solved,
): Solved {
  let best = start;
  const paid = (s: Solved) =>
    s.g.routeArcs
      .filter(({ r, arc }) => r.fixedUsd > 0n && (s.res.flows[arc] as bigint) > 0n)
      .map(({ r }) => r);
  for (const r of paid(start)) {
    if (!paid(best).includes(r)) continue;
    const open = best.g.routeArcs.map((a) => a.r).filter((x) => x !== r);
    const g = costGraph(ctx, byChain, net, open, cost);
    const res = minCostFlow(g.supply.length, g.supply, g.arcs);
    if (belowMinimum(ctx, g, res).length > 0 || crossingOf(ctx, g, res).unmet !== null) continue;
    const total = trueCost(ctx, g, res);
    if (total < best.cost) best = { g, res, cost: total };
  }
  return best;
}

/** The route arcs of a solved graph that carry something, but less than the minimum trade. */
const belowMinimum = (ctx: FlowContext, g: Graph, res: FlowResult) =>
  g.routeArcs.filter(({ arc }) => {
    const f = res.flows[arc] as bigint;
    return f > 0n && f < ctx.minTrade;
  });

/** A route's cost per unit (centi-bps): its fee, the policy's premium, and its fixed cost spread over `est` of flow. */
const routeCbps = (ctx: FlowContext, r: ResolvedRoute, est: bigint): number =>
  r.feeCbps + ctx.bridge.premiumCbps + spreadCbps(r.fixedUsd, est, MAX_SPREAD);

/**
 * The graph of the cost model, each node with its `net` value (USD wad) and each route at its `cost` per unit
 * ({@link routeCbps}). Per chain, assets no route carries are pooled: their surpluses in one source node (→ hub: one
 * swap), their deficits at the hub — the same optimum as a node per asset, on a graph whose size depends on chains ×
 * bridgeable tokens only.
 */
function costGraph(
  ctx: FlowContext,
  byChain: ReadonlyMap<number, readonly FlowNode[]>,
  net: ReadonlyMap<FlowNode, bigint>,
  routes: readonly ResolvedRoute[],
  cost: ReadonlyMap<ResolvedRoute, number>,
): Graph {
  const { g, bridged } = hubsAndTokens(ctx, byChain, routes);
  for (const [c, ns] of byChain) {
    const hub = g.hubs.get(c) as number;
    let src: number | undefined;
    for (const n of ns) {
      const v = net.get(n) as bigint;
      let k: number;
      if (bridged.has(n.asset)) k = g.tokens.get(n.asset) as number;
      else if (v > 0n) {
        if (src === undefined) {
          src = addNode(g, { chainId: c });
          g.arcs.push({ from: src, to: hub, cost: ctx.costs.chainSwapCbps(c) });
        }
        k = src;
      } else k = hub;
      g.supply[k] = (g.supply[k] as bigint) + v;
    }
  }
  for (const r of routes) addRoute(g, r, cost.get(r) as number);
  return g;
}

/** The objective of a solved cost graph: swaps and bridges per unit (premium included), fixed costs per route used. */
function trueCost(ctx: FlowContext, g: Graph, res: FlowResult): bigint {
  // The route arcs come last ({@link costGraph}): the arcs before the first are swaps.
  const routesFrom = g.routeArcs[0]?.arc ?? g.arcs.length;
  let perUnit = 0n;
  let fixed = 0n;
  for (let k = 0; k < routesFrom; k++) {
    const f = res.flows[k] as bigint;
    if (f !== 0n) perUnit += f * BigInt((g.arcs[k] as FlowArc).cost);
  }
  for (const { r, arc } of g.routeArcs) {
    const f = res.flows[arc] as bigint;
    if (f === 0n) continue;
    perUnit += f * BigInt(r.feeCbps + ctx.bridge.premiumCbps);
    fixed += r.fixedUsd;
  }
  return perUnit / CBPS + fixed;
}

import { CBPS, type ResolvedRoute } from "../cost.ts";
import { type FlowResult, minCostFlow } from "../flow.ts";
import { min } from "../math.ts";
import type { AssetId } from "../model.ts";
import {
  type CrossChain,
  type FlowContext,
  type FlowNode,
  type Nodes,
  netUsd,
  nodesByChain,
  type PlannedTransfer,
  type Unmet,
} from "./types.ts";

const BIG = 1_000_000_000; // centi-bps: lexicographic weight of cross-chain volume over every other cost

/** A node of the reduced cross-chain graph: a chain's swap hub, or a bridgeable token. */
type Label = { readonly chainId: number; readonly asset?: AssetId };

/** The reduced graph: per chain a swap hub plus one node per bridgeable token, with their supplies (USD wad). */
type Graph = {
  readonly supply: bigint[];
  readonly labels: Label[];
  readonly index: Map<string, number>;
  readonly arcs: { from: number; to: number; cost: number }[];
  readonly routeArcs: { r: ResolvedRoute; arc: number }[];
};

/**
 * Phase 2: which value crosses chains, and over which routes. Only when one chain has more than it needs and another
 * less (beyond `crossTol`): an exact min-cost flow on a small graph (per chain a swap hub plus the bridgeable tokens);
 * bridge arcs carry a big-M weight, so cross-chain volume is the least possible, then the cheapest.
 */
export function crossChainFlows(ctx: FlowContext, nodes: Nodes): CrossChain {
  const byChain = nodesByChain(nodes);
  const chainTotal = new Map<number, bigint>();
  for (const [c, ns] of byChain)
    chainTotal.set(
      c,
      ns.reduce((a, n) => a + netUsd(n), 0n),
    );
  const totals = [...chainTotal.values()];
  const needsCross = totals.some((t) => t > ctx.crossTol) && totals.some((t) => -t > ctx.crossTol);
  if (!needsCross) return { planned: [], senders: new Set(), receivers: new Set(), unmet: null };
  const routes = ctx.allowBridges
    ? ctx.costs.routes.filter((r) => byChain.has(r.fromChainId) && byChain.has(r.toChainId))
    : [];
  const g = reducedGraph(ctx, byChain, routes, chainTotal);
  const res = minCostFlow(g.supply.length, g.supply, g.arcs);
  const planned: PlannedTransfer[] = [];
  const senders = new Set<number>();
  const receivers = new Set<number>();
  for (const { r, arc } of g.routeArcs) {
    const f = res.flows[arc] as bigint;
    if (f <= 0n || f < ctx.minTrade) continue;
    planned.push({ route: r, usd: f, from: r.fromAsset });
    senders.add(r.fromChainId);
    receivers.add(r.toChainId);
  }
  return { planned, senders, receivers, unmet: unmetOf(ctx, res, g.labels) };
}

function reducedGraph(
  ctx: FlowContext,
  byChain: ReadonlyMap<number, readonly FlowNode[]>,
  routes: readonly ResolvedRoute[],
  chainTotal: ReadonlyMap<number, bigint>,
): Graph {
  const g: Graph = { supply: [], labels: [], index: new Map(), arcs: [], routeArcs: [] };
  const id = (key: string, label: Label) => {
    let k = g.index.get(key);
    if (k === undefined) {
      k = g.supply.length;
      g.index.set(key, k);
      g.supply.push(0n);
      g.labels.push(label);
    }
    return k;
  };
  for (const c of byChain.keys()) id(`hub|${c}`, { chainId: c });
  const bridgeable = new Set<AssetId>();
  for (const r of routes) {
    bridgeable.add(r.fromAsset);
    bridgeable.add(r.toAsset);
  }
  const tokens = [...bridgeable].sort();
  for (const a of tokens)
    id(`x|${a}`, { chainId: (ctx.assets.get(a) as { chainId: number }).chainId, asset: a });
  for (const [c, ns] of byChain)
    for (const n of ns) {
      const k = g.index.get(bridgeable.has(n.asset) ? `x|${n.asset}` : `hub|${c}`) as number;
      g.supply[k] = (g.supply[k] as bigint) + netUsd(n);
    }
  for (const a of tokens) {
    const x = g.index.get(`x|${a}`) as number;
    const chainId = (g.labels[x] as Label).chainId;
    const hub = g.index.get(`hub|${chainId}`) as number;
    g.arcs.push({ from: x, to: hub, cost: ctx.costs.chainSwapCbps(chainId) });
    g.arcs.push({ from: hub, to: x, cost: 0 });
  }
  for (const r of routes) {
    const out = chainTotal.get(r.fromChainId) as bigint;
    const inn = chainTotal.get(r.toChainId) as bigint;
    const est = out > 0n && inn < 0n ? min(out, -inn) : 0n;
    if (est <= ctx.crossTol) continue;
    const fixed = Number((r.fixedUsd * CBPS + est - 1n) / est);
    g.routeArcs.push({ r, arc: g.arcs.length });
    g.arcs.push({
      from: g.index.get(`x|${r.fromAsset}`) as number,
      to: g.index.get(`x|${r.toAsset}`) as number,
      cost: BIG + r.feeCbps + Math.min(fixed, BIG),
    });
  }
  return g;
}

/** Unmet on both sides means value that should have crossed and could not; one-sided is only rounding or losses. */
function unmetOf(ctx: FlowContext, res: FlowResult, labels: readonly Label[]): Unmet | null {
  let unmetDemand = 0n;
  let unmetSupply = 0n;
  const fromC = new Set<number>();
  const toC = new Set<number>();
  res.unmetDemand.forEach((u, k) => {
    if (u > 0n) {
      unmetDemand += u;
      toC.add((labels[k] as Label).chainId);
    }
  });
  res.unmetSupply.forEach((u, k) => {
    if (u > 0n) {
      unmetSupply += u;
      fromC.add((labels[k] as Label).chainId);
    }
  });
  const usd = unmetDemand < unmetSupply ? unmetDemand : unmetSupply;
  if (usd <= ctx.crossTol) return null;
  return { usd, from: [...fromC].sort((a, b) => a - b), to: [...toC].sort((a, b) => a - b) };
}

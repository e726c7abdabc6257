import { CBPS, type ResolvedRoute } from "../cost.ts";
import type { FlowArc, FlowResult } from "../flow.ts";
import type { AssetId } from "../model.ts";
import type { CrossChain, FlowContext, FlowNode, PlannedTransfer, Unmet } from "./types.ts";

/** A node of a cross-chain graph: a chain's swap hub, or an asset on it. */
export type Label = { readonly chainId: number; readonly asset?: AssetId };

/** A cross-chain flow network: supplies (USD wad) and labels per node, arcs, and which arcs are bridge routes. */
export type Graph = {
  readonly supply: bigint[];
  readonly labels: Label[];
  readonly index: Map<string, number>;
  readonly arcs: FlowArc[];
  readonly routeArcs: { r: ResolvedRoute; arc: number }[];
};

/** An empty graph and `id(key, label)`, which gives the node of `key`, adding it on first use. */
export function newGraph(): { g: Graph; id: (key: string, label: Label) => number } {
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
  return { g, id };
}

/**
 * The part both cross-chain graphs share: a swap hub per chain, then a node per token a route carries (`x|asset`,
 * sorted), with token → hub at the chain's swap cost and hub → token free. Returns the graph, `id` and those tokens.
 */
export function hubsAndTokens(
  ctx: FlowContext,
  byChain: ReadonlyMap<number, readonly FlowNode[]>,
  routes: readonly ResolvedRoute[],
): { g: Graph; id: (key: string, label: Label) => number; bridged: ReadonlySet<AssetId> } {
  const { g, id } = newGraph();
  for (const c of byChain.keys()) id(`hub|${c}`, { chainId: c });
  const bridged = new Set<AssetId>();
  for (const r of routes) bridged.add(r.fromAsset).add(r.toAsset);
  for (const a of [...bridged].sort()) {
    const chainId = (ctx.assets.get(a) as { chainId: number }).chainId;
    const x = id(`x|${a}`, { chainId, asset: a });
    const hub = g.index.get(`hub|${chainId}`) as number;
    g.arcs.push({ from: x, to: hub, cost: ctx.costs.chainSwapCbps(chainId) });
    g.arcs.push({ from: hub, to: x, cost: 0 });
  }
  return { g, id, bridged };
}

/** A route's fixed cost (USD wad) spread over `est` of flow, in centi-bps, at most `cap` (also when `est` ≤ 0). */
export function spreadCbps(fixedUsd: bigint, est: bigint, cap: number): number {
  if (fixedUsd === 0n) return 0;
  if (est <= 0n) return cap;
  return Math.min(Number((fixedUsd * CBPS + est - 1n) / est), cap);
}

/** Adds the arc of route `r` between its token nodes at `cost`, and records it as a route arc. */
export function addRoute(g: Graph, r: ResolvedRoute, cost: number): void {
  g.routeArcs.push({ r, arc: g.arcs.length });
  g.arcs.push({
    from: g.index.get(`x|${r.fromAsset}`) as number,
    to: g.index.get(`x|${r.toAsset}`) as number,
    cost,
  });
}

/** The transfers a solved graph makes (none below the minimum trade), and what it could not carry. */
export function crossingOf(ctx: FlowContext, g: Graph, res: FlowResult): CrossChain {
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

import { CBPS, type ResolvedRoute } from "../cost.ts";
import type { FlowArc, FlowResult } from "../flow.ts";
import type { AssetId } from "../model.ts";
import type { CrossChain, FlowContext, FlowNode, PlannedTransfer, Unmet } from "./types.ts";

/** A node of a cross-chain graph: a chain's swap hub, or an asset on it. */
export type Label = { readonly chainId: number; readonly asset?: AssetId };

/**
 * A cross-chain flow network: supplies (USD wad) and labels per node, arcs, and which arcs are bridge routes; the
 * node of each chain's swap hub and of each token a route carries (looked up by chain and asset, no string keys).
 */
export type Graph = {
  readonly supply: bigint[];
  readonly labels: Label[];
  readonly hubs: Map<number, number>;
  readonly tokens: Map<AssetId, number>;
  readonly arcs: FlowArc[];
  readonly routeArcs: { r: ResolvedRoute; arc: number }[];
};

/** Adds a node with no supply; returns its index. */
export function addNode(g: Graph, label: Label): number {
  g.supply.push(0n);
  g.labels.push(label);
  return g.supply.length - 1;
}

/**
 * The part both cross-chain graphs share: a swap hub per chain, then a node per token a route carries (sorted), with
 * token → hub at the chain's swap cost and hub → token free. Returns the graph and those tokens.
 */
export function hubsAndTokens(
  ctx: FlowContext,
  byChain: ReadonlyMap<number, readonly FlowNode[]>,
  routes: readonly ResolvedRoute[],
): { g: Graph; bridged: ReadonlySet<AssetId> } {
  const g: Graph = { supply: [], labels: [], hubs: new Map(), tokens: new Map(), arcs: [], routeArcs: [] };
  for (const c of byChain.keys()) g.hubs.set(c, addNode(g, { chainId: c }));
  const bridged = new Set<AssetId>();
  for (const r of routes) bridged.add(r.fromAsset).add(r.toAsset);
  for (const a of [...bridged].sort()) {
    const chainId = (ctx.assets.get(a) as { chainId: number }).chainId;
    const x = addNode(g, { chainId, asset: a });
    g.tokens.set(a, x);
    const hub = g.hubs.get(chainId) as number;
    g.arcs.push({ from: x, to: hub, cost: ctx.costs.chainSwapCbps(chainId) });
    g.arcs.push({ from: hub, to: x, cost: 0 });
  }
  return { g, bridged };
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
  g.arcs.push({ from: g.tokens.get(r.fromAsset) as number, to: g.tokens.get(r.toAsset) as number, cost });
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

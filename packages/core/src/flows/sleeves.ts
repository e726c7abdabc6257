import { amountFor, min, mulDiv, usdValue, WAD } from "../math.ts";
import type { AssetId, Composition } from "../model.ts";
import type { SleeveState } from "../state.ts";
import {
  type ExitDraft,
  type FlowContext,
  type FlowNode,
  flowNode,
  type Nodes,
  type SinkDraft,
  type SinkPart,
  type SleeveFlows,
} from "./types.ts";

/** A node as phase 1 builds it: its releases and demands added up in place (the book owns it). */
type Tally = { -readonly [K in keyof FlowNode]: FlowNode[K] };

/** Nodes as phase 1 builds them: created on first use. */
type Book = {
  readonly nodes: Map<AssetId, Tally>;
  node(asset: AssetId): Tally;
};

function book(ctx: FlowContext): Book {
  const nodes = new Map<AssetId, Tally>();
  const node = (asset: AssetId): Tally => {
    let n = nodes.get(asset);
    if (!n) {
      n = flowNode(ctx, asset);
      nodes.set(asset, n);
    }
    return n;
  };
  return { nodes, node };
}

/**
 * Phase 1: signed sleeve deltas (USD wad; + sink, − source) → units per (chain, asset) node. A source releases a
 * share of each holding (a borrow: units of the debt asset); a sink asks for units per its composition, grossed up
 * by `grossUp` (the share of its ask each node delivered last pass). `full[i]` marks sleeves that leave entirely.
 */
export function sleeveFlows(
  ctx: FlowContext,
  d: readonly bigint[],
  full: readonly boolean[],
  grossUp: ReadonlyMap<AssetId, bigint>,
): SleeveFlows {
  const b = book(ctx);
  const exits: ExitDraft[] = [];
  const sinks: SinkDraft[] = [];
  d.forEach((delta, i) => {
    if (delta === 0n) return;
    const s = ctx.sleeves[i] as SleeveState;
    const comp = ctx.comps[i] as Composition;
    if (delta < 0n) {
      const exit = exitOf(b, s, comp, i, delta, full[i] === true);
      if (exit) exits.push(exit);
    } else {
      const sink = sinkOf(b, s, comp, i, delta, full[i] === true, grossUp);
      if (sink) sinks.push(sink);
    }
  });
  return { nodes: b.nodes, exits, sinks, parts: partNodes(ctx, b.nodes, sinks) };
}

/** The nodes multi-asset sinks worth at least the minimum trade ask for ({@link SleeveFlows.parts}). */
function partNodes(ctx: FlowContext, nodes: Nodes, sinks: readonly SinkDraft[]): Set<AssetId> {
  const parts = new Set<AssetId>();
  for (const s of sinks) {
    if (s.parts.length < 2) continue;
    const usd = s.parts.reduce((a, p) => {
      const n = nodes.get(p.asset) as FlowNode;
      return a + usdValue(p.need, n.dec, n.price);
    }, 0n);
    if (usd >= ctx.minTrade) for (const p of s.parts) parts.add(p.asset);
  }
  return parts;
}

function exitOf(
  b: Book,
  s: SleeveState,
  comp: Composition,
  i: number,
  delta: bigint,
  full: boolean,
): ExitDraft | undefined {
  const amounts = new Map<AssetId, bigint>();
  let fraction = 0n;
  if (s.sleeve.kind === "debt") {
    const asset = (comp[0] as { asset: AssetId }).asset;
    const n = b.node(asset);
    const units = amountFor(-delta, n.dec, n.price);
    if (units > 0n) amounts.set(asset, units);
  } else {
    if (s.valueUsd <= 0n) return undefined;
    fraction = full ? WAD : mulDiv(-delta, WAD, s.valueUsd);
    if (fraction > WAD) fraction = WAD;
    for (const [asset, u] of s.units) {
      const units = fraction === WAD ? u : mulDiv(u, -delta, s.valueUsd);
      if (units > 0n) amounts.set(asset, units);
    }
  }
  let usd = 0n;
  for (const [asset, units] of amounts) {
    const n = b.node(asset);
    n.released += units;
    usd += usdValue(units, n.dec, n.price);
  }
  return amounts.size > 0 ? { i, amounts, fraction, usd } : undefined;
}

/** Units to ask for a need: more where the last pass lost value on the way (fees, slippage, bridges). */
const grossed = (need: bigint, g: bigint | undefined) =>
  g === undefined ? need : mulDiv(need, WAD, g, "up");

function sinkOf(
  b: Book,
  s: SleeveState,
  comp: Composition,
  i: number,
  delta: bigint,
  full: boolean,
  grossUp: ReadonlyMap<AssetId, bigint>,
): SinkDraft | undefined {
  const parts: SinkPart[] = [];
  if (s.sleeve.kind === "debt") {
    const asset = (comp[0] as { asset: AssetId }).asset;
    const n = b.node(asset);
    const owed = -(s.units.get(asset) ?? 0n);
    let need = full ? owed : amountFor(delta, n.dec, n.price);
    if (need > owed) need = owed;
    // The demand is grossed up for the losses on the way (so the swaps feeding it buy enough); what is delivered is
    // capped at the debt (`cap`).
    const units = grossed(need, grossUp.get(asset));
    if (units > 0n) parts.push({ asset, units, need });
    const fraction = owed > 0n ? (full ? WAD : mulDiv(min(units, owed), WAD, owed)) : 0n;
    for (const p of parts) b.node(p.asset).demand += p.units;
    return parts.length > 0 ? { i, fraction, parts, cap: owed, full } : undefined;
  }
  for (const c of comp) {
    const n = b.node(c.asset);
    const need = amountFor(mulDiv(delta, c.shareWad, WAD), n.dec, n.price);
    const units = grossed(need, grossUp.get(c.asset));
    if (units > 0n) parts.push({ asset: c.asset, units, need });
  }
  for (const p of parts) b.node(p.asset).demand += p.units;
  return parts.length > 0 ? { i, fraction: 0n, parts } : undefined;
}

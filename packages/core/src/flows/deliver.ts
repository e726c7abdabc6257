import { max, min, mulDiv, usdValue, WAD } from "../math.ts";
import type { AssetId } from "../model.ts";
import type { ChainFlows, Deliveries, EntryDraft, FlowNode, Nodes, SinkDraft, SinkPart } from "./types.ts";

/** How much of its ask each sink of a node gets (wad), full repays first. */
type Shares = {
  /** Units a node can give its sinks: what it holds less what it bridges out. */
  availableOf(asset: AssetId): bigint;
  /** Share of their ask the node's full repays get. */
  fullShareOf(asset: AssetId): bigint;
  /** Share of their ask the node's other sinks get (≥ 1 when losses were over-estimated: they take the excess). */
  shareOf(asset: AssetId): bigint;
};

function shares(nodes: Nodes, sinks: readonly SinkDraft[], flows: ChainFlows): Shares {
  const fullDemand = new Map<AssetId, bigint>();
  for (const s of sinks)
    if (s.full) for (const p of s.parts) fullDemand.set(p.asset, (fullDemand.get(p.asset) ?? 0n) + p.units);
  const availableOf = (a: AssetId) =>
    max(0n, (flows.available.get(a) ?? 0n) - (flows.bridgeOut.get(a) ?? 0n));
  const fullShareOf = (a: AssetId) => {
    const fd = fullDemand.get(a) ?? 0n;
    return fd > 0n ? min(WAD, mulDiv(availableOf(a), WAD, fd)) : WAD;
  };
  const cache = new Map<AssetId, bigint>();
  const shareOf = (a: AssetId) => {
    let r = cache.get(a);
    if (r === undefined) {
      const fd = fullDemand.get(a) ?? 0n;
      const rest = max(0n, availableOf(a) - mulDiv(fd, fullShareOf(a), WAD));
      const restDemand = (nodes.get(a) as FlowNode).demand - fd;
      r = restDemand > 0n ? mulDiv(rest, WAD, restDemand) : WAD;
      cache.set(a, r);
    }
    return r;
  };
  return { availableOf, fullShareOf, shareOf };
}

/**
 * Phase 4: deliveries. A node's sinks share what it has, less what it bridges out. A multi-asset sink (LP) gets the
 * same ratio of its need on every asset (the smallest), so its composition holds; the rest stays idle. A debt repaid
 * in full (target 0) is served first: sharing a shortfall with it would leave dust debt behind.
 */
export function deliveries(nodes: Nodes, sinks: readonly SinkDraft[], flows: ChainFlows): Deliveries {
  const sh = shares(nodes, sinks, flows);
  const delivered = new Map<AssetId, bigint>();
  const entries: EntryDraft[] = [];
  for (const s of sinks) {
    const entry = entryOf(nodes, sh, s);
    for (const [a, units] of entry.amounts) delivered.set(a, (delivered.get(a) ?? 0n) + units);
    if (entry.amounts.size > 0) entries.push(entry);
  }
  const residual = new Map<AssetId, bigint>();
  const nodeRho = new Map<AssetId, bigint>();
  for (const n of nodes.values()) {
    const r =
      (flows.available.get(n.asset) ?? 0n) -
      (flows.bridgeOut.get(n.asset) ?? 0n) -
      (delivered.get(n.asset) ?? 0n);
    if (r !== 0n) residual.set(n.asset, r);
  }
  // The node's loss ratio over all its sinks (full repays included): the next pass grosses its asks up by it.
  for (const n of nodes.values())
    if (n.demand > 0n) nodeRho.set(n.asset, mulDiv(sh.availableOf(n.asset), WAD, n.demand));
  return { entries, residual, nodeRho };
}

function entryOf(nodes: Nodes, sh: Shares, s: SinkDraft): EntryDraft {
  let give: bigint[];
  if (s.parts.length === 1) {
    const p = s.parts[0] as SinkPart;
    let units = mulDiv(p.units, s.full ? sh.fullShareOf(p.asset) : sh.shareOf(p.asset), WAD);
    // A repay never exceeds the debt (the node's excess stays idle).
    if (s.cap !== undefined && units > s.cap) units = s.cap;
    give = [units];
  } else {
    let ratio: bigint | undefined;
    for (const p of s.parts) {
      const r = mulDiv(mulDiv(p.units, sh.shareOf(p.asset), WAD), WAD, p.need);
      if (ratio === undefined || r < ratio) ratio = r;
    }
    give = s.parts.map((p) => mulDiv(p.need, ratio as bigint, WAD));
  }
  const amounts = new Map<AssetId, bigint>();
  let usd = 0n;
  s.parts.forEach((p, k) => {
    const units = give[k] as bigint;
    if (units <= 0n) return;
    const n = nodes.get(p.asset) as FlowNode;
    amounts.set(p.asset, units);
    usd += usdValue(units, n.dec, n.price);
  });
  // The share of the debt repaid is what is delivered over the debt, exactly: a repay that delivers all of it is whole
  // (WAD, a max repay), however its ask was sized (rescaling the ask's fraction rounded it to WAD − 1).
  const got = give.reduce((a, x) => a + x, 0n);
  const fraction = s.cap !== undefined && s.cap > 0n ? mulDiv(min(got, s.cap), WAD, s.cap) : s.fraction;
  return { i: s.i, amounts, fraction, usd };
}

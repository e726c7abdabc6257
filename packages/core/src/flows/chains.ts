import { CBPS } from "../cost.ts";
import { amountFor, mulDiv, usdValue, WAD } from "../math.ts";
import type { AssetId } from "../model.ts";
import { DUST_USD } from "./context.ts";
import { exactMatch, greedyMatch, type Side, shareOfShortfall, swapDraft } from "./match.ts";
import {
  type ChainFlows,
  type CrossChain,
  type FlowContext,
  type FlowNode,
  type Nodes,
  nodesByChain,
  type PlannedTransfer,
  type SwapDraft,
  type TransferDraft,
} from "./types.ts";

/** What phase 3 tracks per node while it walks the chains (local to the phase). */
type Ledger = {
  readonly n: FlowNode;
  /** USD the cross-chain phase sends out of the node, and the units that takes. */
  bridgeOutUsd: bigint;
  bridgeOutPlanned: bigint;
  /** Units really sent: less than planned when the node is short. */
  bridgeOutActual: bigint;
  bridgeIn: bigint;
  swapOut: bigint;
  swapIn: bigint;
  available: bigint;
};

/** The legs and costs phase 3 adds up over the chains (local to the phase). */
type Made = {
  readonly swaps: SwapDraft[];
  readonly transfers: TransferDraft[];
  readonly chainCost: Map<number, bigint>;
  feesUsd: bigint;
  slippageUsd: bigint;
  bridgeUsd: bigint;
};

type Ledgers = ReadonlyMap<AssetId, Ledger>;

/**
 * Phase 3: per chain, surpluses are swapped into deficits — greedy largest-first matching (exact for a uniform swap
 * cost), or an exact min-cost transportation when the chain has pair-specific costs; swaps below the minimum trade are
 * dropped, unless they feed a multi-asset entry that clears it (`parts`: the LP's other assets wait for that swap, so
 * dropping it would drop the whole entry; such a swap is kept down to {@link DUST_USD}). A chain is solved after the chains that send to it ({@link chainOrder}), so what a transfer delivers is
 * known before its chain swaps. Losses (fees, slippage, bridge cost) propagate downstream: a short node sends a
 * proportionally smaller bridge.
 */
export function chainSwaps(
  ctx: FlowContext,
  nodes: Nodes,
  cross: CrossChain,
  parts: ReadonlySet<AssetId>,
): ChainFlows {
  const ledgers = new Map<AssetId, Ledger>();
  for (const n of nodes.values())
    ledgers.set(n.asset, {
      n,
      bridgeOutUsd: 0n,
      bridgeOutPlanned: 0n,
      bridgeOutActual: 0n,
      bridgeIn: 0n,
      swapOut: 0n,
      swapIn: 0n,
      available: 0n,
    });
  for (const t of cross.planned) (ledgers.get(t.from) as Ledger).bridgeOutUsd += t.usd;
  const byChain = nodesByChain(nodes);
  const order = chainOrder([...byChain.keys()], cross);
  const made: Made = {
    swaps: [],
    transfers: [],
    chainCost: new Map(),
    feesUsd: 0n,
    slippageUsd: 0n,
    bridgeUsd: 0n,
  };
  const processed = new Set<number>();
  const expected = new Map<PlannedTransfer, bigint>();
  for (const c of order) {
    processed.add(c);
    for (const t of cross.planned)
      if (t.route.toChainId === c && !processed.has(t.route.fromChainId))
        countOnArrival(ledgers, t, expected);
    const ls = (byChain.get(c) ?? []).map((n) => ledgers.get(n.asset) as Ledger);
    const { nets, sur, defs } = chainNets(ctx, c, ls);
    const pairs = ctx.costs.hasPairs(c) ? exactMatch(ctx, c, sur, defs) : greedyMatch(sur, defs);
    made.chainCost.set(c, makeSwaps(ctx, ledgers, { sur, pairs, nets, parts }, made));
    for (const l of ls) settle(l);
    const outs = cross.planned.filter((t) => t.route.fromChainId === c);
    sendTransfers(ctx, ledgers, outs, { processed, expected }, made);
  }
  const available = new Map<AssetId, bigint>();
  const bridgeOut = new Map<AssetId, bigint>();
  for (const [a, l] of ledgers) {
    available.set(a, l.available);
    bridgeOut.set(a, l.bridgeOutActual);
  }
  const { swaps, transfers, chainCost, feesUsd, slippageUsd, bridgeUsd } = made;
  return { swaps, transfers, chainCost, feesUsd, slippageUsd, bridgeUsd, available, bridgeOut };
}

/**
 * The order chains are solved in: a chain after every chain that sends to it (so it knows what arrives), senders first,
 * then chains that neither send nor receive, receivers last; ties by chain id. Transfers in a cycle (mirror
 * imbalances: WETH one way, USDC the other) leave no such order: the first chain left in that ranking goes first and
 * counts on what its senders plan to deliver ({@link countOnArrival}).
 */
function chainOrder(chainIds: readonly number[], cross: CrossChain): number[] {
  const rank = (c: number) => (cross.senders.has(c) ? 0 : cross.receivers.has(c) ? 2 : 1);
  const byRank = [...chainIds].sort((a, b) => rank(a) - rank(b) || a - b);
  const waitsFor = (c: number, done: ReadonlySet<number>) =>
    cross.planned.some((t) => t.route.toChainId === c && !done.has(t.route.fromChainId));
  const done = new Set<number>();
  const order: number[] = [];
  while (order.length < byRank.length) {
    const left = byRank.filter((c) => !done.has(c));
    const next = left.find((c) => !waitsFor(c, done)) ?? (left[0] as number);
    done.add(next);
    order.push(next);
  }
  return order;
}

/**
 * Counts on a transfer whose sending chain is not solved yet: what it delivers if the sender sends what was planned,
 * less one base unit (rounding); {@link sendTransfers} books the difference when it is sent.
 */
function countOnArrival(ledgers: Ledgers, t: PlannedTransfer, expected: Map<PlannedTransfer, bigint>): void {
  const to = ledgers.get(t.route.toAsset) as Ledger;
  const costUsd = mulDiv(t.usd, BigInt(t.route.feeCbps), CBPS, "up") + t.route.fixedUsd;
  const units = costUsd >= t.usd ? 0n : amountFor(t.usd - costUsd, to.n.dec, to.n.price) - 1n;
  const x = units > 0n ? units : 0n;
  to.bridgeIn += x;
  expected.set(t, x);
}

/**
 * A chain's net units per node and its surpluses and deficits (USD). If the chain has less than its sinks and
 * bridge-outs ask (after what swapping loses), every one of them gets the same share κ of its ask — so a multi-asset
 * sink keeps its composition and the shortfall is spread evenly.
 */
function chainNets(
  ctx: FlowContext,
  chainId: number,
  ls: readonly Ledger[],
): { nets: Map<AssetId, bigint>; sur: Side[]; defs: Side[] } {
  for (const l of ls)
    l.bridgeOutPlanned = l.bridgeOutUsd > 0n ? amountFor(l.bridgeOutUsd, l.n.dec, l.n.price, "up") : 0n;
  const rate = BigInt(ctx.costs.minSwapCbps(chainId));
  const have = ls.map((l) => usdValue(l.n.released + l.bridgeIn, l.n.dec, l.n.price));
  const want = ls.map((l) => usdValue(l.n.demand + l.bridgeOutPlanned, l.n.dec, l.n.price, "up"));
  const kappa = shareOfShortfall(have, want, rate);
  const nets = new Map<AssetId, bigint>();
  const sur: Side[] = [];
  const def: Side[] = [];
  for (const { n, bridgeIn, bridgeOutPlanned } of ls) {
    const ask = n.demand + bridgeOutPlanned;
    const net = n.released + bridgeIn - (kappa === WAD ? ask : mulDiv(ask, kappa, WAD));
    nets.set(n.asset, net);
    if (net > 0n) sur.push({ n, usd: usdValue(net, n.dec, n.price) });
    // A deficit needs more going in than coming out: gross it up by the chain's swap cost.
    else if (net < 0n)
      def.push({ n, usd: mulDiv(usdValue(-net, n.dec, n.price, "up"), CBPS, CBPS - rate, "up") });
  }
  // When the chain releases more than its deficits need (losses over-estimated, rounding), the deficits take the
  // excess in proportion rather than leaving it idle: every released unit is placed.
  const totalSur = sur.reduce((a, x) => a + x.usd, 0n);
  const totalDef = def.reduce((a, x) => a + x.usd, 0n);
  const defs =
    totalDef > 0n && totalSur > totalDef
      ? def.map((x) => ({ n: x.n, usd: mulDiv(x.usd, totalSur, totalDef, "up") }))
      : def;
  return { nets, sur, defs };
}

/**
 * Turns matched pairs into swaps (none below the minimum trade, or below {@link DUST_USD} into an LP's part), books
 * them, and returns the chain's swap cost.
 */
function makeSwaps(
  ctx: FlowContext,
  ledgers: Ledgers,
  chain: {
    readonly sur: readonly Side[];
    readonly pairs: readonly { from: FlowNode; to: FlowNode; usd: bigint }[];
    readonly nets: ReadonlyMap<AssetId, bigint>;
    readonly parts: ReadonlySet<AssetId>;
  },
  made: Made,
): bigint {
  const { sur, pairs, nets, parts } = chain;
  const small = (to: FlowNode, usd: bigint) =>
    usd === 0n || usd < (parts.has(to.asset) ? DUST_USD : ctx.minTrade);
  const bySource = new Map<AssetId, { to: FlowNode; usd: bigint }[]>();
  for (const p of pairs) {
    const list = bySource.get(p.from.asset);
    if (list) list.push({ to: p.to, usd: p.usd });
    else bySource.set(p.from.asset, [{ to: p.to, usd: p.usd }]);
  }
  let cost = 0n;
  for (const { n: from, usd: surUsd } of sur) {
    const list = bySource.get(from.asset);
    if (!list) continue;
    const units = nets.get(from.asset) as bigint;
    const matched = list.reduce((a, p) => a + p.usd, 0n);
    const allKept = list.every((p) => !small(p.to, p.usd));
    let given = 0n;
    list.forEach((p, k) => {
      if (small(p.to, p.usd)) return;
      const last = allKept && matched === surUsd && k === list.length - 1;
      const amountIn = last ? units - given : mulDiv(units, p.usd, surUsd);
      given += amountIn;
      if (amountIn <= 0n) return;
      const sw = swapDraft(ctx, from, p.to, amountIn);
      if (small(p.to, sw.usd)) {
        given -= amountIn;
        return;
      }
      (ledgers.get(from.asset) as Ledger).swapOut += amountIn;
      (ledgers.get(p.to.asset) as Ledger).swapIn += sw.expectedOut;
      made.swaps.push(sw);
      made.feesUsd += sw.feeUsd;
      made.slippageUsd += sw.slippageUsd;
      cost += sw.feeUsd + sw.slippageUsd;
    });
  }
  return cost;
}

/** What a node holds once its chain has swapped; a short node sends a proportionally smaller bridge. */
function settle(l: Ledger): void {
  l.available = l.n.released + l.bridgeIn + l.swapIn - l.swapOut;
  const need = l.n.demand + l.bridgeOutPlanned;
  // Its sinks share the rest (see deliveries).
  const rho = need === 0n || l.available >= need ? WAD : mulDiv(l.available, WAD, need);
  l.bridgeOutActual = rho === WAD ? l.bridgeOutPlanned : mulDiv(l.bridgeOutPlanned, rho, WAD);
}

/** Transfers out of a chain, now that the sending nodes know what they really have. */
function sendTransfers(
  ctx: FlowContext,
  ledgers: Ledgers,
  outs: readonly PlannedTransfer[],
  counted: {
    readonly processed: ReadonlySet<number>;
    readonly expected: ReadonlyMap<PlannedTransfer, bigint>;
  },
  made: Made,
): void {
  const perNode = new Map<AssetId, PlannedTransfer[]>();
  for (const t of outs) {
    const list = perNode.get(t.from);
    if (list) list.push(t);
    else perNode.set(t.from, [t]);
  }
  for (const [asset, list] of perNode) {
    const from = ledgers.get(asset) as Ledger;
    const { dec, price } = from.n;
    let left = from.bridgeOutActual;
    list.forEach((t, k) => {
      const amount = k === list.length - 1 ? left : mulDiv(from.bridgeOutActual, t.usd, from.bridgeOutUsd);
      left -= amount;
      const usd = usdValue(amount, dec, price);
      if (amount <= 0n || usd < ctx.minTrade) {
        from.bridgeOutActual -= amount;
        return;
      }
      const costUsd = mulDiv(usd, BigInt(t.route.feeCbps), CBPS, "up") + t.route.fixedUsd;
      const to = ledgers.get(t.route.toAsset) as Ledger;
      const received = costUsd >= usd ? 0n : amountFor(usd - costUsd, to.n.dec, to.n.price);
      // A chain already solved counted on `expected`: it gets the difference; a chain solved before its sender
      // without counting on it (least bridging never does this) keeps what arrives idle.
      const extra = received - (counted.expected.get(t) ?? 0n);
      to.bridgeIn += extra;
      if (counted.processed.has(to.n.chainId)) to.available += extra;
      made.bridgeUsd += costUsd;
      made.transfers.push({ route: t.route, amount, received, usd, costUsd });
    });
  }
}

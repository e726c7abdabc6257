import { CBPS, type CompiledCosts, type ResolvedRoute } from "./cost.ts";
import { minCostFlow } from "./flow.ts";
import { amountFor, max, min, mulDiv, pow10, usdValue, WAD } from "./math.ts";
import type { AssetId, Composition, PriceBook } from "./model.ts";
import type { SleeveState } from "./state.ts";
import type { AssetRegistry } from "./valuation.ts";

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
};

/** A sleeve exit as solved: units released per asset and the share of the position. */
export type ExitDraft = {
  readonly i: number;
  readonly amounts: Map<AssetId, bigint>;
  readonly fraction: bigint;
  readonly usd: bigint;
};
/** A sleeve entry as solved: units delivered per asset (after upstream losses). */
export type EntryDraft = {
  readonly i: number;
  readonly amounts: Map<AssetId, bigint>;
  readonly fraction: bigint;
  readonly usd: bigint;
};
/** A swap as solved. */
export type SwapDraft = {
  readonly chainId: number;
  readonly assetIn: AssetId;
  readonly assetOut: AssetId;
  readonly amountIn: bigint;
  readonly expectedOut: bigint;
  readonly minOut: bigint;
  readonly usd: bigint;
  readonly feeUsd: bigint;
  readonly slippageUsd: bigint;
};
/** A bridge transfer as solved. */
export type TransferDraft = {
  readonly route: ResolvedRoute;
  readonly amount: bigint;
  readonly received: bigint;
  readonly usd: bigint;
  readonly costUsd: bigint;
};

/** The legs that realise a set of sleeve deltas, with what stays idle and what could not cross chains. */
export type FlowSolution = {
  readonly exits: readonly ExitDraft[];
  readonly entries: readonly EntryDraft[];
  readonly swaps: readonly SwapDraft[];
  readonly transfers: readonly TransferDraft[];
  /** Units left idle per asset after the plan (rounding, dropped swaps, unmatched value). */
  readonly residual: ReadonlyMap<AssetId, bigint>;
  readonly feesUsd: bigint;
  readonly slippageUsd: bigint;
  readonly bridgeUsd: bigint;
  /** Swap fees + slippage per chain. */
  readonly chainCost: ReadonlyMap<number, bigint>;
  /** Cross-chain imbalance no bridge could carry (beyond `crossTol`), or null. */
  readonly unmet: { readonly usd: bigint; readonly from: number[]; readonly to: number[] } | null;
  /** Chains that receive transfers. */
  readonly receivers: ReadonlySet<number>;
  /** Per asset with sinks: what the node could give them / what they asked (wad); losses upstream make it < 1. */
  readonly nodeRho: ReadonlyMap<AssetId, bigint>;
};

type Node = {
  readonly asset: AssetId;
  readonly chainId: number;
  readonly dec: number;
  readonly price: bigint;
  released: bigint;
  demand: bigint;
  bridgeOutUsd: bigint;
  bridgeOutPlanned: bigint;
  bridgeOutActual: bigint;
  bridgeIn: bigint;
  swapOut: bigint;
  swapIn: bigint;
  available: bigint;
  delivered: bigint;
};

const BIG = 1_000_000_000; // centi-bps: lexicographic weight of cross-chain volume over every other cost

/**
 * Turns signed sleeve deltas (USD wad; + sink, − source) into legs:
 * 1. exits release units (a share of each holding; borrow: units of the debt asset), entries demand units per composition;
 * 2. units are netted per (chain, asset) — same-asset flows cancel for free;
 * 3. chains whose total must change exchange value over bridges, chosen by an exact min-cost flow on a small graph
 *    (per chain a swap hub plus bridgeable tokens; bridge arcs carry a big-M weight so cross-chain volume is minimal);
 * 4. per chain, surpluses are swapped into deficits: greedy largest-first matching (exact for a uniform swap cost), or an
 *    exact min-cost transportation when the chain has pair-specific costs; swaps below the minimum trade are dropped;
 * 5. losses (fees, slippage, bridge cost) propagate downstream: a short node scales its sinks and bridge-outs.
 * `full[i]` marks sleeves that leave entirely (exit everything / repay all).
 */
export function solveFlows(
  ctx: FlowContext,
  d: readonly bigint[],
  full: readonly boolean[],
  grossUp: ReadonlyMap<AssetId, bigint> = new Map(),
): FlowSolution {
  const nodes = new Map<AssetId, Node>();
  const node = (asset: AssetId): Node => {
    let n = nodes.get(asset);
    if (!n) {
      const a = ctx.assets.get(asset);
      const price = ctx.prices.get(asset);
      if (!a || price === undefined)
        throw new Error(`internal: asset ${asset} without registry entry or price`);
      n = {
        asset,
        chainId: a.chainId,
        dec: a.decimals,
        price,
        released: 0n,
        demand: 0n,
        bridgeOutUsd: 0n,
        bridgeOutPlanned: 0n,
        bridgeOutActual: 0n,
        bridgeIn: 0n,
        swapOut: 0n,
        swapIn: 0n,
        available: 0n,
        delivered: 0n,
      };
      nodes.set(asset, n);
    }
    return n;
  };

  // 1. Sleeve legs → units per node.
  const exits: ExitDraft[] = [];
  type Part = { n: Node; units: bigint; need: bigint };
  const sinkInfo: { i: number; fraction: bigint; parts: Part[]; cap?: bigint; full?: boolean }[] = [];
  d.forEach((delta, i) => {
    if (delta === 0n) return;
    const s = ctx.sleeves[i] as SleeveState;
    const comp = ctx.comps[i] as Composition;
    const isDebt = s.sleeve.kind === "debt";
    if (delta < 0n) {
      const amounts = new Map<AssetId, bigint>();
      let fraction = 0n;
      if (isDebt) {
        const asset = (comp[0] as { asset: AssetId }).asset;
        const n = node(asset);
        const units = amountFor(-delta, n.dec, n.price);
        if (units > 0n) amounts.set(asset, units);
      } else {
        if (s.valueUsd <= 0n) return;
        fraction = full[i] ? WAD : mulDiv(-delta, WAD, s.valueUsd);
        if (fraction > WAD) fraction = WAD;
        for (const [asset, u] of s.units) {
          const units = fraction === WAD ? u : mulDiv(u, -delta, s.valueUsd);
          if (units > 0n) amounts.set(asset, units);
        }
      }
      let usd = 0n;
      for (const [asset, units] of amounts) {
        const n = node(asset);
        n.released += units;
        usd += usdValue(units, n.dec, n.price);
      }
      if (amounts.size > 0) exits.push({ i, amounts, fraction, usd });
    } else {
      const parts: Part[] = [];
      let fraction = 0n;
      if (isDebt) {
        const asset = (comp[0] as { asset: AssetId }).asset;
        const n = node(asset);
        const owed = -(s.units.get(asset) ?? 0n);
        let need = full[i] ? owed : amountFor(delta, n.dec, n.price);
        if (need > owed) need = owed;
        const g = grossUp.get(asset);
        // The demand is grossed up for the losses on the way (so the swaps feeding it buy enough); what is
        // delivered is capped at the debt (`cap` below).
        const units = g === undefined ? need : mulDiv(need, WAD, g, "up");
        if (units > 0n) parts.push({ n, units, need });
        fraction = owed > 0n ? (full[i] ? WAD : mulDiv(min(units, owed), WAD, owed)) : 0n;
      } else {
        for (const c of comp) {
          const n = node(c.asset);
          const need = amountFor(mulDiv(delta, c.shareWad, WAD), n.dec, n.price);
          // Second pass: ask for more where the first pass lost value on the way (fees, slippage, bridges).
          const g = grossUp.get(c.asset);
          const units = g === undefined ? need : mulDiv(need, WAD, g, "up");
          if (units > 0n) parts.push({ n, units, need });
        }
      }
      for (const p of parts) p.n.demand += p.units;
      if (parts.length > 0)
        sinkInfo.push(
          isDebt
            ? {
                i,
                fraction,
                parts,
                cap: -((s.units.get(parts[0]?.n.asset as AssetId) ?? 0n) as bigint),
                full: full[i] === true,
              }
            : { i, fraction, parts },
        );
    }
  });

  // 2. Net per node and per chain.
  const byChain = new Map<number, Node[]>();
  const reindex = () => {
    byChain.clear();
    for (const n of [...nodes.values()].sort((a, b) =>
      a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0,
    )) {
      const list = byChain.get(n.chainId);
      if (list) list.push(n);
      else byChain.set(n.chainId, [n]);
    }
  };
  reindex();
  const chainIds = [...byChain.keys()].sort((a, b) => a - b);
  const netUsd = (n: Node): bigint => {
    const u = n.released - n.demand;
    return u >= 0n ? usdValue(u, n.dec, n.price) : -usdValue(-u, n.dec, n.price, "up");
  };
  const chainTotal = new Map<number, bigint>();
  for (const c of chainIds)
    chainTotal.set(
      c,
      (byChain.get(c) as Node[]).reduce((a, n) => a + netUsd(n), 0n),
    );

  // 3. Cross-chain: bridges where per-chain totals must change.
  const transfersPlanned: { route: ResolvedRoute; usd: bigint; from: Node }[] = [];
  let unmet: FlowSolution["unmet"] = null;
  const senders = new Set<number>();
  const receivers = new Set<number>();
  // Value must cross chains only when one chain has more than it needs and another less (beyond rounding).
  const needsCross =
    chainIds.some((c) => (chainTotal.get(c) as bigint) > ctx.crossTol) &&
    chainIds.some((c) => -(chainTotal.get(c) as bigint) > ctx.crossTol);
  if (needsCross) {
    const routes = ctx.allowBridges
      ? ctx.costs.routes.filter((r) => byChain.has(r.fromChainId) && byChain.has(r.toChainId))
      : [];
    const index = new Map<string, number>();
    const supply: bigint[] = [];
    const labels: { chainId: number; asset?: AssetId }[] = [];
    const id = (key: string, label: { chainId: number; asset?: AssetId }) => {
      let k = index.get(key);
      if (k === undefined) {
        k = supply.length;
        index.set(key, k);
        supply.push(0n);
        labels.push(label);
      }
      return k;
    };
    for (const c of chainIds) id(`hub|${c}`, { chainId: c });
    const bridgeable = new Set<AssetId>();
    for (const r of routes) {
      bridgeable.add(r.fromAsset);
      bridgeable.add(r.toAsset);
    }
    for (const a of [...bridgeable].sort()) {
      const chainId = (ctx.assets.get(a) as { chainId: number }).chainId;
      id(`x|${a}`, { chainId, asset: a });
    }
    for (const c of chainIds)
      for (const n of byChain.get(c) as Node[]) {
        const k = bridgeable.has(n.asset)
          ? (index.get(`x|${n.asset}`) as number)
          : (index.get(`hub|${c}`) as number);
        supply[k] = (supply[k] as bigint) + netUsd(n);
      }
    const arcs: { from: number; to: number; cost: number }[] = [];
    for (const a of [...bridgeable].sort()) {
      const x = index.get(`x|${a}`) as number;
      const hub = index.get(`hub|${(labels[x] as { chainId: number }).chainId}`) as number;
      arcs.push({
        from: x,
        to: hub,
        cost: ctx.costs.chainSwapCbps((labels[x] as { chainId: number }).chainId),
      });
      arcs.push({ from: hub, to: x, cost: 0 });
    }
    const routeArcs: { r: ResolvedRoute; arc: number }[] = [];
    for (const r of routes) {
      const out = chainTotal.get(r.fromChainId) as bigint;
      const inn = chainTotal.get(r.toChainId) as bigint;
      const est = out > 0n && inn < 0n ? min(out, -inn) : 0n;
      if (est <= ctx.crossTol) continue;
      const fixed = Number((r.fixedUsd * CBPS + est - 1n) / est);
      routeArcs.push({ r, arc: arcs.length });
      arcs.push({
        from: index.get(`x|${r.fromAsset}`) as number,
        to: index.get(`x|${r.toAsset}`) as number,
        cost: BIG + r.feeCbps + Math.min(fixed, BIG),
      });
    }
    const res = minCostFlow(supply.length, supply, arcs);
    for (const { r, arc } of routeArcs) {
      const f = res.flows[arc] as bigint;
      if (f <= 0n || f < ctx.minTrade) continue;
      const from = node(r.fromAsset);
      from.bridgeOutUsd += f;
      transfersPlanned.push({ route: r, usd: f, from });
      senders.add(r.fromChainId);
      receivers.add(r.toChainId);
    }
    // Unmet on both sides means value that should have crossed and could not; one-sided is only rounding or losses.
    let unmetDemand = 0n;
    let unmetSupply = 0n;
    const fromC = new Set<number>();
    const toC = new Set<number>();
    res.unmetDemand.forEach((u, k) => {
      if (u > 0n) {
        unmetDemand += u;
        toC.add((labels[k] as { chainId: number }).chainId);
      }
    });
    res.unmetSupply.forEach((u, k) => {
      if (u > 0n) {
        unmetSupply += u;
        fromC.add((labels[k] as { chainId: number }).chainId);
      }
    });
    const unmetUsd = unmetDemand < unmetSupply ? unmetDemand : unmetSupply;
    if (unmetUsd > ctx.crossTol)
      unmet = { usd: unmetUsd, from: [...fromC].sort((a, b) => a - b), to: [...toC].sort((a, b) => a - b) };
  }

  // Bridge endpoints may be new nodes (a token with no sleeve flow that carries value across).
  reindex();
  for (const t of transfersPlanned) node(t.route.toAsset);
  reindex();

  // 4. Per chain: swaps; senders first, receivers last.
  const order = [
    ...chainIds.filter((c) => senders.has(c)),
    ...chainIds.filter((c) => !senders.has(c) && !receivers.has(c)),
    ...chainIds.filter((c) => receivers.has(c) && !senders.has(c)),
  ];
  const swaps: SwapDraft[] = [];
  const transfers: TransferDraft[] = [];
  const chainCost = new Map<number, bigint>();
  let feesUsd = 0n;
  let slippageUsd = 0n;
  let bridgeUsd = 0n;
  const processed = new Set<number>();
  for (const c of order) {
    processed.add(c);
    const ns = byChain.get(c) ?? [];
    const nets = new Map<Node, bigint>();
    const sur: { n: Node; usd: bigint }[] = [];
    const def: { n: Node; usd: bigint }[] = [];
    for (const n of ns)
      n.bridgeOutPlanned = n.bridgeOutUsd > 0n ? amountFor(n.bridgeOutUsd, n.dec, n.price, "up") : 0n;
    // If the chain has less than its sinks and bridge-outs ask (after what swapping loses), every one of them gets the
    // same share κ of its ask — so a multi-asset sink keeps its composition and the shortfall is spread evenly.
    const rate = BigInt(ctx.costs.minSwapCbps(c));
    const have = ns.map((n) => usdValue(n.released + n.bridgeIn, n.dec, n.price));
    const want = ns.map((n) => usdValue(n.demand + n.bridgeOutPlanned, n.dec, n.price, "up"));
    const kappa = shareOfShortfall(have, want, rate);
    for (const n of ns) {
      const ask = n.demand + n.bridgeOutPlanned;
      const net = n.released + n.bridgeIn - (kappa === WAD ? ask : mulDiv(ask, kappa, WAD));
      nets.set(n, net);
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
    const pairs = ctx.costs.hasPairs(c) ? exactMatch(ctx, c, sur, defs) : greedyMatch(sur, defs);
    const bySource = new Map<Node, { to: Node; usd: bigint }[]>();
    for (const p of pairs) {
      const list = bySource.get(p.from);
      if (list) list.push({ to: p.to, usd: p.usd });
      else bySource.set(p.from, [{ to: p.to, usd: p.usd }]);
    }
    let cost = 0n;
    for (const { n: from, usd: surUsd } of sur) {
      const list = bySource.get(from);
      if (!list) continue;
      const units = nets.get(from) as bigint;
      const matched = list.reduce((a, p) => a + p.usd, 0n);
      const allKept = list.every((p) => p.usd >= ctx.minTrade && p.usd > 0n);
      let given = 0n;
      list.forEach((p, k) => {
        if (p.usd < ctx.minTrade || p.usd === 0n) return;
        const last = allKept && matched === surUsd && k === list.length - 1;
        const amountIn = last ? units - given : mulDiv(units, p.usd, surUsd);
        given += amountIn;
        if (amountIn <= 0n) return;
        const sw = swapDraft(ctx, from, p.to, amountIn);
        if (sw.usd < ctx.minTrade) {
          given -= amountIn;
          return;
        }
        from.swapOut += amountIn;
        p.to.swapIn += sw.expectedOut;
        swaps.push(sw);
        feesUsd += sw.feeUsd;
        slippageUsd += sw.slippageUsd;
        cost += sw.feeUsd + sw.slippageUsd;
      });
    }
    chainCost.set(c, cost);
    for (const n of ns) {
      n.available = n.released + n.bridgeIn + n.swapIn - n.swapOut;
      const need = n.demand + n.bridgeOutPlanned;
      // A short node sends a proportionally smaller bridge; its sinks share the rest (see deliveries).
      const rho = need === 0n || n.available >= need ? WAD : mulDiv(n.available, WAD, need);
      n.bridgeOutActual = rho === WAD ? n.bridgeOutPlanned : mulDiv(n.bridgeOutPlanned, rho, WAD);
    }
    // Transfers out of this chain, now that the sending nodes know what they really have.
    const outs = transfersPlanned.filter((t) => t.route.fromChainId === c);
    const perNode = new Map<Node, typeof outs>();
    for (const t of outs) {
      const list = perNode.get(t.from);
      if (list) list.push(t);
      else perNode.set(t.from, [t]);
    }
    for (const [from, list] of perNode) {
      let left = from.bridgeOutActual;
      list.forEach((t, k) => {
        const amount = k === list.length - 1 ? left : mulDiv(from.bridgeOutActual, t.usd, from.bridgeOutUsd);
        left -= amount;
        const usd = usdValue(amount, from.dec, from.price);
        if (amount <= 0n || usd < ctx.minTrade) {
          from.bridgeOutActual -= amount;
          return;
        }
        const costUsd = mulDiv(usd, BigInt(t.route.feeCbps), CBPS, "up") + t.route.fixedUsd;
        const to = node(t.route.toAsset);
        const received = costUsd >= usd ? 0n : amountFor(usd - costUsd, to.dec, to.price);
        to.bridgeIn += received;
        // A chain already solved (never the case with minimal cross-chain volume) keeps what arrives idle.
        if (processed.has(to.chainId)) to.available += received;
        bridgeUsd += costUsd;
        transfers.push({ route: t.route, amount, received, usd, costUsd });
      });
    }
  }

  // 5. Deliveries. What the sinks of a node can share: what it has, less what it bridges out (≥ 1 when losses were
  // over-estimated: they take the excess). A multi-asset sink (LP) gets the same ratio of its need on every asset
  // (the smallest), so its composition holds; the rest stays idle.
  // A debt repaid in full (target 0) is served first: sharing a shortfall with it would leave dust debt behind.
  const entries: EntryDraft[] = [];
  const fullDemand = new Map<Node, bigint>();
  for (const s of sinkInfo)
    if (s.full) for (const p of s.parts) fullDemand.set(p.n, (fullDemand.get(p.n) ?? 0n) + p.units);
  const availableOf = (n: Node) => max(0n, n.available - n.bridgeOutActual);
  const fullShareOf = (n: Node) => {
    const fd = fullDemand.get(n) ?? 0n;
    return fd > 0n ? min(WAD, mulDiv(availableOf(n), WAD, fd)) : WAD;
  };
  const share = new Map<Node, bigint>();
  const shareOf = (n: Node) => {
    let r = share.get(n);
    if (r === undefined) {
      const fd = fullDemand.get(n) ?? 0n;
      const rest = max(0n, availableOf(n) - mulDiv(fd, fullShareOf(n), WAD));
      const restDemand = n.demand - fd;
      r = restDemand > 0n ? mulDiv(rest, WAD, restDemand) : WAD;
      share.set(n, r);
    }
    return r;
  };
  for (const s of sinkInfo) {
    const amounts = new Map<AssetId, bigint>();
    let give: bigint[];
    if (s.parts.length === 1) {
      const p = s.parts[0] as Part;
      let units = mulDiv(p.units, s.full ? fullShareOf(p.n) : shareOf(p.n), WAD);
      // A repay never exceeds the debt (the node's excess stays idle).
      if (s.cap !== undefined && units > s.cap) units = s.cap;
      give = [units];
    } else {
      let ratio: bigint | undefined;
      for (const p of s.parts) {
        const r = mulDiv(mulDiv(p.units, shareOf(p.n), WAD), WAD, p.need);
        if (ratio === undefined || r < ratio) ratio = r;
      }
      give = s.parts.map((p) => mulDiv(p.need, ratio as bigint, WAD));
    }
    let usd = 0n;
    let asked = 0n;
    s.parts.forEach((p, k) => {
      asked += p.need;
      const units = give[k] as bigint;
      if (units <= 0n) return;
      p.n.delivered += units;
      amounts.set(p.n.asset, units);
      usd += usdValue(units, p.n.dec, p.n.price);
    });
    // The share of the position repaid follows what is actually delivered.
    const got = give.reduce((a, x) => a + x, 0n);
    const scaled = asked > 0n && got !== asked ? mulDiv(s.fraction, got, asked) : s.fraction;
    const fraction = scaled > WAD ? WAD : scaled;
    if (amounts.size > 0) entries.push({ i: s.i, amounts, fraction, usd });
  }
  const residual = new Map<AssetId, bigint>();
  for (const n of nodes.values()) {
    const r = n.available - n.bridgeOutActual - n.delivered;
    if (r !== 0n) residual.set(n.asset, r);
  }
  const nodeRho = new Map<AssetId, bigint>();
  // The node's loss ratio over all its sinks (full repays included): the next pass grosses its asks up by it.
  for (const n of nodes.values())
    if (n.demand > 0n) nodeRho.set(n.asset, mulDiv(availableOf(n), WAD, n.demand));
  return {
    exits,
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

function swapDraft(ctx: FlowContext, from: Node, to: Node, amountIn: bigint): SwapDraft {
  const { feeCbps, slippageCbps } = ctx.costs.swap(from.chainId, from.asset, to.asset);
  const fee = BigInt(feeCbps);
  const slip = BigInt(slippageCbps);
  const num = amountIn * from.price * pow10(to.dec);
  const den = pow10(from.dec) * to.price;
  const expectedOut = (num * (CBPS - fee - slip)) / (den * CBPS);
  const minOut = (num * (CBPS - fee) * (CBPS - ctx.maxSlippageCbps)) / (den * CBPS * CBPS);
  const usd = usdValue(amountIn, from.dec, from.price);
  return {
    chainId: from.chainId,
    assetIn: from.asset,
    assetOut: to.asset,
    amountIn,
    expectedOut,
    minOut,
    usd,
    feeUsd: mulDiv(usd, fee, CBPS, "up"),
    slippageUsd: mulDiv(usd, slip, CBPS, "up"),
  };
}

type Pair = { from: Node; to: Node; usd: bigint };

/** Largest surplus to largest deficit: optimal when every pair costs the same (any full matching swaps the same volume). */
function greedyMatch(sur: { n: Node; usd: bigint }[], def: { n: Node; usd: bigint }[]): Pair[] {
  const cmp = (a: { n: Node; usd: bigint }, b: { n: Node; usd: bigint }) =>
    b.usd > a.usd ? 1 : b.usd < a.usd ? -1 : a.n.asset < b.n.asset ? -1 : 1;
  const S = sur.map((x) => ({ ...x })).sort(cmp);
  const D = def.map((x) => ({ ...x })).sort(cmp);
  const out: Pair[] = [];
  let i = 0;
  let j = 0;
  while (i < S.length && j < D.length) {
    const s = S[i] as { n: Node; usd: bigint };
    const t = D[j] as { n: Node; usd: bigint };
    const x = min(s.usd, t.usd);
    if (x > 0n) out.push({ from: s.n, to: t.n, usd: x });
    s.usd -= x;
    t.usd -= x;
    if (s.usd === 0n) i++;
    if (t.usd === 0n) j++;
  }
  return out;
}

/** Exact min-cost transportation of surpluses into deficits with pair-specific swap costs. */
function exactMatch(
  ctx: FlowContext,
  chainId: number,
  sur: { n: Node; usd: bigint }[],
  def: { n: Node; usd: bigint }[],
): Pair[] {
  const supply = [...sur.map((s) => s.usd), ...def.map((t) => -t.usd)];
  const arcs: { from: number; to: number; cost: number }[] = [];
  sur.forEach((s, a) => {
    def.forEach((t, b) => {
      const c = ctx.costs.swap(chainId, s.n.asset, t.n.asset);
      arcs.push({ from: a, to: sur.length + b, cost: c.feeCbps + c.slippageCbps });
    });
  });
  const res = minCostFlow(supply.length, supply, arcs);
  const out: Pair[] = [];
  arcs.forEach((arc, k) => {
    const f = res.flows[k] as bigint;
    if (f > 0n)
      out.push({
        from: (sur[arc.from] as { n: Node }).n,
        to: (def[arc.to - sur.length] as { n: Node }).n,
        usd: f,
      });
  });
  return out;
}

/**
 * The largest κ ≤ 1 such that, when every node asks κ × want, the surpluses (have − κ·want > 0) cover the deficits
 * grossed up by the swap cost: Σ_surplus (h − κw) ≥ Σ_deficit (κw − h) / (1 − rate). The balance is decreasing and
 * piecewise linear in κ, with breakpoints at h/w: walk them in order and solve the linear piece (exact, O(n log n)).
 */
export function shareOfShortfall(have: readonly bigint[], want: readonly bigint[], rateCbps: bigint): bigint {
  const a = CBPS - rateCbps; // weight of a surplus; a deficit weighs CBPS (i.e. 1 / (1 − rate) relative to it)
  let sh = 0n; // Σ h over surplus nodes
  let sw = 0n; // Σ w over surplus nodes
  let dh = 0n;
  let dw = 0n;
  const breaks: { b: bigint; h: bigint; w: bigint }[] = [];
  have.forEach((h, k) => {
    const w = want[k] as bigint;
    sh += h;
    sw += w;
    if (w > 0n) breaks.push({ b: mulDiv(h, WAD, w), h, w });
  });
  // At κ = 1: is every ask covered?
  const balanceAt = (k: bigint) => {
    let s = 0n;
    have.forEach((h, j) => {
      const x = h * WAD - k * (want[j] as bigint);
      s += x >= 0n ? x * a : x * CBPS;
    });
    return s;
  };
  if (balanceAt(WAD) >= 0n) return WAD;
  breaks.sort((x, y) => (x.b < y.b ? -1 : x.b > y.b ? 1 : 0));
  let lo = 0n;
  for (const br of breaks) {
    // On (lo, br.b], nodes whose breakpoint is ≥ br.b are surpluses, the others deficits.
    const num = a * sh + CBPS * dh;
    const den = a * sw + CBPS * dw;
    const k = den > 0n ? (num * WAD) / den : WAD;
    if (k <= br.b || br.b >= WAD) return k < lo ? lo : k > WAD ? WAD : k;
    lo = br.b;
    sh -= br.h;
    sw -= br.w;
    dh += br.h;
    dw += br.w;
  }
  const den = a * sw + CBPS * dw;
  const k = den > 0n ? ((a * sh + CBPS * dh) * WAD) / den : WAD;
  return k > WAD ? WAD : k < 0n ? 0n : k;
}

import { CBPS } from "../cost.ts";
import { minCostFlow } from "../flow.ts";
import { min, mulDiv, pow10, usdValue, WAD } from "../math.ts";
import type { FlowContext, FlowNode, SwapDraft } from "./types.ts";

/** A surplus or a deficit of one node on a chain, USD wad. */
export type Side = { readonly n: FlowNode; readonly usd: bigint };
/** Value to swap from one node into another. */
export type Pair = { readonly from: FlowNode; readonly to: FlowNode; readonly usd: bigint };

/** A swap of `amountIn` units of `from` into `to` at the cost model's fee and slippage, with its `minOut` guard. */
export function swapDraft(ctx: FlowContext, from: FlowNode, to: FlowNode, amountIn: bigint): SwapDraft {
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

/** Largest surplus to largest deficit: optimal when every pair costs the same (any full matching swaps the same volume). */
export function greedyMatch(sur: readonly Side[], def: readonly Side[]): Pair[] {
  const cmp = (a: Side, b: Side) => (b.usd > a.usd ? 1 : b.usd < a.usd ? -1 : a.n.asset < b.n.asset ? -1 : 1);
  const S = sur.map((x) => ({ ...x })).sort(cmp);
  const D = def.map((x) => ({ ...x })).sort(cmp);
  const out: Pair[] = [];
  let i = 0;
  let j = 0;
  while (i < S.length && j < D.length) {
    const s = S[i] as { n: FlowNode; usd: bigint };
    const t = D[j] as { n: FlowNode; usd: bigint };
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
export function exactMatch(
  ctx: FlowContext,
  chainId: number,
  sur: readonly Side[],
  def: readonly Side[],
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
        from: (sur[arc.from] as Side).n,
        to: (def[arc.to - sur.length] as Side).n,
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

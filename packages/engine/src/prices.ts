import { type Asset, type AssetId, assetId, mulDiv, type PriceBook, type Snapshot } from "@ballast/core";
import type { PoolSnapshot } from "./types.ts";

const Q192 = 2n ** 192n;

/**
 * The USD price (wad per whole token) of one side of a pool from the other side's price and the pool's sqrt price.
 * `known` says which side is priced. Rounds down.
 */
export function priceFromPool(params: {
  readonly sqrtPriceX96: bigint;
  readonly decimals0: number;
  readonly decimals1: number;
  readonly known: { readonly side: 0 | 1; readonly priceUsdWad: bigint };
}): bigint {
  const { sqrtPriceX96: s, decimals0, decimals1, known } = params;
  const sq = s * s;
  if (sq === 0n) return 0n;
  const u0 = 10n ** BigInt(decimals0);
  const u1 = 10n ** BigInt(decimals1);
  // 1 whole token0 = u0 * s² / 2^192 raw token1 = that / u1 whole token1.
  return known.side === 1
    ? mulDiv(known.priceUsdWad * sq, u0, Q192 * u1)
    : mulDiv(known.priceUsdWad * Q192, u1, sq * u0);
}

/**
 * Fills `prices` (in place) for registered assets that lack one, from pools whose other side is priced.
 * Repeats until nothing changes, so a chain of pools (WBTC/WETH, WETH/USDC) prices through. Returns what it added.
 */
export function fillPoolPrices(
  prices: Map<AssetId, bigint>,
  pools: Iterable<PoolSnapshot>,
  assets: ReadonlyMap<AssetId, Asset>,
  chainId: number,
): AssetId[] {
  const list = [...pools].sort((a, b) => (a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1));
  const added: AssetId[] = [];
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of list) {
      const id0 = assetId(chainId, p.token0);
      const id1 = assetId(chainId, p.token1);
      const a0 = assets.get(id0);
      const a1 = assets.get(id1);
      if (!a0 || !a1) continue;
      const p0 = prices.get(id0);
      const p1 = prices.get(id1);
      if ((p0 === undefined) === (p1 === undefined)) continue;
      const side: 0 | 1 = p0 === undefined ? 1 : 0;
      const derived = priceFromPool({
        sqrtPriceX96: p.sqrtPriceX96,
        decimals0: a0.decimals,
        decimals1: a1.decimals,
        known: { side, priceUsdWad: (side === 1 ? p1 : p0) as bigint },
      });
      if (derived <= 0n) continue;
      const target = side === 1 ? id0 : id1;
      prices.set(target, derived);
      added.push(target);
      changed = true;
    }
  }
  return added;
}

/**
 * The cycle's price book: every chain's own prices (see core's `priceBookOf` rule), then, for a registered asset no
 * chain prices, the price of the same symbol on another chain (lowest chain id first). Returns the book and the
 * asset ids priced by symbol.
 */
export function mergePrices(snapshot: Snapshot): { prices: Map<AssetId, bigint>; bySymbol: AssetId[] } {
  const prices = new Map<AssetId, bigint>();
  const chains = [...snapshot.chains].sort((a, b) => a.chainId - b.chainId);
  for (const c of chains)
    for (const [id, p] of c.prices) if (id.startsWith(`${c.chainId}:`) && p > 0n) prices.set(id, p);
  for (const c of chains) for (const [id, p] of c.prices) if (!prices.has(id) && p > 0n) prices.set(id, p);
  const symbolPrice = new Map<string, bigint>();
  const ordered = [...snapshot.assets.values()].sort(
    (a, b) => a.chainId - b.chainId || (a.id < b.id ? -1 : 1),
  );
  for (const a of ordered) {
    const p = prices.get(a.id);
    if (p !== undefined && !symbolPrice.has(a.symbol)) symbolPrice.set(a.symbol, p);
  }
  const bySymbol: AssetId[] = [];
  for (const a of ordered) {
    if (prices.has(a.id)) continue;
    const p = symbolPrice.get(a.symbol);
    if (p === undefined) continue;
    prices.set(a.id, p);
    bySymbol.push(a.id);
  }
  return { prices, bySymbol };
}

/** True when every asset the holding is exposed to has a price. */
export const isPriced = (
  exposures: readonly { readonly asset: AssetId; readonly amount: bigint }[],
  prices: PriceBook,
): boolean => exposures.every((e) => e.amount === 0n || prices.has(e.asset));

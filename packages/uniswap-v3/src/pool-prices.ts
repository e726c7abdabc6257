import { type Asset, type AssetId, assetId, mulDiv } from "@ballast/core";
import type { PoolSnapshot } from "./sleeve.ts";

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

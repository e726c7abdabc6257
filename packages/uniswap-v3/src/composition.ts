import { type Address, assetId, type Composition, usdValue, WAD } from "@ballast/core";
import { Q128 } from "./constants.ts";
import { InvalidRangeError } from "./errors.ts";
import { getAmountsForLiquidity } from "./math/liquidityAmounts.ts";
import { getSqrtRatioAtTick } from "./math/tickMath.ts";

/** Inputs of {@link lpComposition}. Prices are USD wad per whole token (core's PriceBook unit). */
export type LpCompositionParameters = {
  readonly chainId: number;
  readonly token0: Address;
  readonly token1: Address;
  readonly sqrtPriceX96: bigint;
  readonly tickLower: number;
  readonly tickUpper: number;
  readonly prices: { readonly token0: bigint; readonly token1: bigint };
  readonly decimals: { readonly token0: number; readonly token1: number };
};

/** Token0's and token1's value shares (wad, summing to exactly 1e18) of liquidity in a range at a price. */
export function lpValueShares(params: Omit<LpCompositionParameters, "chainId" | "token0" | "token1">): {
  share0Wad: bigint;
  share1Wad: bigint;
} {
  if (params.tickLower >= params.tickUpper) {
    throw new InvalidRangeError("tickLower must be below tickUpper", {
      tickLower: params.tickLower,
      tickUpper: params.tickUpper,
    });
  }
  // 2^128 units of liquidity: large enough that rounding is far below a wad's precision.
  const { amount0, amount1 } = getAmountsForLiquidity(
    params.sqrtPriceX96,
    getSqrtRatioAtTick(params.tickLower),
    getSqrtRatioAtTick(params.tickUpper),
    Q128,
  );
  // Values scaled by 10^36 so that low-priced, low-decimal tokens keep their precision.
  const scale = 10n ** 36n;
  const v0 = usdValue(amount0 * scale, params.decimals.token0, params.prices.token0);
  const v1 = usdValue(amount1 * scale, params.decimals.token1, params.prices.token1);
  const total = v0 + v1;
  if (total === 0n) throw new InvalidRangeError("the range holds no value at these prices");
  const share0Wad = (v0 * WAD) / total;
  return { share0Wad, share1Wad: WAD - share0Wad };
}

/**
 * What one dollar of liquidity in [tickLower, tickUpper) holds at `sqrtPriceX96`: token0 and token1 value shares
 * (wad) as a core {@link Composition}. Below the range it is all token0; above, all token1.
 */
export function lpComposition(params: LpCompositionParameters): Composition {
  const { share0Wad, share1Wad } = lpValueShares(params);
  return [
    { asset: assetId(params.chainId, params.token0), shareWad: share0Wad },
    { asset: assetId(params.chainId, params.token1), shareWad: share1Wad },
  ];
}

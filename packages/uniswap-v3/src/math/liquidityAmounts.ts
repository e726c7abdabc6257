import { InvalidAmountError, min, mulDiv } from "@ballast/core";
import { MAX_UINT128, Q96 } from "../constants.ts";
import { getAmount0Delta, getAmount1Delta } from "./sqrtPriceMath.ts";

const sorted = (a: bigint, b: bigint): [bigint, bigint] => (a > b ? [b, a] : [a, b]);

const toUint128 = (x: bigint, field: string): bigint => {
  if (x > MAX_UINT128) throw new InvalidAmountError(field, x, "a liquidity that fits in uint128");
  return x;
};

/** Liquidity that `amount0` of token0 buys between two sqrt prices (rounded down, as LiquidityAmounts). */
export function getLiquidityForAmount0(sqrtA: bigint, sqrtB: bigint, amount0: bigint): bigint {
  const [lo, hi] = sorted(sqrtA, sqrtB);
  const intermediate = mulDiv(lo, hi, Q96);
  return toUint128(mulDiv(amount0, intermediate, hi - lo), "liquidity0");
}

/** Liquidity that `amount1` of token1 buys between two sqrt prices (rounded down, as LiquidityAmounts). */
export function getLiquidityForAmount1(sqrtA: bigint, sqrtB: bigint, amount1: bigint): bigint {
  const [lo, hi] = sorted(sqrtA, sqrtB);
  return toUint128(mulDiv(amount1, Q96, hi - lo), "liquidity1");
}

/**
 * The most liquidity `amount0` and `amount1` can mint in [sqrtA, sqrtB] at `sqrtPriceX96`
 * (what the position manager computes before it calls the pool's `mint`).
 */
export function getLiquidityForAmounts(
  sqrtPriceX96: bigint,
  sqrtA: bigint,
  sqrtB: bigint,
  amount0: bigint,
  amount1: bigint,
): bigint {
  const [lo, hi] = sorted(sqrtA, sqrtB);
  if (sqrtPriceX96 <= lo) return getLiquidityForAmount0(lo, hi, amount0);
  if (sqrtPriceX96 < hi) {
    return min(
      getLiquidityForAmount0(sqrtPriceX96, hi, amount0),
      getLiquidityForAmount1(lo, sqrtPriceX96, amount1),
    );
  }
  return getLiquidityForAmount1(lo, hi, amount1);
}

/** Token amounts of `liquidity` in [sqrtA, sqrtB] at `sqrtPriceX96`, rounded as asked (down by default). */
export function getAmountsForLiquidity(
  sqrtPriceX96: bigint,
  sqrtA: bigint,
  sqrtB: bigint,
  liquidity: bigint,
  roundUp = false,
): { amount0: bigint; amount1: bigint } {
  const [lo, hi] = sorted(sqrtA, sqrtB);
  if (sqrtPriceX96 <= lo) return { amount0: getAmount0Delta(lo, hi, liquidity, roundUp), amount1: 0n };
  if (sqrtPriceX96 < hi) {
    return {
      amount0: getAmount0Delta(sqrtPriceX96, hi, liquidity, roundUp),
      amount1: getAmount1Delta(lo, sqrtPriceX96, liquidity, roundUp),
    };
  }
  return { amount0: 0n, amount1: getAmount1Delta(lo, hi, liquidity, roundUp) };
}

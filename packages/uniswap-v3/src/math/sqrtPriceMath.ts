import { mulDiv } from "@ballast/core";
import { Q96 } from "../constants.ts";
import { InvalidSqrtPriceError } from "../errors.ts";

const sorted = (a: bigint, b: bigint): [bigint, bigint] => (a > b ? [b, a] : [a, b]);

/** `ceil(a / b)` for non-negative `a` and positive `b`. */
const divUp = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/**
 * Token0 between two sqrt prices for `liquidity`: L·(√B − √A)/(√A·√B), in base units,
 * rounded up (what a mint pays) or down (what a burn returns), bit-exact with SqrtPriceMath.
 */
export function getAmount0Delta(sqrtA: bigint, sqrtB: bigint, liquidity: bigint, roundUp: boolean): bigint {
  const [lo, hi] = sorted(sqrtA, sqrtB);
  if (lo <= 0n) throw new InvalidSqrtPriceError(lo);
  const numerator1 = liquidity << 96n;
  const numerator2 = hi - lo;
  return roundUp
    ? divUp(mulDiv(numerator1, numerator2, hi, "up"), lo)
    : mulDiv(numerator1, numerator2, hi) / lo;
}

/** Token1 between two sqrt prices for `liquidity`: L·(√B − √A), rounded as asked, bit-exact with SqrtPriceMath. */
export function getAmount1Delta(sqrtA: bigint, sqrtB: bigint, liquidity: bigint, roundUp: boolean): bigint {
  const [lo, hi] = sorted(sqrtA, sqrtB);
  return mulDiv(liquidity, hi - lo, Q96, roundUp ? "up" : "down");
}

import { mulDiv } from "@ballast/core";
import { Q128, Q256 } from "../constants.ts";

/** `x mod 2^256`, the way Solidity 0.7's unchecked uint256 arithmetic wraps. */
export const wrap256 = (x: bigint): bigint => ((x % Q256) + Q256) % Q256;

/** What {@link getFeeGrowthInside} needs for one token: the global growth and both boundary ticks' outside growth. */
export type FeeGrowthInsideParameters = {
  readonly tickCurrent: number;
  readonly tickLower: number;
  readonly tickUpper: number;
  readonly feeGrowthGlobalX128: bigint;
  readonly lowerFeeGrowthOutsideX128: bigint;
  readonly upperFeeGrowthOutsideX128: bigint;
};

/** Fee growth per unit of liquidity inside [tickLower, tickUpper) (Q128, mod 2^256, as Tick.getFeeGrowthInside). */
export function getFeeGrowthInside(p: FeeGrowthInsideParameters): bigint {
  const below =
    p.tickCurrent >= p.tickLower
      ? p.lowerFeeGrowthOutsideX128
      : wrap256(p.feeGrowthGlobalX128 - p.lowerFeeGrowthOutsideX128);
  const above =
    p.tickCurrent < p.tickUpper
      ? p.upperFeeGrowthOutsideX128
      : wrap256(p.feeGrowthGlobalX128 - p.upperFeeGrowthOutsideX128);
  return wrap256(p.feeGrowthGlobalX128 - below - above);
}

/** Fees earned by `liquidity` since the position last recorded `feeGrowthInsideLastX128` (rounded down). */
export function getFeesEarned(
  liquidity: bigint,
  feeGrowthInsideX128: bigint,
  feeGrowthInsideLastX128: bigint,
): bigint {
  return mulDiv(wrap256(feeGrowthInsideX128 - feeGrowthInsideLastX128), liquidity, Q128);
}

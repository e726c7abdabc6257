import { isqrt } from "@ballast/core";
import type { Address } from "viem";

/** Uniswap V3's lowest usable tick. */
export const MIN_TICK = -887272;
/** Uniswap V3's highest usable tick. */
export const MAX_TICK = 887272;
/** Lowest sqrt price (exclusive bound for swaps). */
export const MIN_SQRT_RATIO = 4295128739n;
/** Highest sqrt price (exclusive bound for swaps). */
export const MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342n;

const Q192 = 1n << 192n;

/** Token addresses sorted the way Uniswap orders a pool's token0/token1. */
export function sortTokens<T extends { address: Address }>(a: T, b: T): [T, T] {
  return a.address.toLowerCase() < b.address.toLowerCase() ? [a, b] : [b, a];
}

/**
 * The pool sqrt price (Q64.96) at which one whole token0 is worth the same as token1, given both tokens' USD
 * prices (any common number of decimals) and decimals. Rounded down.
 */
export function sqrtPriceX96FromPrices(params: {
  price0: bigint;
  decimals0: number;
  price1: bigint;
  decimals1: number;
}): bigint {
  // token1 base units per token0 base unit = price0 * 10^d1 / (price1 * 10^d0)
  const numerator = params.price0 * 10n ** BigInt(params.decimals1) * Q192;
  const denominator = params.price1 * 10n ** BigInt(params.decimals0);
  return isqrt(numerator / denominator);
}

/** Tick spacing of a standard Uniswap V3 fee tier. */
export function tickSpacingForFee(fee: number): number {
  switch (fee) {
    case 100:
      return 1;
    case 500:
      return 10;
    case 3000:
      return 60;
    case 10000:
      return 200;
    default:
      throw new RangeError(`no standard tick spacing for fee ${fee}`);
  }
}

/** The widest usable tick range for a tick spacing. */
export function fullRangeTicks(tickSpacing: number): { tickLower: number; tickUpper: number } {
  const tickUpper = Math.floor(MAX_TICK / tickSpacing) * tickSpacing;
  return { tickLower: -tickUpper, tickUpper };
}

/** Rounds a tick down to a multiple of the spacing. */
export function alignTick(tick: number, tickSpacing: number): number {
  return Math.floor(tick / tickSpacing) * tickSpacing;
}

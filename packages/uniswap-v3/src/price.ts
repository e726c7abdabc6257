import { isqrt, pow10 } from "@ballast/core";
import { InvalidRangeError } from "./errors.ts";

const Q192 = 2n ** 192n;

/** Inputs of {@link sqrtPriceX96AtPrices}: both tokens' USD prices (wad per whole token) and decimals. */
export type SqrtPriceAtPricesParameters = {
  readonly price0: bigint;
  readonly decimals0: number;
  readonly price1: bigint;
  readonly decimals1: number;
};

/**
 * The pool price (Q64.96 sqrt of token1 base units per token0 base unit) at which the pool agrees with the two USD
 * prices: `sqrt(price0 × 10^decimals1 / (price1 × 10^decimals0)) × 2^96`, rounded down. For replaying a pool from a
 * price history (the backtest); a live pool's price is read, never derived.
 */
export function sqrtPriceX96AtPrices(p: SqrtPriceAtPricesParameters): bigint {
  if (p.price0 <= 0n || p.price1 <= 0n)
    throw new InvalidRangeError("prices must be positive", {
      price0: String(p.price0),
      price1: String(p.price1),
    });
  return isqrt((p.price0 * pow10(p.decimals1) * Q192) / (p.price1 * pow10(p.decimals0)));
}

/** Tick spacing of the factory's standard fee tiers (hundredths of a bip): 100 → 1, 500 → 10, 3000 → 60, 10000 → 200. */
export function tickSpacingOfFee(fee: number): number {
  const spacing = ({ 100: 1, 500: 10, 3000: 60, 10000: 200 } as Record<number, number>)[fee];
  if (spacing === undefined) throw new InvalidRangeError("not a standard fee tier", { fee });
  return spacing;
}

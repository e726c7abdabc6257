import { isqrt } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { Q128, Q256 } from "../constants.ts";
import { getFeeGrowthInside, getFeesEarned, wrap256 } from "./fees.ts";
import {
  getAmountsForLiquidity,
  getLiquidityForAmount0,
  getLiquidityForAmount1,
  getLiquidityForAmounts,
} from "./liquidityAmounts.ts";
import { getAmount0Delta, getAmount1Delta } from "./sqrtPriceMath.ts";

/** floor(√(reserve1 / reserve0) · 2^96), the tests' usual way to write a price. */
const encodePriceSqrt = (reserve1: bigint, reserve0: bigint) => isqrt((reserve1 << 192n) / reserve0);
const E18 = 10n ** 18n;

describe("SqrtPriceMath", () => {
  it("getAmount0Delta: 0.0909… token0 for 1e18 liquidity from price 1 to 1.21, rounding both ways", () => {
    const a = encodePriceSqrt(1n, 1n);
    const b = encodePriceSqrt(121n, 100n);
    expect(getAmount0Delta(a, b, E18, true)).toBe(90909090909090910n);
    expect(getAmount0Delta(a, b, E18, false)).toBe(90909090909090909n);
    expect(getAmount0Delta(b, a, E18, true)).toBe(90909090909090910n); // order-insensitive
  });

  it("getAmount1Delta: 0.1 token1 for 1e18 liquidity from price 1 to 1.21, rounding both ways", () => {
    const a = encodePriceSqrt(1n, 1n);
    const b = encodePriceSqrt(121n, 100n);
    expect(getAmount1Delta(a, b, E18, true)).toBe(100000000000000000n);
    expect(getAmount1Delta(a, b, E18, false)).toBe(99999999999999999n);
  });

  it("returns 0 for zero liquidity or an empty interval", () => {
    const a = encodePriceSqrt(1n, 1n);
    expect(getAmount0Delta(a, a, E18, true)).toBe(0n);
    expect(getAmount1Delta(a, encodePriceSqrt(2n, 1n), 0n, true)).toBe(0n);
  });
});

describe("LiquidityAmounts", () => {
  const sqrtA = encodePriceSqrt(100n, 110n);
  const sqrtB = encodePriceSqrt(110n, 100n);

  it("liquidity for amounts: inside, below and above the range", () => {
    expect(getLiquidityForAmounts(encodePriceSqrt(1n, 1n), sqrtA, sqrtB, 100n, 200n)).toBe(2148n);
    expect(getLiquidityForAmounts(encodePriceSqrt(99n, 110n), sqrtA, sqrtB, 100n, 200n)).toBe(1048n);
    expect(getLiquidityForAmounts(encodePriceSqrt(111n, 100n), sqrtA, sqrtB, 100n, 200n)).toBe(2097n);
    // At the boundaries: all token0 at the lower one, all token1 at the upper one.
    expect(getLiquidityForAmounts(sqrtA, sqrtA, sqrtB, 100n, 200n)).toBe(1048n);
    expect(getLiquidityForAmounts(sqrtB, sqrtA, sqrtB, 100n, 200n)).toBe(2097n);
  });

  it("amounts for liquidity: inside, below and above the range", () => {
    expect(getAmountsForLiquidity(encodePriceSqrt(1n, 1n), sqrtA, sqrtB, 2148n)).toEqual({
      amount0: 99n,
      amount1: 99n,
    });
    expect(getAmountsForLiquidity(encodePriceSqrt(99n, 110n), sqrtA, sqrtB, 1048n)).toEqual({
      amount0: 99n,
      amount1: 0n,
    });
    expect(getAmountsForLiquidity(encodePriceSqrt(111n, 100n), sqrtA, sqrtB, 2097n)).toEqual({
      amount0: 0n,
      amount1: 199n,
    });
  });

  it("liquidity for one token is the inverse of its amount (within rounding)", () => {
    const L = 123_456_789_000_000_000n;
    const a0 = getAmount0Delta(sqrtA, sqrtB, L, false);
    const a1 = getAmount1Delta(sqrtA, sqrtB, L, false);
    // One wei of amount is worth L / amount units of liquidity.
    const back0 = getLiquidityForAmount0(sqrtA, sqrtB, a0);
    const back1 = getLiquidityForAmount1(sqrtA, sqrtB, a1);
    expect(back0 <= L && L - back0 <= L / a0 + 1n).toBe(true);
    expect(back1 <= L && L - back1 <= L / a1 + 1n).toBe(true);
  });
});

describe("fee growth", () => {
  const base = { tickLower: -60, tickUpper: 60 };

  it("inside = global − below − above, on each side of the range", () => {
    const g = 1000n;
    const lo = 100n;
    const hi = 300n;
    const f = (tickCurrent: number) =>
      getFeeGrowthInside({
        ...base,
        tickCurrent,
        feeGrowthGlobalX128: g,
        lowerFeeGrowthOutsideX128: lo,
        upperFeeGrowthOutsideX128: hi,
      });
    expect(f(0)).toBe(g - lo - hi); // in range: outside values are below/above
    expect(f(-100)).toBe(wrap256(g - (g - lo) - hi)); // below: lower's outside flipped
    expect(f(100)).toBe(wrap256(g - lo - (g - hi))); // above: upper's outside flipped
    expect(f(-60)).toBe(g - lo - hi); // tickLower is inside
    expect(f(60)).toBe(wrap256(g - lo - (g - hi))); // tickUpper is outside
  });

  it("wraps around 2^256 like the contracts' unchecked arithmetic", () => {
    // Outside values larger than the global one (ticks initialized when the global was assumed to be below them).
    const inside = getFeeGrowthInside({
      ...base,
      tickCurrent: 0,
      feeGrowthGlobalX128: 5n,
      lowerFeeGrowthOutsideX128: 10n,
      upperFeeGrowthOutsideX128: 20n,
    });
    expect(inside).toBe(Q256 - 25n);
    // …and a last value "above" the current one still gives the right positive delta.
    expect(getFeesEarned(Q128, 3n, Q256 - 2n)).toBe(5n);
    expect(wrap256(-1n)).toBe(Q256 - 1n);
  });

  it("fees earned = liquidity × Δgrowth / 2^128, rounded down", () => {
    expect(getFeesEarned(10n ** 18n, Q128 * 3n + 1n, Q128)).toBe(2n * 10n ** 18n);
    expect(getFeesEarned(3n, Q128 / 2n, 0n)).toBe(1n); // 1.5 → 1
  });
});

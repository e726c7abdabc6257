/**
 * The edges of the math: the uint128 limit on liquidity, an invalid sqrt price, arguments in either order, a tick on a
 * range's lower boundary, an empty position. Each case here was a mutant the other tests let live.
 */
import { InvalidAmountError } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { MAX_UINT128, Q96 } from "../constants.ts";
import { InvalidSqrtPriceError } from "../errors.ts";
import { fakePosition } from "../fixtures.test-util.ts";
import { getPositionPrincipal, isInRange } from "../position.ts";
import { getLiquidityForAmount0, getLiquidityForAmount1 } from "./liquidityAmounts.ts";
import { getAmount0Delta, getAmount1Delta } from "./sqrtPriceMath.ts";
import { getSqrtRatioAtTick } from "./tickMath.ts";

const refusal = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
};

describe("liquidity limits", () => {
  // Between √P = Q96 and 2·Q96: liquidity1 = amount1 exactly, liquidity0 = 2·amount0 exactly.
  it("liquidity up to uint128 max is returned; one more is refused, naming which side overflowed", () => {
    expect(getLiquidityForAmount1(Q96, 2n * Q96, MAX_UINT128)).toBe(MAX_UINT128);
    const over1 = refusal(() => getLiquidityForAmount1(Q96, 2n * Q96, MAX_UINT128 + 1n));
    expect(over1).toBeInstanceOf(InvalidAmountError);
    expect((over1 as InvalidAmountError).field).toBe("liquidity1");
    expect((over1 as Error).message).toContain("fits in uint128");
    expect(getLiquidityForAmount0(Q96, 2n * Q96, MAX_UINT128 / 2n)).toBe(MAX_UINT128 - 1n);
    const over0 = refusal(() => getLiquidityForAmount0(Q96, 2n * Q96, (MAX_UINT128 + 1n) / 2n));
    expect((over0 as InvalidAmountError).field).toBe("liquidity0");
  });

  it("takes the two sqrt prices in either order", () => {
    expect(getLiquidityForAmount1(2n * Q96, Q96, 1_000n)).toBe(1_000n);
    expect(getLiquidityForAmount0(2n * Q96, Q96, 1_000n)).toBe(2_000n);
  });
});

describe("amount deltas", () => {
  it("refuses a zero sqrt price (a pool never has one)", () => {
    expect(refusal(() => getAmount0Delta(0n, Q96, 1n, false))).toBeInstanceOf(InvalidSqrtPriceError);
    expect(refusal(() => getAmount0Delta(Q96, 0n, 1n, true))).toBeInstanceOf(InvalidSqrtPriceError);
    expect(getAmount0Delta(1n, Q96, 0n, true)).toBe(0n);
  });

  it("rounds up when asked, by exactly one unit when the quotient is not whole", () => {
    // L = 1, √A = Q96, √B = 3·Q96: token0 = Q96·2Q96/3Q96/Q96 = 2/3, token1 = 2 exactly.
    expect(getAmount0Delta(Q96, 3n * Q96, 1n, false)).toBe(0n);
    expect(getAmount0Delta(Q96, 3n * Q96, 1n, true)).toBe(1n);
    // √A = 1, √B = 3: the product over √B is 2·Q96/3 before the division by √A, so its own rounding shows.
    expect(getAmount0Delta(1n, 3n, 1n, true)).toBe((2n * Q96 + 2n) / 3n);
    expect(getAmount0Delta(1n, 3n, 1n, false)).toBe((2n * Q96) / 3n);
    expect(getAmount1Delta(Q96, Q96 + Q96 / 3n, 1n, false)).toBe(0n);
    expect(getAmount1Delta(Q96, Q96 + Q96 / 3n, 1n, true)).toBe(1n);
  });
});

describe("range boundaries", () => {
  const L = 10n ** 18n;

  it("a tick on tickLower is in range: both tokens when the price is above the boundary's", () => {
    const sqrtLower = getSqrtRatioAtTick(-600);
    const sqrtPriceX96 = sqrtLower + 10n ** 12n; // still tick -600
    const p = getPositionPrincipal({
      sqrtPriceX96,
      tick: -600,
      tickLower: -600,
      tickUpper: 600,
      liquidity: L,
    });
    expect(p.amount1).toBe(getAmount1Delta(sqrtLower, sqrtPriceX96, L, false));
    expect(p.amount1).toBeGreaterThan(0n);
    expect(p.amount0).toBe(getAmount0Delta(sqrtPriceX96, getSqrtRatioAtTick(600), L, false));
    expect(isInRange(fakePosition({ tickLower: -600, tickUpper: 600 }, { tick: -600 }))).toBe(true);
    expect(isInRange(fakePosition({ tickLower: -600, tickUpper: 600 }, { tick: -601 }))).toBe(false);
    expect(isInRange(fakePosition({ tickLower: -600, tickUpper: 600 }, { tick: 600 }))).toBe(false);
  });

  it("an empty position holds exactly nothing", () => {
    const p = getPositionPrincipal({
      sqrtPriceX96: Q96,
      tick: 0,
      tickLower: -600,
      tickUpper: 600,
      liquidity: 0n,
    });
    expect(p).toEqual({ amount0: 0n, amount1: 0n });
  });
});

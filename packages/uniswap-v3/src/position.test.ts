import { describe, expect, it } from "vitest";
import { fakePosition } from "./fixtures.test-util.ts";
import { getAmount0Delta, getAmount1Delta } from "./math/sqrtPriceMath.ts";
import { getSqrtRatioAtTick } from "./math/tickMath.ts";
import {
  getPositionAmounts,
  getPositionFees,
  getPositionPrincipal,
  isInRange,
  lpHolding,
} from "./position.ts";

const Q128 = 2n ** 128n;
const L = 10n ** 18n;

describe("getPositionPrincipal", () => {
  const lo = getSqrtRatioAtTick(-600);
  const hi = getSqrtRatioAtTick(600);

  it("in range: both tokens, rounded down", () => {
    const p = getPositionPrincipal({
      sqrtPriceX96: 2n ** 96n,
      tick: 0,
      tickLower: -600,
      tickUpper: 600,
      liquidity: L,
    });
    expect(p).toEqual({
      amount0: getAmount0Delta(2n ** 96n, hi, L, false),
      amount1: getAmount1Delta(lo, 2n ** 96n, L, false),
    });
    expect(p.amount0 > 0n && p.amount1 > 0n).toBe(true);
  });

  it("below: only token0; at or above tickUpper: only token1 (decided by slot0.tick)", () => {
    const below = getPositionPrincipal({
      sqrtPriceX96: getSqrtRatioAtTick(-601),
      tick: -601,
      tickLower: -600,
      tickUpper: 600,
      liquidity: L,
    });
    expect(below).toEqual({ amount0: getAmount0Delta(lo, hi, L, false), amount1: 0n });
    const at = getPositionPrincipal({
      sqrtPriceX96: hi,
      tick: 600,
      tickLower: -600,
      tickUpper: 600,
      liquidity: L,
    });
    expect(at).toEqual({ amount0: 0n, amount1: getAmount1Delta(lo, hi, L, false) });
    // slot0.tick === tickUpper with the price inside that tick (above sqrtRatio(tickUpper)): the pool treats
    // the position as out of range (tickLower <= tick < tickUpper is "in"), so it is all token1 and no more.
    const insideUpperTick = getPositionPrincipal({
      sqrtPriceX96: getSqrtRatioAtTick(601) - 1n,
      tick: 600,
      tickLower: -600,
      tickUpper: 600,
      liquidity: L,
    });
    expect(insideUpperTick).toEqual({ amount0: 0n, amount1: getAmount1Delta(lo, hi, L, false) });
    // tick === tickLower is in range (and holds no token1 yet at exactly the lower price).
    const atLower = getPositionPrincipal({
      sqrtPriceX96: lo,
      tick: -600,
      tickLower: -600,
      tickUpper: 600,
      liquidity: L,
    });
    expect(atLower).toEqual({ amount0: getAmount0Delta(lo, hi, L, false), amount1: 0n });
  });
});

describe("getPositionFees", () => {
  it("adds tokensOwed to liquidity × fee growth inside since the last poke", () => {
    const position = fakePosition(
      {
        tokensOwed0: 5n,
        tokensOwed1: 7n,
        feeGrowthInside0LastX128: Q128,
        feeGrowthInside1LastX128: 0n,
        lowerTick: {
          liquidityGross: L,
          feeGrowthOutside0X128: Q128,
          feeGrowthOutside1X128: 0n,
          initialized: true,
        },
      },
      { feeGrowthGlobal0X128: 4n * Q128, feeGrowthGlobal1X128: Q128 / 2n },
    );
    // inside0 = 4 − 1 (below) − 0 (above) = 3 → earned (3 − 1) × 1e18; inside1 = 0.5 → 0.5e18.
    expect(getPositionFees(position)).toEqual({ amount0: 5n + 2n * L, amount1: 7n + L / 2n });
  });

  it("is just tokensOwed for an empty position (whose ticks may be gone)", () => {
    const position = fakePosition(
      { liquidity: 0n, tokensOwed0: 3n, tokensOwed1: 4n },
      { feeGrowthGlobal0X128: Q128 },
    );
    expect(getPositionFees(position)).toEqual({ amount0: 3n, amount1: 4n });
  });
});

describe("getPositionAmounts / lpHolding", () => {
  it("sum principal and fees; the holding carries them as two exposures on the pool's ref", () => {
    const position = fakePosition({ tokensOwed0: 11n, tokensOwed1: 13n });
    const a = getPositionAmounts(position);
    expect(a.amount0).toBe(a.principal.amount0 + 11n);
    expect(a.amount1).toBe(a.principal.amount1 + 13n);
    const h = lpHolding(10, position);
    expect(h).toEqual({
      id: "uniswap-v3:10:0x4000000000000000000000000000000000000004:7",
      chainId: 10,
      protocol: "uniswap-v3",
      kind: "lp",
      ref: "10:0x3000000000000000000000000000000000000003",
      exposures: [
        { asset: "10:0x1000000000000000000000000000000000000001", amount: a.amount0 },
        { asset: "10:0x2000000000000000000000000000000000000002", amount: a.amount1 },
      ],
    });
    expect(isInRange(position)).toBe(true);
    expect(isInRange(fakePosition({}, { tick: 600 }))).toBe(false);
  });
});

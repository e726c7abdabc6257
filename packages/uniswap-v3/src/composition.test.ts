import { WAD } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { lpComposition, lpValueShares } from "./composition.ts";
import { InvalidRangeError } from "./errors.ts";
import { getSqrtRatioAtTick } from "./math/tickMath.ts";

const USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
// USDC (6) is token0, WETH (18) token1 on mainnet; at 2,000 USD/ETH, price = 1e18 / (2000·1e6) token1 per token0.
const decimals = { token0: 6, token1: 18 };
const prices = { token0: 10n ** 18n, token1: 2000n * 10n ** 18n };
// tick for 1e12/2000 = 5e8: ln(5e8)/ln(1.0001) ≈ 200311.
const TICK = 200311;

describe("lpComposition", () => {
  it("is about 50/50 for a range symmetric (in ticks) around the price, and sums to exactly 1e18", () => {
    const c = lpComposition({
      chainId: 1,
      token0: USDC,
      token1: WETH,
      sqrtPriceX96: getSqrtRatioAtTick(TICK),
      tickLower: TICK - 1000,
      tickUpper: TICK + 1000,
      prices,
      decimals,
    });
    expect(c.map((x) => x.asset)).toEqual([`1:${USDC.toLowerCase()}`, `1:${WETH.toLowerCase()}`]);
    expect(c[0]!.shareWad + c[1]!.shareWad).toBe(WAD);
    // Pool price and book price agree to ~0.01%, so each side is within 0.1% of a half.
    const half = WAD / 2n;
    const dev = c[0]!.shareWad > half ? c[0]!.shareWad - half : half - c[0]!.shareWad;
    expect(dev < WAD / 1000n).toBe(true);
  });

  it("is all token0 below the range and all token1 above it", () => {
    const common = { prices, decimals, tickLower: TICK - 1000, tickUpper: TICK + 1000 };
    expect(lpValueShares({ ...common, sqrtPriceX96: getSqrtRatioAtTick(TICK - 2000) })).toEqual({
      share0Wad: WAD,
      share1Wad: 0n,
    });
    expect(lpValueShares({ ...common, sqrtPriceX96: getSqrtRatioAtTick(TICK + 2000) })).toEqual({
      share0Wad: 0n,
      share1Wad: WAD,
    });
  });

  it("tilts toward token1 as the price rises through the range", () => {
    const common = { prices, decimals, tickLower: TICK - 1000, tickUpper: TICK + 1000 };
    const low = lpValueShares({ ...common, sqrtPriceX96: getSqrtRatioAtTick(TICK - 500) });
    const high = lpValueShares({ ...common, sqrtPriceX96: getSqrtRatioAtTick(TICK + 500) });
    expect(low.share1Wad < WAD / 2n && high.share1Wad > WAD / 2n).toBe(true);
  });

  it("rejects an empty range", () => {
    expect(() =>
      lpValueShares({ prices, decimals, tickLower: 10, tickUpper: 10, sqrtPriceX96: getSqrtRatioAtTick(0) }),
    ).toThrow(InvalidRangeError);
  });
});

import { describe, expect, it } from "vitest";
import { getTickAtSqrtRatio } from "./math/tickMath.ts";
import { sqrtPriceX96AtPrices, tickSpacingOfFee } from "./price.ts";

const WAD = 10n ** 18n;

describe("sqrtPriceX96AtPrices", () => {
  it("is 2^96 for equal prices and decimals", () => {
    expect(sqrtPriceX96AtPrices({ price0: WAD, decimals0: 6, price1: WAD, decimals1: 6 })).toBe(2n ** 96n);
  });
  it("prices USDC (token0, 6 decimals) against WETH at $3,000: the tick brackets 1e12 / 3000 wei per base unit", () => {
    const s = sqrtPriceX96AtPrices({ price0: WAD, decimals0: 6, price1: 3000n * WAD, decimals1: 18 });
    const tick = getTickAtSqrtRatio(s);
    expect(1.0001 ** tick).toBeLessThanOrEqual(1e12 / 3000);
    expect(1.0001 ** (tick + 1)).toBeGreaterThan(1e12 / 3000);
  });
  it("refuses a non-positive price", () => {
    expect(() => sqrtPriceX96AtPrices({ price0: 0n, decimals0: 6, price1: WAD, decimals1: 6 })).toThrow(
      /positive/,
    );
  });
});

describe("tickSpacingOfFee", () => {
  it("maps the standard tiers and refuses others", () => {
    expect([100, 500, 3000, 10000].map(tickSpacingOfFee)).toEqual([1, 10, 60, 200]);
    expect(() => tickSpacingOfFee(42)).toThrow(/fee tier/);
  });
});

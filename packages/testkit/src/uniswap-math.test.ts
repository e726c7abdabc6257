import { keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import { loadArtifact } from "./artifacts.ts";
import {
  alignTick,
  fullRangeTicks,
  MAX_TICK,
  sqrtPriceX96FromPrices,
  tickSpacingForFee,
} from "./uniswap-math.ts";

describe("sqrtPriceX96FromPrices", () => {
  it("is 2^96 for equal value per base unit", () => {
    expect(sqrtPriceX96FromPrices({ price0: 1n, decimals0: 6, price1: 1n, decimals1: 6 })).toBe(1n << 96n);
  });
  it("prices WETH/USDC (3000 USD, 18 vs 6 decimals) as 3000e-12 USDC units per wei", () => {
    const x = sqrtPriceX96FromPrices({
      price0: 3000n * 10n ** 8n,
      decimals0: 18,
      price1: 10n ** 8n,
      decimals1: 6,
    });
    // price = (x / 2^96)^2 = 3e-9
    const price = (Number(x) / 2 ** 96) ** 2;
    expect(price).toBeCloseTo(3e-9, 15);
  });
  it("inverts when the tokens swap places", () => {
    const a = sqrtPriceX96FromPrices({ price0: 60_000n, decimals0: 8, price1: 3000n, decimals1: 18 });
    const b = sqrtPriceX96FromPrices({ price0: 3000n, decimals0: 18, price1: 60_000n, decimals1: 8 });
    expect((Number(a) / 2 ** 96) * (Number(b) / 2 ** 96)).toBeCloseTo(1, 9);
  });
});

describe("ticks", () => {
  it("gives spacing-aligned full ranges", () => {
    expect(tickSpacingForFee(500)).toBe(10);
    expect(tickSpacingForFee(3000)).toBe(60);
    expect(fullRangeTicks(10)).toEqual({ tickLower: -887270, tickUpper: 887270 });
    expect(fullRangeTicks(60)).toEqual({ tickLower: -887220, tickUpper: 887220 });
    expect(fullRangeTicks(60).tickUpper).toBeLessThanOrEqual(MAX_TICK);
    expect(alignTick(-15, 10)).toBe(-20);
    expect(() => tickSpacingForFee(123)).toThrow(RangeError);
  });
});

describe("Uniswap init code hash", () => {
  it("the npm v3-core pool bytecode hashes to the canonical POOL_INIT_CODE_HASH baked into v3-periphery", () => {
    const hash = keccak256(loadArtifact("UniswapV3Pool").bytecode);
    expect(hash).toBe("0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54");
    for (const name of ["NonfungiblePositionManager", "SwapRouter", "QuoterV2"] as const)
      expect(loadArtifact(name).deployedBytecode).toContain(hash.slice(2));
  });
});

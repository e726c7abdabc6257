import type { SwapQuote } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { getSqrtRatioAtTick } from "./math/tickMath.ts";
import type { LpPositionKey } from "./position.ts";
import { lpKeysFromJson, lpKeysToJson, poolsAfterSwaps, type UniswapV3State } from "./protocol.ts";

describe("lpKeysToJson / lpKeysFromJson", () => {
  it("round-trips through JSON text and drops malformed entries", () => {
    const keys: LpPositionKey[] = [
      {
        tokenId: 2n ** 70n + 3n,
        pool: "0x00000000000000000000000000000000000000a1",
        token0: "0x00000000000000000000000000000000000000b2",
        token1: "0x00000000000000000000000000000000000000c3",
        fee: 500,
        tickLower: -200_010,
        tickUpper: -190_000,
      },
    ];
    const text = JSON.stringify(lpKeysToJson(keys));
    expect(lpKeysFromJson(JSON.parse(text))).toEqual(keys);
    expect(lpKeysFromJson([{ ...JSON.parse(text)[0], fee: "500" }, null, 7])).toEqual([]);
    expect(lpKeysFromJson("nope")).toEqual([]);
  });
});

describe("poolsAfterSwaps", () => {
  const WETH = "0x00000000000000000000000000000000000000B2" as const;
  const USDC = "0x00000000000000000000000000000000000000c3" as const;
  const DAI = "0x00000000000000000000000000000000000000d4" as const;
  const pool = (address: string, token0: `0x${string}`, token1: `0x${string}`, fee: number) => ({
    address: address as `0x${string}`,
    token0,
    token1,
    fee,
    tickSpacing: 10,
    sqrtPriceX96: getSqrtRatioAtTick(-200_000),
    tick: -200_000,
    liquidity: 10n ** 18n,
  });
  const state: UniswapV3State = {
    chainId: 1,
    positions: [],
    keys: [],
    pools: new Map([
      ["0xa1", pool("0xa1", WETH, USDC, 500)],
      ["0xa2", pool("0xa2", WETH, USDC, 3000)],
      ["0xa3", pool("0xa3", WETH, DAI, 500)],
    ]),
  };
  const quote = (poolsAfter: SwapQuote["poolsAfter"]): SwapQuote => ({
    venue: "uniswap-v3",
    chainId: 1,
    tokenIn: USDC,
    tokenOut: WETH,
    amountIn: 1n,
    amountOut: 1n,
    minAmountOut: 1n,
    spender: DAI,
    calls: [],
    ...(poolsAfter ? { poolsAfter } : {}),
  });

  it("moves each pool a quote trades through (tokens in either order, same fee) to its price after the swap", () => {
    const after = getSqrtRatioAtTick(-199_000);
    const later = getSqrtRatioAtTick(-198_500) + 7n;
    const moved = poolsAfterSwaps(state, [
      quote([{ tokenA: USDC.toLowerCase() as `0x${string}`, tokenB: WETH, fee: 500, sqrtPriceX96: after }]),
      quote([{ tokenA: WETH, tokenB: USDC, fee: 500, sqrtPriceX96: later }]),
    ]);
    // The last swap through a pool sets its price, and the tick follows the price.
    expect(moved.pools.get("0xa1")).toMatchObject({ sqrtPriceX96: later, tick: -198_500 });
    // Another fee tier or another pair is another pool: untouched.
    expect(moved.pools.get("0xa2")).toBe(state.pools.get("0xa2"));
    expect(moved.pools.get("0xa3")).toBe(state.pools.get("0xa3"));
    expect(state.pools.get("0xa1")?.tick).toBe(-200_000);
  });

  it("leaves the state as it is when no quote reports its pools (a 1inch route)", () => {
    expect(poolsAfterSwaps(state, [quote(undefined)])).toBe(state);
  });
});

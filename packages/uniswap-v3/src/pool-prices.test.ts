import { type Asset, assetId, WAD } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { fillPoolPrices, priceFromPool } from "./pool-prices.ts";
import type { PoolSnapshot } from "./sleeve.ts";

const WETH = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const;
const USDC = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" as const;
const WBTC = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0" as const;
const asset = (chainId: number, address: `0x${string}`, symbol: string, decimals: number): Asset => ({
  id: assetId(chainId, address),
  chainId,
  address,
  symbol,
  decimals,
});
/** sqrt(price1/price0 in raw units) × 2^96, for token0 worth `p` whole token1 (decimals d0, d1). */
const sqrtX96 = (p: number, d0: number, d1: number) =>
  BigInt(Math.round(Math.sqrt(p * 10 ** (d1 - d0)) * 2 ** 48)) * 2n ** 48n;
const pool = (token0: `0x${string}`, token1: `0x${string}`, sqrtPriceX96: bigint): PoolSnapshot => ({
  address: "0x0000000000000000000000000000000000000001",
  token0,
  token1,
  fee: 500,
  tickSpacing: 10,
  sqrtPriceX96,
  tick: 0,
  liquidity: 1n,
});
const near = (a: bigint, b: bigint, relPpm: bigint) => (a > b ? a - b : b - a) * 1_000_000n <= b * relPpm;

describe("priceFromPool", () => {
  it("prices either side of WETH/USDC (18/6 decimals) from the other", () => {
    const s = sqrtX96(3000, 18, 6);
    const eth = priceFromPool({
      sqrtPriceX96: s,
      decimals0: 18,
      decimals1: 6,
      known: { side: 1, priceUsdWad: WAD },
    });
    expect(near(eth, 3000n * WAD, 1n)).toBe(true);
    const usd = priceFromPool({
      sqrtPriceX96: s,
      decimals0: 18,
      decimals1: 6,
      known: { side: 0, priceUsdWad: 3000n * WAD },
    });
    expect(near(usd, WAD, 1n)).toBe(true);
  });
});

describe("fillPoolPrices", () => {
  it("prices through a chain of pools (WBTC/WETH then WETH/USDC) and leaves unregistered tokens alone", () => {
    const assets = new Map(
      [asset(1, WETH, "WETH", 18), asset(1, USDC, "USDC", 6), asset(1, WBTC, "WBTC", 8)].map((a) => [
        a.id,
        a,
      ]),
    );
    const prices = new Map([[assetId(1, USDC), WAD]]);
    const added = fillPoolPrices(
      prices,
      [pool(WETH, WBTC, sqrtX96(0.05, 18, 8)), pool(WETH, USDC, sqrtX96(3000, 18, 6))],
      assets,
      1,
    );
    expect(added.sort()).toEqual([assetId(1, WBTC), assetId(1, WETH)].sort());
    expect(near(prices.get(assetId(1, WETH))!, 3000n * WAD, 1n)).toBe(true);
    expect(near(prices.get(assetId(1, WBTC))!, 60_000n * WAD, 2n)).toBe(true);
    const none = new Map([[assetId(1, USDC), WAD]]);
    expect(fillPoolPrices(none, [pool(WETH, USDC, sqrtX96(3000, 18, 6))], new Map(), 1)).toEqual([]);
  });
});

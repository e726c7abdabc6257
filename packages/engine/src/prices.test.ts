import { type Asset, assetId, type ChainSnapshot, WAD } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { isPriced, mergePrices } from "./prices.ts";

const USDC = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" as const;
const asset = (chainId: number, address: `0x${string}`, symbol: string, decimals: number): Asset => ({
  id: assetId(chainId, address),
  chainId,
  address,
  symbol,
  decimals,
});

describe("mergePrices", () => {
  it("keeps each chain's own prices and prices an unquoted asset by its symbol on the lowest other chain id", () => {
    const a1 = asset(1, USDC, "USDC", 6);
    const a10 = asset(10, USDC, "USDC", 6);
    const a8453 = asset(8453, USDC, "USDC", 6);
    const chain = (chainId: number, prices: [string, bigint][]): ChainSnapshot => ({
      chainId,
      blockNumber: 1n,
      timestamp: 1n,
      holdings: [],
      prices: new Map(prices) as ChainSnapshot["prices"],
    });
    const { prices, bySymbol } = mergePrices({
      assets: new Map([a1, a10, a8453].map((a) => [a.id, a])),
      chains: [chain(8453, [[a8453.id, WAD + 7n]]), chain(1, [[a1.id, WAD - 3n]]), chain(10, [])],
    });
    expect(prices.get(a8453.id)).toBe(WAD + 7n);
    expect(prices.get(a1.id)).toBe(WAD - 3n);
    expect(prices.get(a10.id)).toBe(WAD - 3n);
    expect(bySymbol).toEqual([a10.id]);
    expect(isPriced([{ asset: a10.id, amount: 1n }], prices)).toBe(true);
    expect(isPriced([{ asset: assetId(5, USDC), amount: 1n }], prices)).toBe(false);
    expect(isPriced([{ asset: assetId(5, USDC), amount: 0n }], prices)).toBe(true);
  });
});

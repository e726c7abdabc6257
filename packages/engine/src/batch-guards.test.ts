import type { Asset, AssetId, FloorGuard, PortfolioState } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { batchGuards } from "./realize.ts";
import type { ChainFetch, ChainSetup } from "./types.ts";

const WAD = 10n ** 18n;
const asset = (n: number, symbol: string, decimals: number): Asset => {
  const address = `0x${n.toString(16).padStart(40, "0")}` as const;
  return { id: `1:${address}` as AssetId, chainId: 1, address, symbol, decimals };
};
const WETH = asset(0xa, "WETH", 18);
const USDC = asset(2, "USDC", 6);
const DAI = asset(3, "DAI", 18); // registered, but no price this cycle
const UNREGISTERED = "1:0x00000000000000000000000000000000000000ff" as AssetId;
const A_WETH = "0x00000000000000000000000000000000000000a1";

// A lending protocol prices its receipt token (aWETH) at its underlying's price; a second one has no read this
// cycle, a third one no guard tokens: neither adds a price.
const lending = {
  name: "lending",
  guardTokens: (state: { receipts: Record<string, string> }, a: Asset, priceUsdWad: bigint) =>
    state.receipts[a.id] ? [{ token: state.receipts[a.id], decimals: a.decimals, priceUsdWad }] : [],
};
const unread = { name: "unread", guardTokens: () => [{ token: "0xdead", decimals: 0, priceUsdWad: 1n }] };
const plain = { name: "plain" };
const setup = { protocols: [lending, unread, plain] } as unknown as ChainSetup;
const fetch = {
  // The fetch's own order (the guards come out sorted by asset id) and its own copy of WETH: the registry's entry wins.
  assets: [{ ...WETH, address: "0x000000000000000000000000000000000000000A" as const }, DAI, USDC],
  reads: { lending: { state: { receipts: { [WETH.id]: A_WETH } } }, plain: { state: {} } },
} as unknown as ChainFetch;
const state = {
  snapshot: { assets: new Map([WETH, USDC, DAI].map((a) => [a.id, a])) },
  prices: new Map([
    [WETH.id, 2000n * WAD],
    [USDC.id, WAD],
  ]),
} as unknown as PortfolioState;

describe("batchGuards", () => {
  const params = {
    setup,
    fetch,
    state,
    delta: new Map([
      [WETH.id, -5n * WAD],
      [USDC.id, 9_950n * 10n ** 6n],
    ]),
    touched: new Set([UNREGISTERED, WETH.id, USDC.id]),
    maxValueLossUsd: 30n * WAD,
  };

  it("guards every touched token's balance change (no bound = ≥ 0), and prices the chain's assets with their receipt tokens", () => {
    expect(batchGuards(params)).toEqual({
      balanceDeltas: [
        {
          token: USDC.address,
          min: 9_950n * 10n ** 6n,
          label: "USDC balance change (swap minOuts, exits, approved amounts)",
        },
        {
          token: WETH.address,
          min: -5n * WAD,
          label: "WETH balance change (swap minOuts, exits, approved amounts)",
        },
        {
          token: "0x00000000000000000000000000000000000000ff",
          min: 0n,
          label: `${UNREGISTERED} balance change (swap minOuts, exits, approved amounts)`,
        },
      ],
      prices: [
        { token: USDC.address, decimals: 6, priceUsdWad: WAD },
        { token: WETH.address, decimals: 18, priceUsdWad: 2000n * WAD },
        { token: A_WETH, decimals: 18, priceUsdWad: 2000n * WAD },
      ],
      maxValueLossUsd: 30n * WAD,
    });
  });

  it("adds the floors the legs contributed, and none when they contributed none", () => {
    const floor = {
      kind: "healthFactor",
      subject: "0x00000000000000000000000000000000000000b0",
      read: {
        address: "0x00000000000000000000000000000000000000b0",
        abi: [],
        functionName: "getUserAccountData",
        args: [],
      },
      output: 5,
      min: (18n * WAD) / 10n,
    } satisfies FloorGuard;
    expect(batchGuards({ ...params, floors: [floor] }).floors).toEqual([floor]);
    expect("floors" in batchGuards(params)).toBe(false);
    expect("floors" in batchGuards({ ...params, floors: [] })).toBe(false);
  });
});

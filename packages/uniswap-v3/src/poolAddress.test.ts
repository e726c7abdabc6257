import { getAddress } from "viem";
import { describe, expect, it } from "vitest";
import { UNISWAP_V3_MAINNET } from "./constants.ts";
import { UnsupportedSwapError } from "./errors.ts";
import { computePoolAddress, sortTokens } from "./poolAddress.ts";

const USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";

describe("computePoolAddress", () => {
  it("derives the mainnet USDC/WETH pools (0.05% and 0.3%) in either token order", () => {
    const factory = UNISWAP_V3_MAINNET.factory;
    expect(computePoolAddress({ factory, tokenA: USDC, tokenB: WETH, fee: 500 })).toBe(
      "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640",
    );
    expect(computePoolAddress({ factory, tokenA: WETH, tokenB: USDC, fee: 3000 })).toBe(
      "0x8ad599c3A0ff1De082011EFDDc58f1908eb6e6D8",
    );
  });

  it("sorts tokens by address and refuses a pair of one token", () => {
    expect(sortTokens(WETH, USDC)).toEqual([USDC, WETH]);
    expect(() => sortTokens(USDC, USDC.toLowerCase() as `0x${string}`)).toThrow(UnsupportedSwapError);
  });
});

describe("UNISWAP_V3_MAINNET", () => {
  it("holds EIP-55 addresses (a mistyped one fails its checksum), the SwapRouter's as Uniswap publishes it", () => {
    for (const [name, a] of Object.entries(UNISWAP_V3_MAINNET)) expect(getAddress(a), name).toBe(a);
    expect(UNISWAP_V3_MAINNET.swapRouter).toBe("0xE592427A0AEce92De3Edee1F18E0157C05861564");
  });
});

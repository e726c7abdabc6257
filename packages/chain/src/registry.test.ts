import { describe, expect, it } from "vitest";
import { UnknownChainError } from "./errors.ts";
import { extendRegistry, getChainInfo, knownChains, MULTICALL3_ADDRESS, toViemChain } from "./registry.ts";

describe("chain registry", () => {
  it("knows the target chains with Multicall3 and a block time", () => {
    for (const id of [1, 10, 137, 8453, 42161, 31337]) {
      const c = getChainInfo(id);
      expect(c.multicall3).toBe(MULTICALL3_ADDRESS);
      expect(c.blockTimeMs).toBeGreaterThan(0);
    }
    expect(getChainInfo(137).nativeToken.symbol).toBe("POL");
  });

  it("throws UnknownChainError for an unknown id", () => {
    expect(() => getChainInfo(999_999)).toThrow(UnknownChainError);
  });

  it("extends without mutating the base registry", () => {
    const r = extendRegistry([{ ...getChainInfo(31337), id: 31338, name: "Anvil B" }]);
    expect(getChainInfo(31338, r).name).toBe("Anvil B");
    expect(knownChains.has(31338)).toBe(false);
  });

  it("builds a viem chain with Multicall3", () => {
    const c = toViemChain(getChainInfo(8453), ["http://x"]);
    expect(c.contracts?.multicall3?.address).toBe(MULTICALL3_ADDRESS);
    expect(c.rpcUrls.default.http).toEqual(["http://x"]);
  });
});

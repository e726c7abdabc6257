import { decodeFunctionData, isAddressEqual, parseAbi } from "viem";
import { describe, expect, it } from "vitest";
import { decodeAggregationRouterV6 } from "../src/index.ts";
import { GOLDEN_V6 } from "./fixtures/router-v6-golden.ts";

// desc.srcReceiver is not part of DecodedSwap; read it with the ABI 1inch verified on Etherscan, spelled
// out here (not imported from src) so a wrong field order in our ABI cannot hide behind the same mistake.
const swapAbi = parseAbi([
  "struct SwapDescription { address srcToken; address dstToken; address srcReceiver; address dstReceiver; uint256 amount; uint256 minReturnAmount; uint256 flags; }",
  "function swap(address executor, SwapDescription desc, bytes data) payable returns (uint256 returnAmount, uint256 spentAmount)",
]);

describe("AggregationRouterV6 decoder against real calldata it did not encode", () => {
  it.each(GOLDEN_V6.map((g) => [g.name, g] as const))("%s", (_name, g) => {
    const d = decodeAggregationRouterV6(g.data);
    expect(d, g.source).toBeDefined();
    if (!d) return;
    const e = g.expected;
    expect(d.method).toBe(e.method);
    expect(isAddressEqual(d.srcToken, e.srcToken)).toBe(true);
    expect(d.amount).toBe(e.amount);
    if (e.minReturn !== undefined) expect(d.minReturn).toBe(e.minReturn);
    if (e.dstToken) expect(d.dstToken && isAddressEqual(d.dstToken, e.dstToken)).toBe(true);
    else expect(d.unverified).toContain("dstToken");
    if (e.recipient) expect(d.recipient !== "sender" && isAddressEqual(d.recipient, e.recipient)).toBe(true);
    else expect(d.recipient).toBe("sender");
    // The output is never mistaken for the minimum, nor the minimum for the input.
    expect(d.minReturn).not.toBe(d.amount);
    if (e.srcReceiver) {
      const { args } = decodeFunctionData({ abi: swapAbi, data: g.data });
      expect(isAddressEqual(args[1].srcReceiver, e.srcReceiver)).toBe(true);
      expect(d.recipient !== "sender" && isAddressEqual(d.recipient, e.srcReceiver)).toBe(false);
    }
  });
});

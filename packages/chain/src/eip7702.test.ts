import { decodeFunctionData } from "viem";
import { describe, expect, it } from "vitest";
import { simple7702AccountAbi } from "./abis.ts";
import { delegationCode, encodeEip7702Batch, encodeExecuteBatch, parseDelegation } from "./eip7702.ts";

const IMPL = "0x4Cd241E8d1510e30b2076397afc7508Ae59C66c9" as const;
const EOA = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const;

describe("EIP-7702 encoding", () => {
  it("builds and parses the delegation designator", () => {
    const code = delegationCode(IMPL);
    expect(code.toLowerCase()).toBe(`0xef0100${IMPL.slice(2).toLowerCase()}`);
    expect(parseDelegation(code)).toBe(IMPL);
    expect(parseDelegation("0x")).toBeUndefined();
    expect(parseDelegation(undefined)).toBeUndefined();
    expect(parseDelegation("0x6080604052")).toBeUndefined();
  });

  it("encodes executeBatch((target, value, data)[])", () => {
    const data = encodeExecuteBatch([{ to: IMPL, value: 1n, data: "0x1234" }]);
    const { functionName, args } = decodeFunctionData({ abi: simple7702AccountAbi, data });
    expect(functionName).toBe("executeBatch");
    expect(args[0]).toEqual([{ target: IMPL, value: 1n, data: "0x1234" }]);
  });

  it("adds the delegation only when the EOA is not delegated to the implementation", () => {
    const calls = [{ to: IMPL, value: 0n, data: "0x" as const }];
    expect(
      encodeEip7702Batch({ account: EOA, implementation: IMPL, calls, delegatedTo: undefined }).delegateTo,
    ).toBe(IMPL);
    expect(
      encodeEip7702Batch({ account: EOA, implementation: IMPL, calls, delegatedTo: IMPL }).delegateTo,
    ).toBeUndefined();
    const elsewhere = encodeEip7702Batch({ account: EOA, implementation: IMPL, calls, delegatedTo: EOA });
    expect(elsewhere.delegateTo).toBe(IMPL);
    expect(elsewhere.to).toBe(EOA);
    expect(elsewhere.value).toBe(0n);
  });
});

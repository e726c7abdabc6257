import { decodeFunctionData, size } from "viem";
import { describe, expect, it } from "vitest";
import { multiSendCallOnlyAbi, safeAbi } from "./abis.ts";
import {
  decodeMultiSendTransactions,
  encodeMultiSend,
  encodeMultiSendTransactions,
  encodeSafeModuleTransaction,
  hashSafeTransaction,
  safeTransactionTypedData,
} from "./safe.ts";

const A = "0x1111111111111111111111111111111111111111" as const;
const B = "0x2222222222222222222222222222222222222222" as const;
const calls = [
  { to: A, value: 0n, data: "0xdeadbeef" as const },
  { to: B, value: 5n, data: "0x" as const },
];

describe("MultiSendCallOnly packing", () => {
  it("packs op(1) ‖ to(20) ‖ value(32) ‖ len(32) ‖ data per call", () => {
    const packed = encodeMultiSendTransactions(calls);
    expect(size(packed)).toBe(85 + 4 + 85);
    expect(packed.slice(2, 4)).toBe("00");
    expect(packed.slice(4, 44)).toBe(A.slice(2));
    expect(decodeMultiSendTransactions(packed)).toEqual(calls);
  });

  it("wraps the packed calls in multiSend(bytes) and the module call with DELEGATECALL", () => {
    const tx = encodeSafeModuleTransaction({ safe: B, multiSend: A, calls });
    expect(tx.to).toBe(B);
    expect(tx.value).toBe(0n);
    const { functionName, args } = decodeFunctionData({ abi: safeAbi, data: tx.data });
    expect(functionName).toBe("execTransactionFromModule");
    expect(args?.[0]).toBe(A);
    expect(args?.[3]).toBe(1);
    expect(args?.[2]).toBe(encodeMultiSend(calls));
    const inner = decodeFunctionData({ abi: multiSendCallOnlyAbi, data: args?.[2] as `0x${string}` });
    expect(decodeMultiSendTransactions(inner.args[0])).toEqual(calls);
  });
});

describe("Safe 1.3.0 typed data", () => {
  it("uses the {chainId, verifyingContract} domain only", () => {
    const td = safeTransactionTypedData({
      safe: B,
      chainId: 1,
      tx: { to: A, value: 0n, data: "0x", operation: 1, nonce: 7n },
    });
    expect(Object.keys(td.domain)).toEqual(["chainId", "verifyingContract"]);
    expect(td.message.operation).toBe(1);
    const h1 = hashSafeTransaction({
      safe: B,
      chainId: 1,
      tx: { to: A, value: 0n, data: "0x", operation: 1, nonce: 7n },
    });
    const h2 = hashSafeTransaction({
      safe: B,
      chainId: 1,
      tx: { to: A, value: 0n, data: "0x", operation: 1, nonce: 8n },
    });
    expect(h1).not.toBe(h2);
  });
});

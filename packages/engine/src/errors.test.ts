import { MulticallError, RpcRequestError } from "@ballast/chain";
import { describe, expect, it } from "vitest";
import { ChainFetchError } from "./errors.ts";

describe("ChainFetchError", () => {
  it("names the RPC request that failed under a read: the method and the URL, its key redacted", () => {
    const key = "0123456789abcdef0123456789abcdef";
    const rpc = new RpcRequestError(
      8453,
      "eth_call",
      `https://rpc.example/v3/${key}`,
      undefined,
      new Error("fetch failed"),
    );
    // viem wraps the transport's error (CallExecutionError), the multicall read wraps viem's.
    const err = new ChainFetchError(
      "base",
      8453,
      new MulticallError("the Multicall3 eth_call failed", new Error("call", { cause: rpc })),
    );
    expect(err.shortMessage).toBe('Could not read chain "base" (8453).');
    expect(err.details).toBe(
      "Multicall3 read failed: the Multicall3 eth_call failed. RPC eth_call failed on https://rpc.example/v3/*** (chain 8453): no answer.",
    );
    expect(err.message).not.toContain(key);
  });

  it("says only what it knows when no RPC request failed (a read reverted)", () => {
    const err = new ChainFetchError(
      "base",
      8453,
      new MulticallError("Multicall3 returned no data (is it deployed?)"),
    );
    expect(err.details).toBe("Multicall3 read failed: Multicall3 returned no data (is it deployed?).");
  });
});

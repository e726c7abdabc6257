import type { Address, Hex } from "@ballast/core";
import {
  type Abi,
  type Chain,
  type Client,
  decodeErrorResult,
  decodeFunctionResult,
  encodeFunctionData,
  type Transport,
} from "viem";
import { call } from "viem/actions";
import { multicall3Abi } from "./abi.ts";
import { MULTICALL3_ADDRESS } from "./constants.ts";
import { UniswapReadError } from "./errors.ts";

/** One contract read in viem's multicall shape, so it can join any caller's Multicall3 batch. */
export type ContractRead = {
  readonly address: Address;
  readonly abi: Abi;
  readonly functionName: string;
  readonly args: readonly unknown[];
};

/** The outcome of one read in a batch (viem's `allowFailure: true` shape). */
export type ReadResult =
  | { readonly status: "success"; readonly result: unknown }
  | { readonly status: "failure"; readonly error: Error };

/** Inputs of {@link aggregateReads}. */
export type AggregateReadsParameters = {
  readonly reads: readonly ContractRead[];
  /** Pin the read to a block; "latest" otherwise. */
  readonly blockNumber?: bigint;
  /** Multicall3's address; the canonical one by default. */
  readonly multicallAddress?: Address;
};

/** A read that reverted inside the batch, with the decoded reason when there is one. */
export class ReadRevertedError extends UniswapReadError {
  override name = "ReadRevertedError";
  constructor(
    readonly functionName: string,
    readonly reason: string,
    readonly data: Hex,
  ) {
    super(`${functionName} reverted${reason ? ` (${reason})` : ""}`);
  }
}

function revertReason(abi: Abi, data: Hex): string {
  if (data === "0x") return "";
  try {
    const decoded = decodeErrorResult({ abi, data });
    return `${decoded.errorName}(${(decoded.args ?? []).map(String).join(", ")})`;
  } catch {
    return data.slice(0, 10);
  }
}

/**
 * Runs `reads` through Multicall3's `aggregate3` (every read allowed to fail) in exactly ONE `eth_call`:
 * no size-based splitting and no client-side batching, whatever the client's settings.
 */
export async function aggregateReads(
  client: Client<Transport, Chain | undefined>,
  params: AggregateReadsParameters,
): Promise<ReadResult[]> {
  const calls = params.reads.map((r) => ({
    target: r.address,
    allowFailure: true,
    callData: encodeFunctionData({ abi: r.abi, functionName: r.functionName, args: r.args }),
  }));
  let raw: Hex | undefined;
  try {
    ({ data: raw } = await call(client, {
      to: params.multicallAddress ?? MULTICALL3_ADDRESS,
      data: encodeFunctionData({ abi: multicall3Abi, functionName: "aggregate3", args: [calls] }),
      batch: false, // never merged into (or wrapped by) the client's own multicall batching
      ...(params.blockNumber !== undefined ? { blockNumber: params.blockNumber } : {}),
    }));
  } catch (err) {
    throw new UniswapReadError("the Multicall3 eth_call failed", err);
  }
  if (!raw || raw === "0x") throw new UniswapReadError("Multicall3 returned no data (is it deployed?)");
  const results = decodeFunctionResult({ abi: multicall3Abi, functionName: "aggregate3", data: raw });
  if (results.length !== params.reads.length) throw new UniswapReadError("Multicall3 result count mismatch");
  return results.map((r, i): ReadResult => {
    const read = params.reads[i]!;
    if (!r.success) {
      return {
        status: "failure",
        error: new ReadRevertedError(read.functionName, revertReason(read.abi, r.returnData), r.returnData),
      };
    }
    try {
      return {
        status: "success",
        result: decodeFunctionResult({ abi: read.abi, functionName: read.functionName, data: r.returnData }),
      };
    } catch (err) {
      return {
        status: "failure",
        error: new UniswapReadError(`${read.functionName} returned undecodable data`, err),
      };
    }
  });
}

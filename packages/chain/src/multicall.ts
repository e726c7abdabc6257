import { type Address, BallastError, type ContractRead, type Hex, type ReadResult } from "@ballast/core";
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
import { multicall3Abi } from "./abis.ts";
import { MULTICALL3_ADDRESS } from "./registry.ts";

/** Inputs of {@link aggregateReads}. */
export type AggregateReadsParameters = {
  readonly reads: readonly ContractRead[];
  /** Pin the read to a block; "latest" otherwise. */
  readonly blockNumber?: bigint | undefined;
  /** Multicall3's address; the canonical one by default. */
  readonly multicallAddress?: Address | undefined;
};

/** The Multicall3 `eth_call` itself failed, or its answer cannot be used. */
export class MulticallError extends BallastError {
  override name = "MulticallError";
  constructor(
    readonly what: string,
    cause?: unknown,
  ) {
    super(`Multicall3 read failed: ${what}.`, { cause, context: { what } });
  }
}

/** A read that reverted inside the batch, with the decoded reason when there is one. */
export class ReadRevertedError extends MulticallError {
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

function decodeOne(read: ContractRead, success: boolean, data: Hex): ReadResult {
  const abi = read.abi as Abi;
  if (!success)
    return {
      status: "failure",
      error: new ReadRevertedError(read.functionName, revertReason(abi, data), data),
    };
  try {
    return {
      status: "success",
      result: decodeFunctionResult({ abi, functionName: read.functionName, data }),
    };
  } catch (err) {
    return {
      status: "failure",
      error: new MulticallError(`${read.functionName} returned undecodable data`, err),
    };
  }
}

/**
 * Runs `reads` through Multicall3's `aggregate3` (every read allowed to fail) in exactly ONE `eth_call`:
 * no size-based splitting and no client-side batching, whatever the client's settings. The one place Ballast
 * aggregates reads; adapters describe theirs as {@link ContractRead} data.
 */
export async function aggregateReads(
  client: Client<Transport, Chain | undefined>,
  params: AggregateReadsParameters,
): Promise<ReadResult[]> {
  const calls = params.reads.map((r) => ({
    target: r.address,
    allowFailure: true,
    callData: encodeFunctionData({ abi: r.abi as Abi, functionName: r.functionName, args: r.args }),
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
    throw new MulticallError("the Multicall3 eth_call failed", err);
  }
  if (!raw || raw === "0x") throw new MulticallError("Multicall3 returned no data (is it deployed?)");
  const results = decodeFunctionResult({ abi: multicall3Abi, functionName: "aggregate3", data: raw });
  if (results.length !== params.reads.length) throw new MulticallError("Multicall3 result count mismatch");
  return results.map((r, i) => decodeOne(params.reads[i] as ContractRead, r.success, r.returnData));
}

import { aggregateReads, MULTICALL3_ADDRESS, multicall3Abi } from "@ballast/chain";
import type { Address, ContractRead } from "@ballast/core";
import type { Chain, Client, Transport } from "viem";
import { UniswapReadError } from "./errors.ts";
import type { LpPosition, LpPositionKey } from "./position.ts";
import { decodeLpReads, type LpReadsParameters, lpReads } from "./reads.ts";

/** Inputs of {@link fetchLpPositions}: what to read, plus the block and the Multicall3 address. */
export type FetchLpPositionsParameters = LpReadsParameters & {
  /** Read at this block. Absent: the first call reads the block number too, and later rounds pin to it. */
  readonly blockNumber?: bigint;
  readonly multicallAddress?: Address;
  /** Give up after this many eth_calls (default 5; the worst case needs 4). */
  readonly maxRounds?: number;
};

/** The positions at one block, the keys to cache for the next fetch, and how many eth_calls it took. */
export type FetchLpPositionsReturnType = {
  readonly positions: readonly LpPosition[];
  readonly keys: readonly LpPositionKey[];
  readonly blockNumber: bigint;
  /** eth_calls made: 1 when every id's key was passed in and no NFT appeared. */
  readonly calls: number;
};

/**
 * Reads LP positions with their pools' state through Multicall3, every round at the same block: ONE eth_call in
 * the steady state (keys of all the owner's ids passed in), up to 3 on a cold start (enumerate → positions →
 * pool state), 4 when an owner holds more NFTs than the scan window.
 */
export async function fetchLpPositions(
  client: Client<Transport, Chain | undefined>,
  params: FetchLpPositionsParameters,
): Promise<FetchLpPositionsReturnType> {
  const { blockNumber: pinned, multicallAddress, maxRounds = 5, ...readParams } = params;
  const mc = multicallAddress ?? MULTICALL3_ADDRESS;
  let blockNumber = pinned;
  let current: LpReadsParameters = readParams;
  for (let round = 1; round <= maxRounds; round++) {
    const reads = lpReads(current);
    const extra: ContractRead[] =
      blockNumber === undefined
        ? [{ address: mc, abi: multicall3Abi, functionName: "getBlockNumber", args: [] }]
        : [];
    const results = await aggregateReads(client, {
      reads: [...reads, ...extra],
      multicallAddress: mc,
      ...(blockNumber !== undefined ? { blockNumber } : {}),
    });
    if (blockNumber === undefined) {
      const last = results[reads.length];
      if (last?.status !== "success") throw new UniswapReadError("Multicall3.getBlockNumber()");
      blockNumber = last.result as bigint;
    }
    const decoded = decodeLpReads(current, results.slice(0, reads.length));
    if (decoded.complete) {
      return { positions: decoded.positions, keys: decoded.keys, blockNumber, calls: round };
    }
    current = decoded.next;
  }
  throw new UniswapReadError(`positions still incomplete after ${maxRounds} eth_calls`);
}

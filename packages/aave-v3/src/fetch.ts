import { MULTICALL3_ADDRESS } from "@ballast/chain";
import type { Address } from "@ballast/core";
import type { Client } from "viem";
import { multicall } from "viem/actions";
import { AaveReadError } from "./errors.ts";
import { type AaveReadsParameters, aaveReads, decodeAaveReads } from "./reads.ts";
import type { AavePositions } from "./types.ts";

/** Parameters of {@link fetchAavePositions}. */
export type FetchAavePositionsParameters = AaveReadsParameters & {
  /** Read at this block (default: latest). */
  readonly blockNumber?: bigint | undefined;
};

/** The result of {@link fetchAavePositions}. */
export type FetchAavePositionsReturnType = AavePositions;

/**
 * Reads an account's Aave V3 positions, the market's reserves and oracle prices and `getUserAccountData` in ONE
 * `eth_call` (a Multicall3 `aggregate3` that is never split, whatever the number of reserves).
 *
 * @example
 * const positions = await fetchAavePositions(client, { market: aaveMarkets.AaveV3Base, user });
 * console.log(positions.account.healthFactor);
 */
export async function fetchAavePositions(
  client: Client,
  params: FetchAavePositionsParameters,
): Promise<FetchAavePositionsReturnType> {
  const multicallAddress: Address = params.multicall3 ?? MULTICALL3_ADDRESS;
  const contracts = aaveReads(params);
  let results: unknown[];
  try {
    results = await multicall(client, {
      contracts,
      allowFailure: true,
      batchSize: 0,
      multicallAddress,
      ...(params.blockNumber === undefined ? {} : { blockNumber: params.blockNumber }),
    });
  } catch (cause) {
    throw new AaveReadError("the multicall failed", { cause });
  }
  return decodeAaveReads({ ...params, results });
}

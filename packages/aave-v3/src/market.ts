import { MULTICALL3_ADDRESS } from "@ballast/chain";
import type { Address } from "@ballast/core";
import { type Client, getAddress } from "viem";
import { getChainId, multicall } from "viem/actions";
import { poolAddressesProviderAbi, uiPoolDataProviderV3Abi } from "./abi.ts";
import { AaveReadError } from "./errors.ts";
import type { AaveMarket } from "./types.ts";

/** Parameters of {@link fetchAaveMarket}. */
export type FetchAaveMarketParameters = {
  readonly poolAddressesProvider: Address;
  /** Any UiPoolDataProviderV3 deployed on the chain (it takes the provider as an argument). */
  readonly uiPoolDataProvider: Address;
  readonly name?: string | undefined;
  readonly multicall3?: Address | undefined;
};

/**
 * Builds an {@link AaveMarket} from a PoolAddressesProvider, once at setup: the Pool from `getPool()` and the
 * UI data provider's generation from whether it answers `getEModes` (only the latest one does), in one eth_call
 * (plus `eth_chainId` unless the client's chain is set).
 */
export async function fetchAaveMarket(
  client: Client,
  params: FetchAaveMarketParameters,
): Promise<AaveMarket> {
  const [pool, eModes] = await multicall(client, {
    contracts: [
      { address: params.poolAddressesProvider, abi: poolAddressesProviderAbi, functionName: "getPool" },
      {
        address: params.uiPoolDataProvider,
        abi: uiPoolDataProviderV3Abi,
        functionName: "getEModes",
        args: [params.poolAddressesProvider],
      },
    ],
    allowFailure: true,
    batchSize: 0,
    multicallAddress: params.multicall3 ?? MULTICALL3_ADDRESS,
  });
  if (pool.status !== "success")
    throw new AaveReadError("PoolAddressesProvider.getPool() failed", { cause: pool.error });
  return {
    chainId: client.chain?.id ?? (await getChainId(client)),
    name: params.name,
    poolAddressesProvider: getAddress(params.poolAddressesProvider),
    pool: getAddress(pool.result),
    uiPoolDataProvider: getAddress(params.uiPoolDataProvider),
    version: eModes.status === "success" ? "latest" : "legacy",
  };
}

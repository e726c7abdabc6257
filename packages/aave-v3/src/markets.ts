import { UnknownMarketError } from "./errors.ts";
import type { AaveMarket } from "./types.ts";

/**
 * Production Aave V3 markets. Source: `@bgd-labs/aave-address-book` 4.44.22 (`AaveV3<Network>`:
 * POOL_ADDRESSES_PROVIDER, POOL, UI_POOL_DATA_PROVIDER). The package itself is not a dependency (it is large).
 * Pool and PoolAddressesProvider are proxies that never move; Aave redeploys the UiPoolDataProvider on protocol
 * upgrades, so check the address book when a read fails to decode, and pass your own `AaveMarket` if needed.
 */
export const aaveMarkets = {
  AaveV3Ethereum: {
    name: "AaveV3Ethereum",
    chainId: 1,
    poolAddressesProvider: "0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e",
    pool: "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2",
    uiPoolDataProvider: "0x56b7A1012765C285afAC8b8F25C69Bf10ccfE978",
    version: "latest",
  },
  AaveV3Optimism: {
    name: "AaveV3Optimism",
    chainId: 10,
    poolAddressesProvider: "0xa97684ead0e402dC232d5A977953DF7ECBaB3CDb",
    pool: "0x794a61358D6845594F94dc1DB02A252b5b4814aD",
    uiPoolDataProvider: "0xa6741111f4CcB5162Ec6A825465354Ed8c6F7095",
    version: "latest",
  },
  AaveV3Polygon: {
    name: "AaveV3Polygon",
    chainId: 137,
    poolAddressesProvider: "0xa97684ead0e402dC232d5A977953DF7ECBaB3CDb",
    pool: "0x794a61358D6845594F94dc1DB02A252b5b4814aD",
    uiPoolDataProvider: "0xFa1A7c4a8A63C9CAb150529c26f182cBB5500944",
    version: "latest",
  },
  AaveV3Base: {
    name: "AaveV3Base",
    chainId: 8453,
    poolAddressesProvider: "0xe20fCBdBfFC4Dd138cE8b2E6FBb6CB49777ad64D",
    pool: "0xA238Dd80C259a72e81d7e4664a9801593F98d1c5",
    uiPoolDataProvider: "0xb84A20e848baE3e13897934bB4e74E2225f4546B",
    version: "latest",
  },
  AaveV3Arbitrum: {
    name: "AaveV3Arbitrum",
    chainId: 42161,
    poolAddressesProvider: "0xa97684ead0e402dC232d5A977953DF7ECBaB3CDb",
    pool: "0x794a61358D6845594F94dc1DB02A252b5b4814aD",
    uiPoolDataProvider: "0x13c833256BD767da2320d727a3691BAff3770E39",
    version: "latest",
  },
  AaveV3Avalanche: {
    name: "AaveV3Avalanche",
    chainId: 43114,
    poolAddressesProvider: "0xa97684ead0e402dC232d5A977953DF7ECBaB3CDb",
    pool: "0x794a61358D6845594F94dc1DB02A252b5b4814aD",
    uiPoolDataProvider: "0x3518E8927A7827CDdAf841872453003CA95906A3",
    version: "latest",
  },
} as const satisfies Record<string, AaveMarket>;

/** Names of the known production markets. */
export type AaveMarketName = keyof typeof aaveMarkets;

/** Returns a known market by name (e.g. "AaveV3Base"), or throws `UnknownMarketError`. */
export function getAaveMarket(name: string): AaveMarket {
  const market = (aaveMarkets as Record<string, AaveMarket>)[name];
  if (!market) throw new UnknownMarketError(name);
  return market;
}

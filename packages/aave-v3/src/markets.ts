import { type Address, getAddress } from "viem";
import { addressBookMarkets } from "./address-book.ts";
import { UnknownMarketError } from "./errors.ts";
import type { AaveMarket } from "./types.ts";

/** Names of the known production markets (`AaveV3Ethereum`, `AaveV3Base`, …: the address book's names). */
export type AaveMarketName = keyof typeof addressBookMarkets;

/**
 * Production Aave V3 markets by name, from `@aave-dao/aave-address-book` (`src/address-book.ts` is generated from
 * it by `scripts/markets.ts`, and a test checks it against the installed book). Every market runs aave-v3-origin
 * and its current UiPoolDataProviderV3 speaks the `latest` layout. Aave redeploys the UI data provider on protocol
 * upgrades: when a read fails to decode, regenerate from a newer book or pass your own `AaveMarket`.
 */
export const aaveMarkets: Readonly<Record<AaveMarketName, AaveMarket>> = Object.fromEntries(
  Object.entries(addressBookMarkets).map(([name, m]) => [
    name,
    {
      name,
      chainId: m.chainId,
      poolAddressesProvider: getAddress(m.poolAddressesProvider) as Address,
      pool: getAddress(m.pool) as Address,
      uiPoolDataProvider: getAddress(m.uiPoolDataProvider) as Address,
      version: "latest",
    },
  ]),
) as Record<AaveMarketName, AaveMarket>;

/** Returns a known market by name (e.g. "AaveV3Base"), or throws `UnknownMarketError`. */
export function getAaveMarket(name: string): AaveMarket {
  const market = Object.hasOwn(aaveMarkets, name) ? aaveMarkets[name as AaveMarketName] : undefined;
  if (!market) throw new UnknownMarketError(name);
  return market;
}

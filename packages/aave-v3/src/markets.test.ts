import { getAddress } from "viem";
import { describe, expect, it } from "vitest";
import { bookMarkets, bookVersion } from "../scripts/book.ts";
import { ADDRESS_BOOK_VERSION } from "./address-book.ts";
import { UnknownMarketError } from "./errors.ts";
import { aaveMarkets, getAaveMarket } from "./markets.ts";

describe("production markets by name", () => {
  it("are exactly the installed @aave-dao/aave-address-book's AaveV3 markets (regenerate with `pnpm markets`)", async () => {
    expect(ADDRESS_BOOK_VERSION).toBe(bookVersion());
    const book = await bookMarkets();
    expect(Object.keys(aaveMarkets)).toEqual(Object.keys(book));
    for (const [name, m] of Object.entries(book))
      expect(getAaveMarket(name)).toEqual({
        name,
        chainId: m.chainId,
        poolAddressesProvider: getAddress(m.poolAddressesProvider),
        pool: getAddress(m.pool),
        uiPoolDataProvider: getAddress(m.uiPoolDataProvider),
        version: "latest",
      });
  });

  it("resolve the names a config uses, and refuse unknown ones with a typed error", () => {
    expect(getAaveMarket("AaveV3Ethereum")).toMatchObject({
      chainId: 1,
      poolAddressesProvider: "0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e",
      pool: "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2",
    });
    expect(getAaveMarket("AaveV3Base").chainId).toBe(8453);
    expect(getAaveMarket("AaveV3Arbitrum").chainId).toBe(42161);
    expect(() => getAaveMarket("AaveV3Mars")).toThrow(UnknownMarketError);
    expect(() => getAaveMarket("toString")).toThrow(UnknownMarketError);
  });
});

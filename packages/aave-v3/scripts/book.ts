/** Reads the markets out of `@aave-dao/aave-address-book` (dev only: the generator and its test use it). */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The installed address book's version (its package.json is not in its `exports`). */
export function bookVersion(): string {
  const main = createRequire(import.meta.url).resolve("@aave-dao/aave-address-book");
  return (JSON.parse(readFileSync(join(dirname(main), "..", "package.json"), "utf8")) as { version: string })
    .version;
}

type BookEntry = {
  CHAIN_ID?: number;
  POOL_ADDRESSES_PROVIDER?: string;
  POOL?: string;
  UI_POOL_DATA_PROVIDER?: string;
};

/** Every `AaveV3*` market with a UiPoolDataProvider, sorted by name. */
export async function bookMarkets(): Promise<
  Record<string, { chainId: number; poolAddressesProvider: string; pool: string; uiPoolDataProvider: string }>
> {
  const book = (await import("@aave-dao/aave-address-book")) as unknown as Record<string, BookEntry>;
  const entries = Object.keys(book)
    .filter((name) => /^AaveV3[A-Z]/.test(name))
    .sort()
    .flatMap((name) => {
      const m = book[name]!;
      if (!m.CHAIN_ID || !m.POOL_ADDRESSES_PROVIDER || !m.POOL || !m.UI_POOL_DATA_PROVIDER) return [];
      return [
        [
          name,
          {
            chainId: m.CHAIN_ID,
            poolAddressesProvider: m.POOL_ADDRESSES_PROVIDER,
            pool: m.POOL,
            uiPoolDataProvider: m.UI_POOL_DATA_PROVIDER,
          },
        ] as const,
      ];
    });
  return Object.fromEntries(entries);
}

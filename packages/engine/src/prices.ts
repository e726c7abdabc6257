import type { AssetId, PriceBook, Snapshot } from "@ballast/core";

/**
 * The cycle's price book: every chain's own prices (see core's `priceBookOf` rule), then, for a registered asset no
 * chain prices, the price of the same symbol on another chain (lowest chain id first). Returns the book and the
 * asset ids priced by symbol.
 */
export function mergePrices(snapshot: Snapshot): { prices: Map<AssetId, bigint>; bySymbol: AssetId[] } {
  const prices = new Map<AssetId, bigint>();
  const chains = [...snapshot.chains].sort((a, b) => a.chainId - b.chainId);
  for (const c of chains)
    for (const [id, p] of c.prices) if (id.startsWith(`${c.chainId}:`) && p > 0n) prices.set(id, p);
  for (const c of chains) for (const [id, p] of c.prices) if (!prices.has(id) && p > 0n) prices.set(id, p);
  const symbolPrice = new Map<string, bigint>();
  const ordered = [...snapshot.assets.values()].sort(
    (a, b) => a.chainId - b.chainId || (a.id < b.id ? -1 : 1),
  );
  for (const a of ordered) {
    const p = prices.get(a.id);
    if (p !== undefined && !symbolPrice.has(a.symbol)) symbolPrice.set(a.symbol, p);
  }
  const bySymbol: AssetId[] = [];
  for (const a of ordered) {
    if (prices.has(a.id)) continue;
    const p = symbolPrice.get(a.symbol);
    if (p === undefined) continue;
    prices.set(a.id, p);
    bySymbol.push(a.id);
  }
  return { prices, bySymbol };
}

/** True when every asset the holding is exposed to has a price. */
export const isPriced = (
  exposures: readonly { readonly asset: AssetId; readonly amount: bigint }[],
  prices: PriceBook,
): boolean => exposures.every((e) => e.amount === 0n || prices.has(e.asset));

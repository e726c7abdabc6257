import type { Asset, AssetId, PriceMoves, Protocol, ProtocolRead } from "@ballast/core";

/** Hypothetical USD price moves by symbol (upper case): `ETH` moves ETH and WETH, `BTC` moves BTC and WBTC. */
export type SymbolPriceMoves = ReadonlyMap<string, { readonly num: bigint; readonly den: bigint }>;

/**
 * The move of a token by its symbol: a move applies to the symbol itself and its wrapped form (W + symbol),
 * case-insensitive; the symbol's own move wins over its unwrapped form's.
 */
export function moveOfSymbol(symbols: SymbolPriceMoves, symbol: string) {
  const s = symbol.toUpperCase();
  return symbols.get(s) ?? (s.startsWith("W") ? symbols.get(s.slice(1)) : undefined);
}

/** The moves of assets by their symbols ({@link moveOfSymbol}). */
export function movesOf(symbols: SymbolPriceMoves, assets: Iterable<Asset>): PriceMoves {
  const out = new Map<AssetId, { num: bigint; den: bigint }>();
  for (const a of assets) {
    const m = moveOfSymbol(symbols, a.symbol);
    if (m) out.set(a.id, m);
  }
  return out;
}

/**
 * A protocol's read as if prices had moved: its prices scaled, and what depends on them re-derived by the protocol
 * ({@link Protocol.atPrices}); a protocol without `atPrices` holds nothing whose amounts depend on prices.
 */
export function readAtPrices(protocol: Protocol, read: ProtocolRead, moves: PriceMoves): ProtocolRead {
  const prices = new Map(
    [...read.prices].map(([id, p]) => {
      const m = moves.get(id);
      return [id, m ? (p * m.num) / m.den : p] as const;
    }),
  );
  const moved = { ...read, prices };
  return protocol.atPrices?.(moved, moves) ?? moved;
}

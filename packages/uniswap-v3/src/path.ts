import type { Address, Hex } from "@ballast/core";
import { concatHex, getAddress, numberToHex, size, sliceHex } from "viem";
import { UnsupportedSwapError } from "./errors.ts";

/** A swap path: tokens in order and the fee tier of each hop (`fees.length === tokens.length - 1`). */
export type SwapPath = { readonly tokens: readonly Address[]; readonly fees: readonly number[] };

/** Packs a path the way the router and QuoterV2 read it: token (20 bytes), fee (3 bytes), token, … */
export function encodePath(path: SwapPath): Hex {
  if (path.tokens.length < 2 || path.fees.length !== path.tokens.length - 1) {
    throw new UnsupportedSwapError("a path needs n ≥ 2 tokens and n − 1 fees");
  }
  const parts: Hex[] = [];
  path.tokens.forEach((token, i) => {
    parts.push(token.toLowerCase() as Hex);
    const fee = path.fees[i];
    if (fee !== undefined) parts.push(numberToHex(fee, { size: 3 }));
  });
  return concatHex(parts);
}

/** Unpacks a packed path (inverse of {@link encodePath}). */
export function decodePath(packed: Hex): SwapPath {
  const n = size(packed);
  if (n < 43 || (n - 20) % 23 !== 0) throw new UnsupportedSwapError(`malformed path of ${n} bytes`);
  const tokens: Address[] = [];
  const fees: number[] = [];
  for (let offset = 0; ; offset += 23) {
    tokens.push(getAddress(sliceHex(packed, offset, offset + 20)));
    if (offset + 20 === n) break;
    fees.push(Number.parseInt(sliceHex(packed, offset + 20, offset + 23).slice(2), 16));
  }
  return { tokens, fees };
}

/** A short human description of a path, e.g. "0xC02a…6Cc2 -0.05%-> 0xA0b8…eB48". */
export function describePath(path: SwapPath, symbols: Readonly<Record<string, string>> = {}): string {
  const name = (t: Address) => symbols[t.toLowerCase()] ?? `${t.slice(0, 6)}…${t.slice(-4)}`;
  return path.tokens
    .map((t, i) => {
      const fee = path.fees[i];
      return fee === undefined ? name(t) : `${name(t)} -${fee / 10_000}%->`;
    })
    .join(" ");
}

import type { Address } from "@ballast/core";
import { type Chain, defineChain } from "viem";
import { UnknownChainError } from "./errors.ts";

/** The canonical Multicall3 address (same on every chain that has it). */
export const MULTICALL3_ADDRESS: Address = "0xcA11bde05977b3631167028862bE2a173976CA11";

/** What Ballast needs to know about a chain: id, name, native token, Multicall3 and block time. */
export type ChainInfo = {
  readonly id: number;
  readonly name: string;
  readonly nativeToken: { readonly name: string; readonly symbol: string; readonly decimals: number };
  readonly multicall3: Address;
  /** Average block time in milliseconds (drives polling and replacement timing). */
  readonly blockTimeMs: number;
};

/** A set of known chains by id. */
export type ChainRegistry = ReadonlyMap<number, ChainInfo>;

const eth = { name: "Ether", symbol: "ETH", decimals: 18 } as const;

/** The chains Ballast knows out of the box (mainnets it targets plus a local anvil). */
export const knownChains: ChainRegistry = new Map<number, ChainInfo>(
  (
    [
      { id: 1, name: "Ethereum", nativeToken: eth, multicall3: MULTICALL3_ADDRESS, blockTimeMs: 12_000 },
      { id: 10, name: "OP Mainnet", nativeToken: eth, multicall3: MULTICALL3_ADDRESS, blockTimeMs: 2_000 },
      {
        id: 137,
        name: "Polygon",
        nativeToken: { name: "POL", symbol: "POL", decimals: 18 },
        multicall3: MULTICALL3_ADDRESS,
        blockTimeMs: 2_000,
      },
      { id: 8453, name: "Base", nativeToken: eth, multicall3: MULTICALL3_ADDRESS, blockTimeMs: 2_000 },
      { id: 42161, name: "Arbitrum One", nativeToken: eth, multicall3: MULTICALL3_ADDRESS, blockTimeMs: 250 },
      { id: 31337, name: "Anvil", nativeToken: eth, multicall3: MULTICALL3_ADDRESS, blockTimeMs: 1_000 },
    ] satisfies ChainInfo[]
  ).map((c) => [c.id, c]),
);

/** Returns a registry with `chains` added to (or replacing entries of) `base`. */
export function extendRegistry(
  chains: readonly ChainInfo[],
  base: ChainRegistry = knownChains,
): ChainRegistry {
  const out = new Map(base);
  for (const c of chains) out.set(c.id, c);
  return out;
}

/** Looks a chain up by id; throws {@link UnknownChainError} when the registry lacks it. */
export function getChainInfo(chainId: number, registry: ChainRegistry = knownChains): ChainInfo {
  const info = registry.get(chainId);
  if (!info) throw new UnknownChainError(chainId);
  return info;
}

/** Builds the viem `Chain` for a registry entry (Multicall3 included, so viem can batch reads). */
export function toViemChain(info: ChainInfo, rpcUrls: readonly string[] = []): Chain {
  return defineChain({
    id: info.id,
    name: info.name,
    nativeCurrency: { ...info.nativeToken },
    rpcUrls: { default: { http: [...rpcUrls] } },
    contracts: { multicall3: { address: info.multicall3 } },
    blockTime: info.blockTimeMs,
  });
}

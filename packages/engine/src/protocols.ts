/**
 * The protocol registry: the one file of the engine that names protocols. A chain config's protocol section (its key
 * here) becomes an adapter bound to that config; the engine itself only iterates over `ChainSetup.protocols`.
 * Adding a protocol = its package implementing core's `Protocol`, plus one line below.
 */
import { aaveV3Protocol } from "@ballast/aave-v3";
import type { Protocol } from "@ballast/core";
import { uniswapV3Protocol } from "@ballast/uniswap-v3";

/** Config key → adapter factory, in read order (a lending market's reserves join the asset registry first). */
export const protocolRegistry = {
  aave: aaveV3Protocol,
  uniswap: uniswapV3Protocol,
} as const;

/** The protocol configs a chain may carry, by registry key. */
export type ProtocolConfigs = {
  readonly [K in keyof typeof protocolRegistry]?: Parameters<(typeof protocolRegistry)[K]>[0] | undefined;
};

/** The adapters of a chain's protocol configs, in registry order. */
export function protocolsOf(configs: ProtocolConfigs): Protocol[] {
  const out: Protocol[] = [];
  for (const key of Object.keys(protocolRegistry) as (keyof typeof protocolRegistry)[]) {
    const config = configs[key];
    if (config !== undefined) out.push((protocolRegistry[key] as (c: typeof config) => Protocol)(config));
  }
  return out;
}

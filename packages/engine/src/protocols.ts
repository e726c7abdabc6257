/**
 * The protocol registry: the one file of Ballast that names protocols. Each entry is a protocol package's
 * {@link ProtocolPlugin} under the name of its section in `chains.<name>` of the config (`aave:`, `uniswap:`,
 * `oneInch:`, `across:`); the apps validate those sections, build the adapters, swap venues, bridges and firewall
 * entries through it, and the engine itself only iterates over `ChainSetup.protocols`. Adding a protocol = its package
 * exporting a plugin (and implementing core's `Protocol` if it holds positions), plus one line below.
 */
// The plugin alone: the package index also carries Fusion (@1inch/fusion-sdk needs Node's `assert`, which the
// Gelato function's browser bundle cannot resolve).
import { oneInchPlugin } from "@ballast/1inch/plugin";
import { aaveV3Plugin } from "@ballast/aave-v3";
import { acrossPlugin } from "@ballast/across";
import type { Protocol, ProtocolPlugin } from "@ballast/core";
import { uniswapV3Plugin } from "@ballast/uniswap-v3";

/** Config section name → plugin, in read order (a lending market's reserves join the asset registry first). */
export const protocolRegistry = {
  aave: aaveV3Plugin,
  uniswap: uniswapV3Plugin,
  oneInch: oneInchPlugin,
  across: acrossPlugin,
} as const;

/** A registered section name. */
export type ProtocolKey = keyof typeof protocolRegistry;

/** A registered plugin's valid section. */
export type SectionOf<K extends ProtocolKey> =
  (typeof protocolRegistry)[K] extends ProtocolPlugin<infer S> ? S : never;

/** The protocol sections a chain may carry, by registry key (each as its plugin validated it). */
export type ProtocolConfigs = { readonly [K in ProtocolKey]?: SectionOf<K> | undefined };

/** Each registered plugin with its key, in registry order. */
export const registeredProtocols = (): readonly (readonly [ProtocolKey, ProtocolPlugin])[] =>
  (Object.keys(protocolRegistry) as ProtocolKey[]).map((k) => [k, protocolRegistry[k] as ProtocolPlugin]);

/** The adapters of a chain's protocol sections, in registry order. */
export function protocolsOf(configs: ProtocolConfigs): Protocol[] {
  return registeredProtocols().flatMap(([key, plugin]) =>
    configs[key] === undefined || !plugin.protocol ? [] : [plugin.protocol(configs[key])],
  );
}

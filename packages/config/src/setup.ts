import type { Executor, FirewallPolicy } from "@ballast/chain";
import {
  type Address,
  type Asset,
  assetId,
  BallastError,
  type BridgeVenue,
  type PluginBuild,
  type PriceGuardPolicy,
  type ProtocolPlugin,
  type SecretRef,
  type SwapVenue,
} from "@ballast/core";
import {
  type ChainSetup,
  type ChainStatics,
  type PolicyRules,
  type ProtocolKey,
  protocolsOf,
  type ReadClient,
  registeredProtocols,
  type SleeveSpec,
} from "@ballast/engine";
import type { PolicyConfig, PortfolioChain, SharedSections } from "./schema.ts";

/** The configured tokens of a chain as core assets. */
export function tokensOf(chain: PortfolioChain): Asset[] {
  return Object.entries(chain.tokens).map(([symbol, t]) => ({
    id: assetId(chain.chainId, t.address),
    chainId: chain.chainId,
    address: t.address,
    symbol,
    decimals: t.decimals,
  }));
}

/** What the engine knows of a chain without reaching it: its tokens and its protocols, bound to their sections. */
export function chainStaticsOf(key: string, chain: PortfolioChain): ChainStatics {
  return { key, chainId: chain.chainId, tokens: tokensOf(chain), protocols: protocolsOf(chain) };
}

/** What an app adds to a chain's config to run the engine on it: how it reads, whose portfolio, how it simulates. */
export type ChainRuntimeParts = {
  readonly client: ReadClient;
  /** The portfolio account (an EIP-7702 EOA, or a Safe). */
  readonly account: Address;
  readonly executor: Executor;
  /** The config's top-level plugin sections (e.g. `across`), for the plugins that need theirs. */
  readonly shared?: SharedSections;
  /** Resolves a secret reference the config holds at `field` (e.g. "chains.base.oneInch.apiKey"). */
  readonly secret?: (ref: SecretRef, field: string) => string;
};

/** A plugin active on a chain, with its section (a listed-only venue named in `swap` without one: its defaults). */
type Active = readonly [key: ProtocolKey, plugin: ProtocolPlugin, section: unknown];

/**
 * The plugins active on a chain, in registry order: those with a section there, except a listed-only venue, which is
 * active exactly when `swap` lists it (with its section, or the section's defaults).
 */
export function activePlugins(chain: PortfolioChain): Active[] {
  return registeredProtocols().flatMap(([key, plugin]): Active[] => {
    const section: unknown = chain[key];
    if (!plugin.venue?.listedOnly) return section === undefined ? [] : [[key, plugin, section]];
    if (!chain.swap?.includes(plugin.venue.name)) return [];
    if (section !== undefined) return [[key, plugin, section]];
    const defaults = plugin.configSchema["~standard"].validate({});
    if (defaults instanceof Promise || defaults.issues)
      throw new TypeError(`the ${key} section has no defaults`);
    return [[key, plugin, defaults.value]];
  });
}

/** What a plugin builds with on a chain (see core's `PluginBuild`): secrets resolved through the app, by full path. */
function buildParams(
  key: string,
  name: string,
  chain: PortfolioChain,
  parts: ChainRuntimeParts,
): PluginBuild {
  const tokens = tokensOf(chain);
  return {
    chainId: chain.chainId,
    client: parts.client,
    tokens,
    symbols: Object.fromEntries(tokens.map((t) => [t.address.toLowerCase(), t.symbol])),
    secret: (ref, field, shared) => {
      const at = shared ? `${name}.${field}` : `chains.${key}.${name}.${field}`;
      if (!parts.secret) throw new SecretsUnavailableError(at);
      return parts.secret(ref, at);
    },
  };
}

/** The config names a secret and the app resolves none (a plugin that needs them is not accepted by such an app). */
export class SecretsUnavailableError extends BallastError {
  override name = "SecretsUnavailableError";
  constructor(readonly field: string) {
    super(`${field}: this app resolves no secrets.`);
  }
}

/** The swap venues of a chain in its `swap` order (default: every venue its protocol sections offer, but listed-only). */
export function venuesOf(key: string, chain: PortfolioChain, parts: ChainRuntimeParts): SwapVenue[] {
  const offered = activePlugins(chain).flatMap(([name, plugin, section]) => {
    const venue = plugin.venue;
    return venue
      ? [
          [
            venue.name,
            {
              listed: !!venue.listedOnly,
              make: () => venue.create(section, buildParams(key, name, chain, parts)),
            },
          ] as const,
        ]
      : [];
  });
  const make = new Map(offered);
  const names = chain.swap ?? offered.filter(([, v]) => !v.listed).map(([name]) => name);
  return names.flatMap((name) => {
    const v = make.get(name);
    return v ? [v.make()] : [];
  });
}

/** The chain's bridge: the first active plugin offering one whose top-level section is set. */
export function bridgeOf(
  key: string,
  chain: PortfolioChain,
  parts: ChainRuntimeParts,
): BridgeVenue | undefined {
  for (const [name, plugin, section] of activePlugins(chain)) {
    const shared: unknown = (parts.shared as Record<string, unknown> | undefined)?.[name];
    if (plugin.bridge && (shared !== undefined || !plugin.shared))
      return plugin.bridge.create(section, shared, buildParams(key, name, chain, parts));
  }
  return undefined;
}

/**
 * The engine's {@link ChainSetup} of a validated chain: tokens and protocols from the config (see
 * {@link chainStaticsOf}), venues in `swap` order, the bridge, and the app's client, account and executor. Both apps
 * build their chains with it, so the same config gives the same calldata in both.
 */
export function chainSetupOf(key: string, chain: PortfolioChain, parts: ChainRuntimeParts): ChainSetup {
  const bridge = bridgeOf(key, chain, parts);
  return {
    ...chainStaticsOf(key, chain),
    client: parts.client,
    account: parts.account,
    venues: venuesOf(key, chain, parts),
    executor: parts.executor,
    ...(bridge ? { bridge } : {}),
  };
}

/** The protocol contracts a batch may call on a chain, from its active plugins (the batch firewall's `contracts`). */
export function firewallContractsOf(chain: PortfolioChain): FirewallPolicy["contracts"] {
  return activePlugins(chain).flatMap(([, plugin, section]) =>
    plugin.firewall(section, { chainId: chain.chainId, swap: chain.swap }),
  );
}

/** The engine's sleeves and rules, and the price guard's limits, from a validated policy (one name per concept). */
export function policyOf(
  policy: PolicyConfig,
  chains: readonly PortfolioChain[],
): { sleeves: SleeveSpec[]; rules: PolicyRules; priceGuard: PriceGuardPolicy } {
  const p = policy;
  const sleeves: SleeveSpec[] = p.sleeves.map((s) => ({
    id: s.id,
    chain: s.chain,
    kind: s.kind,
    weightBps: s.weight,
    ...(s.asset ? { asset: s.asset } : {}),
    ...(s.pool ? { pool: s.pool } : {}),
    ...(s.range !== undefined ? { rangeBps: s.range } : {}),
  }));
  const rules: PolicyRules = {
    bands: { absoluteBps: p.bands.absolute, relativeBps: p.bands.relative },
    ...(p.trigger !== undefined ? { trigger: p.trigger } : {}),
    ...(p.calendar !== undefined ? { calendarSeconds: p.calendar } : {}),
    cooldownSeconds: p.cooldown,
    rebalanceTo: p.rebalanceTo,
    minTradeUsd: p.minTrade,
    maxSlippageBps: p.maxSlippage,
    maxValueLossBps: p.maxValueLoss,
    maxCostOfDriftRemovedBps: p.maxCostOfDriftRemoved,
    healthFactorFloorWad: p.healthFactorFloor,
    bridge: { premiumBps: p.bridge.premium, objective: p.bridge.objective },
  };
  const priceGuard: PriceGuardPolicy = {
    maxDeviationBps: p.maxPriceDeviation,
    maxAgeSeconds: p.maxPriceAge,
    maxAgeByChain: Object.fromEntries(
      chains.map((c) => [
        c.chainId,
        Object.fromEntries(Object.entries(c.priceFeeds).map(([symbol, f]) => [symbol, f.maxAge])),
      ]),
    ),
  };
  return { sleeves, rules, priceGuard };
}

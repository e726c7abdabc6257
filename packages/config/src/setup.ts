import type { Executor, FirewallPolicy } from "@ballast/chain";
import { type Address, type Asset, assetId, type PriceGuardPolicy, type SwapVenue } from "@ballast/core";
import {
  type ChainSetup,
  type ChainStatics,
  type PolicyRules,
  protocolsOf,
  type ReadClient,
  registeredProtocols,
  type SleeveSpec,
} from "@ballast/engine";
import type { PolicyConfig, PortfolioChain } from "./schema.ts";

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
  /** Venues the app builds itself (e.g. one that needs a secret), by the name `swap` lists them under. */
  readonly venues?: Readonly<Record<string, () => SwapVenue>>;
};

/** The swap venues of a chain in its `swap` order (default: every venue its protocol sections offer). */
export function venuesOf(
  chain: PortfolioChain,
  client: ReadClient,
  appVenues: ChainRuntimeParts["venues"] = {},
) {
  const symbols = Object.fromEntries(
    Object.entries(chain.tokens).map(([s, t]) => [t.address.toLowerCase(), s]),
  );
  const offered = registeredProtocols().flatMap(([key, plugin]) => {
    const section = chain[key];
    const venue = plugin.venue;
    return section === undefined || !venue
      ? []
      : [[venue.name, () => venue.create(section, { client, symbols })] as const];
  });
  const make = new Map<string, () => SwapVenue>([...offered, ...Object.entries(appVenues)]);
  const names = chain.swap ?? offered.map(([name]) => name);
  return names.flatMap((name) => {
    const create = make.get(name);
    return create ? [create()] : [];
  });
}

/**
 * The engine's {@link ChainSetup} of a validated chain: tokens and protocols from the config (see
 * {@link chainStaticsOf}), venues in `swap` order, and the app's client, account and executor. Both apps build their
 * chains with it, so the same config gives the same calldata in both.
 */
export function chainSetupOf(key: string, chain: PortfolioChain, parts: ChainRuntimeParts): ChainSetup {
  return {
    ...chainStaticsOf(key, chain),
    client: parts.client,
    account: parts.account,
    venues: venuesOf(chain, parts.client, parts.venues),
    executor: parts.executor,
  };
}

/** The protocol contracts a batch may call on a chain, from its sections (the batch firewall's `contracts`). */
export function firewallContractsOf(chain: PortfolioChain): FirewallPolicy["contracts"] {
  return registeredProtocols().flatMap(([key, plugin]) => {
    const section = chain[key];
    return section === undefined ? [] : plugin.firewall(section);
  });
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

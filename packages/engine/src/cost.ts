import type { BridgeRoute, CostModel, GasTable, PairSwapCost } from "@ballast/core";
import type { SleeveSlot } from "./policy.ts";
import type { ChainSetup, ChainStatics } from "./types.ts";

const usd = (cents: number): bigint => (BigInt(cents) * 10n ** 18n) / 100n;

/**
 * Rough gas cost per leg on Ethereum mainnet (USD wad): ~20 gwei and ETH near $3,000 ($0.06 per 1k gas); mint and
 * increase include their two approvals and two approval resets (≤ ~8k gas, $0.50). Override with a real cost model.
 */
export const MAINNET_GAS_USD: GasTable = {
  withdraw: usd(1_500),
  borrow: usd(1_800),
  supply: usd(1_500),
  repay: usd(1_500),
  decrease: usd(2_000),
  mint: usd(3_050),
  increase: usd(2_050),
  swap: usd(1_200),
  transfer: usd(550),
};

/** Rough gas cost per leg on an L2 (USD wad). */
export const L2_GAS_USD: GasTable = {
  withdraw: usd(5),
  borrow: usd(5),
  supply: usd(5),
  repay: usd(5),
  decrease: usd(8),
  mint: usd(10),
  increase: usd(8),
  swap: usd(5),
  transfer: usd(5),
};

/** Options of {@link defaultCostModel}. */
export type DefaultCostModelParameters = {
  /** The resolved sleeves: LP sleeves' pools give their pairs an exact fee. */
  readonly slots: readonly SleeveSlot[];
  /** Fee assumed for any other pair, bps (default 30: the common 0.3% tier; routes through 0.05% pools cost less). */
  readonly defaultFeeBps?: number;
  /** Price impact assumed per swap, bps (default 10). */
  readonly slippageBps?: number;
  /** Bridge routes (see {@link bridgeRoutes}); none: per-chain totals cannot change. */
  readonly bridges?: readonly BridgeRoute[];
};

/**
 * The routes the chains' bridges open: from every chain with a bridge to every other chain with one, for each token
 * symbol both list in their bridge's `tokens`, at the sending bridge's estimated fee and fixed cost.
 */
export function bridgeRoutes(
  chains: readonly (Pick<ChainStatics, "chainId" | "tokens"> & Pick<ChainSetup, "bridge">)[],
): BridgeRoute[] {
  const symbols = (c: (typeof chains)[number]): string[] =>
    c.tokens
      .filter((t) => c.bridge?.tokens.some((a) => a.toLowerCase() === t.address.toLowerCase()))
      .map((t) => t.symbol);
  const routes: BridgeRoute[] = [];
  for (const from of chains)
    for (const to of chains) {
      if (from === to || !from.bridge || !to.bridge) continue;
      const there = new Set(symbols(to));
      for (const symbol of symbols(from))
        if (there.has(symbol))
          routes.push({
            symbol,
            fromChainId: from.chainId,
            toChainId: to.chainId,
            feeBps: from.bridge.feeBps,
            fixedUsd: from.bridge.fixedUsd,
          });
    }
  return routes;
}

/**
 * A cost model when the caller has none: swaps cost the LP sleeves' pool fee on their pair (both directions) and
 * `defaultFeeBps` elsewhere, plus `slippageBps`; gas is {@link MAINNET_GAS_USD} on chain 1 and {@link L2_GAS_USD}
 * elsewhere; the given bridge routes (none: per-chain totals cannot change). Deterministic in its inputs.
 */
export function defaultCostModel(params: DefaultCostModelParameters): CostModel {
  const slippageBps = params.slippageBps ?? 10;
  const pairs = new Map<string, PairSwapCost>();
  for (const s of params.slots) {
    if (!s.pool) continue;
    const feeBps = s.pool.fee / 100;
    const [a, b] = [s.pool.token0.id, s.pool.token1.id];
    for (const [assetIn, assetOut] of [
      [a, b],
      [b, a],
    ] as const) {
      const key = `${assetIn}>${assetOut}`;
      const prev = pairs.get(key);
      // Several LP sleeves on one pair (fee tiers): assume the cheapest pool routes the swap.
      if (!prev || prev.feeBps > feeBps)
        pairs.set(key, { chainId: s.chainId, assetIn, assetOut, feeBps, slippageBps });
    }
  }
  const chains = [...new Set(params.slots.map((s) => s.chainId))].sort((x, y) => x - y);
  return {
    swap: {
      default: { feeBps: params.defaultFeeBps ?? 30, slippageBps },
      pairs: [...pairs.values()].sort((x, y) =>
        x.assetIn < y.assetIn ? -1 : x.assetIn > y.assetIn ? 1 : x.assetOut < y.assetOut ? -1 : 1,
      ),
    },
    gasUsd: {
      default: L2_GAS_USD,
      chains: chains.map((chainId) => ({ chainId, gas: chainId === 1 ? MAINNET_GAS_USD : L2_GAS_USD })),
    },
    ...(params.bridges && params.bridges.length > 0 ? { bridges: params.bridges } : {}),
  };
}

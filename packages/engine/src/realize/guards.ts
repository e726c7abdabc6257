import type { Guards, TokenPrice } from "@ballast/chain";
import type { Address, AssetId, FloorGuard, PortfolioState } from "@ballast/core";
import type { ChainFetch, ChainSetup } from "../types.ts";

/** Inputs of {@link batchGuards}. */
export type BatchGuardsParameters = {
  readonly setup: ChainSetup;
  readonly fetch: ChainFetch;
  readonly state: PortfolioState;
  /** Lower bound of each touched asset's balance change. */
  readonly delta: ReadonlyMap<AssetId, bigint>;
  readonly touched: ReadonlySet<AssetId>;
  /** Largest acceptable loss over the priced tokens (value put into unpriced positions added, taken out subtracted). */
  readonly maxValueLossUsd: bigint;
  /** The floors the legs contributed (a lending market's health factor, when a leg moves it and the policy has one). */
  readonly floors?: readonly FloorGuard[];
};

/**
 * The simulation's post-conditions for a chain batch:
 * - a balance-delta guard per touched token: the change must be ≥ guaranteed inflows (swap minOuts, exits; LP
 *   decrease mins + fees) − largest outflows (approved amounts);
 * - the value loss over wallet tokens and the tokens the protocols price with them (`guardTokens`: a lending
 *   market's deposit tokens at their underlying's price, its debt tokens at minus it), with the limit raised by what enters unpriced positions (LP) and lowered
 *   by what leaves them;
 * - the floors the legs' protocols contributed: a lending market's health factor after the batch ≥ the policy's floor,
 *   when the batch moves it and the policy has one.
 */
export function batchGuards(params: BatchGuardsParameters): Guards {
  const { setup, fetch, state } = params;
  const assets = state.snapshot.assets;
  const chainAssets = fetch.assets
    .map((a) => assets.get(a.id) ?? a)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const balanceDeltas = [...params.touched].sort().map((id) => {
    const a = assets.get(id);
    return {
      token: (a?.address ?? id.split(":")[1]) as Address,
      min: params.delta.get(id) ?? 0n,
      label: `${a?.symbol ?? id} balance change (swap minOuts, exits, approved amounts)`,
    };
  });
  const prices: TokenPrice[] = [];
  for (const a of chainAssets) {
    const p = state.prices.get(a.id);
    if (p === undefined) continue;
    prices.push({ token: a.address, decimals: a.decimals, priceUsdWad: p });
    for (const protocol of setup.protocols) {
      const read = fetch.reads[protocol.name];
      if (read && protocol.guardTokens) prices.push(...protocol.guardTokens(read.state, a, p));
    }
  }
  return {
    balanceDeltas,
    prices,
    maxValueLossUsd: params.maxValueLossUsd,
    ...(params.floors?.length ? { floors: params.floors } : {}),
  };
}

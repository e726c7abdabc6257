import type { CompiledCosts } from "../cost.ts";
import { MissingPriceError } from "../errors.ts";
import { compositionOf, DEFAULT_BRIDGE_PREMIUM_BPS } from "../policy.ts";
import type { PortfolioState } from "../state.ts";
import type { FlowContext } from "./types.ts";

/** Legs worth less than this (one cent, USD wad) are never planned, even with a zero minimum trade. */
export const DUST_USD = 10n ** 16n;

/**
 * What the flow solver reads for a portfolio state and a compiled cost model: compositions (every asset priced, else
 * {@link MissingPriceError}), the minimum trade (at least a cent: smaller legs are rounding dust), the cross-chain
 * tolerance, the slippage guard and how bridges compete (`policy.bridge`).
 */
export function flowContext(state: PortfolioState, costs: CompiledCosts): FlowContext {
  const { policy } = state;
  const comps = state.sleeves.map((s) => compositionOf(s.sleeve));
  comps.forEach((comp, i) => {
    comp.forEach((c, j) => {
      if (!state.prices.has(c.asset))
        throw new MissingPriceError(c.asset, `policy.sleeves[${i}].composition[${j}].asset`);
    });
  });
  const minTrade = policy.minTradeUsd > DUST_USD ? policy.minTradeUsd : DUST_USD;
  const rounding = state.navUsd / 100_000_000n;
  return {
    sleeves: state.sleeves,
    comps,
    assets: state.snapshot.assets,
    prices: state.prices,
    costs,
    minTrade,
    maxSlippageCbps: BigInt(policy.maxSlippageBps) * 100n,
    crossTol: minTrade > rounding ? minTrade : rounding,
    allowBridges: true,
    bridge: {
      objective: policy.bridge?.objective ?? "cost",
      premiumCbps: (policy.bridge?.premiumBps ?? DEFAULT_BRIDGE_PREMIUM_BPS) * 100,
    },
  };
}

/** A cross-chain flow setup for the flow phases' own tests: three chains, USDC and WETH, hand-made routes and nodes. */
import { type BridgeRoute, compileCostModel, type PairSwapCost } from "../src/cost.ts";
import type { FlowContext, FlowNode } from "../src/flows/types.ts";
import type { Asset } from "../src/model.ts";
import { DAI1, mkAsset, registry, USDC1, USDC8453, usd, WBTC1, WETH1, WETH8453 } from "./fixtures.ts";

export const OP = 10;
export const USDC10 = mkAsset(OP, 2, "USDC", 6);
const assets = registry([WETH1, USDC1, DAI1, WBTC1, WETH8453, USDC8453, USDC10]);
const PRICE: Record<string, bigint> = {
  WETH: usd("2000"),
  USDC: usd("1"),
  DAI: usd("1"),
  WBTC: usd("60000"),
};

/** A bridge route; fees in bps, fixed cost in dollars. */
export const route = (
  symbol: string,
  fromChainId: number,
  toChainId: number,
  feeBps: number,
  fixed = "0",
): BridgeRoute => ({
  symbol,
  fromChainId,
  toChainId,
  feeBps,
  fixedUsd: usd(fixed),
});

/**
 * What `cheapestCrossing` reads of a flow context (swaps free unless given, no bridge premium unless given), and the
 * model's routes. The rest of a context (sleeves, prices, slippage) is phase 1's and 3's, not read here.
 */
export function setup(
  bridges: BridgeRoute[],
  opts: { minTrade?: string; swapBps?: number; premiumBps?: number; pairs?: PairSwapCost[] } = {},
) {
  const costs = compileCostModel(
    { swap: { default: { feeBps: opts.swapBps ?? 0, slippageBps: 0 }, pairs: opts.pairs ?? [] }, bridges },
    assets,
  );
  const minTrade = usd(opts.minTrade ?? "0.01");
  const ctx = {
    assets,
    costs,
    minTrade,
    crossTol: minTrade,
    maxSlippageCbps: 5000n,
    bridge: { objective: "cost", premiumCbps: (opts.premiumBps ?? 0) * 100 },
  } as unknown as FlowContext;
  return { ctx, routes: costs.routes };
}

/** A node that releases (`+`) or asks for (`−`) `dollars` worth of `a`. */
export const node = (a: Asset, dollars: number): FlowNode => {
  const price = PRICE[a.symbol] as bigint;
  const units = (usd(String(Math.abs(dollars))) * 10n ** BigInt(a.decimals)) / price;
  return {
    asset: a.id,
    chainId: a.chainId,
    dec: a.decimals,
    price,
    released: dollars > 0 ? units : 0n,
    demand: dollars < 0 ? units : 0n,
  };
};
export const byChain = (...nodes: FlowNode[]) => {
  const m = new Map<number, FlowNode[]>();
  for (const n of nodes) m.set(n.chainId, [...(m.get(n.chainId) ?? []), n]);
  return m;
};

import { type Asset, type AssetId, assetId, type DiscoveredSleeve, type Holding } from "@ballast/core";
import { lpHolding } from "./position.ts";
import type { UniswapV3State } from "./protocol.ts";

/**
 * The `uniswap-v3-lp` sleeve that claims an LP holding: its pool as "SYMBOL0/SYMBOL1/FEE" and the range of new
 * positions from the position's own width. A range of ±b (prices (1 − b) and (1 + b) times the current one, see
 * `rangeAround`) spans ticks with 1.0001^width = (1 + b) / (1 − b), so b = (r − 1) / (r + 1), rounded to a whole percent.
 */
export function lpSleeveSpecOf(
  holding: Holding,
  state: UniswapV3State,
  assets: ReadonlyMap<AssetId, Asset>,
): DiscoveredSleeve {
  const position = state.positions.find((p) => lpHolding(state.chainId, p).id === holding.id);
  if (!position) return { kind: "uniswap-v3-lp" };
  const symbol = (token: `0x${string}`) => assets.get(assetId(state.chainId, token))?.symbol ?? token;
  const r = 1.0001 ** (position.tickUpper - position.tickLower);
  const rangeBps = Math.min(9_900, Math.max(100, Math.round(((r - 1) / (r + 1)) * 100) * 100));
  return {
    kind: "uniswap-v3-lp",
    pool: `${symbol(position.token0)}/${symbol(position.token1)}/${position.fee}`,
    rangeBps,
  };
}

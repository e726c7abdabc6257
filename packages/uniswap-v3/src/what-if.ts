import type { AssetId, PriceMoves, ProtocolRead } from "@ballast/core";
import { assetId, isqrt } from "@ballast/core";
import { getTickAtSqrtRatio, MAX_SQRT_RATIO, MIN_SQRT_RATIO } from "./math/tickMath.ts";
import { getPositionFees, getPositionPrincipal, type LpPosition, lpHolding } from "./position.ts";
import type { UniswapV3State } from "./protocol.ts";
import type { PoolSnapshot } from "./sleeve.ts";

/**
 * A pool's price after its tokens' USD prices moved by `moves`: token1 per token0 scales by move0 / move1, so the sqrt
 * price by √(move0 / move1) (floored, clamped to the pool's bounds), the tick is the one of that sqrt price. The
 * liquidity stays: a hypothetical, not a simulation of the swaps that would move it.
 */
export function poolAtPrices<P extends PoolSnapshot>(pool: P, chainId: number, moves: PriceMoves): P {
  const one = { num: 1n, den: 1n };
  const m0 = moves.get(assetId(chainId, pool.token0)) ?? one;
  const m1 = moves.get(assetId(chainId, pool.token1)) ?? one;
  if (m0.num * m1.den === m1.num * m0.den) return pool;
  const raw = isqrt((pool.sqrtPriceX96 * pool.sqrtPriceX96 * m0.num * m1.den) / (m0.den * m1.num));
  const sqrtPriceX96 =
    raw < MIN_SQRT_RATIO ? MIN_SQRT_RATIO : raw >= MAX_SQRT_RATIO ? MAX_SQRT_RATIO - 1n : raw;
  return { ...pool, sqrtPriceX96, tick: getTickAtSqrtRatio(sqrtPriceX96) };
}

/**
 * {@link uniswapV3Protocol}'s read at moved prices: every pool at its moved price, every position's principal at it;
 * uncollected fees stay as read (they do not depend on the price).
 */
export function lpReadAtPrices(
  read: ProtocolRead<UniswapV3State>,
  moves: PriceMoves,
): ProtocolRead<UniswapV3State> {
  const { chainId } = read.state;
  const pools = new Map([...read.state.pools].map(([k, p]) => [k, poolAtPrices(p, chainId, moves)]));
  const positions = read.state.positions.map((p): LpPosition => {
    const moved = poolAtPrices(p.poolState, chainId, moves);
    return moved === p.poolState ? p : { ...p, poolState: moved };
  });
  const holdings = read.state.positions.map((p, i) => {
    const moved = positions[i] as LpPosition;
    const held = lpHolding(chainId, p);
    if (moved === p) return held;
    const principal = getPositionPrincipal({
      sqrtPriceX96: moved.poolState.sqrtPriceX96,
      tick: moved.poolState.tick,
      tickLower: p.tickLower,
      tickUpper: p.tickUpper,
      liquidity: p.liquidity,
    });
    const fees = getPositionFees(p);
    const amounts: Record<AssetId, bigint> = {
      [assetId(chainId, p.token0)]: principal.amount0 + fees.amount0,
      [assetId(chainId, p.token1)]: principal.amount1 + fees.amount1,
    };
    return {
      ...held,
      exposures: held.exposures.map((e) => ({ ...e, amount: amounts[e.asset] ?? e.amount })),
    };
  });
  return { ...read, holdings, state: { ...read.state, pools, positions } };
}

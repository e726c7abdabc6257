import { type Address, assetId, type Holding } from "@ballast/core";
import { MAX_UINT128 } from "./constants.ts";
import { getFeeGrowthInside, getFeesEarned } from "./math/fees.ts";
import { getAmount0Delta, getAmount1Delta } from "./math/sqrtPriceMath.ts";
import { getSqrtRatioAtTick } from "./math/tickMath.ts";

/** A pair of token amounts in base units. */
export type TokenAmounts = { readonly amount0: bigint; readonly amount1: bigint };

/** The facts of a position NFT that never change for its token id, so a caller may cache them between reads. */
export type LpPositionKey = {
  readonly tokenId: bigint;
  readonly pool: Address;
  readonly token0: Address;
  readonly token1: Address;
  /** Fee tier in hundredths of a bip (500 = 0.05%). */
  readonly fee: number;
  readonly tickLower: number;
  readonly tickUpper: number;
};

/** A pool's state at the read block. */
export type PoolState = {
  readonly address: Address;
  readonly token0: Address;
  readonly token1: Address;
  readonly fee: number;
  readonly tickSpacing: number;
  readonly sqrtPriceX96: bigint;
  /** slot0.tick: decides which side of a range the pool is on (not always derivable from the sqrt price). */
  readonly tick: number;
  /** In-range liquidity. */
  readonly liquidity: bigint;
  readonly feeGrowthGlobal0X128: bigint;
  readonly feeGrowthGlobal1X128: bigint;
};

/** The fee-growth part of a pool's `ticks(tick)` entry. */
export type TickState = {
  readonly liquidityGross: bigint;
  readonly feeGrowthOutside0X128: bigint;
  readonly feeGrowthOutside1X128: bigint;
  readonly initialized: boolean;
};

/** A position NFT with everything its amounts and fees depend on, read at one block. */
export type LpPosition = LpPositionKey & {
  readonly positionManager: Address;
  /** Set when the position was found by enumerating an owner's NFTs. */
  readonly owner?: Address;
  readonly liquidity: bigint;
  readonly feeGrowthInside0LastX128: bigint;
  readonly feeGrowthInside1LastX128: bigint;
  readonly tokensOwed0: bigint;
  readonly tokensOwed1: bigint;
  readonly poolState: PoolState;
  readonly lowerTick: TickState;
  readonly upperTick: TickState;
};

/** Inputs of {@link getPositionPrincipal}. */
export type PositionPrincipalParameters = {
  readonly sqrtPriceX96: bigint;
  /** The pool's slot0.tick. */
  readonly tick: number;
  readonly tickLower: number;
  readonly tickUpper: number;
  readonly liquidity: bigint;
};

/** Tokens that burning all of `liquidity` returns at the pool's current price (rounded down, as the pool). */
export function getPositionPrincipal(p: PositionPrincipalParameters): TokenAmounts {
  const sqrtLower = getSqrtRatioAtTick(p.tickLower);
  const sqrtUpper = getSqrtRatioAtTick(p.tickUpper);
  if (p.liquidity === 0n) return { amount0: 0n, amount1: 0n };
  if (p.tick < p.tickLower)
    return { amount0: getAmount0Delta(sqrtLower, sqrtUpper, p.liquidity, false), amount1: 0n };
  if (p.tick < p.tickUpper) {
    return {
      amount0: getAmount0Delta(p.sqrtPriceX96, sqrtUpper, p.liquidity, false),
      amount1: getAmount1Delta(sqrtLower, p.sqrtPriceX96, p.liquidity, false),
    };
  }
  return { amount0: 0n, amount1: getAmount1Delta(sqrtLower, sqrtUpper, p.liquidity, false) };
}

/** Uncollected fees of a position: its recorded `tokensOwed` plus what its liquidity earned since the last poke. */
export function getPositionFees(position: LpPosition): TokenAmounts {
  if (position.liquidity === 0n) return { amount0: position.tokensOwed0, amount1: position.tokensOwed1 };
  const { poolState: pool, tickLower, tickUpper } = position;
  const inside0 = getFeeGrowthInside({
    tickCurrent: pool.tick,
    tickLower,
    tickUpper,
    feeGrowthGlobalX128: pool.feeGrowthGlobal0X128,
    lowerFeeGrowthOutsideX128: position.lowerTick.feeGrowthOutside0X128,
    upperFeeGrowthOutsideX128: position.upperTick.feeGrowthOutside0X128,
  });
  const inside1 = getFeeGrowthInside({
    tickCurrent: pool.tick,
    tickLower,
    tickUpper,
    feeGrowthGlobalX128: pool.feeGrowthGlobal1X128,
    lowerFeeGrowthOutsideX128: position.lowerTick.feeGrowthOutside1X128,
    upperFeeGrowthOutsideX128: position.upperTick.feeGrowthOutside1X128,
  });
  // The position manager adds uint128 casts in unchecked 0.7 arithmetic; mirror the truncation.
  const earned0 = getFeesEarned(position.liquidity, inside0, position.feeGrowthInside0LastX128) & MAX_UINT128;
  const earned1 = getFeesEarned(position.liquidity, inside1, position.feeGrowthInside1LastX128) & MAX_UINT128;
  return {
    amount0: (position.tokensOwed0 + earned0) & MAX_UINT128,
    amount1: (position.tokensOwed1 + earned1) & MAX_UINT128,
  };
}

/** A position's worth split into principal and fees, and their sum. */
export type PositionAmounts = TokenAmounts & {
  readonly principal: TokenAmounts;
  readonly fees: TokenAmounts;
};

/**
 * What `decreaseLiquidity(all)` + `collect(max, max)` would pay out at the read block: principal at the current
 * price plus uncollected fees, to the wei.
 */
export function getPositionAmounts(position: LpPosition): PositionAmounts {
  const principal = getPositionPrincipal({
    sqrtPriceX96: position.poolState.sqrtPriceX96,
    tick: position.poolState.tick,
    tickLower: position.tickLower,
    tickUpper: position.tickUpper,
    liquidity: position.liquidity,
  });
  const fees = getPositionFees(position);
  return {
    amount0: principal.amount0 + fees.amount0,
    amount1: principal.amount1 + fees.amount1,
    principal,
    fees,
  };
}

/** Whether the pool's current tick is inside the position's range (tickLower ≤ tick < tickUpper). */
export function isInRange(position: Pick<LpPosition, "tickLower" | "tickUpper" | "poolState">): boolean {
  return position.poolState.tick >= position.tickLower && position.poolState.tick < position.tickUpper;
}

/** The sleeve reference of an LP holding: `${chainId}:${lower-cased pool address}`. */
export const lpPoolRef = (chainId: number, pool: Address): string => `${chainId}:${pool.toLowerCase()}`;

/** A position as a core holding: kind "lp", ref = the pool, exposures = token0 and token1 incl. uncollected fees. */
export function lpHolding(chainId: number, position: LpPosition): Holding {
  const { amount0, amount1 } = getPositionAmounts(position);
  return {
    id: `uniswap-v3:${chainId}:${position.positionManager.toLowerCase()}:${position.tokenId}`,
    chainId,
    protocol: "uniswap-v3",
    kind: "lp",
    ref: lpPoolRef(chainId, position.pool),
    exposures: [
      { asset: assetId(chainId, position.token0), amount: amount0 },
      { asset: assetId(chainId, position.token1), amount: amount1 },
    ],
  };
}

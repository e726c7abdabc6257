import type { LpPosition } from "./position.ts";

/** A synthetic position for unit tests (no chain): WETH/USDC-like 0.05% pool, liquidity 1e18 around tick 0. */
export function fakePosition(
  overrides: Partial<LpPosition> = {},
  pool: Partial<LpPosition["poolState"]> = {},
): LpPosition {
  const token0 = "0x1000000000000000000000000000000000000001";
  const token1 = "0x2000000000000000000000000000000000000002";
  const address = "0x3000000000000000000000000000000000000003";
  return {
    tokenId: 7n,
    pool: address,
    token0,
    token1,
    fee: 500,
    tickLower: -600,
    tickUpper: 600,
    positionManager: "0x4000000000000000000000000000000000000004",
    liquidity: 10n ** 18n,
    feeGrowthInside0LastX128: 0n,
    feeGrowthInside1LastX128: 0n,
    tokensOwed0: 0n,
    tokensOwed1: 0n,
    poolState: {
      address,
      token0,
      token1,
      fee: 500,
      tickSpacing: 10,
      sqrtPriceX96: 2n ** 96n,
      tick: 0,
      liquidity: 10n ** 18n,
      feeGrowthGlobal0X128: 0n,
      feeGrowthGlobal1X128: 0n,
      ...pool,
    },
    lowerTick: {
      liquidityGross: 10n ** 18n,
      feeGrowthOutside0X128: 0n,
      feeGrowthOutside1X128: 0n,
      initialized: true,
    },
    upperTick: {
      liquidityGross: 10n ** 18n,
      feeGrowthOutside0X128: 0n,
      feeGrowthOutside1X128: 0n,
      initialized: true,
    },
    ...overrides,
  };
}

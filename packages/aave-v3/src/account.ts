/**
 * A pure replay of Aave's GenericLogic.calculateUserAccountData over `AavePositions`, with the protocol's own
 * rounding, so the numbers equal `Pool.getUserAccountData` to the unit.
 */
import { zeroAddress } from "viem";
import {
  aaveWadDiv,
  calculateCompoundedInterest,
  ceilDiv,
  MAX_UINT256,
  normalizedDebt,
  normalizedIncome,
  PERCENTAGE_FACTOR,
  percentMul,
  percentMulFloor,
  rayMul,
  rayMulCeil,
  rayMulFloor,
} from "./math.ts";
import type {
  AaveAccountData,
  AaveEMode,
  AaveMarketVersion,
  AavePositions,
  AaveReserve,
  AaveUserReserve,
} from "./types.ts";

/** aToken balance of a scaled balance at `index` (v3.5+ rounds down, earlier versions half up). */
export const aTokenBalance = (version: AaveMarketVersion, scaled: bigint, index: bigint): bigint =>
  version === "latest" ? rayMulFloor(scaled, index) : rayMul(scaled, index);

/** Variable debt of a scaled balance at `index` (v3.5+ rounds up, earlier versions half up). */
export const variableDebtBalance = (version: AaveMarketVersion, scaled: bigint, index: bigint): bigint =>
  version === "latest" ? rayMulCeil(scaled, index) : rayMul(scaled, index);

/** Stable debt of a user at `now` (StableDebtToken.balanceOf: principal compounded at the user's rate). */
export function stableDebtBalance(principal: bigint, rate: bigint, lastUpdate: bigint, now: bigint): bigint {
  if (principal === 0n) return 0n;
  return rayMul(principal, calculateCompoundedInterest("legacy", rate, lastUpdate, now));
}

/** Whether bit `index` is set in an Aave reserve bitmap. */
export const bitmapHas = (bitmap: bigint, index: number): boolean => ((bitmap >> BigInt(index)) & 1n) === 1n;

/** The user's aToken balance and debt in one reserve at `now` (underlying base units). */
export function userBalancesAt(
  version: AaveMarketVersion,
  reserve: AaveReserve,
  user: Pick<
    AaveUserReserve,
    | "scaledATokenBalance"
    | "scaledVariableDebt"
    | "principalStableDebt"
    | "stableBorrowRate"
    | "stableBorrowLastUpdateTimestamp"
  >,
  now: bigint,
): { supplied: bigint; variableDebt: bigint; stableDebt: bigint } {
  return {
    supplied: aTokenBalance(version, user.scaledATokenBalance, normalizedIncome(reserve, now)),
    variableDebt: variableDebtBalance(
      version,
      user.scaledVariableDebt,
      normalizedDebt(version, reserve, now),
    ),
    stableDebt: stableDebtBalance(
      user.principalStableDebt,
      user.stableBorrowRate,
      user.stableBorrowLastUpdateTimestamp,
      now,
    ),
  };
}

/** Whether the user's config has the borrowing bit for this reserve (any debt; Aave clears it when debt reaches 0). */
export const isBorrowing = (
  u: Pick<AaveUserReserve, "scaledVariableDebt" | "principalStableDebt">,
): boolean => u.scaledVariableDebt > 0n || u.principalStableDebt > 0n;

/** The e-mode category the user is in, if any. */
export const userEMode = (p: Pick<AavePositions, "eModes" | "userEModeCategoryId">): AaveEMode | undefined =>
  p.userEModeCategoryId === 0 ? undefined : p.eModes.find((e) => e.id === p.userEModeCategoryId);

/** The effective LTV and liquidation threshold (bps) of a reserve as collateral for this user (e-mode aware). */
export function collateralParams(
  p: Pick<AavePositions, "market" | "eModes" | "userEModeCategoryId">,
  reserve: AaveReserve,
): { ltv: bigint; liquidationThreshold: bigint; inEMode: boolean } {
  const eMode = userEMode(p);
  const inEMode = eMode !== undefined && bitmapHas(eMode.collateralBitmap, reserve.index);
  if (!inEMode) return { ltv: reserve.ltv, liquidationThreshold: reserve.liquidationThreshold, inEMode };
  if (p.market.version === "legacy") {
    // v3.0: a zero reserve LTV stays zero; otherwise the category's LTV applies.
    return {
      ltv: reserve.ltv === 0n ? 0n : eMode.ltv,
      liquidationThreshold: eMode.liquidationThreshold,
      inEMode,
    };
  }
  return {
    ltv: bitmapHas(eMode.ltvzeroBitmap, reserve.index) ? 0n : eMode.ltv,
    liquidationThreshold: eMode.liquidationThreshold,
    inEMode,
  };
}

/** Account data as GenericLogic computes it, plus whether some collateral has LTV 0. */
export type ComputedAccountData = AaveAccountData & { readonly hasZeroLtvCollateral: boolean };

/**
 * Replays `GenericLogic.calculateUserAccountData` at timestamp `at` (default: the read's timestamp):
 * per reserve, balance × price / unit in base currency (Aave's rounding), weighted LTV and liquidation threshold,
 * health factor and available borrows. Pure.
 */
export function computeAccountData(
  positions: Pick<
    AavePositions,
    "market" | "reserves" | "eModes" | "userEModeCategoryId" | "userReserves" | "timestamp"
  >,
  options: { at?: bigint | undefined } = {},
): ComputedAccountData {
  const now = options.at ?? positions.timestamp;
  const version = positions.market.version;
  const eMode = userEMode(positions);
  let totalCollateral = 0n;
  let totalDebt = 0n;
  let ltvSum = 0n;
  let ltSum = 0n;
  let hasZeroLtvCollateral = false;
  let any = false;

  for (const u of positions.userReserves) {
    const borrowing = isBorrowing(u);
    if (!u.usageAsCollateralEnabledOnUser && !borrowing) continue;
    const reserve = positions.reserves[u.index];
    if (!reserve) continue;
    any = true;
    const unit = 10n ** BigInt(reserve.decimals);
    const price =
      version === "legacy" &&
      eMode !== undefined &&
      eMode.priceSource !== zeroAddress &&
      reserve.eModeCategoryId === eMode.id
        ? (eModePriceOverride(positions, eMode) ?? reserve.price)
        : reserve.price;
    const { ltv, liquidationThreshold } = collateralParams(positions, reserve);
    const balances = userBalancesAt(version, reserve, u, now);

    if (liquidationThreshold !== 0n && u.usageAsCollateralEnabledOnUser) {
      const value = (balances.supplied * price) / unit;
      totalCollateral += value;
      if (ltv !== 0n) ltvSum += value * ltv;
      else hasZeroLtvCollateral = true;
      ltSum += value * liquidationThreshold;
    }
    if (borrowing) {
      const debt = balances.variableDebt + balances.stableDebt;
      totalDebt += version === "latest" ? ceilDiv(debt * price, unit) : (debt * price) / unit;
    }
  }

  if (!any) {
    return {
      totalCollateralBase: 0n,
      totalDebtBase: 0n,
      availableBorrowsBase: 0n,
      currentLiquidationThreshold: 0n,
      ltv: 0n,
      healthFactor: MAX_UINT256,
      hasZeroLtvCollateral: false,
    };
  }

  const avgLtv = totalCollateral === 0n ? 0n : ltvSum / totalCollateral;
  const avgLt = totalCollateral === 0n ? 0n : ltSum / totalCollateral;
  let healthFactor: bigint;
  let availableBorrows: bigint;
  if (version === "latest") {
    healthFactor = totalDebt === 0n ? MAX_UINT256 : aaveWadDiv(ltSum, totalDebt) / PERCENTAGE_FACTOR;
    const cap = percentMulFloor(totalCollateral, avgLtv);
    availableBorrows = cap <= totalDebt ? 0n : cap - totalDebt;
  } else {
    healthFactor = totalDebt === 0n ? MAX_UINT256 : aaveWadDiv(percentMul(totalCollateral, avgLt), totalDebt);
    const cap = percentMul(totalCollateral, avgLtv);
    availableBorrows = cap < totalDebt ? 0n : cap - totalDebt;
  }
  return {
    totalCollateralBase: totalCollateral,
    totalDebtBase: totalDebt,
    availableBorrowsBase: availableBorrows,
    currentLiquidationThreshold: avgLt,
    ltv: avgLtv,
    healthFactor,
    hasZeroLtvCollateral,
  };
}

/**
 * Legacy e-mode categories may price their assets with one custom source. The UI data provider does not return
 * that price; if the source happens to be a listed reserve, its oracle price is the one Aave uses.
 */
function eModePriceOverride(p: Pick<AavePositions, "reserves">, eMode: AaveEMode): bigint | undefined {
  const src = eMode.priceSource.toLowerCase();
  return p.reserves.find((r) => r.asset.toLowerCase() === src)?.price;
}

/** Aave positions as Ballast core data: holdings with signed exposures, USD prices and values, risk parameters. */
import {
  type AssetId,
  type Composition,
  type Holding,
  mulDiv,
  type PriceBook,
  type Rounding,
  usdValue,
  WAD,
} from "@ballast/core";
import { formatUnits } from "viem";
import { collateralParams } from "./account.ts";
import type { AaveBaseCurrency, AavePositions } from "./types.ts";

/** The `protocol` of every holding this package produces. */
export const AAVE_V3_PROTOCOL = "aave-v3";

/** USD decimals of `marketReferenceCurrencyPriceInUsd` (Chainlink USD feeds; also what @aave/math-utils assumes). */
const USD_PRICE_UNIT = 10n ** 8n;

/** Converts an amount in the market's base currency to USD wad. */
export function baseToUsd(amountBase: bigint, base: AaveBaseCurrency, rounding: Rounding = "down"): bigint {
  return mulDiv(amountBase * base.priceInUsd, WAD, base.unit * USD_PRICE_UNIT, rounding);
}

/**
 * One holding per non-zero supply and debt: `{protocol: "aave-v3", kind: "supply" | "debt", ref: assetId}`,
 * supply with a positive exposure, debt with a negative one (underlying base units at the read's timestamp).
 */
export function aaveHoldings(positions: AavePositions): Holding[] {
  const chainId = positions.market.chainId;
  const pool = positions.market.pool.toLowerCase();
  const holdings: Holding[] = [];
  for (const u of positions.userReserves) {
    if (u.supplied > 0n)
      holdings.push({
        id: `${AAVE_V3_PROTOCOL}:${chainId}:${pool}:supply:${u.asset.toLowerCase()}`,
        chainId,
        protocol: AAVE_V3_PROTOCOL,
        kind: "supply",
        ref: u.assetId,
        exposures: [{ asset: u.assetId, amount: u.supplied }],
      });
    if (u.debt > 0n)
      holdings.push({
        id: `${AAVE_V3_PROTOCOL}:${chainId}:${pool}:debt:${u.asset.toLowerCase()}`,
        chainId,
        protocol: AAVE_V3_PROTOCOL,
        kind: "debt",
        ref: u.assetId,
        exposures: [{ asset: u.assetId, amount: -u.debt }],
      });
  }
  return holdings;
}

/** The market's oracle prices as a core price book: USD wad per whole token, by asset id. */
export function aavePriceBook(positions: AavePositions): PriceBook {
  return new Map(positions.reserves.map((r) => [r.assetId, baseToUsd(r.price, positions.baseCurrency)]));
}

/** Effective liquidation threshold per asset for this account (bps; the e-mode category's where it applies). */
export function aaveLiquidationThresholds(positions: AavePositions): ReadonlyMap<AssetId, bigint> {
  return new Map(
    positions.reserves.map((r) => [r.assetId, collateralParams(positions, r).liquidationThreshold]),
  );
}

/** Effective loan-to-value per asset for this account (bps; the e-mode category's where it applies). */
export function aaveLoanToValues(positions: AavePositions): ReadonlyMap<AssetId, bigint> {
  return new Map(positions.reserves.map((r) => [r.assetId, collateralParams(positions, r).ltv]));
}

/** The account in USD: collateral and debt (wad, from `getUserAccountData`), per-holding values and the health factor. */
export type AaveAccountSummary = {
  readonly collateralUsd: bigint;
  readonly debtUsd: bigint;
  /** Value of all supplied assets (collateral or not) minus all debt, USD wad. */
  readonly netUsd: bigint;
  /** Health factor, wad (`MAX_UINT256` without debt). */
  readonly healthFactor: bigint;
  readonly holdings: readonly { readonly holding: Holding; readonly usd: bigint }[];
};

/** Values the positions in USD with the market's own oracle prices. */
export function aaveAccountSummary(positions: AavePositions): AaveAccountSummary {
  const prices = aavePriceBook(positions);
  const decimals = new Map(positions.reserves.map((r) => [r.assetId, r.decimals]));
  const holdings = aaveHoldings(positions).map((holding) => {
    const e = holding.exposures[0]!;
    return { holding, usd: usdValue(e.amount, decimals.get(e.asset) ?? 18, prices.get(e.asset) ?? 0n) };
  });
  return {
    collateralUsd: baseToUsd(positions.account.totalCollateralBase, positions.baseCurrency),
    debtUsd: baseToUsd(positions.account.totalDebtBase, positions.baseCurrency, "up"),
    netUsd: holdings.reduce((s, h) => s + h.usd, 0n),
    healthFactor: positions.account.healthFactor,
    holdings,
  };
}

/**
 * The account for `status --json`: collateral, debt and net value (USD decimal strings), the health factor (a decimal
 * string, null without debt), LTV and liquidation threshold (bps).
 */
export function aaveAccountJson(positions: AavePositions) {
  const s = aaveAccountSummary(positions);
  const a = positions.account;
  const usd = (wad: bigint) => formatUnits(wad, 18);
  return {
    collateral: usd(s.collateralUsd),
    debt: usd(s.debtUsd),
    net: usd(s.netUsd),
    healthFactor: a.totalDebtBase === 0n ? null : formatUnits(s.healthFactor, 18),
    ltvBps: Number(a.ltv),
    liquidationThresholdBps: Number(a.currentLiquidationThreshold),
  };
}

/** What one dollar of an Aave supply or debt sleeve holds: 100% of the reserve's underlying asset. */
export function aaveComposition(asset: AssetId): Composition {
  return [{ asset, shareWad: WAD }];
}

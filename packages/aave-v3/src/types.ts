import type { Address, AssetId } from "@ballast/core";

/**
 * Which `UiPoolDataProviderV3` a market speaks, and with it which protocol rules the pure math replays:
 * - `"legacy"`: `@aave/periphery-v3` 3.0.x on a v3.0–v3.1 pool (e-mode per reserve, stable debt,
 *   half-up rounding everywhere). The testkit's local market is this one.
 * - `"latest"`: aave-v3-origin v3.6 (e-mode bitmaps from `getEModes`, no stable debt, v3.5 floor/ceil
 *   rounding of balances). Today's production markets.
 */
export type AaveMarketVersion = "legacy" | "latest";

/** The addresses that identify one Aave V3 market on one chain. */
export type AaveMarket = {
  readonly chainId: number;
  /** Human name, e.g. "AaveV3Ethereum". */
  readonly name?: string | undefined;
  readonly poolAddressesProvider: Address;
  readonly pool: Address;
  readonly uiPoolDataProvider: Address;
  readonly version: AaveMarketVersion;
};

/** One reserve of the market, as read at the snapshot's block. Ratios are basis points; caps are whole tokens. */
export type AaveReserve = {
  /** Position in the pool's reserves list (the reserve id unless a reserve was ever dropped). */
  readonly index: number;
  readonly asset: Address;
  readonly assetId: AssetId;
  readonly symbol: string;
  readonly name: string;
  readonly decimals: number;
  readonly aToken: Address;
  readonly variableDebtToken: Address;
  /** Zero address on markets without stable debt. */
  readonly stableDebtToken: Address;
  readonly ltv: bigint;
  readonly liquidationThreshold: bigint;
  readonly liquidationBonus: bigint;
  readonly reserveFactor: bigint;
  readonly usageAsCollateralEnabled: boolean;
  readonly borrowingEnabled: boolean;
  readonly isActive: boolean;
  readonly isFrozen: boolean;
  readonly isPaused: boolean;
  readonly isSiloedBorrowing: boolean;
  readonly borrowableInIsolation: boolean;
  /** Stored indexes and rates (ray) and the time they were last updated (seconds). */
  readonly liquidityIndex: bigint;
  readonly variableBorrowIndex: bigint;
  readonly liquidityRate: bigint;
  readonly variableBorrowRate: bigint;
  readonly lastUpdateTimestamp: bigint;
  /** Underlying held by the aToken (base units). */
  readonly availableLiquidity: bigint;
  readonly totalScaledVariableDebt: bigint;
  /** Total stable debt at the snapshot (base units; 0 on markets without it). */
  readonly totalStableDebt: bigint;
  readonly accruedToTreasury: bigint;
  readonly unbacked: bigint;
  /** Debt backed by this reserve as isolated collateral, in `debtCeilingDecimals` (2) units. */
  readonly isolationModeTotalDebt: bigint;
  /** Isolation-mode debt ceiling in `debtCeilingDecimals` units; 0 = not an isolated asset. */
  readonly debtCeiling: bigint;
  readonly debtCeilingDecimals: number;
  /** Whole tokens; 0 = no cap. */
  readonly supplyCap: bigint;
  readonly borrowCap: bigint;
  /** Underlying the pool accounts as idle (v3.1+ virtual balance; legacy: `availableLiquidity`). */
  readonly virtualUnderlyingBalance: bigint;
  /** Bad debt written off against suppliers (v3.3+; 0 on legacy markets). */
  readonly deficit: bigint;
  /** Oracle price in the market's base currency per whole token. */
  readonly price: bigint;
  /** The oracle's source for this asset (`AaveOracle.getSourceOfAsset`: a Chainlink-shaped feed or an adapter). */
  readonly priceOracle: Address;
  /** Legacy markets: the reserve's e-mode category (0 = none). Latest markets: see `eModes` bitmaps. */
  readonly eModeCategoryId: number;
};

/** An e-mode category, unified over both layouts (legacy categories are turned into bitmaps by reserve index). */
export type AaveEMode = {
  readonly id: number;
  readonly label: string;
  readonly ltv: bigint;
  readonly liquidationThreshold: bigint;
  readonly liquidationBonus: bigint;
  /** Bit i set = reserve index i counts as e-mode collateral. */
  readonly collateralBitmap: bigint;
  /** Bit i set = reserve index i may be borrowed in this e-mode. */
  readonly borrowableBitmap: bigint;
  /** Bit i set = reserve index i has LTV 0 in this e-mode (v3.6). */
  readonly ltvzeroBitmap: bigint;
  /** Legacy only: a price source that overrides the oracle for the category's assets (zero address if none). */
  readonly priceSource: Address;
};

/** The user's side of one reserve: stored (scaled) balances and their actual value at the snapshot's timestamp. */
export type AaveUserReserve = {
  readonly index: number;
  readonly asset: Address;
  readonly assetId: AssetId;
  readonly scaledATokenBalance: bigint;
  readonly scaledVariableDebt: bigint;
  readonly principalStableDebt: bigint;
  readonly stableBorrowRate: bigint;
  readonly stableBorrowLastUpdateTimestamp: bigint;
  readonly usageAsCollateralEnabledOnUser: boolean;
  /** aToken balance (underlying base units). */
  readonly supplied: bigint;
  /** Variable + stable debt (underlying base units). */
  readonly debt: bigint;
};

/** `Pool.getUserAccountData`: amounts in base currency, ratios in basis points, health factor in wad. */
export type AaveAccountData = {
  readonly totalCollateralBase: bigint;
  readonly totalDebtBase: bigint;
  readonly availableBorrowsBase: bigint;
  readonly currentLiquidationThreshold: bigint;
  readonly ltv: bigint;
  readonly healthFactor: bigint;
};

/** The market's base currency (the unit of oracle prices) and its USD price. */
export type AaveBaseCurrency = {
  /** One unit of base currency in oracle units (1e8 for USD markets). */
  readonly unit: bigint;
  /** USD price of one base-currency unit, 8 decimals. */
  readonly priceInUsd: bigint;
  readonly networkBaseTokenPriceInUsd: bigint;
  readonly networkBaseTokenPriceDecimals: number;
};

/** Everything read about one user on one market at one block. Plain data; JSON-safe apart from bigint. */
export type AavePositions = {
  readonly market: AaveMarket;
  readonly user: Address;
  /** Block timestamp the EVM saw during the read (seconds). */
  readonly timestamp: bigint;
  readonly baseCurrency: AaveBaseCurrency;
  readonly reserves: readonly AaveReserve[];
  readonly eModes: readonly AaveEMode[];
  readonly userEModeCategoryId: number;
  /** One entry per reserve, in reserve order. */
  readonly userReserves: readonly AaveUserReserve[];
  /** `Pool.getUserAccountData(user)`, read in the same call. */
  readonly account: AaveAccountData;
};

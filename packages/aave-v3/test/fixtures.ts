/** Synthetic positions for the pure tests: a USD-based market with WETH, USDC and WBTC. */
import { type Address, assetId, RAY } from "@ballast/core";
import { zeroAddress } from "viem";
import { userBalancesAt } from "../src/account.ts";
import type { AaveMarketVersion, AavePositions, AaveReserve, AaveUserReserve } from "../src/types.ts";

export const CHAIN_ID = 31337;
export const USER: Address = "0x00000000000000000000000000000000000000A1";
export const WETH: Address = "0x1000000000000000000000000000000000000001";
export const USDC: Address = "0x1000000000000000000000000000000000000002";
export const WBTC: Address = "0x1000000000000000000000000000000000000003";
export const POOL: Address = "0x2000000000000000000000000000000000000001";
export const T0 = 1_700_000_000n;

type ReserveInput = Partial<AaveReserve> & Pick<AaveReserve, "asset" | "symbol" | "decimals" | "price">;

function reserve(index: number, r: ReserveInput): AaveReserve {
  return {
    index,
    assetId: assetId(CHAIN_ID, r.asset),
    name: r.symbol,
    aToken: `0x30000000000000000000000000000000000000${index.toString().padStart(2, "0")}` as Address,
    variableDebtToken:
      `0x40000000000000000000000000000000000000${index.toString().padStart(2, "0")}` as Address,
    stableDebtToken: zeroAddress,
    ltv: 8000n,
    liquidationThreshold: 8250n,
    liquidationBonus: 10500n,
    reserveFactor: 1000n,
    usageAsCollateralEnabled: true,
    borrowingEnabled: true,
    isActive: true,
    isFrozen: false,
    isPaused: false,
    isSiloedBorrowing: false,
    borrowableInIsolation: false,
    liquidityIndex: RAY,
    variableBorrowIndex: RAY,
    liquidityRate: 0n,
    variableBorrowRate: 0n,
    lastUpdateTimestamp: T0,
    availableLiquidity: 10n ** BigInt(r.decimals + 6),
    totalScaledVariableDebt: 0n,
    totalStableDebt: 0n,
    accruedToTreasury: 0n,
    unbacked: 0n,
    isolationModeTotalDebt: 0n,
    debtCeiling: 0n,
    debtCeilingDecimals: 2,
    supplyCap: 0n,
    borrowCap: 0n,
    virtualUnderlyingBalance: 10n ** BigInt(r.decimals + 6),
    deficit: 0n,
    eModeCategoryId: 0,
    priceOracle: "0x0000000000000000000000000000000000000a05",
    ...r,
  };
}

/** A user reserve from scaled balances (actual amounts derived at the positions' timestamp). */
export type UserInput = {
  asset: Address;
  scaledATokenBalance?: bigint;
  scaledVariableDebt?: bigint;
  collateral?: boolean;
};

/** Builds positions; `account` is recomputed by the caller when a test needs it. */
export function makePositions(
  opts: {
    version?: AaveMarketVersion;
    reserves?: Partial<Record<"WETH" | "USDC" | "WBTC", Partial<AaveReserve>>>;
    users?: UserInput[];
    timestamp?: bigint;
    userEModeCategoryId?: number;
    eModes?: AavePositions["eModes"];
  } = {},
): AavePositions {
  const version = opts.version ?? "legacy";
  const timestamp = opts.timestamp ?? T0;
  const reserves = [
    reserve(0, {
      asset: WETH,
      symbol: "WETH",
      decimals: 18,
      price: 2000n * 10n ** 8n,
      ...opts.reserves?.WETH,
    }),
    reserve(1, { asset: USDC, symbol: "USDC", decimals: 6, price: 10n ** 8n, ...opts.reserves?.USDC }),
    reserve(2, {
      asset: WBTC,
      symbol: "WBTC",
      decimals: 8,
      price: 60_000n * 10n ** 8n,
      ltv: 7000n,
      liquidationThreshold: 7500n,
      ...opts.reserves?.WBTC,
    }),
  ];
  const userReserves: AaveUserReserve[] = reserves.map((r) => {
    const u = opts.users?.find((x) => x.asset === r.asset);
    const scaled = {
      scaledATokenBalance: u?.scaledATokenBalance ?? 0n,
      scaledVariableDebt: u?.scaledVariableDebt ?? 0n,
      principalStableDebt: 0n,
      stableBorrowRate: 0n,
      stableBorrowLastUpdateTimestamp: 0n,
    };
    const b = userBalancesAt(version, r, scaled, timestamp);
    return {
      index: r.index,
      asset: r.asset,
      assetId: r.assetId,
      ...scaled,
      usageAsCollateralEnabledOnUser: u?.collateral ?? (u?.scaledATokenBalance ?? 0n) > 0n,
      supplied: b.supplied,
      debt: b.variableDebt + b.stableDebt,
    };
  });
  return {
    market: {
      chainId: CHAIN_ID,
      poolAddressesProvider: "0x2000000000000000000000000000000000000002",
      pool: POOL,
      uiPoolDataProvider: "0x2000000000000000000000000000000000000003",
      version,
    },
    user: USER,
    timestamp,
    baseCurrency: {
      unit: 10n ** 8n,
      priceInUsd: 10n ** 8n,
      networkBaseTokenPriceInUsd: 2000n * 10n ** 8n,
      networkBaseTokenPriceDecimals: 8,
    },
    reserves,
    eModes: opts.eModes ?? [],
    userEModeCategoryId: opts.userEModeCategoryId ?? 0,
    userReserves,
    account: {
      totalCollateralBase: 0n,
      totalDebtBase: 0n,
      availableBorrowsBase: 0n,
      currentLiquidationThreshold: 0n,
      ltv: 0n,
      healthFactor: 2n ** 256n - 1n,
    },
  };
}

/** 1 WETH supplied as collateral, 1,000 USDC borrowed, indexes at 1 ray. */
export const basicPositions = (version: AaveMarketVersion = "legacy") =>
  makePositions({
    version,
    users: [
      { asset: WETH, scaledATokenBalance: 10n ** 18n },
      { asset: USDC, scaledVariableDebt: 1000n * 10n ** 6n },
    ],
    reserves: { USDC: { totalScaledVariableDebt: 1000n * 10n ** 6n } },
  });

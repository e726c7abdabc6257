import { MULTICALL3_ADDRESS, multicall3Abi } from "@ballast/chain";
import { type Address, assetId } from "@ballast/core";
import { getAddress, zeroAddress } from "viem";
import { aavePoolAbi, uiPoolDataProviderV3Abi, uiPoolDataProviderV3LegacyAbi } from "./abi.ts";
import { stableDebtBalance, userBalancesAt } from "./account.ts";
import { AaveReadError } from "./errors.ts";
import type { AaveEMode, AaveMarket, AavePositions, AaveReserve, AaveUserReserve } from "./types.ts";

/** Parameters of {@link aaveReads}: the market and the account to read. */
export type AaveReadsParameters = {
  readonly market: AaveMarket;
  readonly user: Address;
  /** Multicall3 address, used for the block-timestamp read (default: the canonical address). */
  readonly multicall3?: Address | undefined;
};

/** One contract read, in viem's `ContractFunctionParameters` shape (what `multicall({ contracts })` takes). */
export type AaveContractRead =
  | {
      readonly address: Address;
      readonly abi: typeof multicall3Abi;
      readonly functionName: "getCurrentBlockTimestamp";
      readonly args: readonly [];
    }
  | {
      readonly address: Address;
      readonly abi: typeof uiPoolDataProviderV3LegacyAbi | typeof uiPoolDataProviderV3Abi;
      readonly functionName: "getReservesData" | "getEModes";
      readonly args: readonly [Address];
    }
  | {
      readonly address: Address;
      readonly abi: typeof uiPoolDataProviderV3LegacyAbi | typeof uiPoolDataProviderV3Abi;
      readonly functionName: "getUserReservesData";
      readonly args: readonly [Address, Address];
    }
  | {
      readonly address: Address;
      readonly abi: typeof aavePoolAbi;
      readonly functionName: "getUserAccountData";
      readonly args: readonly [Address];
    };

/**
 * The reads behind one Aave snapshot, as data, so a caller can put them into one Multicall3 `aggregate3` with
 * other protocols' reads: the block timestamp, `getReservesData`, `getUserReservesData`, `getUserAccountData`,
 * and on latest markets `getEModes`. Decode the results, in the same order, with {@link decodeAaveReads}.
 */
export function aaveReads(params: AaveReadsParameters): readonly AaveContractRead[] {
  const { market, user } = params;
  const ui = market.version === "latest" ? uiPoolDataProviderV3Abi : uiPoolDataProviderV3LegacyAbi;
  const reads: AaveContractRead[] = [
    {
      address: params.multicall3 ?? MULTICALL3_ADDRESS,
      abi: multicall3Abi,
      functionName: "getCurrentBlockTimestamp",
      args: [],
    },
    {
      address: market.uiPoolDataProvider,
      abi: ui,
      functionName: "getReservesData",
      args: [market.poolAddressesProvider],
    },
    {
      address: market.uiPoolDataProvider,
      abi: ui,
      functionName: "getUserReservesData",
      args: [market.poolAddressesProvider, user],
    },
    { address: market.pool, abi: aavePoolAbi, functionName: "getUserAccountData", args: [user] },
  ];
  if (market.version === "latest") {
    reads.push({
      address: market.uiPoolDataProvider,
      abi: uiPoolDataProviderV3Abi,
      functionName: "getEModes",
      args: [market.poolAddressesProvider],
    });
  }
  return reads;
}

type Rec = Record<string, unknown>;

/** Accepts a raw result or viem's `{ status, result }` (multicall with `allowFailure: true`). */
function unwrap(value: unknown, what: string): unknown {
  if (value && typeof value === "object" && "status" in value) {
    const v = value as { status: string; result?: unknown; error?: unknown };
    if (v.status !== "success") throw new AaveReadError(`${what} failed`, { cause: v.error });
    return v.result;
  }
  return value;
}

const big = (r: Rec, key: string, what: string): bigint => {
  const v = r[key];
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return BigInt(v);
  throw new AaveReadError(`${what}.${key} is not an integer`, { details: `got ${typeof v}` });
};
const bool = (r: Rec, key: string, what: string): boolean => {
  const v = r[key];
  if (typeof v !== "boolean") throw new AaveReadError(`${what}.${key} is not a boolean`);
  return v;
};
const str = (r: Rec, key: string): string => (typeof r[key] === "string" ? (r[key] as string) : "");
const addr = (r: Rec, key: string, what: string): Address => {
  const v = r[key];
  if (typeof v !== "string") throw new AaveReadError(`${what}.${key} is not an address`);
  return getAddress(v);
};
const optBig = (r: Rec, key: string): bigint => (typeof r[key] === "bigint" ? (r[key] as bigint) : 0n);

function tuple(value: unknown, length: number, what: string): readonly unknown[] {
  if (!Array.isArray(value) || value.length < length)
    throw new AaveReadError(`${what} has an unexpected shape`, {
      details: `expected a ${length}-tuple, got ${Array.isArray(value) ? `${value.length} items` : typeof value}`,
    });
  return value;
}

/** Parameters of {@link decodeAaveReads}: the same as the reads', plus their results in order. */
export type DecodeAaveReadsParameters = AaveReadsParameters & {
  /** Results of {@link aaveReads}, in order: raw values, or viem's `{ status, result }` objects. */
  readonly results: readonly unknown[];
};

/** Turns the results of {@link aaveReads} into {@link AavePositions} (actual balances at the read's timestamp). */
export function decodeAaveReads(params: DecodeAaveReadsParameters): AavePositions {
  const { market } = params;
  const expected = market.version === "latest" ? 5 : 4;
  if (params.results.length !== expected)
    throw new AaveReadError("wrong number of results", {
      details: `expected ${expected} results for a ${market.version} market, got ${params.results.length}`,
    });
  const [tsRaw, reservesRaw, userRaw, accountRaw, eModesRaw] = params.results.map((r, i) =>
    unwrap(
      r,
      ["block timestamp", "getReservesData", "getUserReservesData", "getUserAccountData", "getEModes"][i] ??
        "read",
    ),
  );
  if (typeof tsRaw !== "bigint") throw new AaveReadError("block timestamp is not an integer");
  const timestamp = tsRaw;
  const chainId = market.chainId;

  const [reserveList, baseRaw] = tuple(reservesRaw, 2, "getReservesData");
  if (!Array.isArray(reserveList)) throw new AaveReadError("getReservesData[0] is not an array");
  const base = baseRaw as Rec;
  const reserves: AaveReserve[] = reserveList.map((raw: Rec, index) => {
    const w = `reserve[${index}]`;
    const asset = addr(raw, "underlyingAsset", w);
    const legacy = market.version === "legacy";
    return {
      index,
      asset,
      assetId: assetId(chainId, asset),
      symbol: str(raw, "symbol"),
      name: str(raw, "name"),
      decimals: Number(big(raw, "decimals", w)),
      aToken: addr(raw, "aTokenAddress", w),
      variableDebtToken: addr(raw, "variableDebtTokenAddress", w),
      stableDebtToken: legacy ? addr(raw, "stableDebtTokenAddress", w) : zeroAddress,
      ltv: big(raw, "baseLTVasCollateral", w),
      liquidationThreshold: big(raw, "reserveLiquidationThreshold", w),
      liquidationBonus: big(raw, "reserveLiquidationBonus", w),
      reserveFactor: big(raw, "reserveFactor", w),
      usageAsCollateralEnabled: bool(raw, "usageAsCollateralEnabled", w),
      borrowingEnabled: bool(raw, "borrowingEnabled", w),
      isActive: bool(raw, "isActive", w),
      isFrozen: bool(raw, "isFrozen", w),
      isPaused: bool(raw, "isPaused", w),
      isSiloedBorrowing: bool(raw, "isSiloedBorrowing", w),
      borrowableInIsolation: bool(raw, "borrowableInIsolation", w),
      liquidityIndex: big(raw, "liquidityIndex", w),
      variableBorrowIndex: big(raw, "variableBorrowIndex", w),
      liquidityRate: big(raw, "liquidityRate", w),
      variableBorrowRate: big(raw, "variableBorrowRate", w),
      lastUpdateTimestamp: big(raw, "lastUpdateTimestamp", w),
      availableLiquidity: big(raw, "availableLiquidity", w),
      totalScaledVariableDebt: big(raw, "totalScaledVariableDebt", w),
      totalStableDebt: legacy
        ? stableDebtBalance(
            optBig(raw, "totalPrincipalStableDebt"),
            optBig(raw, "averageStableRate"),
            optBig(raw, "stableDebtLastUpdateTimestamp"),
            timestamp,
          )
        : 0n,
      accruedToTreasury: big(raw, "accruedToTreasury", w),
      unbacked: optBig(raw, "unbacked"),
      isolationModeTotalDebt: big(raw, "isolationModeTotalDebt", w),
      debtCeiling: big(raw, "debtCeiling", w),
      debtCeilingDecimals: Number(big(raw, "debtCeilingDecimals", w)),
      supplyCap: big(raw, "supplyCap", w),
      borrowCap: big(raw, "borrowCap", w),
      virtualUnderlyingBalance: legacy
        ? big(raw, "availableLiquidity", w)
        : big(raw, "virtualUnderlyingBalance", w),
      deficit: optBig(raw, "deficit"),
      price: big(raw, "priceInMarketReferenceCurrency", w),
      priceOracle: addr(raw, "priceOracle", w),
      eModeCategoryId: legacy ? Number(big(raw, "eModeCategoryId", w)) : 0,
    };
  });

  const eModes: AaveEMode[] =
    market.version === "legacy" ? legacyEModes(reserveList as Rec[]) : latestEModes(eModesRaw);

  const [userList, userEModeRaw] = tuple(userRaw, 2, "getUserReservesData");
  if (!Array.isArray(userList)) throw new AaveReadError("getUserReservesData[0] is not an array");
  const byAsset = new Map(reserves.map((r) => [r.asset.toLowerCase(), r]));
  const userReserves: AaveUserReserve[] = userList.map((raw: Rec, i) => {
    const w = `userReserve[${i}]`;
    const asset = addr(raw, "underlyingAsset", w);
    const reserve = byAsset.get(asset.toLowerCase());
    if (!reserve) throw new AaveReadError(`user reserve ${asset} is not in the reserves list`);
    const scaled = {
      scaledATokenBalance: big(raw, "scaledATokenBalance", w),
      scaledVariableDebt: big(raw, "scaledVariableDebt", w),
      principalStableDebt: optBig(raw, "principalStableDebt"),
      stableBorrowRate: optBig(raw, "stableBorrowRate"),
      stableBorrowLastUpdateTimestamp: optBig(raw, "stableBorrowLastUpdateTimestamp"),
    };
    const b = userBalancesAt(market.version, reserve, scaled, timestamp);
    return {
      index: reserve.index,
      asset: reserve.asset,
      assetId: reserve.assetId,
      ...scaled,
      usageAsCollateralEnabledOnUser: bool(raw, "usageAsCollateralEnabledOnUser", w),
      supplied: b.supplied,
      debt: b.variableDebt + b.stableDebt,
    };
  });

  const account = tuple(accountRaw, 6, "getUserAccountData") as readonly bigint[];
  const [
    totalCollateralBase,
    totalDebtBase,
    availableBorrowsBase,
    currentLiquidationThreshold,
    ltv,
    healthFactor,
  ] = account as [bigint, bigint, bigint, bigint, bigint, bigint];

  return {
    market,
    user: getAddress(params.user),
    timestamp,
    baseCurrency: {
      unit: big(base, "marketReferenceCurrencyUnit", "baseCurrency"),
      priceInUsd: big(base, "marketReferenceCurrencyPriceInUsd", "baseCurrency"),
      networkBaseTokenPriceInUsd: big(base, "networkBaseTokenPriceInUsd", "baseCurrency"),
      networkBaseTokenPriceDecimals: Number(big(base, "networkBaseTokenPriceDecimals", "baseCurrency")),
    },
    reserves,
    eModes,
    userEModeCategoryId: Number(userEModeRaw),
    userReserves,
    account: {
      totalCollateralBase,
      totalDebtBase,
      availableBorrowsBase,
      currentLiquidationThreshold,
      ltv,
      healthFactor,
    },
  };
}

/** Legacy markets carry e-mode data per reserve; group it into categories with bitmaps by reserve index. */
function legacyEModes(raw: readonly Rec[]): AaveEMode[] {
  const byId = new Map<number, AaveEMode>();
  raw.forEach((r, index) => {
    const id = Number(r.eModeCategoryId ?? 0);
    if (id === 0) return;
    const bit = 1n << BigInt(index);
    const prev = byId.get(id);
    byId.set(id, {
      id,
      label: str(r, "eModeLabel"),
      ltv: BigInt((r.eModeLtv as number | bigint | undefined) ?? 0),
      liquidationThreshold: BigInt((r.eModeLiquidationThreshold as number | bigint | undefined) ?? 0),
      liquidationBonus: BigInt((r.eModeLiquidationBonus as number | bigint | undefined) ?? 0),
      collateralBitmap: (prev?.collateralBitmap ?? 0n) | bit,
      borrowableBitmap: (prev?.borrowableBitmap ?? 0n) | bit,
      ltvzeroBitmap: 0n,
      priceSource: typeof r.eModePriceSource === "string" ? getAddress(r.eModePriceSource) : zeroAddress,
    });
  });
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

function latestEModes(raw: unknown): AaveEMode[] {
  if (!Array.isArray(raw)) throw new AaveReadError("getEModes did not return an array");
  return raw.map((e: Rec) => {
    const m = (e.eMode ?? {}) as Rec;
    return {
      id: Number(e.id),
      label: str(m, "label"),
      ltv: BigInt((m.ltv as number | bigint | undefined) ?? 0),
      liquidationThreshold: BigInt((m.liquidationThreshold as number | bigint | undefined) ?? 0),
      liquidationBonus: BigInt((m.liquidationBonus as number | bigint | undefined) ?? 0),
      collateralBitmap: optBig(m, "collateralBitmap"),
      borrowableBitmap: optBig(m, "borrowableBitmap"),
      ltvzeroBitmap: optBig(m, "ltvzeroBitmap"),
      priceSource: zeroAddress,
    };
  });
}

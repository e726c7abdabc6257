/**
 * The independent reference for the chain tests: Aave's own utilities on the same chain state.
 *
 * On the 3.6 market (the testkit's default) the reads are `@aave/contract-helpers` 1.37.1's `UiPoolDataProvider`
 * (`getReservesHumanized`, `getUserReservesHumanized`, `getEModesHumanized`: the version whose ABI is the 3.6
 * layout; 1.38 has 3.7's e-mode struct and cannot decode `getEModes`), pinned to the block under test.
 * It cannot decode the legacy `@aave/periphery-v3` 3.0.1 contract (it overflows on `decimals` and misreads the user
 * reserves), so on the 3.0 market the reads go through ethers v5 with the contract's own artifact ABI and are
 * humanized field for field as those methods do. The math is `@aave/math-utils` (`formatReserves` +
 * `formatUserSummary`), which shares no code with this package.
 */
import { createRequire } from "node:module";
import { UiPoolDataProvider } from "@aave/contract-helpers";
import { type FormatUserSummaryResponse, formatReserves, formatUserSummary } from "@aave/math-utils";
import { type BigNumber, Contract, providers } from "ethers";

const require = createRequire(import.meta.url);
const artifact =
  require("@aave/periphery-v3/artifacts/contracts/misc/UiPoolDataProviderV3.sol/UiPoolDataProviderV3.json") as {
    abi: unknown[];
  };

/** ethers v5 results: BigNumbers, strings (addresses, names) and booleans, untyped. */
type Field = BigNumber & string;
type Raw = Readonly<
  Record<
    | "aTokenAddress"
    | "accruedToTreasury"
    | "availableLiquidity"
    | "baseLTVasCollateral"
    | "baseVariableBorrowRate"
    | "borrowCap"
    | "borrowableInIsolation"
    | "borrowingEnabled"
    | "debtCeiling"
    | "debtCeilingDecimals"
    | "decimals"
    | "interestRateStrategyAddress"
    | "isActive"
    | "isFrozen"
    | "isPaused"
    | "isSiloedBorrowing"
    | "isolationModeTotalDebt"
    | "lastUpdateTimestamp"
    | "liquidityIndex"
    | "liquidityRate"
    | "name"
    | "optimalUsageRatio"
    | "priceInMarketReferenceCurrency"
    | "priceOracle"
    | "reserveFactor"
    | "reserveLiquidationBonus"
    | "reserveLiquidationThreshold"
    | "scaledATokenBalance"
    | "scaledVariableDebt"
    | "supplyCap"
    | "symbol"
    | "totalScaledVariableDebt"
    | "underlyingAsset"
    | "usageAsCollateralEnabled"
    | "usageAsCollateralEnabledOnUser"
    | "variableBorrowIndex"
    | "variableBorrowRate"
    | "variableDebtTokenAddress"
    | "variableRateSlope1"
    | "variableRateSlope2"
    | "marketReferenceCurrencyUnit"
    | "marketReferenceCurrencyPriceInUsd",
    Field
  >
>;

type ReferenceParameters = {
  rpcUrl: string;
  chainId: number;
  version: "legacy" | "latest";
  uiPoolDataProvider: string;
  poolAddressesProvider: string;
  user: string;
  blockTag: number;
  timestamp: number;
};

/** An ethers provider whose every `eth_call` is at one block (contract-helpers' methods take no block tag). */
class PinnedProvider extends providers.StaticJsonRpcProvider {
  constructor(
    url: string,
    chainId: number,
    private readonly blockTag: number,
  ) {
    super(url, chainId);
  }
  override call(transaction: Parameters<providers.StaticJsonRpcProvider["call"]>[0]) {
    return super.call(transaction, this.blockTag);
  }
}

/** Reads the market and the user at `blockTag` and summarises them with math-utils at `timestamp`. */
export async function referenceUserSummary(params: ReferenceParameters): Promise<FormatUserSummaryResponse> {
  return params.version === "latest" ? contractHelpersSummary(params) : legacySummary(params);
}

/** 3.6: `@aave/contract-helpers`' own reads and humanization, then math-utils. */
async function contractHelpersSummary(params: ReferenceParameters): Promise<FormatUserSummaryResponse> {
  const ui = new UiPoolDataProvider({
    uiPoolDataProviderAddress: params.uiPoolDataProvider,
    provider: new PinnedProvider(params.rpcUrl, params.chainId, params.blockTag),
    chainId: params.chainId,
  });
  const lendingPoolAddressProvider = params.poolAddressesProvider;
  const [{ reservesData, baseCurrencyData }, { userReserves, userEmodeCategoryId }, eModes] =
    await Promise.all([
      ui.getReservesHumanized({ lendingPoolAddressProvider }),
      ui.getUserReservesHumanized({ lendingPoolAddressProvider, user: params.user }),
      ui.getEModesHumanized({ lendingPoolAddressProvider }),
    ]);
  const marketReferenceCurrencyDecimals = baseCurrencyData.marketReferenceCurrencyDecimals;
  const marketReferencePriceInUsd = baseCurrencyData.marketReferenceCurrencyPriceInUsd;
  const formattedReserves = formatReserves({
    reserves: reservesData,
    // math-utils 1.38 types 3.7's `isolated` flag; 3.6 has no isolated e-modes.
    eModes: eModes.map((e) => ({ ...e, eMode: { ...e.eMode, isolated: false } })),
    currentTimestamp: params.timestamp,
    marketReferenceCurrencyDecimals,
    marketReferencePriceInUsd,
  });
  return formatUserSummary({
    currentTimestamp: params.timestamp,
    marketReferencePriceInUsd,
    marketReferenceCurrencyDecimals,
    userReserves,
    formattedReserves,
    userEmodeCategoryId,
  });
}

/** 3.0: the legacy contract through ethers with its artifact ABI, humanized as contract-helpers does. */
async function legacySummary(params: ReferenceParameters): Promise<FormatUserSummaryResponse> {
  const provider = new providers.StaticJsonRpcProvider(params.rpcUrl, params.chainId);
  const ui = new Contract(params.uiPoolDataProvider, artifact.abi as never, provider);
  const overrides = { blockTag: params.blockTag };
  const [reservesRaw, baseRaw] = (await ui.getReservesData(params.poolAddressesProvider, overrides)) as [
    Raw[],
    Raw,
  ];
  const [userRaw, eModeId] = (await ui.getUserReservesData(
    params.poolAddressesProvider,
    params.user,
    overrides,
  )) as [Raw[], number];

  // As UiPoolDataProvider.getReservesHumanized (contract-helpers 1.38), for the fields math-utils reads.
  const reserves = reservesRaw.map((r, index) => ({
    originalId: index,
    id: `${params.chainId}-${r.underlyingAsset}-${params.poolAddressesProvider}`.toLowerCase(),
    underlyingAsset: r.underlyingAsset.toLowerCase(),
    name: r.name,
    symbol: r.symbol,
    decimals: r.decimals.toNumber(),
    baseLTVasCollateral: r.baseLTVasCollateral.toString(),
    reserveLiquidationThreshold: r.reserveLiquidationThreshold.toString(),
    reserveLiquidationBonus: r.reserveLiquidationBonus.toString(),
    reserveFactor: r.reserveFactor.toString(),
    usageAsCollateralEnabled: Boolean(r.usageAsCollateralEnabled),
    borrowingEnabled: Boolean(r.borrowingEnabled),
    isActive: Boolean(r.isActive),
    isFrozen: Boolean(r.isFrozen),
    liquidityIndex: r.liquidityIndex.toString(),
    variableBorrowIndex: r.variableBorrowIndex.toString(),
    liquidityRate: r.liquidityRate.toString(),
    variableBorrowRate: r.variableBorrowRate.toString(),
    lastUpdateTimestamp: Number(r.lastUpdateTimestamp),
    aTokenAddress: r.aTokenAddress,
    variableDebtTokenAddress: r.variableDebtTokenAddress,
    interestRateStrategyAddress: r.interestRateStrategyAddress,
    availableLiquidity: r.availableLiquidity.toString(),
    totalScaledVariableDebt: r.totalScaledVariableDebt.toString(),
    priceInMarketReferenceCurrency: r.priceInMarketReferenceCurrency.toString(),
    priceOracle: r.priceOracle,
    variableRateSlope1: r.variableRateSlope1.toString(),
    variableRateSlope2: r.variableRateSlope2.toString(),
    baseVariableBorrowRate: r.baseVariableBorrowRate.toString(),
    optimalUsageRatio: r.optimalUsageRatio.toString(),
    isPaused: Boolean(r.isPaused),
    debtCeiling: r.debtCeiling.toString(),
    borrowCap: r.borrowCap.toString(),
    supplyCap: r.supplyCap.toString(),
    borrowableInIsolation: Boolean(r.borrowableInIsolation),
    accruedToTreasury: r.accruedToTreasury.toString(),
    isolationModeTotalDebt: r.isolationModeTotalDebt.toString(),
    debtCeilingDecimals: r.debtCeilingDecimals.toNumber(),
    isSiloedBorrowing: Boolean(r.isSiloedBorrowing),
    flashLoanEnabled: true,
    // v3.1+ fields the legacy contract does not have: the legacy pool has no virtual accounting.
    virtualUnderlyingBalance: r.availableLiquidity.toString(),
    deficit: "0",
  }));
  const userReserves = userRaw.map((u) => ({
    underlyingAsset: u.underlyingAsset.toLowerCase(),
    scaledATokenBalance: u.scaledATokenBalance.toString(),
    usageAsCollateralEnabledOnUser: Boolean(u.usageAsCollateralEnabledOnUser),
    scaledVariableDebt: u.scaledVariableDebt.toString(),
  }));
  // "this is to get the decimals from the unit so 1e18 = string length of 19 - 1" (contract-helpers).
  const marketReferenceCurrencyDecimals = baseRaw.marketReferenceCurrencyUnit.toString().length - 1;
  const marketReferencePriceInUsd = baseRaw.marketReferenceCurrencyPriceInUsd.toString();
  const formattedReserves = formatReserves({
    reserves,
    currentTimestamp: params.timestamp,
    marketReferenceCurrencyDecimals,
    marketReferencePriceInUsd,
  });
  return formatUserSummary({
    currentTimestamp: params.timestamp,
    marketReferencePriceInUsd,
    marketReferenceCurrencyDecimals,
    userReserves,
    formattedReserves,
    userEmodeCategoryId: Number(eModeId),
  });
}

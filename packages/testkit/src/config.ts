/**
 * What the testkit deploys: tokens, initial feed prices, Aave reserve parameters and Uniswap pools.
 * This object is part of the state-cache key: change a number here and the cached chain is rebuilt.
 */

/**
 * Which Aave V3 market the testkit deploys: `"3.6"` is aave-v3-origin 3.6.0 compiled from its npm sources (what
 * production markets run, the default); `"3.0"` is `@aave/core-v3` 1.19.3 + `@aave/periphery-v3` 3.0.1 artifacts.
 */
export type AaveVersion = "3.6" | "3.0";

/** The Aave market a chain gets unless it asks for another. */
export const DEFAULT_AAVE_VERSION: AaveVersion = "3.6";

/** Symbols of the test tokens. */
export type TokenSymbol = "WETH" | "USDC" | "WBTC";

/** The test tokens, in deployment order. */
export const TOKEN_SYMBOLS: readonly TokenSymbol[] = ["WETH", "USDC", "WBTC"];

/** Decimals of Chainlink-style USD feeds (Aave's MockAggregator answers with 8). */
export const FEED_DECIMALS = 8;

/** Aave base-currency unit: prices in USD with 8 decimals. */
export const BASE_CURRENCY_UNIT = 10n ** 8n;

/** Aave V3 collateral and borrow parameters of one reserve (basis points). */
export type ReserveParameters = {
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
  reserveFactor: number;
  /** Which interest-rate strategy the reserve uses. */
  rateStrategy: "volatile" | "stable";
};

/** Aave `DefaultReserveInterestRateStrategy` constructor parameters, all in rays (1e27). */
export type RateStrategyParameters = {
  optimalUsageRatio: bigint;
  baseVariableBorrowRate: bigint;
  variableRateSlope1: bigint;
  variableRateSlope2: bigint;
  stableRateSlope1: bigint;
  stableRateSlope2: bigint;
  baseStableRateOffset: bigint;
  stableRateExcessOffset: bigint;
  optimalStableToTotalDebtRatio: bigint;
};

/** One Uniswap V3 pool to create, price from the feeds, and fill with full-range liquidity. */
export type PoolParameters = {
  tokenA: TokenSymbol;
  tokenB: TokenSymbol;
  fee: number;
  /** USD value of each side of the whale's full-range position. */
  liquidityUsdPerSide: bigint;
};

const ray = (percent: number): bigint => (BigInt(Math.round(percent * 100)) * 10n ** 27n) / 10_000n;

/** The market the testkit deploys. */
export const MARKET = {
  marketId: "Ballast Testkit Market",
  tokens: {
    WETH: { name: "Wrapped Ether", symbol: "WETH", decimals: 18, usdPrice: 3_000n * BASE_CURRENCY_UNIT },
    USDC: { name: "USD Coin", symbol: "USDC", decimals: 6, usdPrice: 1n * BASE_CURRENCY_UNIT },
    WBTC: { name: "Wrapped BTC", symbol: "WBTC", decimals: 8, usdPrice: 60_000n * BASE_CURRENCY_UNIT },
  },
  reserves: {
    WETH: {
      ltv: 8000,
      liquidationThreshold: 8250,
      liquidationBonus: 10500,
      reserveFactor: 1500,
      rateStrategy: "volatile",
    },
    USDC: {
      ltv: 7700,
      liquidationThreshold: 8000,
      liquidationBonus: 10450,
      reserveFactor: 1000,
      rateStrategy: "stable",
    },
    WBTC: {
      ltv: 7300,
      liquidationThreshold: 7800,
      liquidationBonus: 10500,
      reserveFactor: 2000,
      rateStrategy: "volatile",
    },
  } satisfies Record<TokenSymbol, ReserveParameters>,
  rateStrategies: {
    volatile: {
      optimalUsageRatio: ray(45),
      baseVariableBorrowRate: 0n,
      variableRateSlope1: ray(4),
      variableRateSlope2: ray(300),
      stableRateSlope1: ray(4),
      stableRateSlope2: ray(300),
      baseStableRateOffset: ray(2),
      stableRateExcessOffset: ray(5),
      optimalStableToTotalDebtRatio: ray(20),
    },
    stable: {
      optimalUsageRatio: ray(90),
      baseVariableBorrowRate: 0n,
      variableRateSlope1: ray(4),
      variableRateSlope2: ray(60),
      stableRateSlope1: ray(0.5),
      stableRateSlope2: ray(60),
      baseStableRateOffset: ray(1),
      stableRateExcessOffset: ray(8),
      optimalStableToTotalDebtRatio: ray(20),
    },
  } satisfies Record<ReserveParameters["rateStrategy"], RateStrategyParameters>,
  /** USD value the whale supplies to each Aave reserve, so tests can borrow. */
  aaveLiquidityUsd: 50_000_000n,
  pools: [
    { tokenA: "WETH", tokenB: "USDC", fee: 500, liquidityUsdPerSide: 100_000_000n },
    { tokenA: "WBTC", tokenB: "WETH", fee: 3000, liquidityUsdPerSide: 50_000_000n },
  ] satisfies PoolParameters[],
} as const;

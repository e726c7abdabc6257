import type { Address } from "viem";
import type { AcrossDeployment } from "./across.ts";
import type { AaveVersion, TokenSymbol } from "./config.ts";
import { UnknownContractError } from "./errors.ts";
import type { FusionDeployment } from "./fusion.ts";

/** A deployed test token. */
export type TokenInfo = {
  symbol: TokenSymbol;
  name: string;
  address: Address;
  decimals: number;
};

/** A Chainlink-style USD feed (Aave `MockAggregator`, 8 decimals); its answer lives in storage slot 0. */
export type FeedInfo = {
  /** `WETH`, `USDC`, `WBTC`, or `USD` (the constant 1 USD feed used as Aave's market reference). */
  key: TokenSymbol | "USD";
  address: Address;
  decimals: number;
  /** The answer at deployment (8 decimals). */
  initialAnswer: bigint;
};

/** One listed Aave reserve and its risk parameters (basis points). */
export type ReserveInfo = {
  asset: Address;
  aToken: Address;
  variableDebtToken: Address;
  /** Zero address on Aave 3.6 (no stable debt). */
  stableDebtToken: Address;
  interestRateStrategy: Address;
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
  reserveFactor: number;
};

/** One Uniswap V3 pool; token0 < token1 by address. */
export type PoolInfo = {
  /** `"WETH/USDC/500"`: the symbols as configured and the fee. */
  key: string;
  address: Address;
  token0: Address;
  token1: Address;
  symbol0: TokenSymbol;
  symbol1: TokenSymbol;
  fee: number;
  tickSpacing: number;
  /** The whale's full-range position that gives the pool its depth. */
  liquidityPositionId: bigint;
};

/** Everything the testkit deployed on a local chain, by name. Plain data, JSON-serializable with {@link serializeDeployment}. */
export type Deployment = {
  chainId: number;
  /** The block the deployment finished at. */
  blockNumber: bigint;
  accounts: {
    /** Deployer, owner of the addresses provider, and Aave ACL/pool/risk/listing/emergency admin. */
    deployer: Address;
    /** Holder of the pools' full-range liquidity and of the Aave reserves' supply; moves pool prices in `setPrice`. */
    whale: Address;
    /** Receiver of Aave reserve-factor fees. */
    treasury: Address;
  };
  tokens: Record<TokenSymbol, TokenInfo>;
  feeds: Record<TokenSymbol | "USD", FeedInfo>;
  aave: {
    /** Which market this is (see `AaveVersion`). */
    version: AaveVersion;
    poolAddressesProvider: Address;
    aclManager: Address;
    pool: Address;
    poolConfigurator: Address;
    oracle: Address;
    protocolDataProvider: Address;
    uiPoolDataProvider: Address;
    walletBalanceProvider: Address;
    /** Oracle base currency: USD with 8 decimals. */
    baseCurrencyUnit: bigint;
    /** 3.0: one strategy per kind (`volatile`, `stable`); 3.6: the market's one `shared` V2 strategy. */
    rateStrategies: Record<string, Address>;
    implementations: {
      pool: Address;
      poolConfigurator: Address;
      aToken: Address;
      variableDebtToken: Address;
      /** Zero address on Aave 3.6. */
      stableDebtToken: Address;
    };
    libraries: Record<string, Address>;
    reserves: Record<TokenSymbol, ReserveInfo>;
  };
  uniswap: {
    factory: Address;
    positionManager: Address;
    swapRouter: Address;
    quoterV2: Address;
    /** keccak256 of the UniswapV3Pool creation code; equals the periphery's POOL_INIT_CODE_HASH. */
    poolInitCodeHash: `0x${string}`;
    pools: Record<string, PoolInfo>;
  };
  /** Multicall3 at its canonical address. */
  multicall3: Address;
  safe: {
    singleton: Address;
    proxyFactory: Address;
    multiSendCallOnly: Address;
    fallbackHandler: Address;
  };
  /** `Simple7702Account` (account-abstraction 0.8): the EIP-7702 delegate. */
  simple7702Account: Address;
  /** Across V3: `Ethereum_SpokePool` behind an ERC1967 proxy, owned by the deployer. */
  across: AcrossDeployment;
  /** 1inch Limit Order Protocol v4 at the Aggregation Router V6's address, and the Fusion `SimpleSettlement`. */
  fusion: FusionDeployment;
};

/** Canonical Multicall3 address (same on every chain). */
export const MULTICALL3_ADDRESS: Address = "0xcA11bde05977b3631167028862bE2a173976CA11";

/** A pool by key (`"WETH/USDC/500"`), or by its two symbols and fee in either order. */
export function getPool(deployment: Deployment, a: string, b?: TokenSymbol, fee?: number): PoolInfo {
  const direct = deployment.uniswap.pools[a];
  if (direct) return direct;
  const found = Object.values(deployment.uniswap.pools).find(
    (pool) =>
      (fee === undefined || pool.fee === fee) &&
      ((pool.symbol0 === a && pool.symbol1 === b) || (pool.symbol0 === b && pool.symbol1 === a)),
  );
  if (!found) throw new UnknownContractError("pool", [a, b, fee].filter((x) => x !== undefined).join("/"));
  return found;
}

/** A token by symbol or address. */
export function getToken(deployment: Deployment, symbolOrAddress: string): TokenInfo {
  const lower = symbolOrAddress.toLowerCase();
  const token = Object.values(deployment.tokens).find(
    (t) => t.symbol === symbolOrAddress || t.address.toLowerCase() === lower,
  );
  if (!token) throw new UnknownContractError("token", symbolOrAddress);
  return token;
}

/** Every deployed address keyed by a readable name (`aave.pool`, `tokens.USDC`, `uniswap.pools.WETH/USDC/500`, …). */
export function addressBook(deployment: Deployment): Record<string, Address> {
  const book: Record<string, Address> = {};
  const walk = (prefix: string, value: unknown) => {
    if (typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value)) book[prefix] = value as Address;
    else if (value && typeof value === "object")
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
  };
  walk("", deployment);
  return book;
}

/** JSON text of a deployment (bigints written as decimal strings tagged `n`). */
export function serializeDeployment(deployment: Deployment): string {
  return JSON.stringify(deployment, (_key, value) => (typeof value === "bigint" ? `${value}n` : value), 2);
}

/** Parses {@link serializeDeployment}'s output. */
export function parseDeployment(json: string): Deployment {
  return JSON.parse(json, (_key, value) =>
    typeof value === "string" && /^-?\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value,
  ) as Deployment;
}

/**
 * The deployment's Aave market in `@ballast/aave-v3`'s `AaveMarket` shape: `latest` is the UiPoolDataProviderV3
 * layout of 3.6, `legacy` the one of periphery 3.0.x.
 */
export function testkitAaveMarket(deployment: Deployment) {
  return {
    chainId: deployment.chainId,
    name: "testkit",
    poolAddressesProvider: deployment.aave.poolAddressesProvider,
    pool: deployment.aave.pool,
    uiPoolDataProvider: deployment.aave.uiPoolDataProvider,
    version: deployment.aave.version === "3.6" ? ("latest" as const) : ("legacy" as const),
  };
}

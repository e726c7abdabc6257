/**
 * Deploys an Aave V3 market on a fresh local chain: aave-v3-origin 3.6 compiled from its npm sources (the default,
 * what production runs), or `@aave/core-v3` 1.19.3 + `@aave/periphery-v3` 3.0.1 from their published artifacts.
 */
import {
  type Abi,
  type Address,
  type Client,
  encodeAbiParameters,
  encodeFunctionData,
  type Hex,
  zeroAddress,
} from "viem";
import { aclManagerAbi, poolAddressesProviderAbi, poolConfiguratorAbi } from "./abis.ts";
import type { Artifact } from "./artifacts.ts";
import { type Aave36ContractName, ensureAave36Artifacts } from "./compile.ts";
import { type AaveVersion, BASE_CURRENCY_UNIT, MARKET, TOKEN_SYMBOLS, type TokenSymbol } from "./config.ts";
import type { Deployment, FeedInfo, TokenInfo } from "./deployment.ts";
import { artifactDeployData, deployData, read, type Sender } from "./sender.ts";

/** What the market deployer needs: the sender (the deployer account) and the tokens and feeds already deployed. */
export type AaveDeployContext = {
  client: Client;
  d: Sender;
  deployer: Address;
  treasury: Address;
  tokens: Record<TokenSymbol, TokenInfo>;
  feeds: Record<TokenSymbol | "USD", FeedInfo>;
};

/** The market's addresses; the reserves are read back once the whale has supplied. */
export type DeployedAave = Omit<Deployment["aave"], "reserves">;

/** The contracts that differ between the two markets, and how each is built. */
type Flavor = {
  /** Creation data of a contract by its 3.0 name (`Pool`, `AToken`, …). */
  data: (name: string, args?: readonly unknown[], libraries?: Record<string, Address>) => Hex;
  libraries: readonly string[];
  initReservesAbi: Abi;
};

const RENAMED_36: Record<string, Aave36ContractName> = {
  Pool: "PoolInstance",
  PoolConfigurator: "PoolConfiguratorInstance",
  AToken: "ATokenInstance",
  VariableDebtToken: "VariableDebtTokenInstance",
  DefaultReserveInterestRateStrategy: "DefaultReserveInterestRateStrategyV2",
};

async function flavor(version: AaveVersion): Promise<Flavor> {
  if (version === "3.0")
    return {
      data: deployData as Flavor["data"],
      libraries: ["BorrowLogic", "BridgeLogic", "EModeLogic", "LiquidationLogic", "PoolLogic", "SupplyLogic"],
      initReservesAbi: poolConfiguratorAbi,
    };
  const { contracts } = await ensureAave36Artifacts();
  const artifact = (name: string): Artifact => contracts[RENAMED_36[name] ?? (name as Aave36ContractName)];
  return {
    data: (name, args = [], libraries = {}) => artifactDeployData(artifact(name), args, libraries),
    libraries: ["BorrowLogic", "LiquidationLogic", "PoolLogic", "SupplyLogic"],
    initReservesAbi: contracts.PoolConfiguratorInstance.abi,
  };
}

/** Deploys and configures the market: provider, ACL, libraries, Pool, configurator, oracle, data providers, reserves. */
export async function deployAave(ctx: AaveDeployContext, version: AaveVersion): Promise<DeployedAave> {
  const { client, d, deployer, feeds } = ctx;
  const f = await flavor(version);
  const provider = await d.deploy(
    "PoolAddressesProvider",
    f.data("PoolAddressesProvider", [MARKET.marketId, deployer]),
  );
  const callProvider = (functionName: string, args: readonly unknown[]) =>
    d.send(`provider.${functionName}`, {
      to: provider,
      data: encodeFunctionData({ abi: poolAddressesProviderAbi, functionName, args } as never),
    });
  // The ACL admin must be set before the ACLManager is deployed: its constructor reads it.
  await callProvider("setACLAdmin", [deployer]);
  const aclManager = await d.deploy("ACLManager", f.data("ACLManager", [provider]));
  await callProvider("setACLManager", [aclManager]);
  for (const role of ["addPoolAdmin", "addRiskAdmin", "addAssetListingAdmin", "addEmergencyAdmin"] as const)
    await d.send(`acl.${role}`, {
      to: aclManager,
      data: encodeFunctionData({ abi: aclManagerAbi, functionName: role, args: [deployer] }),
    });

  const rateStrategies = await deployRateStrategies(d, f, version, provider);
  const libraries: Record<string, Address> = {};
  for (const lib of f.libraries) libraries[lib] = await d.deploy(lib, f.data(lib));
  // FlashLoanLogic itself links BorrowLogic.
  libraries.FlashLoanLogic = await d.deploy("FlashLoanLogic", f.data("FlashLoanLogic", [], libraries));
  libraries.ConfiguratorLogic = await d.deploy("ConfiguratorLogic", f.data("ConfiguratorLogic"));

  // 3.6: the market's one interest-rate strategy is an immutable of the Pool.
  const poolArgs = version === "3.6" ? [provider, rateStrategies.shared] : [provider];
  const poolImpl = await d.deploy("Pool", f.data("Pool", poolArgs, libraries));
  await callProvider("setPoolImpl", [poolImpl]); // creates the proxy and calls initialize(provider)
  const configuratorImpl = await d.deploy("PoolConfigurator", f.data("PoolConfigurator", [], libraries));
  await callProvider("setPoolConfiguratorImpl", [configuratorImpl]);
  // Its constructor reads the Pool from the provider, so it comes after setPoolImpl.
  const protocolDataProvider = await d.deploy(
    "AaveProtocolDataProvider",
    f.data("AaveProtocolDataProvider", [provider]),
  );
  await callProvider("setPoolDataProvider", [protocolDataProvider]);
  const oracle = await d.deploy(
    "AaveOracle",
    f.data("AaveOracle", [
      provider,
      TOKEN_SYMBOLS.map((s) => ctx.tokens[s].address),
      TOKEN_SYMBOLS.map((s) => feeds[s].address),
      zeroAddress,
      zeroAddress, // base currency: USD
      BASE_CURRENCY_UNIT,
    ]),
  );
  await callProvider("setPriceOracle", [oracle]);
  await d.verify();

  const [pool, poolConfigurator] = (await Promise.all([
    read(client, provider, poolAddressesProviderAbi, "getPool"),
    read(client, provider, poolAddressesProviderAbi, "getPoolConfigurator"),
  ])) as [Address, Address];
  const implementations = await initReserves(ctx, f, version, { pool, poolConfigurator, rateStrategies });
  await configureReserves(ctx, poolConfigurator);

  const uiPoolDataProvider = await d.deploy(
    "UiPoolDataProviderV3",
    f.data("UiPoolDataProviderV3", [feeds.WETH.address, feeds.USD.address]),
  );
  const walletBalanceProvider = await d.deploy("WalletBalanceProvider", f.data("WalletBalanceProvider"));
  return {
    version,
    poolAddressesProvider: provider,
    aclManager,
    pool,
    poolConfigurator,
    oracle,
    protocolDataProvider,
    uiPoolDataProvider,
    walletBalanceProvider,
    baseCurrencyUnit: BASE_CURRENCY_UNIT,
    rateStrategies,
    implementations: { pool: poolImpl, poolConfigurator: configuratorImpl, ...implementations },
    libraries,
  };
}

/** 3.0: one strategy contract per kind, parameters in rays. 3.6: one shared V2 strategy; the parameters go per reserve. */
async function deployRateStrategies(
  d: Sender,
  f: Flavor,
  version: AaveVersion,
  provider: Address,
): Promise<Record<string, Address>> {
  if (version === "3.6")
    return {
      shared: await d.deploy("rate strategy", f.data("DefaultReserveInterestRateStrategy", [provider])),
    };
  const strategies: Record<string, Address> = {};
  for (const kind of ["volatile", "stable"] as const) {
    const p = MARKET.rateStrategies[kind];
    strategies[kind] = await d.deploy(
      `rate strategy ${kind}`,
      f.data("DefaultReserveInterestRateStrategy", [
        provider,
        p.optimalUsageRatio,
        p.baseVariableBorrowRate,
        p.variableRateSlope1,
        p.variableRateSlope2,
        p.stableRateSlope1,
        p.stableRateSlope2,
        p.baseStableRateOffset,
        p.stableRateExcessOffset,
        p.optimalStableToTotalDebtRatio,
      ]),
    );
  }
  return strategies;
}

/** A ray rate as basis points (3.6's `InterestRateData`); the testkit's parameters are whole basis points. */
const bps = (ray: bigint): bigint => (ray * 10_000n) / 10n ** 27n;

/** 3.6's per-reserve `interestRateData`: `abi.encode(InterestRateDataRay-in-bps)`. */
function interestRateData(kind: keyof typeof MARKET.rateStrategies): Hex {
  const p = MARKET.rateStrategies[kind];
  return encodeAbiParameters(
    [{ type: "tuple", components: ["uint16", "uint32", "uint32", "uint32"].map((type) => ({ type })) }],
    [
      [
        bps(p.optimalUsageRatio),
        bps(p.baseVariableBorrowRate),
        bps(p.variableRateSlope1),
        bps(p.variableRateSlope2),
      ].map(Number),
    ] as never,
  );
}

/** Token implementations and `initReserves`; 3.6 passes treasury and incentives to the implementations' constructors. */
async function initReserves(
  ctx: AaveDeployContext,
  f: Flavor,
  version: AaveVersion,
  m: { pool: Address; poolConfigurator: Address; rateStrategies: Record<string, Address> },
): Promise<{ aToken: Address; variableDebtToken: Address; stableDebtToken: Address }> {
  const { d, tokens, treasury } = ctx;
  const is36 = version === "3.6";
  const aToken = await d.deploy(
    "AToken",
    f.data("AToken", is36 ? [m.pool, zeroAddress, treasury] : [m.pool]),
  );
  const variableDebtToken = await d.deploy(
    "VariableDebtToken",
    f.data("VariableDebtToken", is36 ? [m.pool, zeroAddress] : [m.pool]),
  );
  const stableDebtToken = is36
    ? zeroAddress
    : await d.deploy("StableDebtToken", f.data("StableDebtToken", [m.pool]));
  const input = (symbol: TokenSymbol) => {
    const names = {
      underlyingAsset: tokens[symbol].address,
      aTokenName: `Aave Testkit ${symbol}`,
      aTokenSymbol: `aTest${symbol}`,
      variableDebtTokenName: `Aave Testkit Variable Debt ${symbol}`,
      variableDebtTokenSymbol: `variableDebtTest${symbol}`,
      params: "0x" as const,
    };
    const kind = MARKET.reserves[symbol].rateStrategy;
    if (is36)
      return {
        ...names,
        aTokenImpl: aToken,
        variableDebtTokenImpl: variableDebtToken,
        interestRateData: interestRateData(kind),
      };
    return {
      ...names,
      aTokenImpl: aToken,
      stableDebtTokenImpl: stableDebtToken,
      variableDebtTokenImpl: variableDebtToken,
      underlyingAssetDecimals: tokens[symbol].decimals,
      interestRateStrategyAddress: m.rateStrategies[kind],
      treasury,
      incentivesController: zeroAddress,
      stableDebtTokenName: `Aave Testkit Stable Debt ${symbol}`,
      stableDebtTokenSymbol: `stableDebtTest${symbol}`,
    };
  };
  await d.send("configurator.initReserves", {
    to: m.poolConfigurator,
    data: encodeFunctionData({
      abi: f.initReservesAbi,
      functionName: "initReserves",
      args: [TOKEN_SYMBOLS.map(input)],
    } as never),
  });
  return { aToken, variableDebtToken, stableDebtToken };
}

/** Collateral parameters, borrowing, reserve factor and flash loans: the same calls on both markets. */
async function configureReserves(ctx: AaveDeployContext, poolConfigurator: Address): Promise<void> {
  for (const symbol of TOKEN_SYMBOLS) {
    const r = MARKET.reserves[symbol];
    const asset = ctx.tokens[symbol].address;
    const configure = (functionName: string, args: readonly unknown[]) =>
      ctx.d.send(`configurator.${functionName}(${symbol})`, {
        to: poolConfigurator,
        data: encodeFunctionData({ abi: poolConfiguratorAbi, functionName, args } as never),
      });
    await configure("configureReserveAsCollateral", [
      asset,
      BigInt(r.ltv),
      BigInt(r.liquidationThreshold),
      BigInt(r.liquidationBonus),
    ]);
    await configure("setReserveBorrowing", [asset, true]);
    await configure("setReserveFactor", [asset, BigInt(r.reserveFactor)]);
    await configure("setReserveFlashLoaning", [asset, true]);
  }
}

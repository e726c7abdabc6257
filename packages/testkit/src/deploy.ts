import {
  type Abi,
  type Address,
  type Client,
  decodeFunctionResult,
  encodeAbiParameters,
  encodeDeployData,
  encodeFunctionData,
  getContractAddress,
  type Hash,
  type Hex,
  keccak256,
  maxUint256,
  numberToHex,
  zeroAddress,
} from "viem";
import {
  aavePoolAbi,
  aclManagerAbi,
  mintableErc20Abi,
  poolAddressesProviderAbi,
  poolConfiguratorAbi,
  positionManagerAbi,
  uniswapV3FactoryAbi,
  weth9Abi,
} from "./abis.ts";
import { testAccounts } from "./accounts.ts";
import { type ArtifactName, linkBytecode, loadArtifact, multicall3CreationCode } from "./artifacts.ts";
import { BASE_CURRENCY_UNIT, FEED_DECIMALS, MARKET, TOKEN_SYMBOLS, type TokenSymbol } from "./config.ts";
import {
  type Deployment,
  type FeedInfo,
  MULTICALL3_ADDRESS,
  type PoolInfo,
  type ReserveInfo,
  type TokenInfo,
} from "./deployment.ts";
import { DeploymentError } from "./errors.ts";
import { fullRangeTicks, sortTokens, sqrtPriceX96FromPrices, tickSpacingForFee } from "./uniswap-math.ts";

/** Gas limit of every deployment transaction: fixed, so no estimate round-trip is needed (unused gas is refunded). */
const DEPLOY_GAS = 25_000_000n;

type Sent = { label: string; hash: Hash };

/**
 * Sends transactions from one unlocked anvil account with locally tracked nonces and a fixed gas limit, without
 * waiting for each receipt (anvil automines each one as it arrives). `verify()` checks every receipt at the end.
 */
function createSender(client: Client, from: Address, startNonce: number) {
  let nonce = startNonce;
  const sent: Sent[] = [];
  const rpc = <T>(method: string, params: unknown[]): Promise<T> =>
    client.request({ method, params } as never) as Promise<T>;

  async function send(label: string, tx: { to?: Address; data: Hex; value?: bigint }): Promise<Hash> {
    const hash = await rpc<Hash>("eth_sendTransaction", [
      {
        from,
        ...(tx.to ? { to: tx.to } : {}),
        data: tx.data,
        value: numberToHex(tx.value ?? 0n),
        gas: numberToHex(DEPLOY_GAS),
        nonce: numberToHex(nonce++),
      },
    ]);
    sent.push({ label, hash });
    return hash;
  }

  async function deploy(label: string, data: Hex): Promise<Address> {
    const address = getContractAddress({ from, nonce: BigInt(nonce) });
    await send(`deploy ${label}`, { data });
    return address;
  }

  /** Waits until every sent transaction is mined (anvil automines, but asynchronously to the RPC reply) and succeeded. */
  async function verify(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (const { label, hash } of sent) {
      for (;;) {
        const receipt = await rpc<{ status: Hex } | null>("eth_getTransactionReceipt", [hash]);
        if (receipt) {
          if (receipt.status !== "0x1") throw new DeploymentError(label, `transaction ${hash} reverted`);
          break;
        }
        if (Date.now() > deadline)
          throw new DeploymentError(label, `no receipt for ${hash} (is automine off?)`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    sent.length = 0;
  }

  return { send, deploy, verify, rpc };
}

async function read<const abi extends Abi>(
  client: Client,
  to: Address,
  abi: abi,
  functionName: string,
  args: readonly unknown[] = [],
): Promise<unknown> {
  const data = encodeFunctionData({ abi, functionName, args } as never);
  const result = (await client.request({
    method: "eth_call",
    params: [{ to, data }, "latest"],
  } as never)) as Hex;
  return decodeFunctionResult({ abi, functionName, data: result } as never);
}

const deployData = (
  name: ArtifactName,
  args: readonly unknown[] = [],
  libraries: Record<string, Address> = {},
) => {
  const artifact = loadArtifact(name);
  const bytecode = linkBytecode(artifact, libraries);
  return encodeDeployData({ abi: artifact.abi, bytecode, args } as never);
};

/**
 * Deploys the whole testkit protocol set on a fresh local anvil chain from the published npm artifacts:
 * tokens, feeds, an Aave V3 market with three reserves, Uniswap V3 with two deep pools, Multicall3, Safe 1.3.0
 * and Simple7702Account. The deployer, treasury and whale are anvil's default accounts 0, 8 and 9 (unlocked).
 */
export async function deployProtocols(client: Client): Promise<Deployment> {
  const { deployer, whale, treasury } = {
    deployer: testAccounts.deployer.address,
    whale: testAccounts.whale.address,
    treasury: testAccounts.treasury.address,
  };
  const rpc = <T>(method: string, params: unknown[]): Promise<T> =>
    client.request({ method, params } as never) as Promise<T>;
  const chainId = Number(await rpc<Hex>("eth_chainId", []));
  const [deployerNonce, whaleNonce] = await Promise.all(
    [deployer, whale].map(async (a) => Number(await rpc<Hex>("eth_getTransactionCount", [a, "pending"]))),
  );
  const d = createSender(client, deployer, deployerNonce!);

  // --- Tokens and feeds -------------------------------------------------------------------------------------
  const tokens = {} as Record<TokenSymbol, TokenInfo>;
  for (const symbol of TOKEN_SYMBOLS) {
    const spec = MARKET.tokens[symbol];
    const address =
      symbol === "WETH"
        ? await d.deploy("WETH9", deployData("WETH9"))
        : await d.deploy(symbol, deployData("MintableERC20", [spec.name, spec.symbol, spec.decimals]));
    tokens[symbol] = { symbol, name: spec.name, address, decimals: spec.decimals };
  }
  const feeds = {} as Record<TokenSymbol | "USD", FeedInfo>;
  for (const key of [...TOKEN_SYMBOLS, "USD"] as const) {
    const initialAnswer = key === "USD" ? BASE_CURRENCY_UNIT : MARKET.tokens[key].usdPrice;
    const address = await d.deploy(`feed ${key}`, deployData("MockAggregator", [initialAnswer]));
    feeds[key] = { key, address, decimals: FEED_DECIMALS, initialAnswer };
  }
  const assets = TOKEN_SYMBOLS.map((s) => tokens[s].address);

  // --- Aave V3 ----------------------------------------------------------------------------------------------
  const provider = await d.deploy(
    "PoolAddressesProvider",
    deployData("PoolAddressesProvider", [MARKET.marketId, deployer]),
  );
  const callProvider = (functionName: string, args: readonly unknown[]) =>
    d.send(`provider.${functionName}`, {
      to: provider,
      data: encodeFunctionData({ abi: poolAddressesProviderAbi, functionName, args } as never),
    });
  // The ACL admin must be set before the ACLManager is deployed: its constructor reads it.
  await callProvider("setACLAdmin", [deployer]);
  const aclManager = await d.deploy("ACLManager", deployData("ACLManager", [provider]));
  await callProvider("setACLManager", [aclManager]);
  for (const role of ["addPoolAdmin", "addRiskAdmin", "addAssetListingAdmin", "addEmergencyAdmin"] as const)
    await d.send(`acl.${role}`, {
      to: aclManager,
      data: encodeFunctionData({ abi: aclManagerAbi, functionName: role, args: [deployer] }),
    });

  const libraries: Record<string, Address> = {};
  for (const lib of [
    "BorrowLogic",
    "BridgeLogic",
    "EModeLogic",
    "LiquidationLogic",
    "PoolLogic",
    "SupplyLogic",
  ] as const)
    libraries[lib] = await d.deploy(lib, deployData(lib));
  // FlashLoanLogic itself links BorrowLogic.
  libraries.FlashLoanLogic = await d.deploy("FlashLoanLogic", deployData("FlashLoanLogic", [], libraries));
  libraries.ConfiguratorLogic = await d.deploy("ConfiguratorLogic", deployData("ConfiguratorLogic"));

  const poolImpl = await d.deploy("Pool", deployData("Pool", [provider], libraries));
  await callProvider("setPoolImpl", [poolImpl]); // creates the proxy and calls initialize(provider)
  const configuratorImpl = await d.deploy("PoolConfigurator", deployData("PoolConfigurator", [], libraries));
  await callProvider("setPoolConfiguratorImpl", [configuratorImpl]);
  const protocolDataProvider = await d.deploy(
    "AaveProtocolDataProvider",
    deployData("AaveProtocolDataProvider", [provider]),
  );
  await callProvider("setPoolDataProvider", [protocolDataProvider]);
  const oracle = await d.deploy(
    "AaveOracle",
    deployData("AaveOracle", [
      provider,
      assets,
      TOKEN_SYMBOLS.map((s) => feeds[s].address),
      zeroAddress,
      zeroAddress, // base currency: USD
      BASE_CURRENCY_UNIT,
    ]),
  );
  await callProvider("setPriceOracle", [oracle]);

  const rateStrategies = {} as Record<"volatile" | "stable", Address>;
  for (const kind of ["volatile", "stable"] as const) {
    const p = MARKET.rateStrategies[kind];
    rateStrategies[kind] = await d.deploy(
      `rate strategy ${kind}`,
      deployData("DefaultReserveInterestRateStrategy", [
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
  await d.verify();

  const [pool, poolConfigurator] = (await Promise.all([
    read(client, provider, poolAddressesProviderAbi, "getPool"),
    read(client, provider, poolAddressesProviderAbi, "getPoolConfigurator"),
  ])) as [Address, Address];

  const aTokenImpl = await d.deploy("AToken", deployData("AToken", [pool]));
  const variableDebtImpl = await d.deploy("VariableDebtToken", deployData("VariableDebtToken", [pool]));
  const stableDebtImpl = await d.deploy("StableDebtToken", deployData("StableDebtToken", [pool]));

  await d.send("configurator.initReserves", {
    to: poolConfigurator,
    data: encodeFunctionData({
      abi: poolConfiguratorAbi,
      functionName: "initReserves",
      args: [
        TOKEN_SYMBOLS.map((symbol) => ({
          aTokenImpl,
          stableDebtTokenImpl: stableDebtImpl,
          variableDebtTokenImpl: variableDebtImpl,
          underlyingAssetDecimals: tokens[symbol].decimals,
          interestRateStrategyAddress: rateStrategies[MARKET.reserves[symbol].rateStrategy],
          underlyingAsset: tokens[symbol].address,
          treasury,
          incentivesController: zeroAddress,
          aTokenName: `Aave Testkit ${symbol}`,
          aTokenSymbol: `aTest${symbol}`,
          variableDebtTokenName: `Aave Testkit Variable Debt ${symbol}`,
          variableDebtTokenSymbol: `variableDebtTest${symbol}`,
          stableDebtTokenName: `Aave Testkit Stable Debt ${symbol}`,
          stableDebtTokenSymbol: `stableDebtTest${symbol}`,
          params: "0x" as const,
        })),
      ],
    }),
  });
  for (const symbol of TOKEN_SYMBOLS) {
    const r = MARKET.reserves[symbol];
    const asset = tokens[symbol].address;
    const configure = (functionName: string, args: readonly unknown[]) =>
      d.send(`configurator.${functionName}(${symbol})`, {
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
  const uiPoolDataProvider = await d.deploy(
    "UiPoolDataProviderV3",
    deployData("UiPoolDataProviderV3", [feeds.WETH.address, feeds.USD.address]),
  );
  const walletBalanceProvider = await d.deploy("WalletBalanceProvider", deployData("WalletBalanceProvider"));

  // --- Uniswap V3 -------------------------------------------------------------------------------------------
  const factory = await d.deploy("UniswapV3Factory", deployData("UniswapV3Factory"));
  const positionManager = await d.deploy(
    "NonfungiblePositionManager",
    deployData("NonfungiblePositionManager", [factory, tokens.WETH.address, zeroAddress]),
  );
  const swapRouter = await d.deploy("SwapRouter", deployData("SwapRouter", [factory, tokens.WETH.address]));
  const quoterV2 = await d.deploy("QuoterV2", deployData("QuoterV2", [factory, tokens.WETH.address]));
  const poolInitCodeHash = keccak256(loadArtifact("UniswapV3Pool").bytecode);

  const pools: Record<string, Omit<PoolInfo, "liquidityPositionId">> = {};
  for (const spec of MARKET.pools) {
    const [t0, t1] = sortTokens(tokens[spec.tokenA], tokens[spec.tokenB]);
    const sqrtPriceX96 = sqrtPriceX96FromPrices({
      price0: MARKET.tokens[t0.symbol].usdPrice,
      decimals0: t0.decimals,
      price1: MARKET.tokens[t1.symbol].usdPrice,
      decimals1: t1.decimals,
    });
    await d.send(`createAndInitializePool ${spec.tokenA}/${spec.tokenB}/${spec.fee}`, {
      to: positionManager,
      data: encodeFunctionData({
        abi: positionManagerAbi,
        functionName: "createAndInitializePoolIfNecessary",
        args: [t0.address, t1.address, spec.fee, sqrtPriceX96],
      }),
    });
    const key = `${spec.tokenA}/${spec.tokenB}/${spec.fee}`;
    pools[key] = {
      key,
      address: computePoolAddress(factory, t0.address, t1.address, spec.fee, poolInitCodeHash),
      token0: t0.address,
      token1: t1.address,
      symbol0: t0.symbol,
      symbol1: t1.symbol,
      fee: spec.fee,
      tickSpacing: tickSpacingForFee(spec.fee),
    };
  }

  // --- Multicall3, Safe 1.3.0, Simple7702Account --------------------------------------------------------------
  const multicallDeployed = await d.deploy("Multicall3", multicall3CreationCode());
  const safe = {
    singleton: await d.deploy("GnosisSafe", deployData("GnosisSafe")),
    proxyFactory: await d.deploy("GnosisSafeProxyFactory", deployData("GnosisSafeProxyFactory")),
    multiSendCallOnly: await d.deploy("MultiSendCallOnly", deployData("MultiSendCallOnly")),
    fallbackHandler: await d.deploy(
      "CompatibilityFallbackHandler",
      deployData("CompatibilityFallbackHandler"),
    ),
  };
  const simple7702Account = await d.deploy("Simple7702Account", deployData("Simple7702Account"));
  await d.verify();

  const multicallCode = await rpc<Hex>("eth_getCode", [multicallDeployed, "latest"]);
  await rpc("anvil_setCode", [MULTICALL3_ADDRESS, multicallCode]);

  // --- The whale provides deep full-range liquidity ----------------------------------------------------------
  const w = createSender(client, whale, whaleNonce!);
  const positionIds: Record<string, bigint> = {};
  const needs: Record<TokenSymbol, bigint> = { WETH: 0n, USDC: 0n, WBTC: 0n };
  const amounts: Record<string, [bigint, bigint]> = {};
  for (const spec of MARKET.pools) {
    const info = pools[`${spec.tokenA}/${spec.tokenB}/${spec.fee}`]!;
    const side = (symbol: TokenSymbol) =>
      (spec.liquidityUsdPerSide * BASE_CURRENCY_UNIT * 10n ** BigInt(tokens[symbol].decimals)) /
      MARKET.tokens[symbol].usdPrice;
    const pair: [bigint, bigint] = [side(info.symbol0), side(info.symbol1)];
    amounts[info.key] = pair;
    needs[info.symbol0] += pair[0];
    needs[info.symbol1] += pair[1];
  }
  const aaveSupply = {} as Record<TokenSymbol, bigint>;
  for (const symbol of TOKEN_SYMBOLS) {
    aaveSupply[symbol] =
      (MARKET.aaveLiquidityUsd * BASE_CURRENCY_UNIT * 10n ** BigInt(tokens[symbol].decimals)) /
      MARKET.tokens[symbol].usdPrice;
    needs[symbol] += aaveSupply[symbol];
  }
  const whaleEth = needs.WETH + 10n ** 24n;
  await rpc("anvil_setBalance", [whale, numberToHex(whaleEth)]);
  await w.send("whale WETH deposit", {
    to: tokens.WETH.address,
    data: encodeFunctionData({ abi: weth9Abi, functionName: "deposit" }),
    value: needs.WETH,
  });
  for (const symbol of TOKEN_SYMBOLS) {
    if (symbol !== "WETH")
      await w.send(`whale mint ${symbol}`, {
        to: tokens[symbol].address,
        data: encodeFunctionData({
          abi: mintableErc20Abi,
          functionName: "mint",
          args: [whale, needs[symbol]],
        }),
      });
    for (const spender of [positionManager, swapRouter, pool])
      await w.send(`whale approve ${symbol}`, {
        to: tokens[symbol].address,
        data: encodeFunctionData({
          abi: mintableErc20Abi,
          functionName: "approve",
          args: [spender, maxUint256],
        }),
      });
  }
  for (const info of Object.values(pools)) {
    await w.verify(); // the mint simulation reads the approvals, balances and the previous position id
    const [amount0, amount1] = amounts[info.key]!;
    const { tickLower, tickUpper } = fullRangeTicks(info.tickSpacing);
    const mintArgs = {
      token0: info.token0,
      token1: info.token1,
      fee: info.fee,
      tickLower,
      tickUpper,
      amount0Desired: amount0,
      amount1Desired: amount1,
      amount0Min: 0n,
      amount1Min: 0n,
      recipient: whale,
      deadline: maxUint256,
    };
    const data = encodeFunctionData({ abi: positionManagerAbi, functionName: "mint", args: [mintArgs] });
    const result = (await rpc<Hex>("eth_call", [
      { from: whale, to: positionManager, data },
      "latest",
    ])) as Hex;
    const [tokenId] = decodeFunctionResult({ abi: positionManagerAbi, functionName: "mint", data: result });
    positionIds[info.key] = tokenId;
    await w.send(`whale mint position ${info.key}`, { to: positionManager, data });
  }
  for (const symbol of TOKEN_SYMBOLS)
    await w.send(`whale supplies ${symbol} to Aave`, {
      to: pool,
      data: encodeFunctionData({
        abi: aavePoolAbi,
        functionName: "supply",
        args: [tokens[symbol].address, aaveSupply[symbol], whale, 0],
      }),
    });
  await w.verify();

  // --- Read back what the contracts created, and check it ---------------------------------------------------
  const reserves = {} as Record<TokenSymbol, ReserveInfo>;
  for (const symbol of TOKEN_SYMBOLS) {
    const data = (await read(client, pool, aavePoolAbi, "getReserveData", [tokens[symbol].address])) as {
      aTokenAddress: Address;
      variableDebtTokenAddress: Address;
      stableDebtTokenAddress: Address;
      interestRateStrategyAddress: Address;
    };
    const r = MARKET.reserves[symbol];
    reserves[symbol] = {
      asset: tokens[symbol].address,
      aToken: data.aTokenAddress,
      variableDebtToken: data.variableDebtTokenAddress,
      stableDebtToken: data.stableDebtTokenAddress,
      interestRateStrategy: data.interestRateStrategyAddress,
      ltv: r.ltv,
      liquidationThreshold: r.liquidationThreshold,
      liquidationBonus: r.liquidationBonus,
      reserveFactor: r.reserveFactor,
    };
    if (data.aTokenAddress === zeroAddress) throw new DeploymentError(`reserve ${symbol}`, "not initialized");
  }
  for (const info of Object.values(pools)) {
    const actual = (await read(client, factory, uniswapV3FactoryAbi, "getPool", [
      info.token0,
      info.token1,
      info.fee,
    ])) as Address;
    if (actual.toLowerCase() !== info.address.toLowerCase())
      throw new DeploymentError(
        `pool ${info.key}`,
        `factory pool ${actual} differs from the periphery's computed address ${info.address} (init code hash mismatch)`,
      );
  }
  const blockNumber = BigInt(await rpc<Hex>("eth_blockNumber", []));

  return {
    chainId,
    blockNumber,
    accounts: { deployer, whale, treasury },
    tokens,
    feeds,
    aave: {
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
      implementations: {
        pool: poolImpl,
        poolConfigurator: configuratorImpl,
        aToken: aTokenImpl,
        variableDebtToken: variableDebtImpl,
        stableDebtToken: stableDebtImpl,
      },
      libraries,
      reserves,
    },
    uniswap: {
      factory,
      positionManager,
      swapRouter,
      quoterV2,
      poolInitCodeHash,
      pools: Object.fromEntries(
        Object.entries(pools).map(([key, info]) => [
          key,
          { ...info, liquidityPositionId: positionIds[key]! },
        ]),
      ),
    },
    multicall3: MULTICALL3_ADDRESS,
    safe,
    simple7702Account,
  };
}

/** The CREATE2 address of a Uniswap V3 pool, as the periphery's PoolAddress.computeAddress derives it. */
export function computePoolAddress(
  factory: Address,
  token0: Address,
  token1: Address,
  fee: number,
  poolInitCodeHash: Hex,
): Address {
  const salt = keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "address" }, { type: "uint24" }],
      [token0, token1, fee],
    ),
  );
  return getContractAddress({ opcode: "CREATE2", from: factory, salt, bytecodeHash: poolInitCodeHash });
}

import {
  type Address,
  type Client,
  decodeFunctionResult,
  encodeAbiParameters,
  encodeFunctionData,
  getContractAddress,
  type Hex,
  keccak256,
  maxUint256,
  numberToHex,
  zeroAddress,
} from "viem";
import { deployAave } from "./aave.ts";
import { aavePoolAbi, mintableErc20Abi, positionManagerAbi, uniswapV3FactoryAbi, weth9Abi } from "./abis.ts";
import { testAccounts } from "./accounts.ts";
import { deployAcross } from "./across.ts";
import { loadArtifact, multicall3CreationCode } from "./artifacts.ts";
import {
  type AaveVersion,
  BASE_CURRENCY_UNIT,
  DEFAULT_AAVE_VERSION,
  FEED_DECIMALS,
  MARKET,
  TOKEN_SYMBOLS,
  type TokenSymbol,
} from "./config.ts";
import {
  type Deployment,
  type FeedInfo,
  MULTICALL3_ADDRESS,
  type PoolInfo,
  type ReserveInfo,
  type TokenInfo,
} from "./deployment.ts";
import { DeploymentError } from "./errors.ts";
import { deployFusion } from "./fusion.ts";
import { createSender, deployData, read, type Sender } from "./sender.ts";
import { fullRangeTicks, sortTokens, sqrtPriceX96FromPrices, tickSpacingForFee } from "./uniswap-math.ts";

/**
 * Deploys the whole testkit protocol set on a fresh local anvil chain from the published npm artifacts:
 * tokens, feeds, an Aave V3 market with three reserves (3.6 unless `options.aave` says "3.0"), Uniswap V3 with two deep pools, Multicall3, Safe 1.3.0
 * Simple7702Account and Across V3's SpokePool. The deployer, treasury and whale are anvil's default accounts 0, 8 and 9 (unlocked).
 */
export async function deployProtocols(
  client: Client,
  options: { aave?: AaveVersion | undefined } = {},
): Promise<Deployment> {
  const version = options.aave ?? DEFAULT_AAVE_VERSION;
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

  // --- Aave V3 ----------------------------------------------------------------------------------------------
  const aave = await deployAave({ client, d, deployer, treasury, tokens, feeds }, version);
  const pool = aave.pool;

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

  // --- Multicall3, Safe 1.3.0, Simple7702Account, Across V3 ---------------------------------------------------
  const { multicallDeployed, ...utilities } = await deployUtilities(d, {
    deployer,
    treasury,
    weth: tokens.WETH.address,
  });
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
    aave: { ...aave, reserves },
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
    ...utilities, // safe, simple7702Account, across, fusion
  };
}

/** Multicall3 (at a CREATE address; copied to the canonical one by the caller), Safe 1.3.0, Simple7702Account and,
 * last, so the addresses before them did not move, Across V3's SpokePool and 1inch's Limit Order Protocol + Fusion settlement. */
async function deployUtilities(d: Sender, params: { deployer: Address; treasury: Address; weth: Address }) {
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
  const across = await deployAcross(d, {
    owner: params.deployer,
    wrappedNative: params.weth,
    withdrawalRecipient: params.treasury,
  });
  // 1inch last of all (compiled, then the LOP's code copied to the router's canonical address).
  const fusion = await deployFusion(d, { owner: params.deployer, weth: params.weth });
  return { multicallDeployed, safe, simple7702Account, across, fusion };
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

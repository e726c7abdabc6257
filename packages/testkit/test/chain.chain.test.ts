import { erc20Abi, parseAbi, parseEther, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import {
  aaveOracleAbi,
  aavePoolAbi,
  addressBook,
  advanceTime,
  ensureAave36Artifacts,
  feedSqrtPriceX96,
  fund,
  getPool,
  impersonate,
  MARKET,
  MULTICALL3_ADDRESS,
  mine,
  mockAggregatorAbi,
  setPrice,
  testAccounts,
  uniswapV3PoolAbi,
} from "../src/index.ts";
import { useTestChain } from "../src/vitest.ts";

const chain = useTestChain({ chainId: 1 });
const { alice, bob } = testAccounts;

const uiPoolDataProviderAbi = parseAbi([
  "function getReservesList(address provider) view returns (address[])",
]);
const walletBalanceProviderAbi = parseAbi([
  "function batchBalanceOf(address[] users, address[] tokens) view returns (uint256[])",
]);
const reserveConfigAbi = parseAbi([
  "function getReserveConfigurationData(address asset) view returns (uint256 decimals, uint256 ltv, uint256 liquidationThreshold, uint256 liquidationBonus, uint256 reserveFactor, bool usageAsCollateralEnabled, bool borrowingEnabled, bool stableBorrowRateEnabled, bool isActive, bool isFrozen)",
]);

describe("the deployed market", () => {
  it("is a chain from the cache with the expected chain id and timings", async () => {
    expect(chain.chainId).toBe(1);
    expect(await chain.publicClient.getChainId()).toBe(1);
    expect(chain.isFork).toBe(false);
    expect(chain.deployment.chainId).toBe(1);
    const head = await chain.publicClient.getBlock();
    expect(head.number).toBeGreaterThan(chain.deployment.blockNumber);
    // the handle behaves like the chain object
    expect(Object.keys({ ...chain })).toEqual(
      expect.arrayContaining(["rpcUrl", "deployment", "publicClient"]),
    );
    expect(chain.timings.total).toBeGreaterThan(0);
  });

  it("lists three Aave reserves, enabled for collateral and borrowing, priced by the feeds in USD (8 decimals)", async () => {
    const { aave, tokens } = chain.deployment;
    const list = await chain.publicClient.readContract({
      address: aave.pool,
      abi: aavePoolAbi,
      functionName: "getReservesList",
    });
    expect(list).toEqual([tokens.WETH.address, tokens.USDC.address, tokens.WBTC.address]);
    for (const symbol of ["WETH", "USDC", "WBTC"] as const) {
      const [decimals, ltv, lt, bonus, rf, collateral, borrowing, , active, frozen] =
        await chain.publicClient.readContract({
          address: aave.protocolDataProvider,
          abi: reserveConfigAbi,
          functionName: "getReserveConfigurationData",
          args: [tokens[symbol].address],
        });
      expect(decimals).toBe(BigInt(tokens[symbol].decimals));
      expect([ltv, lt, bonus, rf]).toEqual(
        [
          MARKET.reserves[symbol].ltv,
          MARKET.reserves[symbol].liquidationThreshold,
          MARKET.reserves[symbol].liquidationBonus,
          MARKET.reserves[symbol].reserveFactor,
        ].map(BigInt),
      );
      expect({ collateral, borrowing, active, frozen }).toEqual({
        collateral: true,
        borrowing: true,
        active: true,
        frozen: false,
      });
      const price = await chain.publicClient.readContract({
        address: aave.oracle,
        abi: aaveOracleAbi,
        functionName: "getAssetPrice",
        args: [tokens[symbol].address],
      });
      expect(price).toBe(MARKET.tokens[symbol].usdPrice);
    }
  });

  it("is the Aave 3.6 market by default: one V2 rate strategy holding each reserve's parameters, no stable debt", async () => {
    const { aave, tokens } = chain.deployment;
    expect(aave.version).toBe("3.6");
    const strategyAbi = parseAbi([
      "struct InterestRateDataRay { uint256 optimalUsageRatio; uint256 baseVariableBorrowRate; uint256 variableRateSlope1; uint256 variableRateSlope2; }",
      "function getInterestRateData(address reserve) view returns (InterestRateDataRay)",
    ]);
    const poolAbi = parseAbi([
      "function POOL_REVISION() view returns (uint256)",
      "function RESERVE_INTEREST_RATE_STRATEGY() view returns (address)",
    ]);
    expect(
      await chain.publicClient.readContract({
        address: aave.pool,
        abi: poolAbi,
        functionName: "POOL_REVISION",
      }),
    ).toBe(10n);
    expect(
      await chain.publicClient.readContract({
        address: aave.pool,
        abi: poolAbi,
        functionName: "RESERVE_INTEREST_RATE_STRATEGY",
      }),
    ).toBe(aave.rateStrategies.shared);
    for (const symbol of ["WETH", "USDC", "WBTC"] as const) {
      const expected = MARKET.rateStrategies[MARKET.reserves[symbol].rateStrategy];
      const data = await chain.publicClient.readContract({
        address: aave.rateStrategies.shared!,
        abi: strategyAbi,
        functionName: "getInterestRateData",
        args: [tokens[symbol].address],
      });
      expect(data).toEqual({
        optimalUsageRatio: expected.optimalUsageRatio,
        baseVariableBorrowRate: expected.baseVariableBorrowRate,
        variableRateSlope1: expected.variableRateSlope1,
        variableRateSlope2: expected.variableRateSlope2,
      });
      expect(aave.reserves[symbol].interestRateStrategy).toBe(aave.rateStrategies.shared);
      expect(aave.reserves[symbol].stableDebtToken).toBe(zeroAddress);
    }
  });

  it("has the periphery readers, Multicall3 at its canonical address, Safe and Simple7702Account", async () => {
    const d = chain.deployment;
    const reserves = await chain.publicClient.readContract({
      address: d.aave.uiPoolDataProvider,
      abi: uiPoolDataProviderAbi,
      functionName: "getReservesList",
      args: [d.aave.poolAddressesProvider],
    });
    expect(reserves).toHaveLength(3);
    const [reservesData, baseCurrency] = (await chain.publicClient.readContract({
      address: d.aave.uiPoolDataProvider,
      abi: (await ensureAave36Artifacts()).contracts.UiPoolDataProviderV3.abi,
      functionName: "getReservesData",
      args: [d.aave.poolAddressesProvider],
    })) as [
      { symbol: string; priceInMarketReferenceCurrency: bigint }[],
      { networkBaseTokenPriceInUsd: bigint },
    ];
    expect(reservesData.map((r) => [r.symbol, r.priceInMarketReferenceCurrency])).toEqual([
      ["WETH", MARKET.tokens.WETH.usdPrice],
      ["USDC", MARKET.tokens.USDC.usdPrice],
      ["WBTC", MARKET.tokens.WBTC.usdPrice],
    ]);
    expect(baseCurrency.networkBaseTokenPriceInUsd).toBe(MARKET.tokens.WETH.usdPrice);
    const balances = await chain.publicClient.readContract({
      address: d.aave.walletBalanceProvider,
      abi: walletBalanceProviderAbi,
      functionName: "batchBalanceOf",
      args: [[getPool(d, "WETH/USDC/500").address], [d.tokens.USDC.address]],
    });
    expect(balances[0]).toBeGreaterThan(0n);
    // viem's multicall goes through the canonical Multicall3
    expect(d.multicall3).toBe(MULTICALL3_ADDRESS);
    const results = await chain.publicClient.multicall({
      contracts: [
        { address: d.tokens.USDC.address, abi: erc20Abi, functionName: "decimals" },
        { address: d.tokens.WBTC.address, abi: erc20Abi, functionName: "decimals" },
      ],
      allowFailure: false,
    });
    expect(results).toEqual([6, 8]);
    for (const address of [
      d.safe.singleton,
      d.safe.proxyFactory,
      d.safe.multiSendCallOnly,
      d.safe.fallbackHandler,
      d.simple7702Account,
    ])
      expect((await chain.publicClient.getCode({ address }))?.length).toBeGreaterThan(2);
    const book = addressBook(d);
    expect(book["aave.pool"]).toBe(d.aave.pool);
    expect(book["uniswap.pools.WETH/USDC/500.address"]).toBe(getPool(d, "WETH/USDC/500").address);
  });

  it("prices both pools consistently with the feeds", async () => {
    for (const key of ["WETH/USDC/500", "WBTC/WETH/3000"]) {
      const pool = getPool(chain.deployment, key);
      const [sqrtPriceX96] = await chain.publicClient.readContract({
        address: pool.address,
        abi: uniswapV3PoolAbi,
        functionName: "slot0",
      });
      expect(sqrtPriceX96).toBe(await feedSqrtPriceX96(chain, { pool: key }));
      const liquidity = await chain.publicClient.readContract({
        address: pool.address,
        abi: uniswapV3PoolAbi,
        functionName: "liquidity",
      });
      expect(liquidity).toBeGreaterThan(0n);
    }
    expect(getPool(chain.deployment, "USDC", "WETH", 500).key).toBe("WETH/USDC/500");
  });
});

describe("helpers", () => {
  it("fund gives ETH and every test token", async () => {
    const { tokens } = chain.deployment;
    const before = await chain.publicClient.getBalance({ address: alice.address });
    await fund(chain, { account: alice.address, token: "ETH", amount: parseEther("5") });
    expect(await chain.publicClient.getBalance({ address: alice.address })).toBe(before + parseEther("5"));
    const amounts = { WETH: 12n * 10n ** 18n, USDC: 1_000n * 10n ** 6n, WBTC: 3n * 10n ** 7n } as const;
    for (const symbol of ["WETH", "USDC", "WBTC"] as const) {
      await fund(chain, { account: alice.address, token: symbol, amount: amounts[symbol] });
      const balance = await chain.publicClient.readContract({
        address: tokens[symbol].address,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [alice.address],
      });
      expect(balance).toBe(amounts[symbol]);
    }
    // any ERC-20 from an impersonated holder
    await fund(chain, {
      account: bob.address,
      token: tokens.USDC.address,
      amount: 400n * 10n ** 6n,
      holder: alice.address,
    });
    expect(
      await chain.publicClient.readContract({
        address: tokens.USDC.address,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [bob.address],
      }),
    ).toBe(400n * 10n ** 6n);
  });

  it("reverts every change after each test (snapshot isolation)", async () => {
    const balance = await chain.publicClient.readContract({
      address: chain.deployment.tokens.USDC.address,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [alice.address],
    });
    expect(balance).toBe(0n);
  });

  it("snapshot/revert restores state and time", async () => {
    const start = await chain.publicClient.getBlock();
    const id = await chain.snapshot();
    await fund(chain, { account: bob.address, token: "USDC", amount: 1n });
    await advanceTime(chain, { seconds: 86_400 });
    await chain.revert(id);
    const after = await chain.publicClient.getBlock();
    expect(after.number).toBe(start.number);
    expect(after.timestamp).toBe(start.timestamp);
  });

  it("advanceTime and mine move the clock and the head", async () => {
    const start = await chain.publicClient.getBlock();
    const ts = await advanceTime(chain, { seconds: 3_600 });
    expect(ts).toBe(start.timestamp + 3_600n);
    expect((await chain.publicClient.getBlock()).timestamp).toBe(ts);
    const head = await mine(chain, { blocks: 5 });
    expect(head).toBe(start.number + 6n);
  });

  it("impersonate sends as any address", async () => {
    const stranger = "0x000000000000000000000000000000000000bEEF" as const;
    await fund(chain, { account: stranger, token: "USDC", amount: 10n * 10n ** 6n });
    const imp = await impersonate(chain, { address: stranger, ethBalance: parseEther("1") });
    try {
      const hash = await imp.walletClient.writeContract({
        address: chain.deployment.tokens.USDC.address,
        abi: erc20Abi,
        functionName: "transfer",
        args: [bob.address, 10n * 10n ** 6n],
      });
      const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
      expect(receipt.from.toLowerCase()).toBe(stranger.toLowerCase());
    } finally {
      await imp.stop();
    }
  });

  it("setPrice changes the feed (Aave sees it) and moves every pool of the asset to match", async () => {
    const { aave, tokens, feeds } = chain.deployment;
    const newPrice = 2_400n * 10n ** 8n;
    const { pools } = await setPrice(chain, { asset: "WETH", usdPrice: newPrice });
    expect(pools.map((p) => p.pool).sort()).toEqual(["WBTC/WETH/3000", "WETH/USDC/500"]);
    expect(
      await chain.publicClient.readContract({
        address: feeds.WETH.address,
        abi: mockAggregatorAbi,
        functionName: "latestAnswer",
      }),
    ).toBe(newPrice);
    expect(
      await chain.publicClient.readContract({
        address: aave.oracle,
        abi: aaveOracleAbi,
        functionName: "getAssetPrice",
        args: [tokens.WETH.address],
      }),
    ).toBe(newPrice);
    for (const move of pools) {
      const pool = getPool(chain.deployment, move.pool);
      const [sqrtPriceX96] = await chain.publicClient.readContract({
        address: pool.address,
        abi: uniswapV3PoolAbi,
        functionName: "slot0",
      });
      expect(sqrtPriceX96).toBe(move.sqrtPriceX96After);
      expect(sqrtPriceX96).toBe(await feedSqrtPriceX96(chain, { pool: move.pool }));
      expect(sqrtPriceX96).not.toBe(move.sqrtPriceX96Before);
    }
    // feed only
    const { pools: none } = await setPrice(chain, {
      asset: "WBTC",
      usdPrice: 50_000n * 10n ** 8n,
      movePool: false,
    });
    expect(none).toEqual([]);
  });

  it("rejects unknown tokens with a typed error", async () => {
    await expect(fund(chain, { account: alice.address, token: "DOGE", amount: 1n })).rejects.toThrow(
      /Unknown token "DOGE"/,
    );
    await expect(setPrice(chain, { asset: zeroAddress, usdPrice: 1n })).rejects.toThrow(/Unknown token/);
  });
});

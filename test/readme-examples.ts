/**
 * What each library package's README example must print when `pack.e2e.test.ts` runs it with plain node from the installed
 * tarballs: set up a local chain (real Aave 3.6, Uniswap V3, Simple7702Account), run the example, and check every
 * figure it prints against the chain read independently (or, for 1inch, against the stand-in's real quoter price).
 */
import { formatUsd } from "@ballast/core";
import {
  ANVIL_PRIVATE_KEYS,
  aaveOracleAbi,
  aavePoolAbi,
  delegateToSimple7702,
  fund,
  getPool,
  quoterV2Abi,
  sendAndWait,
  simple7702AccountAbi,
  TEST_ACCOUNT_INDEX,
  type TestChain,
  testAccounts,
  testkitAaveMarket,
} from "@ballast/testkit";
import {
  type Address,
  decodeFunctionData,
  decodeFunctionResult,
  encodeFunctionData,
  encodePacked,
  erc20Abi,
  formatUnits,
  getAddress,
  type Hex,
  maxUint256,
  parseAbi,
} from "viem";
import { expect } from "vitest";
import { aggregationRouterV6Abi } from "../packages/1inch/src/routers.ts";
import { startStandIn } from "../packages/1inch/test/stand-in/server.ts";
import { swapApiStandIn } from "../packages/1inch/test/stand-in/swap-api.ts";

export type ExampleContext = {
  readonly chains: Record<1 | 8453, TestChain>;
  /** Runs the example with plain node in the installed project; resolves to its stdout. */
  readonly example: (env: Record<string, string>) => Promise<string>;
};

const balanceOf = (chain: TestChain, token: Address, owner: Address) =>
  chain.publicClient.readContract({
    address: token,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [owner],
  });

/** The `call <to> <data>` lines an example prints, in order. */
const printedCalls = (out: string) =>
  [...out.matchAll(/^call (0x[0-9a-fA-F]{40}) (0x[0-9a-fA-F]*)$/gm)].map((m) => ({
    to: getAddress(m[1]!),
    data: m[2] as Hex,
  }));

const positionManagerReads = parseAbi([
  "struct DecreaseLiquidityParams { uint256 tokenId; uint128 liquidity; uint256 amount0Min; uint256 amount1Min; uint256 deadline; }",
  "function decreaseLiquidity(DecreaseLiquidityParams params) payable returns (uint256 amount0, uint256 amount1)",
  "struct CollectParams { uint256 tokenId; address recipient; uint128 amount0Max; uint128 amount1Max; }",
  "function collect(CollectParams params) payable returns (uint256 amount0, uint256 amount1)",
  "function positions(uint256 tokenId) view returns (uint96 nonce, address operator, address token0, address token1, uint24 fee, int24 tickLower, int24 tickUpper, uint128 liquidity, uint256 feeGrowthInside0LastX128, uint256 feeGrowthInside1LastX128, uint128 tokensOwed0, uint128 tokensOwed1)",
  "function multicall(bytes[] data) payable returns (bytes[] results)",
]);
const quoteExactInputAbi = parseAbi([
  "function quoteExactInput(bytes path, uint256 amountIn) returns (uint256 amountOut, uint160[] sqrtPriceX96AfterList, uint32[] initializedTicksCrossedList, uint256 gasEstimate)",
]);
const exactInputAbi = parseAbi([
  "struct ExactInputParams { bytes path; address recipient; uint256 deadline; uint256 amountIn; uint256 amountOutMinimum; }",
  "function exactInput(ExactInputParams params) payable returns (uint256 amountOut)",
]);
const U128_MAX = 2n ** 128n - 1n;

/** The Uniswap deployment's contract addresses, in the shape of `UNISWAP_V3_MAINNET`. */
const addresses = ({
  factory,
  positionManager,
  swapRouter,
  quoterV2,
}: TestChain["deployment"]["uniswap"]) => ({
  factory,
  positionManager,
  swapRouter,
  quoterV2,
});

/** What `decreaseLiquidity(all)` + `collect(max)` pays the owner now, by eth_call from the owner. */
async function burnAndCollect(chain: TestChain, owner: Address, tokenId: bigint) {
  const npm = chain.deployment.uniswap.positionManager;
  const position = await chain.publicClient.readContract({
    address: npm,
    abi: positionManagerReads,
    functionName: "positions",
    args: [tokenId],
  });
  const { result } = await chain.publicClient.simulateContract({
    account: owner,
    address: npm,
    abi: positionManagerReads,
    functionName: "multicall",
    args: [
      [
        encodeFunctionData({
          abi: positionManagerReads,
          functionName: "decreaseLiquidity",
          args: [{ tokenId, liquidity: position[7], amount0Min: 0n, amount1Min: 0n, deadline: maxUint256 }],
        }),
        encodeFunctionData({
          abi: positionManagerReads,
          functionName: "collect",
          args: [{ tokenId, recipient: owner, amount0Max: U128_MAX, amount1Max: U128_MAX }],
        }),
      ],
    ],
  });
  return decodeFunctionResult({ abi: positionManagerReads, functionName: "collect", data: result[1]! });
}

async function chainExample({ chains, example }: ExampleContext): Promise<void> {
  const chain = chains[8453];
  const usdc = chain.deployment.tokens.USDC.address;
  const sender = testAccounts.carol;
  const to = testAccounts.dave.address;
  await fund(chain, { account: sender.address, token: "USDC", amount: 5_000_000n });
  const [senderBefore, toBefore] = [
    await balanceOf(chain, usdc, sender.address),
    await balanceOf(chain, usdc, to),
  ];
  const out = await example({
    RPC_URL: chain.rpcUrl,
    PRIVATE_KEY: ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX.carol],
    TO: to,
    USDC: usdc,
    SIMPLE_7702_ACCOUNT: chain.deployment.simple7702Account,
  });
  const included = /^included in block (\d+): (0x[0-9a-f]{64})$/m.exec(out);
  const gas = /^gas used (\d+), USDC delta (-?\d+)$/m.exec(out);
  expect(included && gas, out).toBeTruthy();
  const receipt = await chain.publicClient.getTransactionReceipt({ hash: included![2] as Hex });
  expect(receipt.status).toBe("success");
  expect(receipt.blockNumber).toBe(BigInt(included![1]!));
  expect(receipt.gasUsed).toBe(BigInt(gas![1]!));
  expect(BigInt(gas![2]!)).toBe(-1_000_000n);
  expect(await balanceOf(chain, usdc, sender.address)).toBe(senderBefore - 1_000_000n);
  expect(await balanceOf(chain, usdc, to)).toBe(toBefore + 1_000_000n);
  expect(out).toMatch(/^refused: call #1 — .*exceeds balance/m);
}

async function aaveExample({ chains, example }: ExampleContext): Promise<void> {
  const chain = chains[8453];
  const { aave, tokens } = chain.deployment;
  const alice = testAccounts.alice;
  await fund(chain, { account: alice.address, token: "WETH", amount: 10n ** 19n });
  const send = (to: Address, data: Hex) => sendAndWait(chain, chain.walletClient(alice), { to, data });
  await send(
    tokens.WETH.address,
    encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [aave.pool, maxUint256] }),
  );
  const pool = (data: Parameters<typeof encodeFunctionData<typeof aavePoolAbi>>[0]) =>
    send(aave.pool, encodeFunctionData(data));
  await pool({
    abi: aavePoolAbi,
    functionName: "supply",
    args: [tokens.WETH.address, 10n ** 19n, alice.address, 0],
  });
  await pool({
    abi: aavePoolAbi,
    functionName: "borrow",
    args: [tokens.USDC.address, 12_000n * 10n ** 6n, 2n, 0, alice.address],
  });
  const out = await example({
    RPC_URL: chain.rpcUrl,
    AAVE_MARKET: JSON.stringify(testkitAaveMarket(chain.deployment)),
    USER_ADDRESS: alice.address,
    USDC: tokens.USDC.address,
  });
  const account = await chain.publicClient.readContract({
    address: aave.pool,
    abi: aavePoolAbi,
    functionName: "getUserAccountData",
    args: [alice.address],
  });
  expect(out).toContain(`health factor ${formatUnits(account[5], 18)}\n`);
  const aWeth = await balanceOf(chain, aave.reserves.WETH.aToken, alice.address);
  const debt = await balanceOf(chain, aave.reserves.USDC.variableDebtToken, alice.address);
  expect(out).toContain(`WETH ${formatUnits(aWeth, 18)} 0\n`);
  expect(out).toContain(`USDC 0 ${formatUnits(-debt, 6)}\n`);
  const calls = printedCalls(out);
  expect(calls.map((c) => c.to)).toEqual([tokens.USDC.address, aave.pool, tokens.USDC.address]);
  const repay = decodeFunctionData({ abi: aavePoolAbi, data: calls[1]!.data });
  expect(repay.functionName).toBe("repay");
  expect(repay.args).toEqual([tokens.USDC.address, maxUint256, 2n, alice.address]);
  const approvals = [calls[0]!, calls[2]!].map(
    (c) => decodeFunctionData({ abi: erc20Abi, data: c.data }).args,
  );
  expect(approvals[0]![0]).toBe(aave.pool);
  expect(approvals[0]![1] as bigint).toBeGreaterThanOrEqual(debt);
  expect(approvals[1]).toEqual([aave.pool, 0n]);
}

async function uniswapExample({ chains, example }: ExampleContext): Promise<void> {
  const chain = chains[1];
  const { uniswap, tokens, accounts } = chain.deployment;
  const out = await example({
    RPC_URL: chain.rpcUrl,
    UNISWAP: JSON.stringify(addresses(uniswap)),
    OWNER: accounts.whale,
    WETH: tokens.WETH.address,
    USDC: tokens.USDC.address,
    WBTC: tokens.WBTC.address,
  });
  // The whale holds each pool's full-range position: each printed payout is what burning and collecting it pays.
  const printed = [...out.matchAll(/^position (\d+) (true|false) (\d+) (\d+) (\d+) (\d+)$/gm)];
  const ids = Object.values(uniswap.pools).map((p) => p.liquidityPositionId);
  expect(printed.map((m) => BigInt(m[1]!)).sort(), out).toEqual([...ids].sort());
  for (const m of printed) {
    const [amount0, amount1] = await burnAndCollect(chain, accounts.whale, BigInt(m[1]!));
    expect([m[2], BigInt(m[3]!), BigInt(m[4]!)]).toEqual(["true", amount0, amount1]);
  }
  // No WBTC/USDC pool: the best path is WBTC -0.3%-> WETH -0.05%-> USDC, priced by QuoterV2 itself.
  const path = encodePacked(
    ["address", "uint24", "address", "uint24", "address"],
    [
      tokens.WBTC.address,
      getPool(chain.deployment, "WBTC/WETH/3000").fee,
      tokens.WETH.address,
      500,
      tokens.USDC.address,
    ],
  );
  const { result } = await chain.publicClient.simulateContract({
    address: uniswap.quoterV2,
    abi: quoteExactInputAbi,
    functionName: "quoteExactInput",
    args: [path, 10n ** 8n],
  });
  const quote = /^quote (.+) (\d+) (\d+)$/m.exec(out);
  expect(quote, out).not.toBeNull();
  expect(BigInt(quote![2]!)).toBe(result[0]);
  const minOut = BigInt(quote![3]!);
  expect(minOut).toBe((result[0] * 9_970n + 9_999n) / 10_000n); // the request's 0.3% (the policy's), rounded up
  const calls = printedCalls(out);
  expect(calls.map((c) => c.to)).toEqual([tokens.WBTC.address, uniswap.swapRouter]);
  expect(decodeFunctionData({ abi: erc20Abi, data: calls[0]!.data }).args).toEqual([
    uniswap.swapRouter,
    10n ** 8n,
  ]);
  const [swap] = decodeFunctionData({ abi: exactInputAbi, data: calls[1]!.data }).args;
  expect([swap.path, swap.recipient, swap.amountIn, swap.amountOutMinimum]).toEqual([
    path,
    accounts.whale,
    10n ** 8n,
    minOut,
  ]);
}

const ONE_INCH_ROUTER_V6: Address = "0x111111125421cA6dc452d289314280a0f8842A65";

async function oneInchExample({ chains, example }: ExampleContext): Promise<void> {
  const chain = chains[8453];
  const { WETH, USDC } = chain.deployment.tokens;
  const quoteOnChain = async (amountIn: bigint) =>
    (
      await chain.publicClient.simulateContract({
        address: chain.deployment.uniswap.quoterV2,
        abi: quoterV2Abi,
        functionName: "quoteExactInputSingle",
        args: [{ tokenIn: WETH.address, tokenOut: USDC.address, amountIn, fee: 500, sqrtPriceLimitX96: 0n }],
      })
    ).result[0];
  const api = swapApiStandIn({
    router: ONE_INCH_ROUTER_V6,
    price: ({ amount }) => quoteOnChain(amount),
    tokens: {
      [WETH.address.toLowerCase()]: { symbol: "WETH", decimals: 18 },
      [USDC.address.toLowerCase()]: { symbol: "USDC", decimals: 6 },
    },
  });
  const server = await startStandIn(api.handle);
  try {
    const account = testAccounts.alice.address;
    const out = await example({
      ONEINCH_URL: server.url,
      WETH: WETH.address,
      USDC: USDC.address,
      ACCOUNT: account,
    });
    const quote = /^quote (.+) (\d+) (\d+)$/m.exec(out);
    expect(quote, out).not.toBeNull();
    expect(quote, out).not.toBeNull();
    expect(BigInt(quote![2]!)).toBe(await quoteOnChain(10n ** 18n));
    const minOut = BigInt(quote![3]!);
    expect(minOut).toBeGreaterThanOrEqual(2_000n * 10n ** 6n);
    const calls = printedCalls(out);
    expect(calls.map((c) => c.to)).toEqual([WETH.address, ONE_INCH_ROUTER_V6]);
    expect(decodeFunctionData({ abi: erc20Abi, data: calls[0]!.data }).args).toEqual([
      ONE_INCH_ROUTER_V6,
      10n ** 18n,
    ]);
    const swap = decodeFunctionData({ abi: aggregationRouterV6Abi, data: calls[1]!.data });
    expect(swap.functionName).toBe("swap");
    const desc = swap.args[1] as { dstReceiver: Address; amount: bigint; minReturnAmount: bigint };
    expect([desc.dstReceiver, desc.amount, desc.minReturnAmount]).toEqual([account, 10n ** 18n, minOut]);
    expect(server.requests.map((r) => r.path)).toEqual(["/swap/v6.0/8453/quote", "/swap/v6.0/8453/swap"]);
  } finally {
    await server.close();
  }
}

async function engineExample({ chains, example }: ExampleContext): Promise<void> {
  const chain = chains[1];
  const { aave, uniswap, tokens, simple7702Account } = chain.deployment;
  const owner = testAccounts.erin;
  await fund(chain, { account: owner.address, token: "WETH", amount: 10n ** 19n });
  const out = await example({
    RPC_URL: chain.rpcUrl,
    ACCOUNT: owner.address,
    NETWORK: JSON.stringify({
      aave: testkitAaveMarket(chain.deployment),
      uniswap: addresses(uniswap),
      WETH: tokens.WETH.address,
      USDC: tokens.USDC.address,
      simple7702Account,
    }),
  });
  const price = async (token: Address) =>
    (await chain.publicClient.readContract({
      address: aave.oracle,
      abi: aaveOracleAbi,
      functionName: "getAssetPrice",
      args: [token],
    })) *
    10n ** 10n; // 8 → 18 decimals
  const wethPrice = await price(tokens.WETH.address);
  expect(out).toContain(`NAV ${formatUsd(10n * wethPrice)} fire true\n`);
  expect(out).toMatch(/^batch ethereum simulated ok, gas \d+$/m);
  // The printed batch is real: sent from the account, it leaves half the NAV in WETH and half supplied as USDC.
  const calls = printedCalls(out);
  expect(calls.map((c) => c.to)).toContain(aave.pool);
  await delegateToSimple7702(chain, { account: owner });
  await sendAndWait(chain, chain.walletClient(owner), {
    to: owner.address,
    data: encodeFunctionData({
      abi: simple7702AccountAbi,
      functionName: "executeBatch",
      args: [calls.map((c) => ({ target: c.to, value: 0n, data: c.data }))],
    }),
    gas: 2_000_000n,
  });
  const wethUsd = ((await balanceOf(chain, tokens.WETH.address, owner.address)) * wethPrice) / 10n ** 18n;
  const aUsdc = await balanceOf(chain, aave.reserves.USDC.aToken, owner.address);
  const usdcUsd = (aUsdc * (await price(tokens.USDC.address))) / 10n ** 6n;
  const nav = 10n * wethPrice;
  for (const side of [wethUsd, usdcUsd]) expect(side * 10_000n).toBeGreaterThan(nav * 4_800n); // 50% ± 2%
}

/** By package: the checks of its README example. */
/**
 * config: the local Base chain's tokens, Aave market and Uniswap deployment as a portfolio; the example prints the
 * engine's sleeves (weights in bps), the one slippage, each firewall contract with its kind in registry order, and the
 * issues of the portfolio with its first sleeve listed again.
 */
async function configExample({ chains, example }: ExampleContext): Promise<void> {
  const { tokens, aave, uniswap } = chains[8453].deployment;
  const out = await example({
    PORTFOLIO: JSON.stringify({
      chains: {
        local: {
          chainId: 8453,
          tokens: {
            WETH: { address: tokens.WETH.address, decimals: 18 },
            USDC: { address: tokens.USDC.address, decimals: 6 },
          },
          aave: {
            poolAddressesProvider: aave.poolAddressesProvider,
            pool: aave.pool,
            uiPoolDataProvider: aave.uiPoolDataProvider,
          },
          uniswap: {
            factory: uniswap.factory,
            positionManager: uniswap.positionManager,
            quoter: uniswap.quoterV2,
            router: uniswap.swapRouter,
          },
        },
      },
      policy: {
        sleeves: [
          {
            id: "lp",
            chain: "local",
            kind: "uniswap-v3-lp",
            pool: "WETH/USDC/500",
            range: "10%",
            weight: "70%",
          },
          { id: "borrow", chain: "local", kind: "aave-borrow", asset: "USDC", weight: "-20%" },
          { id: "supply", chain: "local", kind: "aave-supply", asset: "WETH", weight: "50%" },
        ],
        bands: { absolute: "5%", relative: "25%" },
        maxSlippage: "0.3%",
      },
    }),
  });
  expect(out.trim().split("\n")).toEqual([
    "sleeve lp uniswap-v3-lp 7000 bps",
    "sleeve borrow aave-borrow -2000 bps",
    "sleeve supply aave-supply 5000 bps",
    "slippage 30 bps",
    `firewall local aave-pool ${aave.pool}`,
    `firewall local uniswap-position-manager ${uniswap.positionManager}`,
    `firewall local uniswap-swap-router ${uniswap.swapRouter}`,
    'invalid policy.sleeves.3.id duplicate sleeve id "lp" (also policy.sleeves.0.id)',
    "invalid policy.sleeves weights sum to 170% (lp 70%, borrow -20%, supply 50%, lp 70%); they must sum to 100%: remove 70%",
  ]);
}

export const readmeChecks: Record<string, (ctx: ExampleContext) => Promise<void>> = {
  chain: chainExample,
  "aave-v3": aaveExample,
  "uniswap-v3": uniswapExample,
  "1inch": oneInchExample,
  engine: engineExample,
  config: configExample,
};

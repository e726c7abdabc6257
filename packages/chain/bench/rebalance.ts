/**
 * A realistic rebalance on the testkit market, shared by the chain tests and `pnpm bench:gas`:
 * withdraw USDC from Aave, swap USDC → WETH on Uniswap V3, supply WETH to Aave, (borrow USDC,) and open a
 * WETH/USDC LP position. Each leg carries the exact approvals it needs.
 */
import type { Address, Call, FloorGuard, Hex } from "@ballast/core";
import {
  aavePoolAbi,
  fund,
  getPool,
  positionManagerAbi,
  quoterV2Abi,
  sendAndWait,
  swapRouterAbi,
  type TestChain,
  uniswapV3PoolAbi,
} from "@ballast/testkit";
import { encodeFunctionData, erc20Abi, maxUint256, parseAbi } from "viem";
import type { Guards } from "../src/index.ts";

/** One protocol-level leg of a rebalance and the calls (approvals first) that realize it. */
export type Leg = { readonly name: string; readonly calls: readonly Call[] };

const USDC = (n: number) => BigInt(n) * 10n ** 6n;
const WETH = (n: number) => (BigInt(Math.round(n * 1_000)) * 10n ** 18n) / 1_000n;

const approve = (token: Address, spender: Address, amount: bigint): Call => ({
  to: token,
  value: 0n,
  data: encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [spender, amount] }),
});

/** Gives `account` the starting portfolio: idle WETH and USDC, and USDC supplied to Aave (plain transactions). */
export async function setupPortfolio(
  chain: TestChain,
  account: Address,
  options: { readonly withLp?: boolean } = {},
): Promise<{ lpTokenId: bigint | undefined }> {
  const d = chain.deployment;
  const wallet = chain.walletClient(account);
  await fund(chain, { account, token: "USDC", amount: USDC(20_000) });
  await fund(chain, { account, token: "WETH", amount: WETH(3) });
  await sendAndWait(chain, wallet, approve(d.tokens.USDC.address, d.aave.pool, USDC(10_000)), "approve");
  await sendAndWait(
    chain,
    wallet,
    {
      to: d.aave.pool,
      data: encodeFunctionData({
        abi: aavePoolAbi,
        functionName: "supply",
        args: [d.tokens.USDC.address, USDC(10_000), account, 0],
      }),
    },
    "supply",
  );
  if (!options.withLp) return { lpTokenId: undefined };
  // An existing WETH/USDC position (the LP sleeve) that rebalances add to.
  await fund(chain, { account, token: "USDC", amount: USDC(1_500) });
  await fund(chain, { account, token: "WETH", amount: WETH(0.5) });
  const mint = await lpMintCall(chain, account, WETH(0.5), USDC(1_500));
  for (const c of [...mint.approvals, mint.call]) await sendAndWait(chain, wallet, c, "LP setup");
  const n = await chain.publicClient.readContract({
    address: d.uniswap.positionManager,
    abi: positionManagerAbi,
    functionName: "balanceOf",
    args: [account],
  });
  const tokenId = await chain.publicClient.readContract({
    address: d.uniswap.positionManager,
    abi: parseAbi(["function tokenOfOwnerByIndex(address owner, uint256 index) view returns (uint256)"]),
    functionName: "tokenOfOwnerByIndex",
    args: [account, n - 1n],
  });
  return { lpTokenId: tokenId };
}

/** The approvals and the `mint` call of a WETH/USDC 0.05% position, ±~10% around the current tick. */
async function lpMintCall(chain: TestChain, account: Address, wethAmount: bigint, usdcAmount: bigint) {
  const d = chain.deployment;
  const weth = d.tokens.WETH.address;
  const usdc = d.tokens.USDC.address;
  const pool = getPool(d, "WETH/USDC/500");
  const [, tick] = await chain.publicClient.readContract({
    address: pool.address,
    abi: uniswapV3PoolAbi,
    functionName: "slot0",
  });
  const spacing = pool.tickSpacing;
  const tickLower = Math.floor((tick - 1_000) / spacing) * spacing;
  const tickUpper = Math.ceil((tick + 1_000) / spacing) * spacing;
  const wethIs0 = pool.token0.toLowerCase() === weth.toLowerCase();
  const approvals = [
    approve(weth, d.uniswap.positionManager, wethAmount),
    approve(usdc, d.uniswap.positionManager, usdcAmount),
  ];
  const call: Call = {
    to: d.uniswap.positionManager,
    value: 0n,
    data: encodeFunctionData({
      abi: positionManagerAbi,
      functionName: "mint",
      args: [
        {
          token0: pool.token0,
          token1: pool.token1,
          fee: pool.fee,
          tickLower,
          tickUpper,
          amount0Desired: wethIs0 ? wethAmount : usdcAmount,
          amount1Desired: wethIs0 ? usdcAmount : wethAmount,
          amount0Min: 0n,
          amount1Min: 0n,
          recipient: account,
          deadline: maxUint256,
        },
      ],
    }),
  };
  return { approvals, call };
}

const increaseLiquidityAbi = parseAbi([
  "struct IncreaseLiquidityParams { uint256 tokenId; uint256 amount0Desired; uint256 amount1Desired; uint256 amount0Min; uint256 amount1Min; uint256 deadline; }",
  "function increaseLiquidity(IncreaseLiquidityParams params) payable returns (uint128 liquidity, uint256 amount0, uint256 amount1)",
]);

/** Options of {@link rebalanceLegs}. */
export type RebalanceOptions = {
  /** Add a USDC borrow leg (the 5th leg). */
  readonly borrowUsdc?: bigint;
  /** Override the swap's minOut (e.g. an impossible one, to make the swap call fail). */
  readonly swapMinOut?: bigint;
  /** Add to this existing LP position (`increaseLiquidity`) instead of opening a new one (`mint`). */
  readonly lpTokenId?: bigint | undefined;
};

/** The legs of the rebalance for `account` at the chain's current state (the swap is quoted with QuoterV2). */
export async function rebalanceLegs(
  chain: TestChain,
  account: Address,
  options: RebalanceOptions = {},
): Promise<{ legs: Leg[]; swapOut: bigint; guards: Guards }> {
  const d = chain.deployment;
  const usdc = d.tokens.USDC.address;
  const weth = d.tokens.WETH.address;
  const pool = getPool(d, "WETH/USDC/500");
  const deadline = maxUint256;

  const withdrawAmount = USDC(5_000);
  const swapIn = USDC(2_000);
  const supplyWeth = WETH(1);
  const lpWeth = WETH(1);
  const lpUsdc = USDC(3_000);

  const { result } = await chain.publicClient.simulateContract({
    address: d.uniswap.quoterV2,
    abi: quoterV2Abi,
    functionName: "quoteExactInputSingle",
    args: [{ tokenIn: usdc, tokenOut: weth, amountIn: swapIn, fee: pool.fee, sqrtPriceLimitX96: 0n }],
  });
  const swapOut = result[0];
  const minOut = options.swapMinOut ?? (swapOut * 995n) / 1_000n;

  const legs: Leg[] = [
    {
      name: "withdraw USDC from Aave",
      calls: [
        {
          to: d.aave.pool,
          value: 0n,
          data: encodeFunctionData({
            abi: aavePoolAbi,
            functionName: "withdraw",
            args: [usdc, withdrawAmount, account],
          }),
        },
      ],
    },
    {
      name: "swap USDC → WETH (Uniswap V3)",
      calls: [
        approve(usdc, d.uniswap.swapRouter, swapIn),
        {
          to: d.uniswap.swapRouter,
          value: 0n,
          data: encodeFunctionData({
            abi: swapRouterAbi,
            functionName: "exactInputSingle",
            args: [
              {
                tokenIn: usdc,
                tokenOut: weth,
                fee: pool.fee,
                recipient: account,
                deadline,
                amountIn: swapIn,
                amountOutMinimum: minOut,
                sqrtPriceLimitX96: 0n,
              },
            ],
          }),
        },
      ],
    },
    {
      name: "supply WETH to Aave",
      calls: [
        approve(weth, d.aave.pool, supplyWeth),
        {
          to: d.aave.pool,
          value: 0n,
          data: encodeFunctionData({
            abi: aavePoolAbi,
            functionName: "supply",
            args: [weth, supplyWeth, account, 0],
          }),
        },
      ],
    },
  ];
  if (options.borrowUsdc)
    legs.push({
      name: "borrow USDC on Aave",
      calls: [
        {
          to: d.aave.pool,
          value: 0n,
          data: encodeFunctionData({
            abi: aavePoolAbi,
            functionName: "borrow",
            args: [usdc, options.borrowUsdc, 2n, 0, account],
          }),
        },
      ],
    });
  if (options.lpTokenId === undefined) {
    const mint = await lpMintCall(chain, account, lpWeth, lpUsdc);
    legs.push({
      name: "add WETH/USDC liquidity (new position: mint)",
      calls: [...mint.approvals, mint.call],
    });
  } else {
    const wethIs0 = pool.token0.toLowerCase() === weth.toLowerCase();
    legs.push({
      name: "add WETH/USDC liquidity (increaseLiquidity)",
      calls: [
        approve(weth, d.uniswap.positionManager, lpWeth),
        approve(usdc, d.uniswap.positionManager, lpUsdc),
        {
          to: d.uniswap.positionManager,
          value: 0n,
          data: encodeFunctionData({
            abi: increaseLiquidityAbi,
            functionName: "increaseLiquidity",
            args: [
              {
                tokenId: options.lpTokenId,
                amount0Desired: wethIs0 ? lpWeth : lpUsdc,
                amount1Desired: wethIs0 ? lpUsdc : lpWeth,
                amount0Min: 0n,
                amount1Min: 0n,
                deadline,
              },
            ],
          }),
        },
      ],
    });
  }

  const aWeth = d.aave.reserves.WETH.aToken;
  const guards: Guards = {
    balanceDeltas: [
      // The supply leg: at least 1 WETH more in Aave (aToken rounding: allow 2 wei).
      { token: aWeth, min: supplyWeth - 2n, label: "aWETH supplied" },
      // The LP leg: one more position NFT (a new position) or none lost (an increase).
      {
        token: d.uniswap.positionManager,
        min: options.lpTokenId === undefined ? 1n : 0n,
        label: "LP positions",
      },
    ],
    floors: [healthFactorFloor(d.aave.pool, account, 15n * 10n ** 17n)],
  };
  return { legs, swapOut, guards };
}

/**
 * The health-factor floor as the Aave package contributes it (`aaveHealthFactorGuard`, which the chain package cannot
 * import): output 5 of `getUserAccountData(account)` on the pool after the batch ≥ `floorWad`.
 */
export const healthFactorFloor = (pool: Address, account: Address, floorWad: bigint): FloorGuard => ({
  kind: "healthFactor",
  subject: pool,
  read: { address: pool, abi: aavePoolAbi, functionName: "getUserAccountData", args: [account] },
  output: 5,
  min: floorWad,
});

/** All calls of the legs, in order (what the batch sends). */
export const flatten = (legs: readonly Leg[]): Call[] => legs.flatMap((l) => l.calls);

/** The index in the flattened batch of the `n`-th call of leg `legName`. */
export function callIndex(legs: readonly Leg[], legName: string, n: number): number {
  let i = 0;
  for (const l of legs) {
    if (l.name === legName) return i + n;
    i += l.calls.length;
  }
  throw new Error(`no leg ${legName}`);
}

/** Hex helper for anvil RPCs. */
export const hex = (n: bigint): Hex => `0x${n.toString(16)}`;

import { erc20Abi, maxUint128, maxUint256, parseEventLogs } from "viem";
import { describe, expect, it } from "vitest";
import {
  alignTick,
  fund,
  getPool,
  positionManagerAbi,
  quoterV2Abi,
  swapRouterAbi,
  testAccounts,
  uniswapV3PoolAbi,
} from "../src/index.ts";
import { useTestChain } from "../src/vitest.ts";

const chain = useTestChain({ chainId: 1 });
const { bob, carol } = testAccounts;

describe("Uniswap V3 on the local chain", () => {
  it("mints an LP position, swaps through the router, and reads the position and its owed fees", async () => {
    const { uniswap, tokens } = chain.deployment;
    const pool = getPool(chain.deployment, "WETH/USDC/500");
    const usdcIs1 = pool.token1 === tokens.USDC.address;
    expect(pool.symbol0 === "WETH" || pool.symbol1 === "WETH").toBe(true);
    const wait = async (hash: `0x${string}`) => {
      const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
      expect(receipt.status).toBe("success");
      return receipt;
    };

    // Bob provides 10 WETH + 30,000 USDC in a ±1% range around the current tick.
    await fund(chain, { account: bob.address, token: "WETH", amount: 10n * 10n ** 18n });
    await fund(chain, { account: bob.address, token: "USDC", amount: 30_000n * 10n ** 6n });
    for (const token of [tokens.WETH.address, tokens.USDC.address])
      await wait(
        await chain.walletClients.bob.writeContract({
          address: token,
          abi: erc20Abi,
          functionName: "approve",
          args: [uniswap.positionManager, maxUint256],
        }),
      );
    const [, tick] = await chain.publicClient.readContract({
      address: pool.address,
      abi: uniswapV3PoolAbi,
      functionName: "slot0",
    });
    const tickLower = alignTick(tick - 100, pool.tickSpacing);
    const tickUpper = alignTick(tick + 100, pool.tickSpacing) + pool.tickSpacing;
    const [amount0Desired, amount1Desired] = usdcIs1
      ? [10n * 10n ** 18n, 30_000n * 10n ** 6n]
      : [30_000n * 10n ** 6n, 10n * 10n ** 18n];
    const mintReceipt = await wait(
      await chain.walletClients.bob.writeContract({
        address: uniswap.positionManager,
        abi: positionManagerAbi,
        functionName: "mint",
        args: [
          {
            token0: pool.token0,
            token1: pool.token1,
            fee: pool.fee,
            tickLower,
            tickUpper,
            amount0Desired,
            amount1Desired,
            amount0Min: 0n,
            amount1Min: 0n,
            recipient: bob.address,
            deadline: maxUint256,
          },
        ],
        gas: 1_000_000n,
      }),
    );
    const [increase] = parseEventLogs({
      abi: positionManagerAbi,
      eventName: "IncreaseLiquidity",
      logs: mintReceipt.logs,
    });
    const tokenId = increase!.args.tokenId;
    const minted = increase!.args.liquidity;
    expect(minted).toBeGreaterThan(0n);
    const liquidityBefore = await chain.publicClient.readContract({
      address: pool.address,
      abi: uniswapV3PoolAbi,
      functionName: "liquidity",
    });

    // Carol swaps 100,000 USDC for WETH through SwapRouter; QuoterV2 predicts the output exactly.
    const amountIn = 100_000n * 10n ** 6n;
    await fund(chain, { account: carol.address, token: "USDC", amount: amountIn });
    await wait(
      await chain.walletClients.carol.writeContract({
        address: tokens.USDC.address,
        abi: erc20Abi,
        functionName: "approve",
        args: [uniswap.swapRouter, amountIn],
      }),
    );
    const { result: quote } = await chain.publicClient.simulateContract({
      address: uniswap.quoterV2,
      abi: quoterV2Abi,
      functionName: "quoteExactInputSingle",
      args: [
        {
          tokenIn: tokens.USDC.address,
          tokenOut: tokens.WETH.address,
          amountIn,
          fee: pool.fee,
          sqrtPriceLimitX96: 0n,
        },
      ],
    });
    const [quotedOut, , ticksCrossed] = quote;
    await wait(
      await chain.walletClients.carol.writeContract({
        address: uniswap.swapRouter,
        abi: swapRouterAbi,
        functionName: "exactInputSingle",
        args: [
          {
            tokenIn: tokens.USDC.address,
            tokenOut: tokens.WETH.address,
            fee: pool.fee,
            recipient: carol.address,
            deadline: maxUint256,
            amountIn,
            amountOutMinimum: (quotedOut * 995n) / 1000n,
            sqrtPriceLimitX96: 0n,
          },
        ],
        gas: 1_000_000n,
      }),
    );
    const received = await chain.publicClient.readContract({
      address: tokens.WETH.address,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [carol.address],
    });
    expect(received).toBe(quotedOut);
    expect(ticksCrossed).toBe(0); // the deep pool absorbs 100k USD inside Bob's ±1% range
    // ~33.3 WETH at 3,000 USD, minus 0.05% fee and a small price impact
    const ideal = (amountIn * 10n ** 12n) / 3000n;
    expect(received).toBeLessThan(ideal);
    expect(received).toBeGreaterThan((ideal * 995n) / 1000n);

    // The position as the position manager reports it, and its owed fees (collect simulated as the owner).
    const position = await chain.publicClient.readContract({
      address: uniswap.positionManager,
      abi: positionManagerAbi,
      functionName: "positions",
      args: [tokenId],
    });
    expect(position[2]).toBe(pool.token0);
    expect(position[3]).toBe(pool.token1);
    expect(position[4]).toBe(pool.fee);
    expect([position[5], position[6]]).toEqual([tickLower, tickUpper]);
    expect(position[7]).toBe(minted);
    const { result: owed } = await chain.publicClient.simulateContract({
      account: bob,
      address: uniswap.positionManager,
      abi: positionManagerAbi,
      functionName: "collect",
      args: [{ tokenId, recipient: bob.address, amount0Max: maxUint128, amount1Max: maxUint128 }],
    });
    const [owed0, owed1] = owed;
    // Fees are paid in the input token (USDC) only, pro rata to Bob's share of the active liquidity.
    const totalFee = (amountIn * BigInt(pool.fee)) / 1_000_000n;
    const expectedFee = (totalFee * minted) / liquidityBefore;
    const [owedUsdc, owedWeth] = usdcIs1 ? [owed1, owed0] : [owed0, owed1];
    expect(owedWeth).toBe(0n);
    expect(owedUsdc).toBeGreaterThan(0n);
    expect(Number(owedUsdc)).toBeCloseTo(Number(expectedFee), -1); // within ~5 base units of 1e-6 USDC
  });
});

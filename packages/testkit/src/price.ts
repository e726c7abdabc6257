import { isqrt } from "@ballast/core";
import { type Address, encodeFunctionData, maxUint256, numberToHex, pad } from "viem";
import { mintableErc20Abi, mockAggregatorAbi, swapRouterAbi, uniswapV3PoolAbi, weth9Abi } from "./abis.ts";
import type { TestChain } from "./chain.ts";
import { getPool, getToken, type PoolInfo } from "./deployment.ts";
import { TestkitError } from "./errors.ts";
import { sendAndWait } from "./tx.ts";
import { sqrtPriceX96FromPrices } from "./uniswap-math.ts";

const Q96 = 1n << 96n;

/** Options for {@link setPrice}. */
export type SetPriceParameters = {
  /** Token symbol or address. */
  asset: string;
  /** New USD price with the feed's 8 decimals (e.g. `2_400n * 10n ** 8n`). */
  usdPrice: bigint;
  /** Also move every Uniswap pool holding the asset to the new feed-consistent price (default true). */
  movePool?: boolean | undefined;
};

/** What {@link setPrice} / {@link syncPoolPrice} did to one pool. */
export type PoolMove = { pool: string; sqrtPriceX96Before: bigint; sqrtPriceX96After: bigint };

/**
 * Sets a feed's answer (the MockAggregator's `_latestAnswer`, storage slot 0 — Aave's oracle reads it at once)
 * and, unless `movePool: false`, moves each pool holding the asset to match by swapping through the real
 * SwapRouter as the whale, with the target as the swap's price limit.
 */
export async function setPrice(chain: TestChain, params: SetPriceParameters): Promise<{ pools: PoolMove[] }> {
  if (params.usdPrice <= 0n) throw new RangeError("setPrice: usdPrice must be positive");
  const token = getToken(chain.deployment, params.asset);
  const feed = chain.deployment.feeds[token.symbol];
  await chain.testClient.setStorageAt({
    address: feed.address,
    index: 0,
    value: pad(numberToHex(params.usdPrice), { size: 32 }),
  });
  const answer = await chain.publicClient.readContract({
    address: feed.address,
    abi: mockAggregatorAbi,
    functionName: "latestAnswer",
  });
  if (answer !== params.usdPrice)
    throw new TestkitError(`setPrice: feed ${feed.address} did not take the new answer.`);
  if (params.movePool === false) return { pools: [] };
  const pools: PoolMove[] = [];
  for (const pool of Object.values(chain.deployment.uniswap.pools))
    if (pool.symbol0 === token.symbol || pool.symbol1 === token.symbol)
      pools.push(await syncPoolPrice(chain, { pool: pool.key }));
  return { pools };
}

/** The sqrt price (Q64.96) at which a pool agrees with the current feed answers of its two tokens. */
export async function feedSqrtPriceX96(chain: TestChain, params: { pool: string }): Promise<bigint> {
  const pool = getPool(chain.deployment, params.pool);
  const { feeds, tokens } = chain.deployment;
  const [price0, price1] = await Promise.all(
    [pool.symbol0, pool.symbol1].map((s) =>
      chain.publicClient.readContract({
        address: feeds[s].address,
        abi: mockAggregatorAbi,
        functionName: "latestAnswer",
      }),
    ),
  );
  return sqrtPriceX96FromPrices({
    price0: price0!,
    decimals0: tokens[pool.symbol0].decimals,
    price1: price1!,
    decimals1: tokens[pool.symbol1].decimals,
  });
}

/** Swaps a pool (as the whale, through SwapRouter) to exactly the price its tokens' feeds imply. */
export async function syncPoolPrice(chain: TestChain, params: { pool: string }): Promise<PoolMove> {
  return swapPoolTo(chain, getPool(chain.deployment, params.pool), await feedSqrtPriceX96(chain, params));
}

/**
 * Pushes a pool away from its feeds by a real swap (as the whale, through SwapRouter): token0's price in token1
 * ends `bps` above (or, negative, below) what the feeds imply, e.g. `bps: 500` = 5% — a manipulated or thin pool.
 */
export async function pushPoolPrice(
  chain: TestChain,
  params: { pool: string; bps: number },
): Promise<PoolMove> {
  if (params.bps <= -10_000) throw new RangeError("pushPoolPrice: bps must be above -10,000");
  const feed = await feedSqrtPriceX96(chain, params);
  const target = isqrt((feed * feed * BigInt(10_000 + params.bps)) / 10_000n);
  return swapPoolTo(chain, getPool(chain.deployment, params.pool), target);
}

async function swapPoolTo(chain: TestChain, pool: PoolInfo, target: bigint): Promise<PoolMove> {
  const before = await sqrtPriceOf(chain, pool);
  if (before === target) return { pool: pool.key, sqrtPriceX96Before: before, sqrtPriceX96After: before };

  const zeroForOne = target < before;
  const tokenIn = zeroForOne ? pool.token0 : pool.token1;
  const tokenOut = zeroForOne ? pool.token1 : pool.token0;
  const liquidity = await chain.publicClient.readContract({
    address: pool.address,
    abi: uniswapV3PoolAbi,
    functionName: "liquidity",
  });
  // Input to move the active liquidity from `before` to `target` (exact for one range), doubled for fees and
  // ranges that start on the way; the loop tops it up if that was still not enough.
  let amountIn =
    2n *
      (zeroForOne
        ? (liquidity * Q96 * (before - target)) / (before * target)
        : (liquidity * (target - before)) / Q96) +
    1_000_000n;
  const whale = chain.walletClient(chain.deployment.accounts.whale);
  let current = before;
  for (let attempt = 0; attempt < 6 && current !== target; attempt++) {
    await giveWhale(chain, tokenIn, amountIn);
    await sendAndWait(
      chain,
      whale,
      {
        to: chain.deployment.uniswap.swapRouter,
        data: encodeFunctionData({
          abi: swapRouterAbi,
          functionName: "exactInputSingle",
          args: [
            {
              tokenIn,
              tokenOut,
              fee: pool.fee,
              recipient: chain.deployment.accounts.whale,
              deadline: maxUint256,
              amountIn,
              amountOutMinimum: 0n,
              sqrtPriceLimitX96: target,
            },
          ],
        }),
        gas: 10_000_000n,
      },
      `move pool ${pool.key}`,
    );
    current = await sqrtPriceOf(chain, pool);
    amountIn *= 8n;
  }
  if (current !== target)
    throw new TestkitError(`Could not move pool ${pool.key} to its target price.`, {
      context: { target: String(target), current: String(current) },
    });
  return { pool: pool.key, sqrtPriceX96Before: before, sqrtPriceX96After: current };
}

async function sqrtPriceOf(chain: TestChain, pool: PoolInfo): Promise<bigint> {
  const [sqrtPriceX96] = await chain.publicClient.readContract({
    address: pool.address,
    abi: uniswapV3PoolAbi,
    functionName: "slot0",
  });
  return sqrtPriceX96;
}

async function giveWhale(chain: TestChain, token: Address, amount: bigint): Promise<void> {
  const info = getToken(chain.deployment, token);
  const whale = chain.deployment.accounts.whale;
  const wallet = chain.walletClient(whale);
  if (info.symbol === "WETH") {
    const balance = await chain.publicClient.getBalance({ address: whale });
    await chain.testClient.setBalance({ address: whale, value: balance + amount });
    await sendAndWait(
      chain,
      wallet,
      { to: token, data: encodeFunctionData({ abi: weth9Abi, functionName: "deposit" }), value: amount },
      "whale WETH deposit",
    );
  } else {
    await sendAndWait(
      chain,
      wallet,
      {
        to: token,
        data: encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [whale, amount] }),
      },
      `whale mint ${info.symbol}`,
    );
  }
}

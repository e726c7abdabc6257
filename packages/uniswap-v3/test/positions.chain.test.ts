import type { ReadResult } from "@ballast/core";
import { fund, getPool, setPrice, syncPoolPrice, testAccounts, uniswapV3FactoryAbi } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { encodeFunctionData, erc20Abi, maxUint256 } from "viem";
import { describe, expect, it } from "vitest";
import { swapRouterAbi } from "../src/abi.ts";
import { POOL_INIT_CODE_HASH } from "../src/constants.ts";
import { encodeDecrease } from "../src/encode.ts";
import { PositionNotFoundError } from "../src/errors.ts";
import { fetchLpPositions } from "../src/fetch.ts";
import { getSqrtRatioAtTick } from "../src/math/tickMath.ts";
import { computePoolAddress } from "../src/poolAddress.ts";
import { getPositionAmounts, getPositionFees, type LpPosition, lpHolding } from "../src/position.ts";
import { decodeLpReads, lpReads } from "../src/reads.ts";
import { countingClient, deadline, mintPosition, sendEach, slot0, staticExit } from "./helpers.ts";

const chain = useTestChain({ chainId: 1 });
const { alice, bob } = testAccounts;
const E18 = 10n ** 18n;

/** WETH/USDC/500: token0 is WETH (18 decimals), token1 USDC (6) in the testkit deployment. */
const WETH_USDC = "WETH/USDC/500";

async function fetchOne(owner = alice.address): Promise<LpPosition> {
  const { positions } = await fetchLpPositions(chain.publicClient, {
    positionManager: chain.deployment.uniswap.positionManager,
    factory: chain.deployment.uniswap.factory,
    owner,
  });
  expect(positions).toHaveLength(1);
  return positions[0]!;
}

/** Our amounts vs the position manager's static decrease(all) + collect(max), to the wei. */
async function expectExitMatches(position: LpPosition) {
  const ours = getPositionAmounts(position);
  const theirs = await staticExit(chain, {
    owner: position.owner!,
    tokenId: position.tokenId,
    liquidity: position.liquidity,
    deadline: await deadline(chain),
  });
  expect(ours.principal).toEqual(theirs.decreased);
  expect({ amount0: ours.amount0, amount1: ours.amount1 }).toEqual(theirs.collected);
  return ours;
}

/** Swaps through the real router as bob until the pool's price is exactly `sqrtPriceLimitX96`. */
async function swapToSqrtPrice(poolKey: string, sqrtPriceLimitX96: bigint) {
  const pool = getPool(chain.deployment, poolKey);
  const { sqrtPriceX96 } = await slot0(chain, pool.address);
  const zeroForOne = sqrtPriceLimitX96 < sqrtPriceX96;
  const [tokenIn, tokenOut] = zeroForOne ? [pool.token0, pool.token1] : [pool.token1, pool.token0];
  const amountIn =
    tokenIn === chain.deployment.tokens.WETH.address ? 100_000n * E18 : 300_000_000n * 10n ** 6n;
  await fund(chain, { account: bob.address, token: tokenIn, amount: amountIn });
  const allowance = await chain.publicClient.readContract({
    address: tokenIn,
    abi: erc20Abi,
    functionName: "allowance",
    args: [bob.address, chain.deployment.uniswap.swapRouter],
  });
  const approve = {
    to: tokenIn,
    data: encodeFunctionData({
      abi: erc20Abi,
      functionName: "approve",
      args: [chain.deployment.uniswap.swapRouter, maxUint256],
    }),
    value: 0n,
  };
  // Approved once per token (a read instead of a transaction on later swaps: these tests swap a lot).
  await sendEach(chain, bob, [
    ...(allowance < amountIn ? [approve] : []),
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
            recipient: bob.address,
            deadline: maxUint256,
            amountIn,
            amountOutMinimum: 0n,
            sqrtPriceLimitX96,
          },
        ],
      }),
      value: 0n,
    },
  ]);
  expect((await slot0(chain, pool.address)).sqrtPriceX96).toBe(sqrtPriceLimitX96);
}

describe("pool addresses", () => {
  it("CREATE2 from the factory with POOL_INIT_CODE_HASH gives the deployed pools", async () => {
    const { uniswap } = chain.deployment;
    expect(POOL_INIT_CODE_HASH).toBe(uniswap.poolInitCodeHash);
    for (const pool of Object.values(uniswap.pools)) {
      const computed = computePoolAddress({
        factory: uniswap.factory,
        tokenA: pool.token1,
        tokenB: pool.token0,
        fee: pool.fee,
      });
      expect(computed).toBe(pool.address);
      const onChain = await chain.publicClient.readContract({
        address: uniswap.factory,
        abi: uniswapV3FactoryAbi,
        functionName: "getPool",
        args: [pool.token0, pool.token1, pool.fee],
      });
      expect(computed).toBe(onChain);
    }
  });
});

describe("fetchLpPositions", () => {
  it("cold start takes 3 eth_calls; with cached keys it is ONE eth_call and nothing else", async () => {
    const a = await mintPosition(chain, alice, {
      poolKey: WETH_USDC,
      amount0: 10n * E18,
      amount1: 30_000n * 10n ** 6n,
    });
    const b = await mintPosition(chain, alice, {
      poolKey: "WBTC/WETH/3000",
      amount0: E18 / 2n,
      amount1: 10n * E18,
    });
    const params = {
      positionManager: chain.deployment.uniswap.positionManager,
      factory: chain.deployment.uniswap.factory,
      owner: alice.address,
    };

    const cold = countingClient(chain);
    const first = await fetchLpPositions(cold.client, params);
    expect(first.calls).toBe(3);
    expect(cold.methods).toEqual(["eth_call", "eth_call", "eth_call"]);
    expect(first.positions.map((p) => p.tokenId)).toEqual([a.tokenId, b.tokenId]);
    expect(first.blockNumber).toBe(await chain.publicClient.getBlockNumber({ cacheTime: 0 }));

    const warm = countingClient(chain);
    const second = await fetchLpPositions(warm.client, { ...params, keys: first.keys });
    expect(second.calls).toBe(1);
    expect(warm.methods).toEqual(["eth_call"]);
    expect(second.positions).toEqual(first.positions);

    // A client with its own multicall batching (small batch size) changes nothing.
    const batching = countingClient(chain, { batchMulticall: true });
    const viaBatching = await fetchLpPositions(batching.client, { ...params, keys: first.keys });
    expect(batching.methods).toEqual(["eth_call"]);
    expect(viaBatching.positions).toEqual(first.positions);

    // Pinned block: still one request.
    const pinned = countingClient(chain);
    const third = await fetchLpPositions(pinned.client, {
      ...params,
      keys: first.keys,
      blockNumber: first.blockNumber,
    });
    expect(pinned.methods).toEqual(["eth_call"]);
    expect(third.positions).toEqual(first.positions);

    // The position data is what the position manager and the pool say.
    const p = second.positions[0]!;
    expect(p).toMatchObject({
      token0: a.pool.token0,
      token1: a.pool.token1,
      fee: 500,
      ...a.range,
      pool: a.pool.address,
    });
    expect(p.poolState).toMatchObject({
      tickSpacing: a.pool.tickSpacing,
      ...(await slot0(chain, a.pool.address)),
    });
  });

  it("detects an NFT that appeared since the keys were cached, and reads without owner or factory", async () => {
    const a = await mintPosition(chain, alice, {
      poolKey: WETH_USDC,
      amount0: 10n * E18,
      amount1: 30_000n * 10n ** 6n,
    });
    const params = {
      positionManager: chain.deployment.uniswap.positionManager,
      factory: chain.deployment.uniswap.factory,
      owner: alice.address,
    };
    const first = await fetchLpPositions(chain.publicClient, params);
    const c = await mintPosition(chain, alice, {
      poolKey: WETH_USDC,
      widthBps: 2000,
      amount0: E18,
      amount1: 3_000n * 10n ** 6n,
    });
    const counted = countingClient(chain);
    const after = await fetchLpPositions(counted.client, { ...params, keys: first.keys });
    expect(after.positions.map((p) => p.tokenId)).toEqual([a.tokenId, c.tokenId]);
    expect(after.calls).toBe(3); // enumerate (sees the new id) → its positions() → its ticks
    expect(counted.ethCalls()).toBe(3);

    // Given ids, no owner, no factory (read from the position manager): positions() then pool state.
    const byIds = await fetchLpPositions(chain.publicClient, {
      positionManager: chain.deployment.uniswap.positionManager,
      tokenIds: [c.tokenId, a.tokenId],
    });
    expect(byIds.calls).toBe(2);
    const strip = ({ owner: _owner, ...rest }: LpPosition) => rest;
    expect(byIds.positions.map(strip)).toEqual([after.positions[1]!, after.positions[0]!].map(strip));
  });

  it("throws PositionNotFoundError for an id that does not exist (or was burned)", async () => {
    await expect(
      fetchLpPositions(chain.publicClient, {
        positionManager: chain.deployment.uniswap.positionManager,
        factory: chain.deployment.uniswap.factory,
        tokenIds: [987_654n],
      }),
    ).rejects.toBeInstanceOf(PositionNotFoundError);
  });

  it("lpReads join a larger viem multicall (one eth_call) and decode from its results", async () => {
    await mintPosition(chain, alice, {
      poolKey: WETH_USDC,
      amount0: 10n * E18,
      amount1: 30_000n * 10n ** 6n,
    });
    const base = {
      positionManager: chain.deployment.uniswap.positionManager,
      factory: chain.deployment.uniswap.factory,
      owner: alice.address,
    };
    const { keys, positions } = await fetchLpPositions(chain.publicClient, base);
    const params = { ...base, keys };
    const weth = chain.deployment.tokens.WETH.address;
    const counted = countingClient(chain);
    const results = await counted.client.multicall({
      contracts: [
        { address: weth, abi: erc20Abi, functionName: "balanceOf", args: [alice.address] },
        ...lpReads(params),
      ] as never,
      allowFailure: true,
      batchSize: 0,
    });
    expect(counted.methods).toEqual(["eth_call"]);
    const decoded = decodeLpReads(params, (results as ReadResult[]).slice(1));
    expect(decoded.complete).toBe(true);
    expect(decoded.positions).toEqual(positions);
  });
});

describe("position amounts equal the position manager's decrease + collect, to the wei", () => {
  it("in range, below and above the range, and exactly on both boundaries", async () => {
    const { range } = await mintPosition(chain, alice, {
      poolKey: WETH_USDC,
      widthBps: 500,
      amount0: 20n * E18,
      amount1: 60_000n * 10n ** 6n,
      batch: true,
    });
    const seen = new Set<string>();
    const check = async () => {
      const position = await fetchOne();
      const { tick } = position.poolState;
      seen.add(tick < range.tickLower ? "below" : tick < range.tickUpper ? "in" : "above");
      return expectExitMatches(position);
    };
    const at3000 = await check();
    expect(at3000.principal.amount0 > 0n && at3000.principal.amount1 > 0n).toBe(true);

    // WETH is token0: its USD price moves the pool's price the same way.
    for (const usd of [3_060n, 2_930n, 2_500n, 3_600n, 3_010n]) {
      // The feed, then only the pool under test (not every WETH pool, as setPrice would: fewer transactions).
      await setPrice(chain, { asset: "WETH", usdPrice: usd * 10n ** 8n, movePool: false });
      await syncPoolPrice(chain, { pool: WETH_USDC });
      const amounts = await check();
      expect(amounts.fees.amount0 + amounts.fees.amount1 > 0n).toBe(true); // the moves paid fees while in range
    }
    expect([...seen].sort()).toEqual(["above", "below", "in"]);

    // Exactly on the upper boundary (tick == tickUpper: out of range) and on the lower one after a
    // downward swap (tick == tickLower − 1 although the price is the lower boundary's).
    await swapToSqrtPrice(WETH_USDC, getSqrtRatioAtTick(range.tickUpper));
    let position = await fetchOne();
    expect(position.poolState.tick).toBe(range.tickUpper);
    await expectExitMatches(position);
    await swapToSqrtPrice(WETH_USDC, getSqrtRatioAtTick(range.tickLower));
    position = await fetchOne();
    expect(position.poolState.tick).toBe(range.tickLower - 1);
    const atLower = await expectExitMatches(position);
    expect(atLower.principal.amount1).toBe(0n);
  });
});

describe("fees owed", () => {
  it("match collect's static call after swaps, with tokensOwed from a partial decrease and after it", async () => {
    const { pool } = await mintPosition(chain, alice, {
      poolKey: WETH_USDC,
      widthBps: 300,
      amount0: 50n * E18,
      amount1: 150_000n * 10n ** 6n,
    });
    const swapBackAndForth = async () => {
      const { sqrtPriceX96 } = await slot0(chain, pool.address);
      await swapToSqrtPrice(WETH_USDC, (sqrtPriceX96 * 1001n) / 1000n);
      await swapToSqrtPrice(WETH_USDC, (sqrtPriceX96 * 999n) / 1000n);
      await swapToSqrtPrice(WETH_USDC, sqrtPriceX96);
    };
    await swapBackAndForth();
    let position = await fetchOne();
    const fees = getPositionFees(position);
    expect(fees.amount0 > 0n && fees.amount1 > 0n).toBe(true);
    // collect alone (it pokes the pool with burn(0)) returns exactly the fees.
    const collectOnly = await staticExit(chain, {
      owner: alice.address,
      tokenId: position.tokenId,
      liquidity: 0n,
      deadline: await deadline(chain),
    });
    expect(collectOnly.collected).toEqual(fees);
    await expectExitMatches(position);

    // Execute a partial decrease without collecting: principal and fees move into tokensOwed.
    const half = encodeDecrease({
      position,
      liquidity: position.liquidity / 2n,
      slippageBps: 50,
      deadline: await deadline(chain),
      recipient: alice.address,
    });
    await sendEach(chain, alice, half.calls.slice(0, 1)); // decreaseLiquidity only
    position = await fetchOne();
    expect(position.tokensOwed0 > 0n && position.tokensOwed1 > 0n).toBe(true);
    await swapBackAndForth();
    position = await fetchOne();
    await expectExitMatches(position);

    // The holding carries the same totals.
    const holding = lpHolding(1, position);
    const totals = getPositionAmounts(position);
    expect(holding.exposures.map((e) => e.amount)).toEqual([totals.amount0, totals.amount1]);
    expect(holding.ref).toBe(`1:${pool.address.toLowerCase()}`);
  });
});

describe("encodeDecrease", () => {
  it("pays out the computed amounts, burns the emptied NFT, and the position is then not found", async () => {
    const { tokenId, pool } = await mintPosition(chain, alice, {
      poolKey: WETH_USDC,
      amount0: 5n * E18,
      amount1: 15_000n * 10n ** 6n,
    });
    await setPrice(chain, { asset: "WETH", usdPrice: 3_030n * 10n ** 8n });
    const position = await fetchOne();
    const expected = getPositionAmounts(position);
    const before = await Promise.all([pool.token0, pool.token1].map((t) => balance(t)));
    const { calls, withdrawal } = encodeDecrease({
      position,
      slippageBps: 30,
      deadline: await deadline(chain),
      recipient: alice.address,
      combine: true,
    });
    expect(calls).toHaveLength(1); // decrease + collect + burn folded into one multicall
    expect(withdrawal.amount0Min).toBeLessThanOrEqual(expected.principal.amount0);
    await sendEach(chain, alice, calls);
    const after = await Promise.all([pool.token0, pool.token1].map((t) => balance(t)));
    expect(after[0]! - before[0]!).toBe(expected.amount0);
    expect(after[1]! - before[1]!).toBe(expected.amount1);
    await expect(
      fetchLpPositions(chain.publicClient, {
        positionManager: chain.deployment.uniswap.positionManager,
        factory: chain.deployment.uniswap.factory,
        tokenIds: [tokenId],
      }),
    ).rejects.toBeInstanceOf(PositionNotFoundError);
  });
});

function balance(token: `0x${string}`) {
  return chain.publicClient.readContract({
    address: token,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [alice.address],
  });
}

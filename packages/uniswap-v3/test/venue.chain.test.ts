import type { SwapRequest } from "@ballast/core";
import { fund, testAccounts, positionManagerAbi as testkitNpmAbi } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { decodeFunctionData, encodeFunctionData, erc20Abi, maxUint256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { swapRouterAbi } from "../src/abi.ts";
import { encodeMint } from "../src/encode.ts";
import { InsufficientOutputError, NoRouteError, UnsupportedSwapError } from "../src/errors.ts";
import { decodePath } from "../src/path.ts";
import { computePoolAddress } from "../src/poolAddress.ts";
import { rangeAround } from "../src/range.ts";
import { uniswapV3Venue } from "../src/venue.ts";
import {
  balanceOf,
  countingClient,
  deadline,
  encodeBatch,
  ensureDelegated,
  executeBatch,
  sendEach,
  slot0,
} from "./helpers.ts";

const chain = useTestChain({ chainId: 1 });
const { carol, dave } = testAccounts;
const E18 = 10n ** 18n;

function venue(client = chain.publicClient) {
  const { uniswap, tokens } = chain.deployment;
  return uniswapV3Venue({
    client,
    quoter: uniswap.quoterV2,
    router: uniswap.swapRouter,
    intermediaries: [tokens.WETH.address],
    symbols: Object.fromEntries(Object.values(tokens).map((t) => [t.address.toLowerCase(), t.symbol])),
  });
}

function request(tokenIn: string, tokenOut: string, amountIn: bigint, overrides: Partial<SwapRequest> = {}) {
  const { tokens } = chain.deployment;
  const t = (s: string) => tokens[s as keyof typeof tokens]?.address ?? (s as `0x${string}`);
  return {
    chainId: 1,
    tokenIn: t(tokenIn),
    tokenOut: t(tokenOut),
    amountIn,
    account: carol.address,
    minAmountOut: 0n,
    ...overrides,
  };
}

describe("uniswapV3Venue", () => {
  it("quotes in ONE eth_call and the executed amount equals the quote in the next block (single hop)", async () => {
    await fund(chain, { account: carol.address, token: "WETH", amount: 10n * E18 });
    const counted = countingClient(chain);
    const quote = await venue(counted.client).quote(request("WETH", "USDC", 10n * E18, { slippageBps: 50 }));
    expect(counted.methods).toEqual(["eth_call"]);
    expect(quote).toMatchObject({
      venue: "uniswap-v3",
      spender: chain.deployment.uniswap.swapRouter,
      route: "WETH -0.05%-> USDC",
    });
    expect(quote.amountOut).toBeGreaterThan(29_000n * 10n ** 6n);
    expect(quote.minAmountOut).toBe((quote.amountOut * 9_950n + 9_999n) / 10_000n); // the request's 50 bps, rounded up
    expect(quote.gas).toBeGreaterThan(0n);
    // Exact approval of the router first, then the swap.
    expect(quote.calls[0]!.data).toBe(
      encodeFunctionData({
        abi: erc20Abi,
        functionName: "approve",
        args: [chain.deployment.uniswap.swapRouter, 10n * E18],
      }),
    );
    const usdc = chain.deployment.tokens.USDC.address;
    const before = await balanceOf(chain, usdc, carol.address);
    const receipt = await executeBatch(chain, carol, quote.calls);
    expect(receipt.status).toBe("success");
    expect((await balanceOf(chain, usdc, carol.address)) - before).toBe(quote.amountOut);
    expect(await balanceOf(chain, chain.deployment.tokens.WETH.address, carol.address)).toBe(0n);
  });

  it("routes through an intermediary when no direct pool exists (WBTC → WETH → USDC)", async () => {
    await fund(chain, { account: carol.address, token: "WBTC", amount: 10n ** 8n });
    const quote = await venue().quote(request("WBTC", "USDC", 10n ** 8n));
    expect(quote.route).toBe("WBTC -0.3%-> WETH -0.05%-> USDC");
    const usdc = chain.deployment.tokens.USDC.address;
    const before = await balanceOf(chain, usdc, carol.address);
    expect((await executeBatch(chain, carol, quote.calls)).status).toBe("success");
    expect((await balanceOf(chain, usdc, carol.address)) - before).toBe(quote.amountOut);
    const swap = quote.calls[1]!;
    expect(swap.to).toBe(chain.deployment.uniswap.swapRouter);
    const decoded = decodeFunctionData({ abi: swapRouterAbi, data: swap.data });
    expect(decoded.functionName).toBe("exactInput");
    const args = decoded.args[0] as { path: `0x${string}`; amountOutMinimum: bigint; recipient: string };
    const { tokens } = chain.deployment;
    expect(decodePath(args.path)).toEqual({
      tokens: [tokens.WBTC.address, tokens.WETH.address, tokens.USDC.address],
      fees: [3000, 500],
    });
    expect(args.amountOutMinimum).toBe(quote.minAmountOut);
    // No slippage in the request, none of the venue's own: the guard is the request's minimum (0 here).
    expect(quote.minAmountOut).toBe(0n);
    expect(args.recipient).toBe(carol.address);
  });

  it("picks the best fee tier: a shallow 1% pool priced 3% higher wins small trades, the deep 0.05% pool large ones", async () => {
    const { uniswap, tokens } = chain.deployment;
    const [token0, token1] = [tokens.WETH.address, tokens.USDC.address]; // WETH < USDC here
    const { sqrtPriceX96 } = await slot0(
      chain,
      computePoolAddress({ factory: uniswap.factory, tokenA: token0, tokenB: token1, fee: 500 }),
    );
    const richer = (sqrtPriceX96 * 10_149n) / 10_000n; // ≈ +3% price
    await sendEach(chain, dave, [
      {
        to: uniswap.positionManager,
        data: encodeFunctionData({
          abi: testkitNpmAbi,
          functionName: "createAndInitializePoolIfNecessary",
          args: [token0, token1, 10_000, richer],
        }),
        value: 0n,
      },
    ]);
    await fund(chain, { account: dave.address, token: "WETH", amount: 10n * E18 });
    await fund(chain, { account: dave.address, token: "USDC", amount: 30_000n * 10n ** 6n });
    const pool1pct = computePoolAddress({
      factory: uniswap.factory,
      tokenA: token0,
      tokenB: token1,
      fee: 10_000,
    });
    const { tick } = await slot0(chain, pool1pct);
    const { calls } = encodeMint({
      positionManager: uniswap.positionManager,
      token0,
      token1,
      fee: 10_000,
      ...rangeAround({ tick, tickSpacing: 200, widthBps: 2000 }),
      amount0Desired: 10n * E18,
      amount1Desired: 30_000n * 10n ** 6n,
      sqrtPriceX96: richer,
      slippageBps: 50,
      recipient: dave.address,
      deadline: await deadline(chain),
    });
    await sendEach(chain, dave, calls);

    const small = await venue().quote(request("WETH", "USDC", E18 / 10n));
    expect(small.route).toBe("WETH -1%-> USDC");
    const large = await venue().quote(request("WETH", "USDC", 100n * E18));
    expect(large.route).toBe("WETH -0.05%-> USDC");

    await fund(chain, { account: carol.address, token: "WETH", amount: E18 / 10n });
    const usdc = tokens.USDC.address;
    const before = await balanceOf(chain, usdc, carol.address);
    expect((await executeBatch(chain, carol, small.calls)).status).toBe("success");
    expect((await balanceOf(chain, usdc, carol.address)) - before).toBe(small.amountOut);
  });

  it("a price that moved past the limit after the quote reverts the whole batch (approval included)", async () => {
    const { tokens, uniswap } = chain.deployment;
    await fund(chain, { account: carol.address, token: "WETH", amount: 10n * E18 });
    const quote = await venue().quote(request("WETH", "USDC", 10n * E18, { slippageBps: 30 }));
    // Someone dumps WETH first: the price falls ~1%, more than the 0.3% limit.
    await fund(chain, { account: dave.address, token: "WETH", amount: 20_000n * E18 });
    await sendEach(chain, dave, [
      {
        to: tokens.WETH.address,
        data: encodeFunctionData({
          abi: erc20Abi,
          functionName: "approve",
          args: [uniswap.swapRouter, maxUint256],
        }),
        value: 0n,
      },
      {
        to: uniswap.swapRouter,
        data: encodeFunctionData({
          abi: swapRouterAbi,
          functionName: "exactInputSingle",
          args: [
            {
              tokenIn: tokens.WETH.address,
              tokenOut: tokens.USDC.address,
              fee: 500,
              recipient: dave.address,
              deadline: maxUint256,
              amountIn: 20_000n * E18,
              amountOutMinimum: 0n,
              sqrtPriceLimitX96: 0n,
            },
          ],
        }),
        value: 0n,
      },
    ]);
    await ensureDelegated(chain, carol); // (an EOA without code would "succeed" at anything)
    // Simulated first: the router's own check fails inside the batch (ExecuteError(1, Error("Too little received"))).
    const simulated = await chain.publicClient
      .call({ account: carol.address, to: carol.address, data: encodeBatch(quote.calls) })
      .then(
        () => "ok",
        (err: Error) => err.message,
      );
    expect(simulated).toContain(toHex("Too little received").slice(2));
    const receipt = await executeBatch(chain, carol, quote.calls);
    expect(receipt.status).toBe("reverted");
    expect(await balanceOf(chain, tokens.WETH.address, carol.address)).toBe(10n * E18);
    expect(await balanceOf(chain, tokens.USDC.address, carol.address)).toBe(0n);
    const allowance = await chain.publicClient.readContract({
      address: tokens.WETH.address,
      abi: erc20Abi,
      functionName: "allowance",
      args: [carol.address, uniswap.swapRouter],
    });
    expect(allowance).toBe(0n);
  });

  it("encodes the request's deadline, else the quoted block's time + deadlineSeconds", async () => {
    const q1 = await venue().quote(request("WETH", "USDC", E18, { deadline: 12_345n }));
    const q2 = await venue().quote(request("WETH", "USDC", E18));
    const head = await chain.publicClient.getBlock({ blockTag: "latest" });
    const decode = (data: `0x${string}`) => decodeFunctionData({ abi: swapRouterAbi, data }).args[0].deadline;
    expect(decode(q1.calls[1]!.data)).toBe(12_345n);
    expect(decode(q2.calls[1]!.data)).toBe(head.timestamp + 1_200n);
  });

  it("throws typed errors: NoRouteError, InsufficientOutputError, UnsupportedSwapError", async () => {
    const v = venue();
    const stranger = "0x000000000000000000000000000000000000dEaD";
    await expect(v.quote(request("WETH", stranger, E18))).rejects.toBeInstanceOf(NoRouteError);
    await expect(
      v.quote(request("WETH", "USDC", E18, { minAmountOut: 10_000n * 10n ** 6n })),
    ).rejects.toBeInstanceOf(InsufficientOutputError);
    await expect(v.quote(request("WETH", "WETH", E18))).rejects.toBeInstanceOf(UnsupportedSwapError);
    await expect(v.quote(request("WETH", "USDC", 0n))).rejects.toBeInstanceOf(UnsupportedSwapError);
    await expect(v.quote(request("WETH", "USDC", E18, { chainId: 10 }))).rejects.toBeInstanceOf(
      UnsupportedSwapError,
    );
  });
});

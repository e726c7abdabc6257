import type { Call, SwapRequest } from "@ballast/core";
import {
  delegateToSimple7702,
  fund,
  getPool,
  quoterV2Abi,
  simple7702AccountAbi,
  testAccounts,
  waitForSuccess,
} from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { erc20Abi, getAddress } from "viem";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SwapMismatchError } from "../src/errors.ts";
import { createOneInchClient } from "../src/http.ts";
import { oneInchVenue } from "../src/venue.ts";
import { type StandIn, startStandIn } from "./stand-in/server.ts";
import { type SwapStandIn, swapApiStandIn, tamper } from "./stand-in/swap-api.ts";
import { decodeExactInputSingle, exactInputSingleCalldata } from "./uniswap-router.ts";

/**
 * Quote → calldata → one EIP-7702 batch → tokens received, on a local anvil chain with the real Uniswap V3.
 * The Swap API stand-in plays 1inch: it prices with the real QuoterV2 and returns calldata for the real
 * SwapRouter, which the venue is configured to trust as the chain's router (with an `exactInputSingle` decoder).
 */
const chain = useTestChain({ chainId: 1 });
const owner = testAccounts.carol;
const attacker = testAccounts.dave.address;
const AMOUNT_IN = 10n ** 18n; // 1 WETH
const MIN_OUT = 2_950_000_000n; // the plan's guard: 1 WETH at 3,000 USDC less ~1.7%

let server: StandIn;
let api: SwapStandIn;
const fee = 500;

beforeAll(async () => {
  api = swapApiStandIn({
    router: chain.deployment.uniswap.swapRouter,
    price: async ({ src, dst, amount }) => {
      const { result } = await chain.publicClient.simulateContract({
        address: chain.deployment.uniswap.quoterV2,
        abi: quoterV2Abi,
        functionName: "quoteExactInputSingle",
        args: [{ tokenIn: src, tokenOut: dst, amountIn: amount, fee, sqrtPriceLimitX96: 0n }],
      });
      return result[0];
    },
    calldata: exactInputSingleCalldata(fee, 2n ** 48n),
    tokens: {
      [chain.deployment.tokens.WETH.address.toLowerCase()]: { symbol: "WETH", decimals: 18 },
      [chain.deployment.tokens.USDC.address.toLowerCase()]: { symbol: "USDC", decimals: 6 },
    },
  });
  server = await startStandIn(api.handle);
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  api.faults.length = 0;
  await delegateToSimple7702(chain, { account: owner });
  await fund(chain, { account: owner.address, token: "WETH", amount: AMOUNT_IN });
});

const venue = () =>
  oneInchVenue({
    client: createOneInchClient({ baseUrl: server.url, apiKey: "local", timeoutMs: 2_000, baseDelayMs: 1 }),
    routers: { 1: { address: chain.deployment.uniswap.swapRouter, decode: decodeExactInputSingle } },
  });

const request = (): SwapRequest => ({
  chainId: 1,
  tokenIn: chain.deployment.tokens.WETH.address,
  tokenOut: chain.deployment.tokens.USDC.address,
  amountIn: AMOUNT_IN,
  account: owner.address,
  minAmountOut: MIN_OUT,
});

const balance = (token: `0x${string}`, owner_: `0x${string}`) =>
  chain.publicClient.readContract({
    address: token,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [owner_],
  });

/** Sends `calls` as ONE transaction: the delegated EOA calls `executeBatch` on itself. */
async function executeBatch(calls: readonly Call[]) {
  const wallet = chain.walletClient(owner);
  const hash = await wallet.writeContract({
    address: owner.address,
    abi: simple7702AccountAbi,
    functionName: "executeBatch",
    args: [calls.map((c) => ({ target: c.to, value: c.value, data: c.data }))],
    gas: 1_000_000n,
  });
  return waitForSuccess(chain, hash, "executeBatch");
}

describe("1inch venue end to end (stand-in API, real Uniswap router, EIP-7702 batch)", () => {
  it("executes the verified calls in one batch and receives at least minOut", async () => {
    const { WETH, USDC } = chain.deployment.tokens;
    expect(getPool(chain.deployment, "WETH/USDC/500").fee).toBe(fee);
    const quote = await venue().quote(request());
    expect(quote.spender).toBe(chain.deployment.uniswap.swapRouter);
    expect(quote.minAmountOut).toBeGreaterThanOrEqual(MIN_OUT);
    expect(quote.amountOut).toBeGreaterThanOrEqual(quote.minAmountOut);
    expect(quote.calls.map((c) => c.to)).toEqual([WETH.address, chain.deployment.uniswap.swapRouter]);
    expect(quote.route).toBe("1inch exactInputSingle WETH -> USDC");

    const [wethBefore, usdcBefore] = await Promise.all([
      balance(WETH.address, owner.address),
      balance(USDC.address, owner.address),
    ]);
    const receipt = await executeBatch(quote.calls);
    expect(receipt.status).toBe("success");
    const [wethAfter, usdcAfter, allowance] = await Promise.all([
      balance(WETH.address, owner.address),
      balance(USDC.address, owner.address),
      chain.publicClient.readContract({
        address: WETH.address,
        abi: erc20Abi,
        functionName: "allowance",
        args: [owner.address, chain.deployment.uniswap.swapRouter],
      }),
    ]);
    expect(wethBefore - wethAfter).toBe(AMOUNT_IN);
    const received = usdcAfter - usdcBefore;
    expect(received).toBeGreaterThanOrEqual(MIN_OUT);
    expect(received).toBe(quote.amountOut); // nothing moved the pool between quote and batch
    expect(allowance).toBe(0n); // the exact approval was used up
  });

  it("refuses calldata that pays someone else — which the chain would otherwise have executed", async () => {
    const swapRouter = chain.deployment.uniswap.swapRouter;
    const evil = exactInputSingleCalldata(
      fee,
      2n ** 48n,
    )({
      chainId: 1,
      src: chain.deployment.tokens.WETH.address,
      dst: chain.deployment.tokens.USDC.address,
      amount: AMOUNT_IN,
      from: owner.address,
      receiver: attacker,
      dstAmount: MIN_OUT,
      minReturn: MIN_OUT,
    });
    api.faults.push((_r, honest) => honest, tamper({ tx: { data: evil } }));
    const err = await venue()
      .quote(request())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwapMismatchError);
    expect((err as SwapMismatchError).field).toBe("calldata.recipient");
    expect(getAddress((err as SwapMismatchError).actual)).toBe(attacker);

    // Without the check, the same calls would succeed and the output would land at the attacker.
    const { WETH, USDC } = chain.deployment.tokens;
    const before = await balance(USDC.address, attacker);
    await executeBatch([
      { to: WETH.address, data: (await venue().quote(request())).calls[0]!.data, value: 0n },
      { to: swapRouter, data: evil, value: 0n },
    ]);
    expect((await balance(USDC.address, attacker)) - before).toBeGreaterThanOrEqual(MIN_OUT);
  });
});

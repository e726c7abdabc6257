import type { Address, SwapRequest } from "@ballast/core";
import { forkUrlFromEnv, quoterV2Abi } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { encodeFunctionData, erc20Abi, parseAbi } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOneInchClient } from "../src/http.ts";
import { AGGREGATION_ROUTER_V6, aggregationRouterV6Abi } from "../src/routers.ts";
import { oneInchVenue } from "../src/venue.ts";
import { type StandIn, startStandIn } from "./stand-in/server.ts";
import { type SwapAsk, swapApiStandIn } from "./stand-in/swap-api.ts";

/**
 * One real swap through the deployed AggregationRouterV6 on a mainnet fork (runs only with BALLAST_FORK_URL_1; the
 * 1inch API cannot be reached from tests, so its stand-in answers with `unoswapTo` calldata through the real
 * Uniswap V3 WETH/USDC 0.05% pool, priced by the real QuoterV2). What is real: the router's code and its reading of
 * the calldata our ABI encoded and our decoder verified — the tokens leave and arrive where the decoded fields say.
 */
const WETH: Address = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
const USDC: Address = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const POOL: Address = "0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640"; // Uniswap V3 USDC/WETH 0.05%
const QUOTER_V2: Address = "0x61fFE014bA17989E743c5F6cB21bF9697530B21e";
const AMOUNT_IN = 10n ** 18n;

/**
 * The `dex` word of a v6 `unoswap*` (1inch's ProtocolLib and UnoswapRouter): protocol in bits 253–255 (1 = Uniswap
 * V3), `zeroForOne` in bit 247, the pool in the low 160 bits.
 */
const uniswapV3Dex = (pool: Address, zeroForOne: boolean): bigint =>
  (1n << 253n) | ((zeroForOne ? 1n : 0n) << 247n) | BigInt(pool);

const realFork = forkUrlFromEnv(1);
describe.skipIf(!realFork)(
  "one real swap through AggregationRouterV6 (runs only with BALLAST_FORK_URL_1)",
  () => {
    const chain = useTestChain({ chainId: 1, requireLocal: false, timeoutMs: 120_000 });
    const owner = privateKeyToAccount(generatePrivateKey()); // a fresh account: nothing of mainnet's at its address
    let server: StandIn;

    beforeAll(async () => {
      const token0 = await chain.publicClient.readContract({
        address: POOL,
        abi: parseAbi(["function token0() view returns (address)"]),
        functionName: "token0",
      });
      const api = swapApiStandIn({
        router: AGGREGATION_ROUTER_V6,
        price: async ({ src, dst, amount }) => {
          const { result } = await chain.publicClient.simulateContract({
            address: QUOTER_V2,
            abi: quoterV2Abi,
            functionName: "quoteExactInputSingle",
            args: [{ tokenIn: src, tokenOut: dst, amountIn: amount, fee: 500, sqrtPriceLimitX96: 0n }],
          });
          return result[0];
        },
        calldata: (ask: SwapAsk) =>
          encodeFunctionData({
            abi: aggregationRouterV6Abi,
            functionName: "unoswapTo",
            args: [
              BigInt(ask.receiver),
              BigInt(ask.src),
              ask.amount,
              ask.minReturn,
              uniswapV3Dex(POOL, ask.src.toLowerCase() === token0.toLowerCase()),
            ],
          }),
      });
      server = await startStandIn(api.handle);
      await chain.testClient.setBalance({ address: owner.address, value: 10n ** 19n });
      const wallet = chain.walletClient(owner);
      const hash = await wallet.sendTransaction({
        to: WETH,
        value: AMOUNT_IN,
        data: encodeFunctionData({ abi: parseAbi(["function deposit() payable"]), functionName: "deposit" }),
      });
      expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
    }, 120_000);
    afterAll(async () => {
      await server?.close();
    });

    const balance = (token: Address) =>
      chain.publicClient.readContract({
        address: token,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [owner.address],
      });

    it("quotes, verifies and executes unoswapTo: 1 WETH leaves, the quoted USDC arrives at the decoded recipient", async () => {
      const venue = oneInchVenue({
        client: createOneInchClient({
          baseUrl: server.url,
          apiKey: "local",
          timeoutMs: 5_000,
          baseDelayMs: 1,
        }),
        // unoswapTo names no output token: the balance guards check it, as in production.
        allowPartiallyVerified: true,
      });
      const quoted = await chain.publicClient.simulateContract({
        address: QUOTER_V2,
        abi: quoterV2Abi,
        functionName: "quoteExactInputSingle",
        args: [{ tokenIn: WETH, tokenOut: USDC, amountIn: AMOUNT_IN, fee: 500, sqrtPriceLimitX96: 0n }],
      });
      const request: SwapRequest = {
        chainId: 1,
        tokenIn: WETH,
        tokenOut: USDC,
        amountIn: AMOUNT_IN,
        account: owner.address,
        minAmountOut: (quoted.result[0] * 995n) / 1_000n,
      };
      const quote = await venue.quote(request);
      expect(quote.spender.toLowerCase()).toBe(AGGREGATION_ROUTER_V6.toLowerCase());
      expect(quote.calls.at(-1)?.to.toLowerCase()).toBe(AGGREGATION_ROUTER_V6.toLowerCase());
      expect(quote.minAmountOut).toBeGreaterThanOrEqual(request.minAmountOut);

      const [wethBefore, usdcBefore] = await Promise.all([balance(WETH), balance(USDC)]);
      const wallet = chain.walletClient(owner);
      for (const call of quote.calls) {
        const hash = await wallet.sendTransaction({ to: call.to, data: call.data, value: call.value });
        expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
      }
      const [wethAfter, usdcAfter] = await Promise.all([balance(WETH), balance(USDC)]);
      expect(wethBefore - wethAfter).toBe(AMOUNT_IN);
      // Nothing else trades on the fork between the quote and the swap: the router delivers exactly the quote.
      expect(usdcAfter - usdcBefore).toBe(quote.amountOut);
      expect(usdcAfter - usdcBefore).toBeGreaterThanOrEqual(quote.minAmountOut);
    }, 120_000);
  },
);

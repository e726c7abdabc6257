// A classic 1inch swap leg: quoted by the Swap API v6, its calldata verified against the request, ready for a batch.
// Base by default; ONEINCH_URL points it at another Swap API v6 server (the package test: a local stand-in that prices
// with the real Uniswap V3 quoter on a local anvil), WETH and USDC at other tokens. ACCOUNT is who swaps.
import { createOneInchClient, oneInchVenue } from "@ballast/1inch";
import type { Address } from "viem";

const env = process.env;
const WETH = (env.WETH ?? "0x4200000000000000000000000000000000000006") as Address;
const USDC = (env.USDC ?? "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913") as Address;

// 10 s per request, 3 retries on 429/5xx
const client = createOneInchClient({
  apiKey: env.ONEINCH_API_KEY ?? "",
  baseUrl: env.ONEINCH_URL ?? "https://api.1inch.dev",
});
const venue = oneInchVenue({ client }); // trusts AggregationRouterV6 on the chains 1inch serves

const quote = await venue.quote({
  chainId: 8453,
  tokenIn: WETH,
  tokenOut: USDC,
  amountIn: 10n ** 18n,
  account: env.ACCOUNT as Address, // the EIP-7702 EOA (or Safe) that sends the batch
  minAmountOut: 2_000n * 10n ** 6n, // the plan's guard: enforced on-chain by the router's minReturn
});
console.log(`quote ${quote.route} ${quote.amountOut} ${quote.minAmountOut}`);
// [approve(router, amountIn), swap(…)]: the calldata was decoded and checked (tokens, amount, receiver, minReturn)
for (const call of quote.calls) console.log(`call ${call.to} ${call.data}`);

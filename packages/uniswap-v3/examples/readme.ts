// An account's LP positions and their value, then a quoted swap ready for a batch.
// Ethereum mainnet by default. RPC_URL, UNISWAP (JSON, the shape of UNISWAP_V3_MAINNET), WETH, USDC, WBTC point it at
// another deployment (the package test: a local anvil with Uniswap V3); OWNER is whose positions to read.
import {
  fetchLpPositions,
  getPositionAmounts,
  isInRange,
  UNISWAP_V3_MAINNET,
  uniswapV3Venue,
} from "@ballast/uniswap-v3";
import { type Address, createPublicClient, http } from "viem";
import { mainnet } from "viem/chains";

const env = process.env;
const client = createPublicClient({ chain: mainnet, transport: http(env.RPC_URL) });
const uniswap: typeof UNISWAP_V3_MAINNET = env.UNISWAP ? JSON.parse(env.UNISWAP) : UNISWAP_V3_MAINNET;
const owner = (env.OWNER ?? "0x0000000000000000000000000000000000000001") as Address;
const WETH = (env.WETH ?? "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2") as Address;
const USDC = (env.USDC ?? "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48") as Address;
const WBTC = (env.WBTC ?? "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599") as Address;

// First read: enumerate → positions → pool state (3 eth_calls, all at the same block).
const params = { positionManager: uniswap.positionManager, factory: uniswap.factory, owner };
const first = await fetchLpPositions(client, params);
// Later reads: pass the cached keys (a token id's pool, tokens, fee and ticks never change) → ONE eth_call.
const { positions } = await fetchLpPositions(client, { ...params, keys: first.keys });
for (const p of positions) {
  const { amount0, amount1, fees } = getPositionAmounts(p); // = decreaseLiquidity(all) + collect(max)
  console.log(`position ${p.tokenId} ${isInRange(p)} ${amount0} ${amount1} ${fees.amount0} ${fees.amount1}`);
}

// Quote 1 WBTC → USDC: direct and two-hop paths through WETH or USDC, fee tiers 0.01/0.05/0.3/1%, one eth_call.
const venue = uniswapV3Venue({
  client,
  quoter: uniswap.quoterV2,
  router: uniswap.swapRouter,
  intermediaries: [WETH, USDC],
});
const quote = await venue.quote({
  chainId: 1,
  tokenIn: WBTC,
  tokenOut: USDC,
  amountIn: 10n ** 8n,
  account: owner,
  minAmountOut: 50_000n * 10n ** 6n, // the plan's guard: InsufficientOutputError if the best quote is below it
  slippageBps: 30, // the policy's maxSlippage; the venue has no slippage setting of its own
});
// amountOutMinimum = max(the guard, quote − slippageBps) (the guard alone without slippageBps);
// the deadline: the quoted block's time + 1,200 s
console.log(`quote ${quote.route} ${quote.amountOut} ${quote.minAmountOut}`);
// [approve(router, amountIn), exactInput…(…, amountOutMinimum, deadline)] for the account's batch
for (const call of quote.calls) console.log(`call ${call.to} ${call.data}`);

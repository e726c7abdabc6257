/**
 * `pnpm bench:fusion` — issue #17: what a large WETH → USDC swap gets atomically through the pool against a Fusion
 * order filled by a resolver, on a local chain with the real contracts on both sides.
 *
 * Atomic: the keeper account swaps through the real Uniswap V3 `SwapRouter` on `WETH/USDC/500` (100M USD a side,
 * full range). Fusion: `@ballast/1inch`'s `placeFusionOrder` (built by `@1inch/fusion-sdk`, verified, signed) against
 * the testkit's Fusion API stand-in, filled by the testkit's resolver through the real Limit Order Protocol v4 +
 * SimpleSettlement. The resolver's margin is an assumption, not a measurement: it fills at the feed value less
 * `margin` bps (the stand-in starts the auction there; 50 bps is the order's guaranteed end, the worst case). Each
 * run starts from the same snapshot. Printed: output, shortfall against the feed value (USD, bps), what Fusion saves,
 * and the gas the account pays (Fusion: the exact approval only; the resolver pays the fill).
 *
 *   pnpm bench:fusion [--json]
 */

import {
  createFusionClient,
  createOneInchClient,
  fusionApprovalCall,
  placeFusionOrder,
} from "@ballast/1inch";
import {
  advanceTimeTo,
  mintableErc20Abi as erc20Abi,
  fund,
  startFusionApi,
  startFusionResolver,
  startTestChain,
  swapRouterAbi,
  type TestChain,
  testAccounts,
  waitForSuccess,
} from "@ballast/testkit";

const SIZES_USD = [250_000n, 1_000_000n, 5_000_000n];
const MARGINS_BPS = [5, 20, 50];
const WETH_USD = 3_000n; // the testkit's feed
const account = testAccounts.keeper;

type Run = { out: bigint; gas: bigint };

const usdcOf = (chain: TestChain) =>
  chain.publicClient.readContract({
    address: chain.deployment.tokens.USDC.address,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [account.address],
  });

async function send(chain: TestChain, to: `0x${string}`, data: `0x${string}`): Promise<bigint> {
  const hash: `0x${string}` = await chain.walletClients.keeper.sendTransaction({
    to,
    data,
    gas: 1_000_000n,
  } as never);
  return (await waitForSuccess(chain, hash)).gasUsed;
}

async function atomic(chain: TestChain, amountIn: bigint): Promise<Run> {
  const { tokens, uniswap } = chain.deployment;
  const before = await usdcOf(chain);
  const wallet = chain.walletClients.keeper;
  const approve = await wallet.writeContract({
    address: tokens.WETH.address,
    abi: erc20Abi,
    functionName: "approve",
    args: [uniswap.swapRouter, amountIn],
    chain: chain.chain,
    account,
  });
  const swap = await wallet.writeContract({
    address: uniswap.swapRouter,
    abi: swapRouterAbi,
    functionName: "exactInputSingle",
    args: [
      {
        tokenIn: tokens.WETH.address,
        tokenOut: tokens.USDC.address,
        fee: 500,
        recipient: account.address,
        deadline: 2n ** 256n - 1n,
        amountIn,
        amountOutMinimum: 0n,
        sqrtPriceLimitX96: 0n,
      },
    ],
    gas: 1_000_000n,
    chain: chain.chain,
    account,
  });
  let gas = 0n;
  for (const hash of [approve, swap]) gas += (await waitForSuccess(chain, hash)).gasUsed;
  return { out: (await usdcOf(chain)) - before, gas };
}

async function fusion(chain: TestChain, amountIn: bigint, marginBps: number): Promise<Run> {
  const api = await startFusionApi({ chains: [chain], startBelowBps: marginBps });
  const resolver = startFusionResolver({ chains: [chain], api: api.url });
  try {
    const client = createFusionClient({
      client: createOneInchClient({ baseUrl: api.url, apiKey: "bench", retries: 0 }),
      url: api.url,
      chainId: chain.chainId,
      signer: account,
      trustedSettlements: [chain.deployment.fusion.settlement],
    });
    // The SDK times orders by the host clock; each revert set the chain's back to its snapshot's.
    await advanceTimeTo(chain, { timestamp: BigInt(Math.floor(Date.now() / 1000)) });
    const before = await usdcOf(chain);
    const call = fusionApprovalCall(client, chain.deployment.tokens.WETH.address, amountIn);
    const gas = await send(chain, call.to, call.data);
    const order = await placeFusionOrder(client, {
      tokenIn: chain.deployment.tokens.WETH.address,
      tokenOut: chain.deployment.tokens.USDC.address,
      amountIn,
      minAmountOut: 1n,
    });
    await resolver.waitFor(order.orderHash, 60_000);
    return { out: (await usdcOf(chain)) - before, gas };
  } finally {
    await resolver.stop();
    await api.close();
  }
}

const dollars = (usdc: bigint) =>
  `${usdc < 0n ? "−" : ""}$${(Number((usdc < 0n ? -usdc : usdc) / 10_000n) / 100).toLocaleString("en-US")}`;
const bps = (part: bigint, whole: bigint) => Number((part * 1_000_000n) / whole) / 100;

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const chain = await startTestChain({ chainId: 1 });
  const rows: Record<string, unknown>[] = [];
  try {
    for (const sizeUsd of SIZES_USD) {
      const amountIn = (sizeUsd * 10n ** 18n) / WETH_USD;
      const feedOut = sizeUsd * 10n ** 6n;
      await fund(chain, { account: account.address, token: "WETH", amount: amountIn });
      const base = await chain.snapshot();
      const a = await atomic(chain, amountIn);
      await chain.revert(base);
      const fusions: { margin: number; run: Run }[] = [];
      for (const margin of MARGINS_BPS) {
        const snap = await chain.snapshot();
        fusions.push({ margin, run: await fusion(chain, amountIn, margin) });
        await chain.revert(snap);
      }
      const row = {
        sizeUsd: Number(sizeUsd),
        atomic: { out: a.out.toString(), shortfallBps: bps(feedOut - a.out, feedOut), gas: Number(a.gas) },
        fusion: fusions.map(({ margin, run }) => ({
          resolverMarginBps: margin,
          out: run.out.toString(),
          shortfallBps: bps(feedOut - run.out, feedOut),
          savedUsd: dollars(run.out - a.out),
          savedBps: bps(run.out - a.out, feedOut),
          gas: Number(run.gas),
        })),
      };
      rows.push(row);
      if (!json) {
        console.log(
          `\n${dollars(feedOut)} of WETH → USDC   atomic: ${dollars(a.out)} (−${row.atomic.shortfallBps} bps vs the feed), gas ${a.gas}`,
        );
        for (const f of row.fusion)
          console.log(
            `  Fusion, resolver margin ${String(f.resolverMarginBps).padStart(2)} bps: ${dollars(BigInt(f.out))} (−${f.shortfallBps} bps)  saved ${f.savedUsd} = ${f.savedBps} bps, gas ${f.gas}`,
          );
      }
    }
    if (json) console.log(JSON.stringify({ pool: "WETH/USDC/500, 100M USD a side", rows }, null, 2));
  } finally {
    await chain.stop();
  }
}

await main();

import type { FusionApi } from "@ballast/testkit";
import {
  advanceTimeTo,
  type FusionResolver,
  fund,
  startFusionApi,
  startFusionResolver,
  testAccounts,
  waitForSuccess,
} from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { erc20Abi } from "viem";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { InsufficientOutputError, UntrustedSettlementError } from "../src/errors.ts";
import { createFusionClient, type FusionClient } from "../src/fusion.ts";
import { fusionApprovalCall, placeFusionOrder, waitForFusionOrder } from "../src/fusion-orders.ts";
import { createOneInchClient } from "../src/http.ts";

/**
 * This package's Fusion path end to end on a local chain: the real Limit Order Protocol v4 and SimpleSettlement
 * (compiled by the testkit), the testkit's Fusion API stand-in and resolver. The order is built by the SDK, checked
 * by `verifyFusionOrder`, signed by a viem account and submitted; the resolver fills it through `fillOrderArgs`.
 */
const chain = useTestChain({ chainId: 1 });
const maker = testAccounts.erin;
const WETH = 10n ** 18n;
const USDC = 10n ** 6n;

let api: FusionApi;
let resolver: FusionResolver | undefined;
beforeAll(async () => {
  api = await startFusionApi({ chains: [chain] });
});
afterAll(async () => {
  await api?.close();
});
afterEach(async () => {
  await resolver?.stop();
  resolver = undefined;
  api.faults.length = 0;
  api.requests.length = 0;
});

function fusion(): FusionClient {
  return createFusionClient({
    client: createOneInchClient({ baseUrl: api.url, apiKey: "k", retries: 0 }),
    url: api.url,
    chainId: chain.chainId,
    signer: maker,
    trustedSettlements: [chain.deployment.fusion.settlement],
  });
}

const usdcOf = () =>
  chain.publicClient.readContract({
    address: chain.deployment.tokens.USDC.address,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [maker.address],
  });

/** The maker holds `amount` WETH and approves the LOP exactly, with the call the keeper's batch would carry. */
async function approveExactly(client: FusionClient, amount: bigint): Promise<void> {
  // The SDK times orders by the host clock; a snapshot revert sets the chain's clock back: bring it forward.
  await advanceTimeTo(chain, { timestamp: BigInt(Math.floor(Date.now() / 1000)) });
  await fund(chain, { account: maker.address, token: "WETH", amount });
  const call = fusionApprovalCall(client, chain.deployment.tokens.WETH.address, amount);
  expect(call.to).toBe(chain.deployment.tokens.WETH.address);
  const hash = await chain.walletClients.erin.sendTransaction({
    to: call.to,
    data: call.data,
    gas: 100_000n,
  } as never);
  await waitForSuccess(chain, hash);
}

it("places a verified order the resolver fills on chain; waitForFusionOrder reports the fill", async () => {
  const client = fusion();
  expect(client.limitOrderProtocol).toBe(chain.deployment.fusion.limitOrderProtocol); // the default: AggregationRouterV6
  await approveExactly(client, 5n * WETH);
  const before = await usdcOf();
  const order = await placeFusionOrder(client, {
    tokenIn: chain.deployment.tokens.WETH.address,
    tokenOut: chain.deployment.tokens.USDC.address,
    amountIn: 5n * WETH,
    minAmountOut: 14_900n * USDC,
  });
  expect(order.summary.takingAmount).toBe(14_925n * USDC); // 15,000 at the feed, auction end −50 bps
  expect(api.orders.map((o) => o.orderHash)).toEqual([order.orderHash.toLowerCase()]);

  resolver = startFusionResolver({ chains: [chain], api: api.url, fillDelayMs: 100 });
  const state = await waitForFusionOrder(
    { ...client, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
    {
      orderHash: order.orderHash,
      pollIntervalMs: 50,
      timeoutMs: 20_000,
    },
  );
  expect(state.status).toBe("filled");
  const fill = resolver.fills[0]!;
  expect(state.filledTakerAmount).toBe(fill.takingAmount);
  expect((await usdcOf()) - before).toBe(fill.takingAmount);
  expect(fill.takingAmount).toBeGreaterThanOrEqual(14_925n * USDC);
});

it("refuses a quote naming a settlement it does not trust: nothing signed, nothing submitted", async () => {
  const client = fusion();
  api.faults.push((_req, honest) => ({
    ...honest,
    json: { ...(honest.json as object), settlementAddress: testAccounts.dave.address.toLowerCase() },
  }));
  await expect(
    placeFusionOrder(client, {
      tokenIn: chain.deployment.tokens.WETH.address,
      tokenOut: chain.deployment.tokens.USDC.address,
      amountIn: WETH,
      minAmountOut: 2_900n * USDC,
    }),
  ).rejects.toBeInstanceOf(UntrustedSettlementError);
  expect(api.requests.filter((r) => r.method === "POST")).toEqual([]);
});

it("refuses an auction whose end price is below the plan's minimum: nothing submitted", async () => {
  const client = fusion();
  api.faults.push((_req, honest) => {
    const json = honest.json as { presets: Record<string, Record<string, unknown>> };
    const low = { ...json.presets.fast, auctionEndAmount: (2_800n * USDC).toString() };
    return { ...honest, json: { ...json, presets: { fast: low, medium: low, slow: low } } };
  });
  await expect(
    placeFusionOrder(client, {
      tokenIn: chain.deployment.tokens.WETH.address,
      tokenOut: chain.deployment.tokens.USDC.address,
      amountIn: WETH,
      minAmountOut: 2_900n * USDC,
    }),
  ).rejects.toBeInstanceOf(InsufficientOutputError);
  expect(api.requests.filter((r) => r.method === "POST")).toEqual([]);
});

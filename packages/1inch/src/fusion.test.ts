import type { Address, Hex } from "@ballast/core";
import {
  decodeFunctionData,
  erc20Abi,
  getAddress,
  hashTypedData,
  parseAbi,
  recoverTypedDataAddress,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FusionStandIn, fusionApiStandIn, type RecordedOrder } from "../test/stand-in/fusion-api.ts";
import { type StandIn, startStandIn } from "../test/stand-in/server.ts";
import {
  FusionOrderTimeoutError,
  FusionSignerError,
  InsufficientOutputError,
  OneInchResponseError,
  SwapMismatchError,
  UnsupportedSwapError,
  UntrustedSettlementError,
} from "./errors.ts";
import { createFusionClient, type FusionClient, viemFusionSigner } from "./fusion.ts";
import {
  buildFusionOrder,
  cancelFusionOrderCall,
  fusionApprovalCall,
  placeFusionOrder,
  quoteFusion,
  verifyFusionOrder,
  waitForFusionOrder,
} from "./fusion-orders.ts";
import { createOneInchClient } from "./http.ts";
import { AGGREGATION_ROUTER_V6 } from "./routers.ts";
import { NATIVE_TOKEN } from "./venue.ts";

const WETH: Address = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
const USDC: Address = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const SETTLEMENT: Address = getAddress("0xa88800cd213da5ae406ce248380802bd53b47647");
const EVE: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
// anvil's second default key: a well-known test key, never used for value
const account = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");

let server: StandIn;
let api: FusionStandIn;
let feeApi: FusionStandIn;
let feeServer: StandIn;
const price = (amount: bigint) => (amount * 3_000n * 10n ** 6n) / 10n ** 18n;

beforeAll(async () => {
  api = fusionApiStandIn({ settlement: SETTLEMENT, price });
  server = await startStandIn(api.handle);
  feeApi = fusionApiStandIn({ settlement: SETTLEMENT, price, feeBps: 30 });
  feeServer = await startStandIn(feeApi.handle);
});
afterAll(async () => {
  await server.close();
  await feeServer.close();
});
beforeEach(() => {
  for (const a of [api, feeApi]) {
    a.submitted.length = 0;
    a.statuses.clear();
    a.quoteFaults.length = 0;
  }
  server.requests.length = 0;
});

function fusion(
  over: Partial<Parameters<typeof createFusionClient>[0]> = {},
  url = server.url,
): FusionClient {
  let clock = 0;
  return createFusionClient({
    client: createOneInchClient({ baseUrl: url, apiKey: "k", timeoutMs: 200, retries: 2, baseDelayMs: 1 }),
    chainId: 1,
    signer: account,
    trustedSettlements: [SETTLEMENT],
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => clock,
    ...over,
  });
}

const request = {
  tokenIn: WETH,
  tokenOut: USDC,
  amountIn: 10n * 10n ** 18n,
  minAmountOut: 29_800_000_000n, // the stand-in's auction end is 29,850 USDC
};

const orderTypes = {
  Order: [
    { name: "salt", type: "uint256" },
    { name: "maker", type: "address" },
    { name: "receiver", type: "address" },
    { name: "makerAsset", type: "address" },
    { name: "takerAsset", type: "address" },
    { name: "makingAmount", type: "uint256" },
    { name: "takingAmount", type: "uint256" },
    { name: "makerTraits", type: "uint256" },
  ],
} as const;

/** The EIP-712 message as the Limit Order Protocol v4 hashes it, rebuilt from the wire body (independent of the SDK). */
function typedData(recorded: RecordedOrder) {
  const o = recorded.order;
  return {
    domain: {
      name: "1inch Aggregation Router",
      version: "6",
      chainId: 1,
      verifyingContract: AGGREGATION_ROUTER_V6,
    },
    types: orderTypes,
    primaryType: "Order" as const,
    message: {
      salt: BigInt(o.salt),
      maker: o.maker as Address,
      receiver: o.receiver as Address,
      makerAsset: o.makerAsset as Address,
      takerAsset: o.takerAsset as Address,
      makingAmount: BigInt(o.makingAmount),
      takingAmount: BigInt(o.takingAmount),
      makerTraits: BigInt(o.makerTraits),
    },
  };
}

describe("Fusion against the quoter/relayer/orders stand-in", () => {
  it("quotes through {url}/quoter/v2.0/{chain}/quote/receive", async () => {
    const q = await quoteFusion(fusion(), request);
    expect(q).toMatchObject({
      quoteId: "quote-10000000000000000000",
      amountIn: request.amountIn,
      amountOut: 30_000_000_000n,
      recommendedPreset: "fast",
      settlement: SETTLEMENT,
    });
    expect(q.presets.fast.auctionEndAmount).toBe(29_850_000_000n);
    const req = server.requests[0]!;
    expect(req.path).toBe("/fusion/quoter/v2.0/1/quote/receive/");
    expect(req.query.get("walletAddress")?.toLowerCase()).toBe(account.address.toLowerCase());
    expect(req.headers.authorization).toBe("Bearer k");
  });

  it("builds, signs and submits an order whose signature recovers to the account and whose terms match the plan", async () => {
    const placed = await placeFusionOrder(fusion(), request);
    expect(api.submitted).toHaveLength(1);
    const recorded = api.submitted[0]!;
    expect(server.requests.at(-1)!.path).toBe("/fusion/relayer/v2.0/1/order/submit");

    const td = typedData(recorded);
    await expect(recoverTypedDataAddress({ ...td, signature: recorded.signature as Hex })).resolves.toBe(
      account.address,
    );
    expect(hashTypedData(td)).toBe(placed.orderHash);
    expect(recorded.signature).toBe(placed.signature);
    expect(recorded.quoteId).toBe("quote-10000000000000000000");

    const m = td.message;
    expect(m.maker.toLowerCase()).toBe(account.address.toLowerCase());
    expect(m.makerAsset.toLowerCase()).toBe(WETH.toLowerCase());
    expect(m.takerAsset.toLowerCase()).toBe(USDC.toLowerCase());
    expect(m.makingAmount).toBe(request.amountIn);
    expect(m.takingAmount).toBe(29_850_000_000n);
    expect(m.takingAmount >= request.minAmountOut).toBe(true);
    // receiver = maker is encoded as the zero address by the protocol
    expect(m.receiver).toBe("0x0000000000000000000000000000000000000000");
    expect(placed.summary).toMatchObject({
      maker: account.address,
      receiver: account.address,
      settlement: SETTLEMENT,
    });
  });

  it("puts an explicit receiver in the signed order", async () => {
    await placeFusionOrder(fusion(), { ...request, receiver: EVE });
    expect(api.submitted[0]!.order.receiver.toLowerCase()).toBe(EVE.toLowerCase());
  });

  it("with resolver fees, the struct pays the settlement extension and the real receiver is still the account", async () => {
    const f = fusion({}, feeServer.url);
    const placed = await placeFusionOrder(f, request);
    const recorded = feeApi.submitted[0]!;
    expect(recorded.order.receiver.toLowerCase()).toBe(SETTLEMENT.toLowerCase());
    expect(placed.summary.receiver).toBe(account.address);
    await expect(
      recoverTypedDataAddress({ ...typedData(recorded), signature: recorded.signature as Hex }),
    ).resolves.toBe(account.address);
  });

  it("refuses an order whose guaranteed output is below minOut, and submits nothing", async () => {
    const err = await placeFusionOrder(fusion(), { ...request, minAmountOut: 29_850_000_001n }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InsufficientOutputError);
    expect((err as InsufficientOutputError).field).toBe("order.takingAmount");
    expect(api.submitted).toHaveLength(0);
  });

  it("refuses a built order that pays anyone but the account, or is made by anyone else (nothing is signed)", async () => {
    const f = fusion();
    const { summary } = await buildFusionOrder(f, request);
    for (const [field, bad] of [
      ["order.receiver", { ...summary, receiver: EVE }],
      ["order.maker", { ...summary, maker: EVE }],
    ] as const) {
      const err = (() => {
        try {
          verifyFusionOrder(f, bad, request);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(SwapMismatchError);
      expect((err as SwapMismatchError).field).toBe(field);
    }
    expect(() => verifyFusionOrder(f, summary, request)).not.toThrow();
    expect(api.submitted).toHaveLength(0);
  });

  it("refuses a quoter that changes the amount sold", async () => {
    api.quoteFaults.push((q) => ({ json: { ...q, fromTokenAmount: (20n * 10n ** 18n).toString() } }));
    const err = await placeFusionOrder(fusion(), request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwapMismatchError);
    expect((err as SwapMismatchError).field).toBe("order.makingAmount");
    expect(api.submitted).toHaveLength(0);
  });

  it("refuses an untrusted settlement extension unless told to trust any", async () => {
    await expect(placeFusionOrder(fusion({ trustedSettlements: [EVE] }), request)).rejects.toBeInstanceOf(
      UntrustedSettlementError,
    );
    await expect(placeFusionOrder(fusion({ trustedSettlements: [] }), request)).rejects.toBeInstanceOf(
      UntrustedSettlementError,
    );
    expect(api.submitted).toHaveLength(0);
    await placeFusionOrder(fusion({ trustedSettlements: [], allowAnySettlement: true }), request);
    expect(api.submitted).toHaveLength(1);
  });

  it("validates the quoter's answer before the SDK reads it, and retries its 5xx", async () => {
    api.quoteFaults.push((q) => ({ json: { ...q, presets: undefined } }));
    await expect(buildFusionOrder(fusion(), request)).rejects.toBeInstanceOf(OneInchResponseError);
    api.quoteFaults.push(() => ({ status: 503, json: { error: "busy" } }));
    await expect(buildFusionOrder(fusion(), request)).resolves.toMatchObject({ quoteId: expect.any(String) });
  });

  it("refuses native coins and identical tokens before any request", async () => {
    await expect(placeFusionOrder(fusion(), { ...request, tokenIn: NATIVE_TOKEN })).rejects.toBeInstanceOf(
      UnsupportedSwapError,
    );
    await expect(quoteFusion(fusion(), { ...request, tokenOut: WETH })).rejects.toBeInstanceOf(
      UnsupportedSwapError,
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe("tracking and cancelling", () => {
  it("polls until filled and sums the fills", async () => {
    const placed = await placeFusionOrder(fusion(), request);
    api.statuses.set(placed.orderHash.toLowerCase(), ["pending", "pending", "filled"]);
    const f = fusion();
    const state = await waitForFusionOrder(f, { orderHash: placed.orderHash, pollIntervalMs: 1_000 });
    expect(state).toMatchObject({ status: "filled", final: true, filledTakerAmount: 29_850_000_000n });
    expect(f.now()).toBe(2_000);
  });

  it("treats a 404 right after submission as not indexed yet", async () => {
    const placed = await placeFusionOrder(fusion(), request);
    api.statuses.set(placed.orderHash.toLowerCase(), ["not-found", "not-found", "expired"]);
    const f = fusion();
    const state = await waitForFusionOrder(f, {
      orderHash: placed.orderHash,
      pollIntervalMs: 10,
      timeoutMs: 1_000,
    });
    expect(state).toMatchObject({ status: "expired", final: true, fills: [] });
    expect(f.now()).toBe(20);
  });

  it("stops on cancelled, and times out with FusionOrderTimeoutError while pending", async () => {
    const placed = await placeFusionOrder(fusion(), request);
    api.statuses.set(placed.orderHash.toLowerCase(), ["cancelled"]);
    await expect(waitForFusionOrder(fusion(), { orderHash: placed.orderHash })).resolves.toMatchObject({
      status: "cancelled",
      cancelTx: "0xcance1",
    });
    api.statuses.set(placed.orderHash.toLowerCase(), ["pending"]);
    const err = await waitForFusionOrder(fusion(), {
      orderHash: placed.orderHash,
      pollIntervalMs: 100,
      timeoutMs: 1_000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FusionOrderTimeoutError);
    expect((err as FusionOrderTimeoutError).lastStatus).toBe("pending");
  });

  it("returns the cancelOrder call for the next batch, and the exact approval of the protocol", async () => {
    const placed = await placeFusionOrder(fusion(), request);
    api.statuses.set(placed.orderHash.toLowerCase(), ["pending"]);
    const call = await cancelFusionOrderCall(fusion(), placed.orderHash);
    expect(call.to).toBe(AGGREGATION_ROUTER_V6);
    const { args } = decodeFunctionData({
      abi: parseAbi(["function cancelOrder(uint256 makerTraits, bytes32 orderHash)"]),
      data: call.data,
    });
    expect(args[0]).toBe(BigInt(api.submitted[0]!.order.makerTraits));
    expect(args[1]).toBe(placed.orderHash);

    const approve = fusionApprovalCall(fusion(), WETH, request.amountIn);
    expect(approve.to).toBe(WETH);
    expect(decodeFunctionData({ abi: erc20Abi, data: approve.data }).args).toEqual([
      AGGREGATION_ROUTER_V6,
      request.amountIn,
    ]);
  });
});

describe("viemFusionSigner", () => {
  it("signs only for its own address and makes no chain call", async () => {
    const signer = viemFusionSigner(account);
    await expect(
      signer.signTypedData(EVE, { types: {}, domain: {}, message: {}, primaryType: "Order" }),
    ).rejects.toBeInstanceOf(FusionSignerError);
    await expect(signer.ethCall(WETH, "0x")).rejects.toBeInstanceOf(FusionSignerError);
  });
});

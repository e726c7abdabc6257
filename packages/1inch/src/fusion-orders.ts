import {
  type FusionOrder,
  type LimitOrderV4Struct,
  type PresetEnum,
  RelayerRequest,
} from "@1inch/fusion-sdk";
import type { Address, Call, Hex } from "@ballast/core";
import { decodeFunctionData, getAddress, isAddressEqual, parseAbi } from "viem";
import {
  FusionOrderTimeoutError,
  InsufficientOutputError,
  OneInchHttpError,
  SwapMismatchError,
  UnsupportedSwapError,
  UntrustedRouterError,
  UntrustedSettlementError,
} from "./errors.ts";
import type { FusionClient } from "./fusion.ts";
import {
  type FUSION_ORDER_STATUSES,
  type FusionOrderStatusResponse,
  fusionOrderStatusSchema,
} from "./schemas.ts";
import { approveCall, NATIVE_TOKEN } from "./venue.ts";

const cancelOrderAbi = parseAbi(["function cancelOrder(uint256 makerTraits, bytes32 orderHash)"]);

/** A Fusion auction preset. */
export type FusionPreset = "fast" | "medium" | "slow";

/** What a Fusion order must do: sell exactly `amountIn` of `tokenIn` for at least `minAmountOut` of `tokenOut`. */
export type FusionOrderRequest = {
  readonly tokenIn: Address;
  readonly tokenOut: Address;
  readonly amountIn: bigint;
  /** The least the receiver may get: the order's `takingAmount` (auction end) must reach it. */
  readonly minAmountOut: bigint;
  /** Who receives `tokenOut`. Default the signer's account. */
  readonly receiver?: Address;
  /** Auction preset. Default the quoter's recommendation. */
  readonly preset?: FusionPreset;
  readonly allowPartialFills?: boolean;
  readonly allowMultipleFills?: boolean;
  /** Integrator tag sent to the quoter (`source`). */
  readonly source?: string;
};

/** The quoter's offer for one preset. */
export type FusionPresetQuote = {
  readonly auctionStartAmount: bigint;
  readonly auctionEndAmount: bigint;
  readonly auctionDuration: bigint;
};

/** A Fusion quote in plain bigint data. */
export type FusionQuote = {
  readonly quoteId: string | null;
  readonly amountIn: bigint;
  /** The quoter's expected output (`toTokenAmount`). */
  readonly amountOut: bigint;
  readonly recommendedPreset: string;
  readonly presets: Readonly<Record<FusionPreset, FusionPresetQuote>>;
  readonly settlement: Address;
};

/** The facts of a built order, checked against the request before anything is signed. */
export type FusionOrderSummary = {
  readonly orderHash: Hex;
  readonly quoteId: string;
  readonly maker: Address;
  readonly makerAsset: Address;
  readonly takerAsset: Address;
  readonly makingAmount: bigint;
  /** The guaranteed output before the auction bump. */
  readonly takingAmount: bigint;
  /** The address that actually receives `takerAsset` (through the settlement extension when fees apply). */
  readonly receiver: Address;
  readonly settlement: Address;
  readonly verifyingContract: Address;
  /** Unix seconds after which the order can no longer be filled. */
  readonly deadline: bigint;
  readonly auctionStartTime: bigint;
  readonly auctionEndTime: bigint;
  readonly partialFillsAllowed: boolean;
};

/** A built and verified, not yet signed, order. */
export type PreparedFusionOrder = {
  readonly order: FusionOrder;
  readonly quoteId: string;
  readonly summary: FusionOrderSummary;
};

/** A submitted order. */
export type SubmittedFusionOrder = {
  readonly orderHash: Hex;
  readonly signature: Hex;
  readonly summary: FusionOrderSummary;
};

/** One of the statuses the orders API reports. */
export type FusionOrderStatus = (typeof FUSION_ORDER_STATUSES)[number];

/** Statuses after which the order will never fill (further). */
export const FINAL_FUSION_STATUSES: readonly FusionOrderStatus[] = [
  "filled",
  "expired",
  "cancelled",
  "invalid-signature",
];

/** An order's status in plain bigint data. */
export type FusionOrderState = {
  readonly orderHash: Hex;
  readonly status: FusionOrderStatus;
  readonly final: boolean;
  readonly fills: readonly { txHash: string; makerAmount: bigint; takerAmount: bigint }[];
  /** Sum of `filledAuctionTakerAmount` over the fills. */
  readonly filledTakerAmount: bigint;
  readonly cancelTx: string | null;
};

function checkTokens(tokenIn: Address, tokenOut: Address, amountIn: bigint): void {
  if (amountIn <= 0n) throw new UnsupportedSwapError("amountIn must be positive");
  if (isAddressEqual(tokenIn, NATIVE_TOKEN) || isAddressEqual(tokenOut, NATIVE_TOKEN)) {
    throw new UnsupportedSwapError("native coin in a Fusion order (use the wrapped token)");
  }
  if (isAddressEqual(tokenIn, tokenOut)) throw new UnsupportedSwapError("tokenIn equals tokenOut");
}

/** Asks the Fusion quoter (`GET {fusion}/quoter/v2.0/{chain}/quote/receive`) what `amountIn` of `tokenIn` fetches. */
export async function quoteFusion(
  fusion: FusionClient,
  params: {
    readonly tokenIn: Address;
    readonly tokenOut: Address;
    readonly amountIn: bigint;
    readonly source?: string;
  },
): Promise<FusionQuote> {
  checkTokens(params.tokenIn, params.tokenOut, params.amountIn);
  const quote = await fusion.sdk.getQuote({
    fromTokenAddress: params.tokenIn,
    toTokenAddress: params.tokenOut,
    amount: params.amountIn.toString(),
    walletAddress: fusion.account,
    ...(params.source ? { source: params.source } : {}),
  });
  const preset = (name: FusionPreset): FusionPresetQuote => {
    const p = quote.getPreset(name as PresetEnum);
    return {
      auctionStartAmount: p.auctionStartAmount,
      auctionEndAmount: p.auctionEndAmount,
      auctionDuration: p.auctionDuration,
    };
  };
  return {
    quoteId: quote.quoteId,
    amountIn: quote.fromTokenAmount,
    amountOut: BigInt(quote.toTokenAmount),
    recommendedPreset: quote.recommendedPreset,
    presets: { fast: preset("fast"), medium: preset("medium"), slow: preset("slow") },
    settlement: getAddress(quote.settlementAddress.toString()),
  };
}

/** Reads the facts of an SDK order (pure). */
export function summarizeFusionOrder(
  fusion: Pick<FusionClient, "chainId">,
  order: FusionOrder,
  quoteId: string,
): FusionOrderSummary {
  const domain = order.getTypedData(fusion.chainId).domain;
  return {
    orderHash: order.getOrderHash(fusion.chainId) as Hex,
    quoteId,
    maker: getAddress(order.maker.toString()),
    makerAsset: getAddress(order.makerAsset.toString()),
    takerAsset: getAddress(order.takerAsset.toString()),
    makingAmount: order.makingAmount,
    takingAmount: order.takingAmount,
    receiver: getAddress(order.realReceiver.toString()),
    settlement: getAddress(order.settlementExtensionContract.toString()),
    verifyingContract: getAddress(String(domain.verifyingContract)),
    deadline: order.deadline,
    auctionStartTime: order.auctionStartTime,
    auctionEndTime: order.auctionEndTime,
    partialFillsAllowed: order.partialFillAllowed,
  };
}

/**
 * Checks a built order against the request before it is signed: the trusted Limit Order Protocol and settlement
 * extension, maker = our account, the requested tokens, exactly `amountIn`, our receiver, and a guaranteed
 * `takingAmount` ≥ `minAmountOut`. Throws a typed error on the first failure; pure.
 */
export function verifyFusionOrder(
  fusion: Pick<
    FusionClient,
    "chainId" | "account" | "limitOrderProtocol" | "trustedSettlements" | "allowAnySettlement"
  >,
  summary: FusionOrderSummary,
  request: FusionOrderRequest,
): void {
  if (!isAddressEqual(summary.verifyingContract, fusion.limitOrderProtocol)) {
    throw new UntrustedRouterError(fusion.chainId, fusion.limitOrderProtocol, summary.verifyingContract);
  }
  if (
    !fusion.allowAnySettlement &&
    !fusion.trustedSettlements.some((s) => isAddressEqual(s, summary.settlement))
  ) {
    throw new UntrustedSettlementError(fusion.chainId, summary.settlement, fusion.trustedSettlements);
  }
  const receiver = request.receiver ?? fusion.account;
  const same: [string, Address, Address][] = [
    ["order.maker", fusion.account, summary.maker],
    ["order.makerAsset", request.tokenIn, summary.makerAsset],
    ["order.takerAsset", request.tokenOut, summary.takerAsset],
    ["order.receiver", receiver, summary.receiver],
  ];
  for (const [field, expected, actual] of same) {
    if (!isAddressEqual(expected, actual)) throw new SwapMismatchError(field, expected, actual);
  }
  if (summary.makingAmount !== request.amountIn) {
    throw new SwapMismatchError(
      "order.makingAmount",
      request.amountIn.toString(),
      summary.makingAmount.toString(),
    );
  }
  if (summary.takingAmount < request.minAmountOut) {
    throw new InsufficientOutputError("order.takingAmount", summary.takingAmount, request.minAmountOut);
  }
}

/** Quotes and builds an order with the SDK (no chain call), then verifies it with {@link verifyFusionOrder}. */
export async function buildFusionOrder(
  fusion: FusionClient,
  request: FusionOrderRequest,
): Promise<PreparedFusionOrder> {
  checkTokens(request.tokenIn, request.tokenOut, request.amountIn);
  const prepared = await fusion.sdk.createOrder({
    fromTokenAddress: request.tokenIn,
    toTokenAddress: request.tokenOut,
    amount: request.amountIn.toString(),
    walletAddress: fusion.account,
    receiver: request.receiver ?? fusion.account,
    ...(request.preset ? { preset: request.preset as PresetEnum } : {}),
    ...(request.allowPartialFills !== undefined ? { allowPartialFills: request.allowPartialFills } : {}),
    ...(request.allowMultipleFills !== undefined ? { allowMultipleFills: request.allowMultipleFills } : {}),
    ...(request.source ? { source: request.source } : {}),
  });
  const summary = summarizeFusionOrder(fusion, prepared.order, prepared.quoteId);
  verifyFusionOrder(fusion, summary, request);
  return { order: prepared.order, quoteId: prepared.quoteId, summary };
}

/**
 * A verified order signed by the client's signer, in plain JSON-safe data: what the relayer takes. Journal it before
 * {@link relayFusionOrder}, so a restart submits the same order (same hash) instead of signing another.
 */
export type SignedFusionOrder = {
  readonly orderHash: Hex;
  readonly signature: Hex;
  readonly quoteId: string;
  readonly order: LimitOrderV4Struct;
  readonly extension: Hex;
};

/** Signs a prepared (verified) order with the client's signer; sends nothing. */
export async function signFusionOrder(
  fusion: FusionClient,
  prepared: PreparedFusionOrder,
): Promise<SignedFusionOrder> {
  const signature = (await fusion.sdk.signOrder(prepared.order)) as Hex;
  return {
    orderHash: prepared.summary.orderHash,
    signature,
    quoteId: prepared.quoteId,
    order: prepared.order.build(),
    extension: prepared.order.extension.encode() as Hex,
  };
}

/**
 * Submits a signed order to the relayer (`POST {fusion}/relayer/v2.0/{chain}/order/submit`). Submitting the same
 * signed order again names the same hash: the testkit's stand-in accepts it once (idempotent); the real relayer's
 * answer to a known hash is not documented.
 */
export async function relayFusionOrder(fusion: FusionClient, signed: SignedFusionOrder): Promise<void> {
  await fusion.sdk.api.submitOrder(
    RelayerRequest.new({
      order: signed.order,
      signature: signed.signature,
      quoteId: signed.quoteId,
      extension: signed.extension,
    }),
  );
}

/** Signs a prepared order with the client's signer and submits it. */
export async function submitFusionOrder(
  fusion: FusionClient,
  prepared: PreparedFusionOrder,
): Promise<SubmittedFusionOrder> {
  const signed = await signFusionOrder(fusion, prepared);
  await relayFusionOrder(fusion, signed);
  return { orderHash: signed.orderHash, signature: signed.signature, summary: prepared.summary };
}

/** Builds, verifies, signs and submits a Fusion order: settled later by resolvers, never part of a batch. */
export async function placeFusionOrder(
  fusion: FusionClient,
  request: FusionOrderRequest,
): Promise<SubmittedFusionOrder> {
  return submitFusionOrder(fusion, await buildFusionOrder(fusion, request));
}

/** Reads an order's status (`GET {fusion}/orders/v2.0/{chain}/order/status/{hash}`). */
export async function getFusionOrderStatus(fusion: FusionClient, orderHash: Hex): Promise<FusionOrderState> {
  // The connector validated the body already; parse again for the precise type.
  const res: FusionOrderStatusResponse = fusionOrderStatusSchema.parse(
    await fusion.sdk.getOrderStatus(orderHash),
  );
  const fills = res.fills.map((f) => ({
    txHash: f.txHash,
    makerAmount: BigInt(f.filledMakerAmount),
    takerAmount: BigInt(f.filledAuctionTakerAmount),
  }));
  return {
    orderHash,
    status: res.status,
    final: FINAL_FUSION_STATUSES.includes(res.status),
    fills,
    filledTakerAmount: fills.reduce((sum, f) => sum + f.takerAmount, 0n),
    cancelTx: res.cancelTx ?? null,
  };
}

/**
 * Polls an order until it is filled, expired, cancelled (or its signature is rejected). A 404 right after
 * submission counts as "not indexed yet". Throws {@link FusionOrderTimeoutError} after `timeoutMs`.
 */
export async function waitForFusionOrder(
  fusion: FusionClient,
  params: { readonly orderHash: Hex; readonly pollIntervalMs?: number; readonly timeoutMs?: number },
): Promise<FusionOrderState> {
  const pollIntervalMs = params.pollIntervalMs ?? 5_000;
  const timeoutMs = params.timeoutMs ?? 15 * 60_000;
  const start = fusion.now();
  let last: string | undefined;
  for (;;) {
    try {
      const state = await getFusionOrderStatus(fusion, params.orderHash);
      if (state.final) return state;
      last = state.status;
    } catch (err) {
      if (!(err instanceof OneInchHttpError && err.status === 404)) throw err;
      last = "not-found";
    }
    if (fusion.now() - start + pollIntervalMs > timeoutMs) {
      throw new FusionOrderTimeoutError(params.orderHash, last, timeoutMs);
    }
    await fusion.sleep(pollIntervalMs);
  }
}

/**
 * The on-chain call that cancels an order (`cancelOrder(makerTraits, orderHash)` on the Limit Order Protocol),
 * for the account's next batch. Reads the order's traits from the orders API.
 */
export async function cancelFusionOrderCall(fusion: FusionClient, orderHash: Hex): Promise<Call> {
  const data = (await fusion.sdk.buildCancelOrderCallData(orderHash)) as Hex;
  const { args } = decodeFunctionData({ abi: cancelOrderAbi, data });
  if (args[1].toLowerCase() !== orderHash.toLowerCase()) {
    throw new SwapMismatchError("cancelOrder.orderHash", orderHash, args[1]);
  }
  return { to: fusion.limitOrderProtocol, data, value: 0n };
}

/** The exact approval of the Limit Order Protocol a Fusion order needs, for the account's current batch. */
export function fusionApprovalCall(
  fusion: Pick<FusionClient, "limitOrderProtocol">,
  token: Address,
  amount: bigint,
): Call {
  return approveCall(token, fusion.limitOrderProtocol, amount);
}

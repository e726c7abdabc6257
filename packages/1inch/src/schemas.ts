import type { Address, Hex } from "@ballast/core";
import { z } from "zod";

/** A non-negative integer sent as a decimal string (how 1inch sends amounts), parsed to bigint. */
export const uintString = z
  .string()
  .regex(/^\d+$/, "expected a decimal integer string")
  .transform((s) => BigInt(s));

/** A 20-byte hex address, any case. */
export const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte hex address")
  .transform((s) => s as Address);

/** Hex-encoded bytes (even length, 0x-prefixed). */
export const hexSchema = z
  .string()
  .regex(/^0x(?:[0-9a-fA-F]{2})*$/, "expected 0x-prefixed hex bytes")
  .transform((s) => s as Hex);

/** Gas as the API sends it: a JSON number (or, defensively, a decimal string). */
const gasSchema = z.union([
  z
    .number()
    .nonnegative()
    .transform((n) => BigInt(Math.ceil(n))),
  uintString,
]);

/** `srcToken` / `dstToken` when `includeTokensInfo=true`. */
export const tokenInfoSchema = z.looseObject({
  address: addressSchema,
  symbol: z.string(),
  name: z.string().optional(),
  decimals: z.number().int().nonnegative(),
});

/** `GET /swap/v6.0/{chain}/quote` → `QuoteResponse`. */
export const quoteResponseSchema = z.looseObject({
  dstAmount: uintString,
  srcToken: tokenInfoSchema.optional(),
  dstToken: tokenInfoSchema.optional(),
  protocols: z.unknown().optional(),
  gas: gasSchema.optional(),
});

/** `tx` of a swap answer: the transaction 1inch proposes. */
export const transactionDataSchema = z.looseObject({
  from: addressSchema,
  to: addressSchema,
  data: hexSchema,
  value: uintString,
  gas: gasSchema.optional(),
  gasPrice: uintString.optional(),
});

/** `GET /swap/v6.0/{chain}/swap` → `SwapResponse`. */
export const swapResponseSchema = z.looseObject({
  dstAmount: uintString,
  srcToken: tokenInfoSchema.optional(),
  dstToken: tokenInfoSchema.optional(),
  protocols: z.unknown().optional(),
  tx: transactionDataSchema,
});

/** `GET /swap/v6.0/{chain}/approve/spender` → `SpenderResponse`. */
export const spenderResponseSchema = z.looseObject({ address: addressSchema });

/** `GET /swap/v6.0/{chain}/approve/allowance` → `AllowanceResponse`. */
export const allowanceResponseSchema = z.looseObject({ allowance: uintString });

/** A parsed `QuoteResponse`. */
export type QuoteResponse = z.output<typeof quoteResponseSchema>;
/** A parsed `SwapResponse`. */
export type SwapResponse = z.output<typeof swapResponseSchema>;
/** A parsed `TransactionData`. */
export type TransactionData = z.output<typeof transactionDataSchema>;
/** A parsed `TokenInfo`. */
export type TokenInfo = z.output<typeof tokenInfoSchema>;

// ---- Fusion (quoter / relayer / orders v2.0) -------------------------------------------------------------

const presetSchema = z.looseObject({
  auctionDuration: z.number().nonnegative(),
  startAuctionIn: z.number().nonnegative(),
  initialRateBump: z.number().nonnegative(),
  auctionStartAmount: z.string().regex(/^\d+$/),
  auctionEndAmount: z.string().regex(/^\d+$/),
  points: z.array(z.looseObject({ delay: z.number(), coefficient: z.number() })),
  allowPartialFills: z.boolean(),
  allowMultipleFills: z.boolean(),
  gasCost: z.looseObject({ gasBumpEstimate: z.number(), gasPriceEstimate: z.string() }),
  exclusiveResolver: z.string().nullable().optional(),
});

/**
 * `GET {fusion}/quoter/v2.0/{chain}/quote/receive` → the quoter's answer, kept in wire form (strings)
 * because `@1inch/fusion-sdk` consumes it; validated here so the SDK never sees a malformed one.
 */
export const fusionQuoteResponseSchema = z.looseObject({
  fromTokenAmount: z.string().regex(/^\d+$/),
  toTokenAmount: z.string().regex(/^\d+$/),
  marketAmount: z.string().regex(/^\d+$/),
  presets: z.looseObject({
    fast: presetSchema,
    medium: presetSchema,
    slow: presetSchema,
    custom: presetSchema.optional(),
  }),
  recommended_preset: z.enum(["fast", "medium", "slow", "custom"]),
  settlementAddress: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  whitelist: z.array(z.string().regex(/^0x[0-9a-fA-F]{40}$/)),
  quoteId: z.string().nullable(),
  fee: z.looseObject({
    receiver: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    bps: z.number().nonnegative(),
    whitelistDiscountPercent: z.number().nonnegative(),
  }),
});

/** The order struct as the orders API returns it (LimitOrderV4Struct, decimal strings). */
const orderStructSchema = z.looseObject({
  salt: z.string(),
  maker: z.string(),
  receiver: z.string(),
  makerAsset: z.string(),
  takerAsset: z.string(),
  makingAmount: z.string().regex(/^\d+$/),
  takingAmount: z.string().regex(/^\d+$/),
  makerTraits: z.string(),
});

/** Every order status the orders API documents. */
export const FUSION_ORDER_STATUSES = [
  "pending",
  "filled",
  "false-predicate",
  "not-enough-balance-or-allowance",
  "expired",
  "partially-filled",
  "wrong-permit",
  "cancelled",
  "invalid-signature",
] as const;

/** `GET {fusion}/orders/v2.0/{chain}/order/status/{orderHash}` → `OrderStatusResponse`. */
export const fusionOrderStatusSchema = z.looseObject({
  status: z.enum(FUSION_ORDER_STATUSES),
  order: orderStructSchema,
  extension: z.string().optional(),
  cancelTx: z.string().nullable().optional(),
  fills: z.array(
    z.looseObject({
      txHash: z.string(),
      filledMakerAmount: z.string().regex(/^\d+$/),
      filledAuctionTakerAmount: z.string().regex(/^\d+$/),
    }),
  ),
  createdAt: z.string().optional(),
});

/** A validated Fusion order status answer. */
export type FusionOrderStatusResponse = z.output<typeof fusionOrderStatusSchema>;

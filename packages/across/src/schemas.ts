import type { Address, Hex } from "@ballast/core";
import { z } from "zod";

/** A non-negative integer as a decimal string (how Across sends amounts and 1e18-scaled percentages), as bigint. */
export const uintString = z
  .string()
  .regex(/^\d+$/, "expected a decimal integer string")
  .transform((s) => BigInt(s));

/** A non-negative integer sent either as a JSON number or as a decimal string (timestamps, periods, block numbers). */
const uintLoose = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(Number);

/** A 20-byte hex address, any case. */
export const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte hex address")
  .transform((s) => s as Address);

/** A 32-byte hex value (a transaction hash or relay hash). */
const bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected 32 bytes of hex")
  .transform((s) => s as Hex);

/** `{pct, total}`: `pct` is 1e18-scaled (1e18 = 100%), `total` in the input token's base units. */
const feeSchema = z.looseObject({ pct: uintString, total: uintString });

/** A token as `/suggested-fees` describes it. */
const tokenSchema = z.looseObject({
  address: addressSchema,
  symbol: z.string(),
  decimals: z.number().int().nonnegative(),
  chainId: z.number().int().positive(),
});

/** Deposit limits of a route, in the input token's base units. */
const limitsSchema = z.looseObject({
  minDeposit: uintString,
  maxDeposit: uintString,
  maxDepositInstant: uintString,
  maxDepositShortDelay: uintString,
  recommendedDepositInstant: uintString,
});

/** `GET /suggested-fees` → the fee quote and the deposit inputs Across recommends. */
export const suggestedFeesSchema = z.looseObject({
  totalRelayFee: feeSchema,
  relayerCapitalFee: feeSchema,
  relayerGasFee: feeSchema,
  lpFee: feeSchema,
  /** The quote timestamp: pass it as the deposit's `quoteTimestamp`. */
  timestamp: uintLoose,
  isAmountTooLow: z.boolean(),
  quoteBlock: uintLoose,
  /** `amount − totalRelayFee.total` in the output token's decimals. */
  outputAmount: uintString,
  spokePoolAddress: addressSchema,
  destinationSpokePoolAddress: addressSchema.optional(),
  exclusiveRelayer: addressSchema,
  /** An exclusivity period in seconds (0 = none): the deposit's `exclusivityParameter`. */
  exclusivityDeadline: uintLoose,
  fillDeadline: uintLoose.optional(),
  estimatedFillTimeSec: uintLoose.optional(),
  limits: limitsSchema,
  inputToken: tokenSchema.optional(),
  outputToken: tokenSchema.optional(),
});

/** `GET /limits` → the deposit limits of a route and the relayer fee at the probe amount. */
export const limitsResponseSchema = limitsSchema.extend({
  relayerFeeDetails: z
    .looseObject({
      relayFeeTotal: uintString,
      relayFeePercent: uintString,
      gasFeeTotal: uintString,
      gasFeePercent: uintString,
      capitalFeeTotal: uintString,
      capitalFeePercent: uintString,
    })
    .optional(),
  reserves: z.looseObject({ liquidReserves: uintString, utilizedReserves: uintString }).optional(),
});

/** Every deposit status the indexer reports ("pending" includes unfilled). */
export const DEPOSIT_STATUSES = [
  "pending",
  "filled",
  "slowFillRequested",
  "slowFilled",
  "expired",
  "refunded",
] as const;

/** A deposit status reported by `/deposit/status`. */
export type DepositStatus = (typeof DEPOSIT_STATUSES)[number];

/** `GET /deposit/status` → where a deposit is in its life. */
export const depositStatusSchema = z.looseObject({
  status: z.enum(DEPOSIT_STATUSES),
  originChainId: uintLoose,
  depositId: z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((v) => BigInt(v)),
  destinationChainId: uintLoose.nullish(),
  depositTxnRef: bytes32Schema.nullish(),
  fillTxnRef: bytes32Schema.nullish(),
  depositRefundTxnRef: bytes32Schema.nullish(),
});

/** A parsed `/suggested-fees` answer. */
export type SuggestedFees = z.output<typeof suggestedFeesSchema>;
/** A parsed `/limits` answer. */
export type AcrossLimits = z.output<typeof limitsResponseSchema>;
/** A parsed `/deposit/status` answer. */
export type DepositStatusResponse = z.output<typeof depositStatusSchema>;

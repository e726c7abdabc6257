import type { Address } from "@ballast/core";
import { describe, expect, it } from "vitest";
import {
  AcrossAmountOutOfLimitsError,
  AcrossFeeTooHighError,
  AcrossInvalidDepositError,
  AcrossOutputTooLowError,
  AcrossQuoteMismatchError,
} from "./errors.ts";
import { type AcrossDepositRequest, validateQuote } from "./quote.ts";
import { type SuggestedFees, suggestedFeesSchema } from "./schemas.ts";

const SPOKE: Address = "0x5c7BCd6E7De5423a257D81B442095A1a6ced35C5";
const USDC_A: Address = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const USDC_B: Address = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
const ME: Address = "0x00000000000000000000000000000000000000aa";
const NOW = 1_800_000_000;

const request: AcrossDepositRequest = {
  originChainId: 1,
  destinationChainId: 8453,
  inputToken: USDC_A,
  outputToken: USDC_B,
  inputDecimals: 6,
  outputDecimals: 6,
  inputAmount: 10_000_000_000n, // 10,000 USDC
  minOutputAmount: 9_990_000_000n,
  account: ME,
  spokePool: SPOKE,
  maxFeeBps: 10,
  now: NOW,
};

/** A `/suggested-fees` answer in the wire format (5 bps fee on 10,000 USDC), parsed like the client does. */
function quote(patch: Record<string, unknown> = {}): SuggestedFees {
  const fee = (total: bigint) => ({
    pct: ((total * 10n ** 18n) / 10_000_000_000n).toString(),
    total: total.toString(),
  });
  return suggestedFeesSchema.parse({
    totalRelayFee: fee(5_000_000n),
    relayerCapitalFee: fee(4_000_000n),
    relayerGasFee: fee(0n),
    lpFee: fee(1_000_000n),
    timestamp: String(NOW - 12),
    isAmountTooLow: false,
    quoteBlock: "123",
    outputAmount: "9995000000",
    spokePoolAddress: SPOKE.toLowerCase(),
    exclusiveRelayer: "0x0000000000000000000000000000000000000000",
    exclusivityDeadline: 0,
    fillDeadline: String(NOW + 7_200),
    estimatedFillTimeSec: 4,
    limits: {
      minDeposit: "1000000",
      maxDeposit: "1000000000000",
      maxDepositInstant: "500000000000",
      maxDepositShortDelay: "1000000000000",
      recommendedDepositInstant: "500000000000",
    },
    inputToken: { address: USDC_A, symbol: "USDC", decimals: 6, chainId: 1 },
    outputToken: { address: USDC_B, symbol: "USDC", decimals: 6, chainId: 8453 },
    ...patch,
  });
}

const refusal = (patch: Record<string, unknown>, req: Partial<AcrossDepositRequest> = {}) => {
  try {
    validateQuote({ ...request, ...req }, quote(patch));
  } catch (error) {
    return error;
  }
  throw new Error("expected a refusal");
};

describe("validateQuote", () => {
  it("turns a good quote into the deposit: our account both ends, the quote's output, our deadline", () => {
    const deposit = validateQuote(request, quote());
    expect(deposit).toEqual({
      spokePool: SPOKE,
      originChainId: 1,
      destinationChainId: 8453,
      depositor: ME,
      recipient: ME,
      inputToken: USDC_A,
      outputToken: USDC_B,
      inputAmount: 10_000_000_000n,
      outputAmount: 9_995_000_000n,
      exclusiveRelayer: "0x0000000000000000000000000000000000000000",
      quoteTimestamp: NOW - 12,
      fillDeadline: NOW - 12 + 3_600,
      exclusivityParameter: 0,
      fee: 5_000_000n,
    });
    expect(validateQuote({ ...request, fillDeadlineSec: 900 }, quote()).fillDeadline).toBe(NOW - 12 + 900);
  });

  it("refuses a SpokePool other than the configured one, whatever the API says", () => {
    const error = refusal({ spokePoolAddress: "0x000000000000000000000000000000000000dEaD" });
    expect(error).toBeInstanceOf(AcrossQuoteMismatchError);
    expect((error as AcrossQuoteMismatchError).field).toBe("spokePoolAddress");
  });

  it("refuses another token or chain than asked", () => {
    const other = { address: USDC_A, symbol: "USDC", decimals: 6, chainId: 8453 };
    expect((refusal({ outputToken: other }) as AcrossQuoteMismatchError).field).toBe("outputToken.address");
    expect((refusal({ inputToken: other }) as AcrossQuoteMismatchError).field).toBe("inputToken.chainId");
  });

  it("refuses an output below the planner's minimum, and accepts one exactly at it", () => {
    const error = refusal({ outputAmount: "9989999999" });
    expect(error).toBeInstanceOf(AcrossOutputTooLowError);
    expect(validateQuote({ ...request, minOutputAmount: 9_995_000_000n }, quote()).outputAmount).toBe(
      9_995_000_000n,
    );
  });

  it("refuses a fee above the policy's limit, counting what is lost even if the quote's fee field says less", () => {
    const high = refusal({}, { maxFeeBps: 4 });
    expect(high).toBeInstanceOf(AcrossFeeTooHighError);
    expect((high as AcrossFeeTooHighError).feeBps).toBe(5);
    // The quote claims a 5 bps fee but delivers 20 bps less: the loss is the fee.
    const hidden = refusal({ outputAmount: "9980000000" }, { minOutputAmount: 0n });
    expect(hidden).toBeInstanceOf(AcrossFeeTooHighError);
    expect((hidden as AcrossFeeTooHighError).fee).toBe(20_000_000n);
  });

  it("compares input and output at their own decimals (18-decimal output of a 6-decimal input)", () => {
    const deposit = validateQuote(
      { ...request, outputDecimals: 18, minOutputAmount: 0n },
      quote({ outputAmount: "9995000000000000000000", outputToken: undefined }),
    );
    expect(deposit.fee).toBe(5_000_000n);
    const lossy = refusal(
      { outputAmount: "9980000000000000000000", outputToken: undefined },
      { outputDecimals: 18, minOutputAmount: 0n },
    );
    expect(lossy).toBeInstanceOf(AcrossFeeTooHighError);
  });

  it("refuses a quote timestamp in the future or older than allowed", () => {
    expect((refusal({ timestamp: NOW + 1 }) as AcrossQuoteMismatchError).field).toBe("timestamp");
    expect((refusal({ timestamp: NOW - 601 }) as AcrossQuoteMismatchError).field).toBe("timestamp");
    expect(
      validateQuote({ ...request, maxQuoteAgeSec: 700 }, quote({ timestamp: NOW - 601 })).quoteTimestamp,
    ).toBe(NOW - 601);
  });

  it("refuses amounts outside the route's limits", () => {
    expect(refusal({ isAmountTooLow: true })).toBeInstanceOf(AcrossAmountOutOfLimitsError);
    const limits = quote().limits;
    const small = { ...limits, minDeposit: "20000000000" };
    expect(refusal({ limits: stringify(small) })).toBeInstanceOf(AcrossAmountOutOfLimitsError);
    const big = { ...limits, maxDeposit: "9999999999" };
    expect(refusal({ limits: stringify(big) })).toBeInstanceOf(AcrossAmountOutOfLimitsError);
  });

  it("keeps an exclusive relayer's period, and refuses one without a relayer or longer than the fill window", () => {
    const relayer = "0x00000000000000000000000000000000000000bb";
    const deposit = validateQuote(request, quote({ exclusiveRelayer: relayer, exclusivityDeadline: "30" }));
    expect([deposit.exclusiveRelayer, deposit.exclusivityParameter]).toEqual([relayer, 30]);
    expect((refusal({ exclusivityDeadline: 30 }) as AcrossQuoteMismatchError).field).toBe("exclusiveRelayer");
    expect(
      (refusal({ exclusiveRelayer: relayer, exclusivityDeadline: 4_000 }) as AcrossQuoteMismatchError).field,
    ).toBe("exclusivityDeadline");
  });

  it("refuses requests the SpokePool would reject or that make no sense", () => {
    for (const bad of [
      { inputAmount: 0n },
      { destinationChainId: 1 },
      { maxFeeBps: 1.5 },
      { fillDeadlineSec: 30 },
      { fillDeadlineSec: 21_600 },
    ])
      expect(refusal({}, bad)).toBeInstanceOf(AcrossInvalidDepositError);
  });
});

function stringify(limits: Record<string, bigint | string>): Record<string, string> {
  return Object.fromEntries(Object.entries(limits).map(([k, v]) => [k, String(v)]));
}

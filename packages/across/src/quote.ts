import type { Address } from "@ballast/core";
import { zeroAddress } from "viem";
import { getSuggestedFees } from "./api.ts";
import type { AcrossDeposit } from "./deposit.ts";
import { depositCalls } from "./deposit.ts";
import {
  AcrossAmountOutOfLimitsError,
  AcrossFeeTooHighError,
  AcrossInvalidDepositError,
  AcrossOutputTooLowError,
  AcrossQuoteMismatchError,
} from "./errors.ts";
import type { AcrossClient } from "./http.ts";
import type { SuggestedFees } from "./schemas.ts";

/** The SpokePool rejects a fill deadline more than this far after its block (`fillDeadlineBuffer`, 6 h in production). */
export const SPOKE_POOL_FILL_DEADLINE_BUFFER = 21_600;

/** A bridge leg as the planner and the config describe it. The quote must fit inside it, or it is refused. */
export type AcrossDepositRequest = {
  readonly originChainId: number;
  readonly destinationChainId: number;
  readonly inputToken: Address;
  readonly outputToken: Address;
  readonly inputDecimals: number;
  readonly outputDecimals: number;
  /** Input amount in base units. */
  readonly inputAmount: bigint;
  /** The planner's expected minimum on the destination, in output base units. */
  readonly minOutputAmount: bigint;
  /** Our account: depositor on the origin, recipient on the destination. */
  readonly account: Address;
  /** The origin chain's SpokePool, from the config. An API answer naming another is refused. */
  readonly spokePool: Address;
  /** Policy limit on the fee, in bps of the input amount. */
  readonly maxFeeBps: number;
  /** The origin chain's latest block timestamp, in seconds: the clock the SpokePool checks the quote against. */
  readonly now: number;
  /** Time relayers have to fill, from the quote timestamp, in seconds. Default 3,600; at most 6 h minus the quote's age. */
  readonly fillDeadlineSec?: number;
  /** Oldest quote accepted, in seconds before `now`. Default 600 (the SpokePool's own limit is 3,600). */
  readonly maxQuoteAgeSec?: number;
};

/** A validated quote: the deposit to make and the calls that make it. */
export type AcrossDepositQuote = {
  readonly deposit: AcrossDeposit;
  /** `approve(spokePool, inputAmount)`, `deposit(…)`: the last calls of the origin chain's batch. */
  readonly calls: ReturnType<typeof depositCalls>;
  /** The API's estimate of the fill time, in seconds, when it gave one. */
  readonly estimatedFillTimeSec: number | undefined;
  /** The API's answer as received (validated for shape). */
  readonly quote: SuggestedFees;
};

/**
 * Asks `/suggested-fees` for a leg, checks every field of the answer against the request ({@link validateQuote})
 * and returns the deposit and its calls. Throws a typed error for a refused quote; nothing is sent either way.
 */
export async function quoteDeposit(
  client: AcrossClient,
  request: AcrossDepositRequest,
  signal?: AbortSignal,
): Promise<AcrossDepositQuote> {
  checkRequest(request);
  const quote = await getSuggestedFees(client, {
    originChainId: request.originChainId,
    destinationChainId: request.destinationChainId,
    inputToken: request.inputToken,
    outputToken: request.outputToken,
    amount: request.inputAmount,
    recipient: request.account,
    ...(signal ? { signal } : {}),
  });
  const deposit = validateQuote(request, quote);
  return { deposit, calls: depositCalls(deposit), estimatedFillTimeSec: quote.estimatedFillTimeSec, quote };
}

/**
 * Checks a `/suggested-fees` answer against the request and builds the deposit (pure). Refuses with
 * {@link AcrossQuoteMismatchError} (SpokePool other than the configured one, other tokens or chains, a quote
 * timestamp in the future or too old, an exclusivity period without a relayer), {@link AcrossAmountOutOfLimitsError},
 * {@link AcrossOutputTooLowError} (below the planner's minimum) or {@link AcrossFeeTooHighError} (above the policy).
 */
export function validateQuote(request: AcrossDepositRequest, quote: SuggestedFees): AcrossDeposit {
  checkRequest(request);
  same("spokePoolAddress", request.spokePool, quote.spokePoolAddress);
  if (quote.inputToken) {
    same("inputToken.address", request.inputToken, quote.inputToken.address);
    same("inputToken.chainId", request.originChainId, quote.inputToken.chainId);
  }
  if (quote.outputToken) {
    same("outputToken.address", request.outputToken, quote.outputToken.address);
    same("outputToken.chainId", request.destinationChainId, quote.outputToken.chainId);
  }
  checkLimits(request.inputAmount, quote);
  const quoteTimestamp = checkTimestamp(request, quote.timestamp);
  if (quote.outputAmount < request.minOutputAmount)
    throw new AcrossOutputTooLowError(quote.outputAmount, request.minOutputAmount);
  const fee = checkFee(request, quote);
  const exclusivityParameter = quote.exclusivityDeadline;
  if (exclusivityParameter > 0 && quote.exclusiveRelayer.toLowerCase() === zeroAddress)
    throw new AcrossQuoteMismatchError(
      "exclusiveRelayer",
      "a relayer for the exclusivity period",
      zeroAddress,
    );
  const fillDeadline = quoteTimestamp + (request.fillDeadlineSec ?? 3_600);
  if (exclusivityParameter >= fillDeadline - request.now)
    throw new AcrossQuoteMismatchError(
      "exclusivityDeadline",
      `a period shorter than the fill window (${fillDeadline - request.now} s)`,
      String(exclusivityParameter),
    );
  return {
    spokePool: request.spokePool,
    originChainId: request.originChainId,
    destinationChainId: request.destinationChainId,
    depositor: request.account,
    recipient: request.account,
    inputToken: request.inputToken,
    outputToken: request.outputToken,
    inputAmount: request.inputAmount,
    outputAmount: quote.outputAmount,
    exclusiveRelayer: exclusivityParameter > 0 ? quote.exclusiveRelayer : zeroAddress,
    quoteTimestamp,
    fillDeadline,
    exclusivityParameter,
    fee,
  };
}

function checkRequest(request: AcrossDepositRequest): void {
  if (request.inputAmount <= 0n) throw new AcrossInvalidDepositError("the input amount must be positive");
  if (request.minOutputAmount < 0n)
    throw new AcrossInvalidDepositError("the minimum output must not be negative");
  if (request.originChainId === request.destinationChainId)
    throw new AcrossInvalidDepositError(`origin and destination are both chain ${request.originChainId}`);
  if (!Number.isInteger(request.maxFeeBps) || request.maxFeeBps < 0 || request.maxFeeBps > 10_000)
    throw new AcrossInvalidDepositError(
      `maxFeeBps must be an integer in [0, 10000], got ${request.maxFeeBps}`,
    );
  const window = request.fillDeadlineSec ?? 3_600;
  const maxAge = request.maxQuoteAgeSec ?? 600;
  if (!Number.isInteger(window) || window < 60 || window + maxAge > SPOKE_POOL_FILL_DEADLINE_BUFFER)
    throw new AcrossInvalidDepositError(
      `fillDeadlineSec must be an integer in [60, ${SPOKE_POOL_FILL_DEADLINE_BUFFER - maxAge}], got ${window}`,
    );
}

function same(field: string, expected: string | number, actual: string | number): void {
  if (String(expected).toLowerCase() !== String(actual).toLowerCase())
    throw new AcrossQuoteMismatchError(field, String(expected), String(actual));
}

function checkLimits(amount: bigint, quote: SuggestedFees): void {
  if (quote.isAmountTooLow) throw new AcrossAmountOutOfLimitsError(amount, "is too low for the route's fees");
  if (amount < quote.limits.minDeposit)
    throw new AcrossAmountOutOfLimitsError(
      amount,
      `is below the route's minimum deposit ${quote.limits.minDeposit}`,
    );
  if (amount > quote.limits.maxDeposit)
    throw new AcrossAmountOutOfLimitsError(
      amount,
      `is above the route's maximum deposit ${quote.limits.maxDeposit}`,
    );
}

/** The SpokePool accepts `now − 3600 ≤ quoteTimestamp ≤ now` at the deposit's block; keep a margin for the delay until then. */
function checkTimestamp(request: AcrossDepositRequest, timestamp: number): number {
  const maxAge = request.maxQuoteAgeSec ?? 600;
  if (timestamp > request.now)
    throw new AcrossQuoteMismatchError(
      "timestamp",
      `at most the origin chain's time ${request.now}`,
      String(timestamp),
    );
  if (timestamp < request.now - maxAge)
    throw new AcrossQuoteMismatchError(
      "timestamp",
      `at least ${request.now - maxAge} (${maxAge} s old)`,
      String(timestamp),
    );
  return timestamp;
}

/**
 * The fee is what the leg loses: input − output with the output scaled to input decimals (rounded up), and never
 * less than the quote's own total fee. Refused above `maxFeeBps` of the input.
 */
function checkFee(request: AcrossDepositRequest, quote: SuggestedFees): bigint {
  const scale = request.inputDecimals - request.outputDecimals;
  const outputInInput =
    scale >= 0 ? quote.outputAmount * 10n ** BigInt(scale) : quote.outputAmount / 10n ** BigInt(-scale); // rounding down the output rounds the loss up
  const lost = request.inputAmount - outputInInput;
  const fee = lost > quote.totalRelayFee.total ? lost : quote.totalRelayFee.total;
  const maxFee = (request.inputAmount * BigInt(request.maxFeeBps)) / 10_000n;
  if (fee > maxFee) {
    const feeBps = Number((fee * 10_000n + request.inputAmount - 1n) / request.inputAmount);
    throw new AcrossFeeTooHighError(fee, maxFee, feeBps, request.maxFeeBps);
  }
  return fee > 0n ? fee : 0n;
}

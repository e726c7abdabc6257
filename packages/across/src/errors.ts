import { BallastError, redactUrl } from "@ballast/core";

/** The Across API answered with a non-2xx status (after retries, for 429 and 5xx). */
export class AcrossHttpError extends BallastError {
  override name = "AcrossHttpError";
  constructor(
    readonly url: string,
    readonly status: number,
    /** The API's error `code` (`INVALID_PARAM`, `AMOUNT_TOO_LOW`, `ROUTE_NOT_ENABLED`, …) when it sent one. */
    readonly code: string | undefined,
    description: string | undefined,
    readonly attempts: number,
  ) {
    super(`Across API answered HTTP ${status}${code ? ` ${code}` : ""} for ${redactUrl(url)}.`, {
      details: description,
      context: { url: redactUrl(url), status, code, attempts },
    });
  }
}

/** Every attempt at an Across API request ran out of time. */
export class AcrossTimeoutError extends BallastError {
  override name = "AcrossTimeoutError";
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
    readonly attempts: number,
  ) {
    super(
      `Across API request timed out after ${attempts} attempt(s) of ${timeoutMs} ms: ${redactUrl(url)}.`,
      {
        context: { url: redactUrl(url), timeoutMs, attempts },
      },
    );
  }
}

/** The request never got an HTTP answer (connection refused, DNS, reset), after retries. */
export class AcrossNetworkError extends BallastError {
  override name = "AcrossNetworkError";
  constructor(
    readonly url: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`Across API unreachable after ${attempts} attempt(s): ${redactUrl(url)}.`, {
      cause,
      context: { url: redactUrl(url), attempts },
    });
  }
}

/** A 2xx answer whose body is not JSON or does not match the documented schema. */
export class AcrossResponseError extends BallastError {
  override name = "AcrossResponseError";
  constructor(
    readonly url: string,
    details: string,
    cause?: unknown,
  ) {
    super(`Across API returned a malformed response for ${redactUrl(url)}.`, {
      details,
      cause,
      context: { url: redactUrl(url) },
    });
  }
}

/** A field of the quote (SpokePool, token, chain, relayer, deadline, timestamp) differs from what was asked or configured. */
export class AcrossQuoteMismatchError extends BallastError {
  override name = "AcrossQuoteMismatchError";
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`Refusing Across quote: ${field} is ${actual}, expected ${expected}.`, {
      context: { field, expected, actual },
    });
  }
}

/** The quote's output amount is below the planner's expected minimum. */
export class AcrossOutputTooLowError extends BallastError {
  override name = "AcrossOutputTooLowError";
  constructor(
    readonly outputAmount: bigint,
    readonly minOutputAmount: bigint,
  ) {
    super(`Refusing Across quote: output ${outputAmount} is below the minimum ${minOutputAmount}.`, {
      context: { outputAmount: outputAmount.toString(), minOutputAmount: minOutputAmount.toString() },
    });
  }
}

/** The quote's total fee is above the policy's limit. */
export class AcrossFeeTooHighError extends BallastError {
  override name = "AcrossFeeTooHighError";
  constructor(
    readonly fee: bigint,
    readonly maxFee: bigint,
    readonly feeBps: number,
    readonly maxFeeBps: number,
  ) {
    super(
      `Refusing Across quote: fee ${fee} (${feeBps} bps of the input) is above the limit ${maxFee} (${maxFeeBps} bps).`,
      { context: { fee: fee.toString(), maxFee: maxFee.toString(), feeBps, maxFeeBps } },
    );
  }
}

/** The amount is outside what Across accepts for the route (the quote says too low, or above the deposit limit). */
export class AcrossAmountOutOfLimitsError extends BallastError {
  override name = "AcrossAmountOutOfLimitsError";
  constructor(
    readonly amount: bigint,
    readonly reason: string,
  ) {
    super(`Refusing Across quote: amount ${amount} ${reason}.`, {
      context: { amount: amount.toString(), reason },
    });
  }
}

/** A deposit this package does not build (zero amount, same chain, a deadline the SpokePool would reject). */
export class AcrossInvalidDepositError extends BallastError {
  override name = "AcrossInvalidDepositError";
  constructor(readonly reason: string) {
    super(`Invalid Across deposit: ${reason}.`, { context: { reason } });
  }
}

/** A receipt or log that should hold a SpokePool deposit does not. */
export class AcrossDepositNotFoundError extends BallastError {
  override name = "AcrossDepositNotFoundError";
  constructor(
    readonly where: string,
    details?: string,
  ) {
    super(`No Across deposit found in ${where}.`, { details, context: { where } });
  }
}

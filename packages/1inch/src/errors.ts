import { BallastError, redactUrl } from "@ballast/core";

/** The 1inch API answered with a non-2xx status (after retries, for 429 and 5xx). */
export class OneInchHttpError extends BallastError {
  override name = "OneInchHttpError";
  constructor(
    readonly url: string,
    readonly status: number,
    readonly description: string | undefined,
    readonly attempts: number,
  ) {
    super(`1inch API answered HTTP ${status} for ${redactUrl(url)}.`, {
      details: description,
      context: { url: redactUrl(url), status, attempts },
    });
  }
}

/** Every attempt at a 1inch API request ran out of time. */
export class OneInchTimeoutError extends BallastError {
  override name = "OneInchTimeoutError";
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
    readonly attempts: number,
  ) {
    super(`1inch API request timed out after ${attempts} attempt(s) of ${timeoutMs} ms: ${redactUrl(url)}.`, {
      context: { url: redactUrl(url), timeoutMs, attempts },
    });
  }
}

/** The request never got an HTTP answer (connection refused, DNS, reset), after retries. */
export class OneInchNetworkError extends BallastError {
  override name = "OneInchNetworkError";
  constructor(
    readonly url: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`1inch API unreachable after ${attempts} attempt(s): ${redactUrl(url)}.`, {
      cause,
      context: { url: redactUrl(url), attempts },
    });
  }
}

/** A 2xx answer whose body is not JSON or does not match the documented schema. */
export class OneInchResponseError extends BallastError {
  override name = "OneInchResponseError";
  constructor(
    readonly url: string,
    details: string,
    cause?: unknown,
  ) {
    super(`1inch API returned a malformed response for ${redactUrl(url)}.`, {
      details,
      cause,
      context: { url: redactUrl(url) },
    });
  }
}

/** No trusted router is known or configured for the chain, so no 1inch calldata can be accepted there. */
export class UnknownRouterError extends BallastError {
  override name = "UnknownRouterError";
  constructor(readonly chainId: number) {
    super(`No trusted 1inch router is known for chain ${chainId}; configure one explicitly.`, {
      context: { chainId },
    });
  }
}

/** The API's transaction (or spender) targets a contract other than the trusted router for the chain. */
export class UntrustedRouterError extends BallastError {
  override name = "UntrustedRouterError";
  constructor(
    readonly chainId: number,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `Refusing 1inch calldata: target ${actual} is not the trusted router ${expected} on chain ${chainId}.`,
      {
        context: { chainId, expected, actual },
      },
    );
  }
}

/** The quoter proposed a Fusion settlement extension that is not trusted for the chain. */
export class UntrustedSettlementError extends BallastError {
  override name = "UntrustedSettlementError";
  constructor(
    readonly chainId: number,
    readonly settlement: string,
    readonly trusted: readonly string[],
  ) {
    super(`Refusing Fusion order: settlement extension ${settlement} is not trusted on chain ${chainId}.`, {
      details: trusted.length ? `Trusted: ${trusted.join(", ")}` : "No settlement extension is configured.",
      context: { chainId, settlement, trusted },
    });
  }
}

/** A field of the API's answer (sender, token, amount, receiver, value, flags…) differs from what was asked. */
export class SwapMismatchError extends BallastError {
  override name = "SwapMismatchError";
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`Refusing 1inch answer: ${field} is ${actual}, expected ${expected}.`, {
      context: { field, expected, actual },
    });
  }
}

/** The quoted or guaranteed output is below the plan's minimum. */
export class InsufficientOutputError extends BallastError {
  override name = "InsufficientOutputError";
  constructor(
    readonly field: string,
    readonly amountOut: bigint,
    readonly minAmountOut: bigint,
  ) {
    super(`Refusing 1inch answer: ${field} ${amountOut} is below the minimum ${minAmountOut}.`, {
      context: { field, amountOut: amountOut.toString(), minAmountOut: minAmountOut.toString() },
    });
  }
}

/** The calldata uses a selector the decoder does not know, or one it can only partly verify under a strict policy. */
export class UnverifiableCalldataError extends BallastError {
  override name = "UnverifiableCalldataError";
  constructor(
    readonly selector: string,
    readonly unverified: readonly string[],
  ) {
    super(
      unverified.length
        ? `Refusing 1inch calldata: ${selector} leaves ${unverified.join(", ")} unverified.`
        : `Refusing 1inch calldata: unknown selector ${selector}.`,
      { context: { selector, unverified } },
    );
  }
}

/** A swap this package does not support (native-token input, same token in and out, zero amount). */
export class UnsupportedSwapError extends BallastError {
  override name = "UnsupportedSwapError";
  constructor(readonly reason: string) {
    super(`Unsupported 1inch swap: ${reason}.`, { context: { reason } });
  }
}

/** A Fusion order did not reach a final status (filled, expired, cancelled) within the allowed time. */
export class FusionOrderTimeoutError extends BallastError {
  override name = "FusionOrderTimeoutError";
  constructor(
    readonly orderHash: string,
    readonly lastStatus: string | undefined,
    readonly timeoutMs: number,
  ) {
    super(`Fusion order ${orderHash} is still ${lastStatus ?? "unknown"} after ${timeoutMs} ms.`, {
      context: { orderHash, lastStatus, timeoutMs },
    });
  }
}

/** The signer cannot sign for the order's maker, or was asked for something this package never does. */
export class FusionSignerError extends BallastError {
  override name = "FusionSignerError";
  constructor(reason: string) {
    super(`Fusion signer: ${reason}.`, { context: { reason } });
  }
}

/** Details carried by every Ballast error: a short human message, optional details and the cause. */
export type BallastErrorParameters = {
  /** Extra lines a human needs to act on the error (field path, expected value, …). */
  details?: string | undefined;
  /** The error that caused this one. */
  cause?: unknown;
  /** Structured context for logs and tests. */
  context?: Record<string, unknown> | undefined;
};

/**
 * The base of every error Ballast throws. `shortMessage` is one line; `message` adds the details.
 * One subclass per failure mode, so callers and tests can branch on the class.
 */
export class BallastError extends Error {
  override name = "BallastError";
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly context: Record<string, unknown>;

  constructor(shortMessage: string, params: BallastErrorParameters = {}) {
    const causeMessage =
      params.cause instanceof Error ? params.cause.message : params.cause ? String(params.cause) : undefined;
    const lines = [shortMessage];
    if (params.details) lines.push("", `Details: ${params.details}`);
    if (causeMessage && causeMessage !== params.details) lines.push(`Cause: ${causeMessage}`);
    super(lines.join("\n"), params.cause === undefined ? undefined : { cause: params.cause });
    this.shortMessage = shortMessage;
    this.details = params.details;
    this.context = params.context ?? {};
  }

  /** Walks the cause chain and returns the first error for which `fn` is true (or the deepest one). */
  walk(fn?: (err: unknown) => boolean): unknown {
    let err: unknown = this;
    for (;;) {
      if (fn?.(err)) return err;
      const next = err instanceof Error ? err.cause : undefined;
      if (next === undefined) return fn ? undefined : err;
      err = next;
    }
  }
}

/** An amount that is negative, non-integer or otherwise invalid where the field requires it. */
export class InvalidAmountError extends BallastError {
  override name = "InvalidAmountError";
  constructor(
    readonly field: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`Invalid amount at ${field}: expected ${expected}, got ${String(value)}.`, {
      context: { field, value: String(value) },
    });
  }
}

/** A price the valuation needs is missing from the price book. */
export class MissingPriceError extends BallastError {
  override name = "MissingPriceError";
  constructor(
    readonly asset: string,
    readonly field: string,
  ) {
    super(`No price for asset ${asset} (needed at ${field}).`, { context: { asset, field } });
  }
}

/** An asset id that is not in the asset registry. */
export class UnknownAssetError extends BallastError {
  override name = "UnknownAssetError";
  constructor(
    readonly asset: string,
    readonly field: string,
  ) {
    super(`Unknown asset ${asset} at ${field}.`, { context: { asset, field } });
  }
}

import { redactDeep, redactText } from "./redact.ts";

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

  /** Every text and context value is redacted ({@link redactText}): an RPC URL's key never reaches a message. */
  constructor(shortMessage: string, params: BallastErrorParameters = {}) {
    const causeMessage =
      params.cause instanceof Error ? params.cause.message : params.cause ? String(params.cause) : undefined;
    const lines = [shortMessage];
    if (params.details) lines.push("", `Details: ${params.details}`);
    if (causeMessage && causeMessage !== params.details) lines.push(`Cause: ${causeMessage}`);
    super(redactText(lines.join("\n")), params.cause === undefined ? undefined : { cause: params.cause });
    this.shortMessage = redactText(shortMessage);
    this.details = params.details === undefined ? undefined : redactText(params.details);
    this.context = (redactDeep(params.context ?? {}) as Record<string, unknown>) ?? {};
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

/** A policy field is invalid (out of range, wrong sign, missing); `field` is its path, e.g. `sleeves[2].targetBps`. */
export class InvalidPolicyError extends BallastError {
  override name = "InvalidPolicyError";
  constructor(
    readonly field: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`Invalid policy at ${field}: expected ${expected}, got ${fmt(value)}.`, {
      context: { field, value: fmt(value) },
    });
  }
}

/** The sleeves' target weights do not sum to 10,000 bps (100% of net asset value). */
export class PolicyWeightSumError extends BallastError {
  override name = "PolicyWeightSumError";
  constructor(
    readonly sumBps: number,
    readonly field = "policy.sleeves[].targetBps",
  ) {
    super(`Sleeve target weights sum to ${sumBps} bps; they must sum to 10000 bps (100% of NAV).`, {
      details: "Debt sleeves count negative: 130% supply + -30% debt = 100%.",
      context: { field, sumBps },
    });
  }
}

/** Two sleeves share an id, or the same slot (chainId + protocol + kind + ref). */
export class DuplicateSleeveError extends BallastError {
  override name = "DuplicateSleeveError";
  constructor(
    readonly field: string,
    readonly sleeveId: string,
    readonly otherField: string,
    reason: "id" | "slot",
  ) {
    super(
      reason === "id"
        ? `Duplicate sleeve id "${sleeveId}" at ${field} (first at ${otherField}).`
        : `Sleeve at ${field} ("${sleeveId}") fills the same slot (chainId, protocol, kind, ref) as ${otherField}.`,
      { context: { field, sleeveId, otherField, reason } },
    );
  }
}

/** A holding matches two sleeves, so its value would be counted twice. */
export class HoldingClaimedTwiceError extends BallastError {
  override name = "HoldingClaimedTwiceError";
  constructor(
    readonly holdingId: string,
    readonly field: string,
    readonly sleeveIds: readonly [string, string],
  ) {
    super(`Holding ${holdingId} (${field}) is claimed by sleeves "${sleeveIds[0]}" and "${sleeveIds[1]}".`, {
      context: { holdingId, field, sleeveIds },
    });
  }
}

/** A sleeve composition is empty, has non-positive shares, assets of another chain, or shares not summing to 1e18. */
export class InvalidCompositionError extends BallastError {
  override name = "InvalidCompositionError";
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`Invalid composition at ${field}: ${reason}.`, { context: { field, reason } });
  }
}

/** A snapshot is inconsistent (duplicate chain or holding id, holding on the wrong chain, wrong exposure sign …). */
export class InvalidSnapshotError extends BallastError {
  override name = "InvalidSnapshotError";
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`Invalid snapshot at ${field}: ${reason}.`, { context: { field, reason } });
  }
}

/** A cost-model field is invalid (negative or ≥ 100% cost, unknown chain in a route, ambiguous symbol …). */
export class InvalidCostModelError extends BallastError {
  override name = "InvalidCostModelError";
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`Invalid cost model at ${field}: ${reason}.`, { context: { field, reason } });
  }
}

/** The managed net asset value is zero or negative, so weights are undefined. */
export class NonPositiveNavError extends BallastError {
  override name = "NonPositiveNavError";
  constructor(readonly navUsd: bigint) {
    super(`Net asset value of the managed sleeves is ${navUsd} (USD wad); it must be positive.`, {
      context: { field: "navUsd", navUsd: navUsd.toString() },
    });
  }
}

/** The health factor needs a liquidation threshold for a collateral asset and the policy has none. */
export class MissingLiquidationThresholdError extends BallastError {
  override name = "MissingLiquidationThresholdError";
  constructor(
    readonly asset: string,
    readonly field: string,
  ) {
    super(`No liquidation threshold for collateral ${asset} (needed at ${field}).`, {
      context: { asset, field },
    });
  }
}

/** Per-chain totals must change but the cost model has no bridge route that can carry the value. */
export class NoBridgeError extends BallastError {
  override name = "NoBridgeError";
  constructor(
    readonly unmetUsd: bigint,
    readonly fromChains: readonly number[],
    readonly toChains: readonly number[],
  ) {
    super(
      `Value must move from chain(s) ${fromChains.join(", ") || "?"} to chain(s) ${toChains.join(", ") || "?"} but no bridge route can carry it.`,
      {
        details:
          'Add a bridge route to the cost model, or plan with { onNoBridge: "per-chain" } to rebalance each chain on its own.',
        context: { field: "costModel.bridges", unmetUsd: unmetUsd.toString(), fromChains, toChains },
      },
    );
  }
}

/** No plan can keep the projected health factor at or above the floor (it was shrunk and still fails). */
export class HealthFactorFloorError extends BallastError {
  override name = "HealthFactorFloorError";
  constructor(
    readonly chainId: number,
    readonly protocol: string,
    readonly projectedWad: bigint,
    readonly floorWad: bigint,
    readonly field = "policy.healthFactor.floorWad",
  ) {
    super(
      `Projected health factor on chain ${chainId} (${protocol}) is ${fmtWad(projectedWad)}, below the floor ${fmtWad(floorWad)}.`,
      {
        context: {
          field,
          chainId,
          protocol,
          projectedWad: projectedWad.toString(),
          floorWad: floorWad.toString(),
        },
      },
    );
  }
}

/** The planner cannot produce a plan that respects the policy's guards (e.g. intermediate health factor < 1). */
export class InfeasiblePlanError extends BallastError {
  override name = "InfeasiblePlanError";
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`Cannot plan: ${reason}.`, { context: { field, reason } });
  }
}

function fmt(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "undefined";
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

function fmtWad(wad: bigint): string {
  const whole = wad / 10n ** 18n;
  const frac = ((wad < 0n ? -wad : wad) % 10n ** 18n).toString().padStart(18, "0").slice(0, 4);
  return `${whole}.${frac}`;
}

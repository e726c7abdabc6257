import { findRpcRequestError } from "@ballast/chain";
import { type Address, BallastError } from "@ballast/core";
import { formatUnits } from "viem";

/** The cycle's static inputs are inconsistent (unknown chain key or symbol, a sleeve kind no protocol of the chain owns, bad pool spec …). */
export class InvalidCycleConfigError extends BallastError {
  override name = "InvalidCycleConfigError";
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`Invalid cycle config at ${field}: ${reason}.`, { context: { field, reason } });
  }
}

/**
 * Reading one chain failed (RPC down, Multicall3 missing, a read reverted); the chain gets no plan this cycle. The
 * details say what failed and, when an RPC request failed under it, which one: method and URL (key redacted).
 */
export class ChainFetchError extends BallastError {
  override name = "ChainFetchError";
  constructor(
    readonly key: string,
    readonly chainId: number,
    cause: unknown,
  ) {
    const what = cause instanceof BallastError ? cause.shortMessage : undefined;
    const rpc = findRpcRequestError(cause);
    const details = [what, rpc && rpc !== cause ? rpc.shortMessage : undefined].filter(Boolean).join(" ");
    super(`Could not read chain "${key}" (${chainId}).`, {
      cause,
      details: details || undefined,
      context: { key, chainId },
    });
  }
}

/** One venue's failure while quoting a swap leg. */
export type VenueAttempt = { readonly venue: string; readonly error: string };

/** How a token is shown to people: its symbol and decimals. */
export type TokenLabel = { readonly symbol: string; readonly decimals: number };

/** `amount` base units as "1.5 WETH", or the raw units and address when the token is not known. */
export function formatTokenAmount(amount: bigint, token: Address, label?: TokenLabel): string {
  return label ? `${formatUnits(amount, label.decimals)} ${label.symbol}` : `${amount} of ${token}`;
}

/** No configured venue could quote a swap leg at or above its minOut; the chain gets no batch. */
export class NoSwapVenueError extends BallastError {
  override name = "NoSwapVenueError";
  constructor(
    readonly key: string,
    readonly chainId: number,
    readonly step: number,
    readonly tokenIn: Address,
    readonly tokenOut: Address,
    readonly amountIn: bigint,
    readonly minOut: bigint,
    readonly attempts: readonly VenueAttempt[],
    labels: { readonly in?: TokenLabel; readonly out?: TokenLabel } = {},
  ) {
    super(
      `Chain "${key}" step ${step}: no venue can swap ${formatTokenAmount(amountIn, tokenIn, labels.in)} for at least ${formatTokenAmount(minOut, tokenOut, labels.out)}.`,
      {
        details:
          attempts.length === 0
            ? "the chain has no swap venue configured"
            : attempts.map((a) => `${a.venue}: ${a.error}`).join("; "),
        context: {
          key,
          chainId,
          step,
          tokenIn,
          tokenOut,
          amountIn: String(amountIn),
          minOut: String(minOut),
          attempts,
        },
      },
    );
  }
}

/** A leg could not be turned into calls (an adapter's pre-check refused it, a holding is missing …). */
export class LegRealizationError extends BallastError {
  override name = "LegRealizationError";
  constructor(
    readonly key: string,
    readonly chainId: number,
    readonly step: number,
    readonly action: string,
    reason: string,
    cause?: unknown,
  ) {
    super(`Chain "${key}" step ${step} (${action}): ${reason}.`, {
      cause,
      details: cause instanceof BallastError ? cause.shortMessage : undefined,
      context: { key, chainId, step, action, reason },
    });
  }
}

/** The simulation itself could not run (transport failure, unexpected node answer); nothing is known about the batch. */
export class SimulationRequestError extends BallastError {
  override name = "SimulationRequestError";
  constructor(
    readonly key: string,
    readonly chainId: number,
    cause: unknown,
  ) {
    super(`Could not simulate the batch of chain "${key}" (${chainId}).`, {
      cause,
      context: { key, chainId },
    });
  }
}

/** Wraps anything thrown into a BallastError (kept as is when it already is one). */
export const asBallastError = (err: unknown, wrap: (cause: unknown) => BallastError): BallastError =>
  err instanceof BallastError ? err : wrap(err);

/**
 * A cycle step failed with an error that is not a Ballast one (a bug, most likely): `value` (sleeves and prices) or
 * `rebalance` (core's valuation, decision and planning).
 */
export class CycleStepError extends BallastError {
  override name = "CycleStepError";
  constructor(
    readonly step: "value" | "rebalance" | "price-guard",
    cause: unknown,
  ) {
    super(`The cycle's ${step} step failed unexpectedly.`, { cause, context: { step } });
  }
}

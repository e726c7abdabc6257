import { max, min, mulDiv } from "@ballast/core";
import { FeeCapExceededError } from "./errors.ts";

/** EIP-1559 fee fields of a transaction, wei per gas. */
export type Fees = { readonly maxFeePerGas: bigint; readonly maxPriorityFeePerGas: bigint };

/** Fee limits for a sender. */
export type FeePolicy = {
  /** Hard cap on `maxFeePerGas`, never exceeded (also for replacements). */
  readonly maxFeePerGas: bigint;
  /** Cap on the priority fee. Default: `maxFeePerGas`. */
  readonly maxPriorityFeePerGas?: bigint;
  /** Floor of the priority fee. Default 0. */
  readonly minPriorityFeePerGas?: bigint;
};

/** The smallest replacement bump nodes accept is 10%; Ballast uses 12.5% (1 250 bps) or more. */
export const MIN_FEE_BUMP_BPS = 1_250;

/**
 * Fees for the next block: priority clamped to the policy, `maxFeePerGas = min(cap, 2 × baseFee + priority)`.
 * Throws {@link FeeCapExceededError} when the cap is below `baseFee + priority` (it could not be included now).
 */
export function computeFees(params: {
  readonly baseFeePerGas: bigint;
  readonly priorityFeePerGas: bigint;
  readonly policy: FeePolicy;
}): Fees {
  const { baseFeePerGas, policy } = params;
  const cap = policy.maxFeePerGas;
  const prio = min(
    max(params.priorityFeePerGas, policy.minPriorityFeePerGas ?? 0n),
    policy.maxPriorityFeePerGas ?? cap,
  );
  if (cap < baseFeePerGas + prio) throw new FeeCapExceededError(baseFeePerGas + prio, cap);
  return { maxFeePerGas: min(cap, 2n * baseFeePerGas + prio), maxPriorityFeePerGas: prio };
}

/**
 * Fees for a replacement of `previous`: both fields at least `bumpBps` higher (rounded up, +1 wei minimum),
 * and at least the current market fees. Undefined when that would exceed the cap (no replacement possible).
 */
export function bumpFees(params: {
  readonly previous: Fees;
  readonly market: Fees;
  readonly policy: FeePolicy;
  readonly bumpBps?: number;
}): Fees | undefined {
  const bps = BigInt(Math.max(params.bumpBps ?? MIN_FEE_BUMP_BPS, MIN_FEE_BUMP_BPS));
  const up = (x: bigint) => max(mulDiv(x, 10_000n + bps, 10_000n, "up"), x + 1n);
  const { previous, market, policy } = params;
  const cap = policy.maxFeePerGas;
  const prioCap = policy.maxPriorityFeePerGas ?? cap;
  const maxFeePerGas = max(up(previous.maxFeePerGas), min(market.maxFeePerGas, cap));
  const maxPriorityFeePerGas = max(
    up(previous.maxPriorityFeePerGas),
    min(market.maxPriorityFeePerGas, prioCap),
  );
  if (maxFeePerGas > cap || maxPriorityFeePerGas > prioCap || maxPriorityFeePerGas > maxFeePerGas)
    return undefined;
  return { maxFeePerGas, maxPriorityFeePerGas };
}

/** Gas padding: `estimate + max(estimate × bps / 10 000, floor)`. Defaults +20%, at least 25 000 gas. */
export function padGas(
  estimate: bigint,
  options: { readonly bps?: number; readonly floor?: bigint } = {},
): bigint {
  const pad = max(mulDiv(estimate, BigInt(options.bps ?? 2_000), 10_000n, "up"), options.floor ?? 25_000n);
  return estimate + pad;
}

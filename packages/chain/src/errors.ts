import type { Address, Hex } from "@ballast/core";
import { BallastError, redactUrl } from "@ballast/core";

/** A chain id that the registry does not know. */
export class UnknownChainError extends BallastError {
  override name = "UnknownChainError";
  constructor(readonly chainId: number) {
    super(`Unknown chain ${chainId}: add it to the registry passed to the client factory.`, {
      context: { chainId },
    });
  }
}

/** No RPC URL of a chain answered (or each answered for another chain). */
export class RpcUnavailableError extends BallastError {
  override name = "RpcUnavailableError";
  constructor(
    readonly chainId: number,
    readonly urls: readonly string[],
    cause?: unknown,
  ) {
    super(`No healthy RPC URL for chain ${chainId} (${urls.length} tried).`, {
      details: urls.map((u) => redactUrl(u)).join(", "),
      cause,
      context: { chainId, urls: urls.map((u) => redactUrl(u)) },
    });
  }
}

/**
 * An RPC URL that answers for another chain than the one configured (`chain`: the config's name, when known), at start
 * or when it came back after failing (`reconnected`: the pool has stopped the chain).
 */
export class ChainMismatchError extends BallastError {
  override name = "ChainMismatchError";
  constructor(
    readonly url: string,
    readonly expected: number,
    readonly actual: number,
    readonly chain?: string,
    readonly reconnected = false,
  ) {
    super(
      `${chain === undefined ? "" : `Chain "${chain}": `}RPC ${redactUrl(url)} serves chain ${actual}, expected ${expected}${reconnected ? " after reconnecting" : ""}.`,
      {
        details: reconnected
          ? `Every request of chain ${expected} is stopped until ballast restarts: fix or remove the URL (rpc and sendRpc must serve the configured chainId).`
          : "Every URL of a chain (rpc and sendRpc) must answer eth_chainId with the chain's configured chainId.",
        context: {
          url: redactUrl(url),
          expected,
          actual,
          reconnected,
          ...(chain === undefined ? {} : { chain }),
        },
      },
    );
  }
}

/** The batch reverts in simulation. `index` is the failing call's position in the batch when known. */
export class SimulationFailedError extends BallastError {
  override name = "SimulationFailedError";
  /** The decoded error's name (`Error`, `Panic`, a custom error), when decoded. */
  readonly errorName: string | undefined;
  constructor(
    readonly reason: string,
    readonly index: number | undefined,
    readonly revertData: Hex | undefined,
    params: { errorName?: string | undefined; cause?: unknown } = {},
  ) {
    super(
      index === undefined ? `Simulation failed: ${reason}` : `Simulation failed at call #${index}: ${reason}`,
      {
        cause: params.cause,
        context: { reason, index, revertData, errorName: params.errorName },
      },
    );
    this.errorName = params.errorName;
  }
}

/** The node cannot simulate what the guards need (no `eth_simulateV1`), so nothing is sent. */
export class SimulationUnsupportedError extends BallastError {
  override name = "SimulationUnsupportedError";
  constructor(
    readonly chainId: number,
    what: string,
  ) {
    super(`Chain ${chainId}: the RPC has no eth_simulateV1, so ${what} cannot be checked before sending.`, {
      context: { chainId },
    });
  }
}

/** Which post-condition a simulated batch broke: a balance delta, the value loss, or a floor's kind ("healthFactor"). */
export type GuardKind = "balanceDelta" | "valueLoss" | (string & {});

/** A post-condition checked on the simulated state does not hold (e.g. a swap's minOut, the HF floor). */
export class GuardViolationError extends BallastError {
  override name = "GuardViolationError";
  constructor(
    readonly guard: GuardKind,
    readonly expected: bigint,
    readonly actual: bigint,
    readonly subject?: string,
  ) {
    const what = subject ? `${guard} (${subject})` : guard;
    const rel = guard === "valueLoss" ? "at most" : "at least";
    super(`Guard ${what} violated: expected ${rel} ${expected}, got ${actual}.`, {
      context: { guard, subject, expected: String(expected), actual: String(actual) },
    });
  }
}

/** The fees the network needs now exceed the configured cap; nothing is signed. */
export class FeeCapExceededError extends BallastError {
  override name = "FeeCapExceededError";
  constructor(
    readonly needed: bigint,
    readonly cap: bigint,
  ) {
    super(`Fees needed (${needed} wei/gas) exceed the cap (${cap} wei/gas).`, {
      context: { needed: String(needed), cap: String(cap) },
    });
  }
}

/** A transaction that was included disappeared (reorg) or never got in; the plan must be re-evaluated. */
export class TransactionDroppedError extends BallastError {
  override name = "TransactionDroppedError";
  constructor(
    readonly planId: string,
    readonly nonce: number,
    readonly reason: string,
  ) {
    super(
      `Transaction of plan ${planId} (nonce ${nonce}) was dropped: ${reason}. Re-plan; it is not resent.`,
      {
        context: { planId, nonce, reason },
      },
    );
  }
}

/** A transaction was mined but reverted (or, for a Safe module call, the inner batch failed). */
export class TransactionRevertedError extends BallastError {
  override name = "TransactionRevertedError";
  constructor(
    readonly planId: string,
    readonly hash: Hex,
    readonly reason: string,
  ) {
    super(`Transaction ${hash} of plan ${planId} reverted: ${reason}.`, {
      context: { planId, hash, reason },
    });
  }
}

/** Another transaction consumed the nonce journaled for a plan. */
export class NonceConflictError extends BallastError {
  override name = "NonceConflictError";
  constructor(
    readonly sender: Address,
    readonly nonce: number,
    readonly onchainNonce: number,
    readonly planId?: string,
  ) {
    super(
      `Nonce ${nonce} of ${sender} was used by another transaction (on-chain nonce ${onchainNonce})${planId ? ` — plan ${planId}` : ""}.`,
      { context: { sender, nonce, onchainNonce, planId } },
    );
  }
}

/** A plan id is already journaled with a different transaction. */
export class PlanConflictError extends BallastError {
  override name = "PlanConflictError";
  constructor(readonly planId: string) {
    super(`Plan ${planId} is already journaled with a different transaction.`, { context: { planId } });
  }
}

/** A transaction did not reach the confirmation depth within the allowed time (it stays journaled). */
export class TransactionTimeoutError extends BallastError {
  override name = "TransactionTimeoutError";
  constructor(
    readonly planId: string,
    readonly timeoutMs: number,
  ) {
    super(
      `Plan ${planId} not confirmed within ${timeoutMs} ms; it stays journaled, resume to keep waiting.`,
      {
        context: { planId, timeoutMs },
      },
    );
  }
}

/** A plan id the journal does not hold. */
export class UnknownPlanError extends BallastError {
  override name = "UnknownPlanError";
  constructor(readonly planId: string) {
    super(`No journaled transaction for plan ${planId}.`, { context: { planId } });
  }
}

/** An executor is misconfigured for the account it drives (not an owner, module not enabled, …). */
export class ExecutorConfigError extends BallastError {
  override name = "ExecutorConfigError";
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, { context });
  }
}

/** One RPC request failed on one URL at the transport level (after the pool's retries): network, timeout, HTTP status. */
export class RpcRequestError extends BallastError {
  override name = "RpcRequestError";
  /** The node answered HTTP 429 (rate limited). */
  readonly rateLimited: boolean;
  constructor(
    readonly chainId: number,
    readonly method: string,
    readonly url: string,
    readonly status: number | undefined,
    cause: unknown,
  ) {
    const why =
      status === 429
        ? "rate limited (HTTP 429)"
        : status !== undefined
          ? `HTTP ${status}`
          : isTimeout(cause)
            ? "timed out"
            : "no answer";
    super(`RPC ${method} failed on ${redactUrl(url)} (chain ${chainId}): ${why}.`, {
      cause,
      context: { chainId, method, url: redactUrl(url), status },
    });
    this.rateLimited = status === 429;
  }
}

const isTimeout = (e: unknown) => e instanceof Error && e.name === "TimeoutError";

/** The first {@link RpcRequestError} in an error's cause chain, if any. */
export function findRpcRequestError(err: unknown): RpcRequestError | undefined {
  return findCause(err, RpcRequestError);
}

/** The {@link ChainMismatchError} in an error's cause chain: the chain's RPC pool stopped (a reconnect to another chain). */
export function findChainMismatchError(err: unknown): ChainMismatchError | undefined {
  return findCause(err, ChainMismatchError);
}

// biome-ignore lint/suspicious/noExplicitAny: any constructor of an error class
function findCause<T>(err: unknown, type: new (...args: any[]) => T): T | undefined {
  for (let e: unknown = err, i = 0; e && i < 10; e = (e as { cause?: unknown }).cause, i++)
    if (e instanceof type) return e;
  return undefined;
}

/**
 * Before signing, the account's pending nonce is ahead of everything this journal sent: another process signs with
 * the same key (a second keeper, a wallet). Nothing is sent on the chain while it lasts.
 */
export class ForeignTransactionError extends BallastError {
  override name = "ForeignTransactionError";
  constructor(
    readonly chainId: number,
    readonly sender: Address,
    readonly journalNext: number,
    readonly pendingNonce: number,
  ) {
    super(
      `Chain ${chainId}: ${sender} has a pending transaction this journal did not send (pending nonce ${pendingNonce}, the journal expects ${journalNext}); another process signs with this key, so nothing is sent on this chain.`,
      { context: { chainId, sender, journalNext, pendingNonce } },
    );
  }
}

/** Waiting for a transaction was stopped (SIGINT/SIGTERM); it stays journaled and in flight. */
export class WaitAbortedError extends BallastError {
  override name = "WaitAbortedError";
  constructor(readonly planId: string) {
    super(`Stopped while waiting for plan ${planId}; it stays journaled and in flight.`, {
      context: { planId },
    });
  }
}

import type { Address, BallastError, Hex } from "@ballast/core";
import type { ChainClients } from "./clients.ts";
import { TransactionTimeoutError, WaitAbortedError } from "./errors.ts";
import type { FeePolicy, Fees } from "./fees.ts";
import { type Settlement, txInFlight } from "./inflight.ts";
import { sleep } from "./sleep.ts";
import { isFinal, type TxInclusion, type TxRecord, type TxStore } from "./store.ts";
import { ensureBroadcast } from "./txBroadcast.ts";
import { asBallastError, isTransportFailure, type TxContext, txContext } from "./txContext.ts";
import { sendTx } from "./txSend.ts";
import { final, observe } from "./txWatch.ts";

/** A transaction to send, as an executor encodes it. */
export type TxRequest = {
  readonly to: Address;
  readonly data: Hex;
  readonly value: bigint;
  /** EIP-7702: delegate the sender to this implementation in the same transaction (self-sponsored). */
  readonly delegateTo?: Address | undefined;
  /** A gas limit to use as is (already padded), instead of `eth_estimateGas` + padding. */
  readonly gas?: bigint | undefined;
};

/** What {@link TxManager.send} takes: the request plus the plan it belongs to. */
export type SendRequest = TxRequest & {
  readonly planId: string;
  /** First-attempt fees instead of the market estimate (still checked against the cap). */
  readonly fees?: Fees | undefined;
  /** Journal over a `dropped` or `reverted` record of the same plan (after the caller re-evaluated it). */
  readonly supersede?: boolean | undefined;
};

/** Options of {@link createTxManager}. */
export type TxManagerOptions = {
  /** The chain's clients; `clients.account` signs. */
  readonly clients: ChainClients;
  readonly store: TxStore;
  /** Fee limits; `maxFeePerGas` is the hard cap. */
  readonly fees: FeePolicy;
  /** Blocks on top of (and including) the inclusion block before a transaction is final. Default 1. */
  readonly confirmations?: number;
  /** Blocks without inclusion before a fee replacement. Default 3. */
  readonly replaceAfterBlocks?: number;
  /** Most fee replacements per transaction. Default 5. */
  readonly maxReplacements?: number;
  /** Replacement bump, bps (at least 1 250). Default 1 250. */
  readonly feeBumpBps?: number;
  /** Gas padding over the estimate, bps. Default 2 000 (+20%). */
  readonly gasPadBps?: number;
  /** Minimum gas padding. Default 25 000. */
  readonly gasPadFloor?: bigint;
  /** Poll interval while waiting, ms. Default the clients' polling interval. */
  readonly pollIntervalMs?: number;
  /** Default bound of {@link TxManager.wait}, ms. Default 600 000. */
  readonly timeoutMs?: number;
  /** Sees what the manager decided on its own (rebroadcasts, reconciled nonces, unknown outcomes), to log it. */
  readonly onEvent?: (event: TxEvent) => void;
};

/** Something the manager did or found that an operator should see in the log. */
export type TxEvent = {
  /**
   * `unknown-outcome`: an RPC failed after the transaction was journaled (it is watched, never re-signed);
   * `rebroadcast`: the node had lost it, the same signed bytes were handed over again; `replaced`: a fee bump;
   * `nonce-reconciled`: the journal's nonce was ahead of the chain's (a reset, a reorg) and the chain's was used;
   * `dropped`: a record became final without landing (reorged out, nonce taken, never seen by the chain);
   * `nonce-gap`: a node holds the record queued behind nonces nothing journaled fills (the journal is ahead of a reset
   * or rolled-back chain): it cannot land unless another sender fills them, so it is not bumped, and the chain holds.
   */
  readonly kind:
    | "unknown-outcome"
    | "rebroadcast"
    | "replaced"
    | "nonce-reconciled"
    | "dropped"
    | "nonce-gap";
  readonly chainId: number;
  readonly planId?: string;
  readonly detail: string;
};

/** Options of {@link TxManager.wait}. */
export type WaitOptions = {
  /** Bound, ms (default the manager's `timeoutMs`): then TransactionTimeoutError, the record stays in flight. */
  readonly timeoutMs?: number;
  /** Stops waiting (WaitAbortedError); the record stays in flight. */
  readonly signal?: AbortSignal | undefined;
};

/** A confirmed (final, successful) journal record. */
export type ConfirmedTx = TxRecord & { readonly status: "confirmed"; readonly inclusion: TxInclusion };

/**
 * The transaction manager of one sender on one chain: serialized nonces, journal-before-broadcast,
 * fee replacement, confirmation depth, reorg detection. Build with {@link createTxManager}.
 */
export type TxManager = {
  readonly chainId: number;
  readonly sender: Address;
  /**
   * Signs, journals, then broadcasts the plan's transaction and returns its record. Idempotent per plan:
   * a plan already journaled (not dropped) returns its record and is never signed twice.
   */
  send(request: SendRequest): Promise<TxRecord>;
  /**
   * Waits until the plan's transaction is `confirmations` deep, replacing it with higher fees while it is
   * stuck and rebroadcasting its bytes when the node lost it. RPC failures meanwhile are an unknown outcome: it
   * keeps watching. Throws TransactionDroppedError (reorged out: re-plan), TransactionRevertedError,
   * NonceConflictError, TransactionTimeoutError or WaitAbortedError (both: still journaled, still in flight).
   */
  wait(planId: string, options?: WaitOptions): Promise<ConfirmedTx>;
  /**
   * One pass over the sender's in-flight ledger on this chain, without waiting: each non-final record is looked at
   * once (receipt → final; reorged out, nonce taken or never seen by the chain → dropped; lost by the node →
   * rebroadcast; stuck → fee bump). Returns what is still in flight; RPC failures leave records in flight.
   */
  settle(): Promise<Settlement>;
  /** After a restart: rebroadcasts journaled-but-unsent transactions (the same signed bytes) and returns the pending records. */
  resume(): Promise<readonly TxRecord[]>;
  /** The journal record of a plan, if any. */
  get(planId: string): Promise<TxRecord | undefined>;
};

/**
 * Creates the transaction manager of `clients.account` on `clients.chain` over a durable {@link TxStore}. Its steps
 * live beside it: signing and sending in `txSend.ts`, broadcasting, replacing and dropping in `txBroadcast.ts`, the
 * watch of each record in `txWatch.ts`, over the state they share (`txContext.ts`).
 */
export function createTxManager(options: TxManagerOptions): TxManager {
  const ctx = txContext(options);
  return {
    chainId: ctx.chainId,
    sender: ctx.sender,
    send: (request) => sendTx(ctx, request),
    wait: (planId, waitOptions) => waitFor(ctx, planId, waitOptions),
    settle: () => settle(ctx),
    resume: () => resume(ctx),
    get: async (planId) => ctx.store.get(ctx.chainId, planId),
  };
}

/** {@link TxManager.wait}: looks at the record every poll interval until it is final, aborted or out of time. */
async function waitFor(ctx: TxContext, planId: string, waitOptions: WaitOptions = {}): Promise<ConfirmedTx> {
  const timeoutMs = waitOptions.timeoutMs ?? ctx.options.timeoutMs ?? 600_000;
  const pollMs = ctx.options.pollIntervalMs ?? ctx.clients.pollingIntervalMs;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (waitOptions.signal?.aborted) throw new WaitAbortedError(planId);
    const look = await observe(ctx, planId).catch((err: unknown) => {
      if (!isTransportFailure(err)) throw err;
      return undefined; // unknown: keep watching
    });
    if (look?.error) throw look.error;
    if (look && isFinal(look.record.status)) return final(look.record);
    if (Date.now() > deadline) throw new TransactionTimeoutError(planId, timeoutMs);
    await sleep(pollMs, waitOptions.signal);
  }
}

/** {@link TxManager.settle}: one look at each of the sender's in-flight records. */
async function settle(ctx: TxContext): Promise<Settlement> {
  const { store, chainId, sender } = ctx;
  const settled: TxRecord[] = [];
  const errors: BallastError[] = [];
  for (const r of await store.pending(chainId, sender)) {
    try {
      const { record } = await observe(ctx, r.planId);
      if (isFinal(record.status)) settled.push(record);
    } catch (err) {
      if (!isTransportFailure(err)) throw err;
      errors.push(asBallastError(err));
    }
  }
  const inFlight = (await store.pending(chainId, sender)).map(txInFlight);
  return { chainId, sender, inFlight, settled, errors };
}

/** {@link TxManager.resume}: every in-flight record's latest bytes handed to a node, after the sends queued before. */
const resume = (ctx: TxContext): Promise<readonly TxRecord[]> =>
  ctx.exclusive(async () => {
    for (const r of await ctx.store.pending(ctx.chainId, ctx.sender)) await ensureBroadcast(ctx, r);
    return ctx.store.pending(ctx.chainId, ctx.sender);
  });

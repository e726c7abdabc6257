import type { Address, Hex } from "@ballast/core";
import { BallastError, max, min } from "@ballast/core";
import {
  HttpRequestError,
  keccak256,
  type LocalAccount,
  type SignedAuthorizationList,
  TimeoutError,
  TransactionNotFoundError,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
  type TransactionSerializable,
} from "viem";
import { type ChainClients, type ChainPublicClient, type PinnedClient, pinClient } from "./clients.ts";
import { decodeRevert, revertDataOf } from "./decode.ts";
import {
  ExecutorConfigError,
  FeeCapExceededError,
  ForeignTransactionError,
  findRpcRequestError,
  NonceConflictError,
  PlanConflictError,
  SimulationFailedError,
  TransactionDroppedError,
  TransactionRevertedError,
  TransactionTimeoutError,
  UnknownPlanError,
  WaitAbortedError,
} from "./errors.ts";
import { bumpFees, computeFees, type FeePolicy, type Fees, padGas } from "./fees.ts";
import { type Settlement, txInFlight } from "./inflight.ts";
import {
  isFinal,
  type StoredAuthorization,
  type TxAttempt,
  type TxInclusion,
  type TxRecord,
  type TxStore,
} from "./store.ts";

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

/** Sleeps `ms`, or less when `signal` aborts. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });

/** An RPC that did not answer (network, timeout, HTTP error, no URL left): the outcome of the call is unknown. */
const isTransportFailure = (err: unknown): boolean => {
  for (let e: unknown = err, i = 0; e && i < 10; e = (e as { cause?: unknown }).cause, i++)
    if (
      e instanceof HttpRequestError ||
      e instanceof TimeoutError ||
      (e as Error).name === "RpcUnavailableError"
    )
      return true;
  return false;
};

const asBallastError = (err: unknown): BallastError =>
  findRpcRequestError(err) ??
  (err instanceof BallastError
    ? err
    : new BallastError(err instanceof Error ? err.message : String(err), { cause: err }));

const messageOf = (err: unknown): string => {
  const parts: string[] = [];
  for (let e: unknown = err, i = 0; e && i < 8; e = (e as { cause?: unknown }).cause, i++)
    if (e instanceof Error) parts.push(e.message);
  return parts.join(" | ").toLowerCase();
};

const sameTx = (r: TxRecord, q: TxRequest) =>
  r.to.toLowerCase() === q.to.toLowerCase() &&
  r.data.toLowerCase() === q.data.toLowerCase() &&
  r.value === q.value;

const toStoredAuth = (a: SignedAuthorizationList[number]): StoredAuthorization => ({
  address: a.address,
  chainId: a.chainId,
  nonce: a.nonce,
  r: a.r,
  s: a.s,
  yParity: a.yParity ?? (a.v === 28n ? 1 : 0),
});

/** Creates the transaction manager of `clients.account` on `clients.chain` over a durable {@link TxStore}. */
export function createTxManager(options: TxManagerOptions): TxManager {
  const { clients, store } = options;
  const account = clients.account as LocalAccount | undefined;
  if (!account?.signTransaction)
    throw new ExecutorConfigError("The transaction manager needs a local signing account.");
  const signer = account;
  const chainId = clients.chain.id;
  const sender = signer.address;
  const confirmations = Math.max(1, options.confirmations ?? 1);
  const replaceAfterBlocks = BigInt(Math.max(1, options.replaceAfterBlocks ?? 3));
  const maxReplacements = options.maxReplacements ?? 5;
  const pollMs = options.pollIntervalMs ?? clients.pollingIntervalMs;
  const defaultTimeout = options.timeoutMs ?? 600_000;
  // Reads go through the pool's ranked fallback (per-URL retries, then the next URL).
  const reader: ChainPublicClient = clients.public;
  const emit = (kind: TxEvent["kind"], detail: string, planId?: string) =>
    options.onEvent?.({ kind, chainId, detail, ...(planId === undefined ? {} : { planId }) });

  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const mustGet = async (planId: string): Promise<TxRecord> => {
    const r = await store.get(chainId, planId);
    if (!r) throw new UnknownPlanError(planId);
    return r;
  };

  const marketFees = async (client: ChainPublicClient, strict: boolean): Promise<Fees> => {
    const [block, prio] = await Promise.all([
      client.getBlock({ blockTag: "latest" }),
      client.estimateMaxPriorityFeePerGas().catch(() => 1_000_000_000n),
    ]);
    const baseFeePerGas = block.baseFeePerGas ?? 0n;
    try {
      return computeFees({ baseFeePerGas, priorityFeePerGas: prio, policy: options.fees });
    } catch (err) {
      if (strict || !(err instanceof FeeCapExceededError)) throw err;
      const cap = options.fees.maxFeePerGas;
      const p = options.fees.maxPriorityFeePerGas ?? cap;
      return { maxFeePerGas: cap, maxPriorityFeePerGas: min(p, cap) };
    }
  };

  const sign = async (r: TxRecord, fees: Fees): Promise<TxAttempt> => {
    const base = {
      chainId,
      nonce: r.nonce,
      to: r.to,
      data: r.data,
      value: r.value,
      gas: r.gas,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    };
    const tx: TransactionSerializable = r.authorizationList?.length
      ? { ...base, type: "eip7702", authorizationList: r.authorizationList.map((a) => ({ ...a })) }
      : { ...base, type: "eip1559" };
    const raw = (await signer.signTransaction(tx)) as Hex;
    return { hash: keccak256(raw), raw, ...fees };
  };

  /** Is any attempt of `r` known to the node (pending or mined)? An RPC failure throws: it is not a "no". */
  const known = async (client: ChainPublicClient, r: TxRecord): Promise<boolean> => {
    for (const a of [...r.attempts].reverse()) {
      const tx = await client.getTransaction({ hash: a.hash }).catch((err: unknown) => {
        if (err instanceof TransactionNotFoundError) return undefined;
        throw err;
      });
      if (tx) return true;
    }
    return false;
  };

  const findReceipt = async (r: TxRecord): Promise<TransactionReceipt | undefined> => {
    for (const a of [...r.attempts].reverse()) {
      const rc = await reader.getTransactionReceipt({ hash: a.hash }).catch((err: unknown) => {
        if (err instanceof TransactionReceiptNotFoundError) return undefined;
        throw err;
      });
      if (rc) return rc;
    }
    return undefined;
  };

  /**
   * Hands one signed attempt to a node and journals the head block it was first handed over at (which starts the
   * replacement clock; if the head cannot be read the record stays `signed` and the next look journals it).
   * A refusal by the node (not a transport failure) throws {@link BroadcastRefused}.
   * "Already known" is fine; "underpriced" or "nonce too low" are left to the watch.
   */
  const broadcast = async (pinned: ChainPublicClient, r: TxRecord, a: TxAttempt): Promise<void> => {
    // A send-only endpoint takes every broadcast, and a failure there never falls back to a public node.
    const client = clients.send?.public ?? pinned;
    try {
      await client.sendRawTransaction({ serializedTransaction: a.raw });
    } catch (err) {
      if (isTransportFailure(err) && !clients.send && client !== reader) return broadcast(reader, r, a);
      const msg = messageOf(err);
      const benign =
        /already known|already imported|known transaction|already in pool|already exists|underpriced|fee too low|less than block base fee|replacement|nonce too low|nonce has already been used|invalid nonce/;
      if (isTransportFailure(err)) throw err;
      if (!benign.test(msg)) throw new BroadcastRefused(msg.split(" | ")[0] ?? msg, err);
    }
    const head = await reader.getBlockNumber().catch((err: unknown) => {
      if (!isTransportFailure(err)) throw err;
      emit(
        "unknown-outcome",
        `broadcast, but the head block could not be read: ${asBallastError(err).shortMessage}`,
        r.planId,
      );
      return undefined;
    });
    // A rebroadcast of the same bytes keeps its first block: the replacement clock runs on.
    if (head !== undefined && a.broadcastBlock === undefined)
      await store.markBroadcast(chainId, r.planId, a.hash, head);
  };

  const dropped = async (r: TxRecord, reason: string): Promise<TxRecord> => {
    await store.markDropped(chainId, r.planId, reason);
    emit("dropped", reason, r.planId);
    const rest = await store.pending(chainId, sender);
    // Give the nonce back unless a later journaled transaction depends on it.
    if (!rest.some((p) => p.nonce > r.nonce))
      await store.setNonce(
        chainId,
        sender,
        await reader.getTransactionCount({ address: sender, blockTag: "latest" }),
      );
    return mustGet(r.planId);
  };

  /** `r` waits on nonces (from the chain's next one, `onchain`) that no journaled record fills. */
  const behindGap = async (r: TxRecord, onchain: number): Promise<boolean> =>
    r.nonce > onchain &&
    !(await store.pending(chainId, sender)).some((p) => p.nonce >= onchain && p.nonce < r.nonce);

  /**
   * The node does not know `r` and its nonce is unused (`onchain` ≤ nonce). If nothing journaled fills the nonces
   * below it, the chain never saw it (a reset or rollback put the journal ahead): it is dropped, so the chain is
   * re-planned from what it really holds. Otherwise the same signed bytes are handed over again.
   */
  const lost = async (r: TxRecord, onchain: number): Promise<void> => {
    if (await behindGap(r, onchain)) {
      emit(
        "nonce-reconciled",
        `journal nonce ${r.nonce} is ahead of the chain's ${onchain}: the chain never saw it`,
        r.planId,
      );
      await dropped(r, `the chain never saw nonce ${r.nonce} (its next nonce is ${onchain})`);
      return;
    }
    const last = r.attempts.at(-1);
    if (!last) return;
    const pinned = await pinClient(clients);
    await broadcast(pinned.public, r, last);
    emit(
      "rebroadcast",
      `the node had lost ${last.hash}: the same signed bytes were broadcast again`,
      r.planId,
    );
  };

  /** Makes sure the latest journaled attempt reached a node (crash between journal and broadcast, lost mempool). */
  const ensureBroadcast = async (r: TxRecord): Promise<void> => {
    const last = r.attempts.at(-1);
    if (!last) return;
    if (await known(reader, r)) {
      if (last.broadcastBlock === undefined)
        await store.markBroadcast(chainId, r.planId, last.hash, await reader.getBlockNumber());
      return;
    }
    const onchain = await reader.getTransactionCount({ address: sender, blockTag: "latest" });
    if (onchain > r.nonce) return; // mined (the receipt is found next) or taken: the watch decides
    await lost(r, onchain);
  };

  const replace = async (r: TxRecord, head: bigint): Promise<void> => {
    const last = r.attempts.at(-1);
    if (!last) return;
    const pinned: PinnedClient = await pinClient(clients);
    const market = await marketFees(pinned.public, false);
    const next =
      r.attempts.length - 1 < maxReplacements
        ? bumpFees({
            previous: last,
            market,
            policy: options.fees,
            ...(options.feeBumpBps === undefined ? {} : { bumpBps: options.feeBumpBps }),
          })
        : undefined;
    if (!next) {
      // No room to bump: keep the same bytes in the pool (nodes may have evicted them).
      if (!(await known(pinned.public, r))) await broadcast(pinned.public, r, last);
      else await store.markBroadcast(chainId, r.planId, last.hash, head);
      return;
    }
    const attempt = await sign(r, next);
    await store.markReplaced(chainId, r.planId, attempt);
    emit("replaced", `stuck since block ${last.broadcastBlock}: replaced by ${attempt.hash}`, r.planId);
    await broadcast(pinned.public, r, attempt);
  };

  /** The first nonce free for a new transaction, after checking the chain's pending nonce against the journal. */
  const nextNonce = async (client: ChainPublicClient): Promise<number> => {
    const [latest, pendingNonce, pending, stored] = await Promise.all([
      client.getTransactionCount({ address: sender, blockTag: "latest" }),
      client.getTransactionCount({ address: sender, blockTag: "pending" }),
      store.pending(chainId, sender),
      store.getNonce(chainId, sender),
    ]);
    const ours = Math.max(latest, ...pending.map(nextNonceAfter));
    if (pendingNonce > ours) throw new ForeignTransactionError(chainId, sender, ours, pendingNonce);
    if ((stored ?? 0) > ours)
      emit(
        "nonce-reconciled",
        `journal nonce ${stored} is ahead of the chain's ${ours}: signing with ${ours}`,
      );
    return ours;
  };

  const send: TxManager["send"] = (req) =>
    exclusive(async () => {
      const existing = await store.get(chainId, req.planId);
      if (existing && !(req.supersede && (existing.status === "dropped" || existing.status === "reverted"))) {
        if (!sameTx(existing, req)) throw new PlanConflictError(req.planId);
        if (!isFinal(existing.status)) await ensureBroadcast(existing).catch(unknownOutcome(req.planId));
        return mustGet(req.planId);
      }
      const pinned = await pinClient(clients);
      const client = pinned.public;
      const nonce = await nextNonce(client);
      const fees = req.fees ? computeFeesOverride(req.fees, options.fees) : await marketFees(client, true);

      let authorizationList: SignedAuthorizationList | undefined;
      if (req.delegateTo) {
        if (!signer.signAuthorization)
          throw new ExecutorConfigError("EIP-7702 delegation needs an account that signs authorizations.");
        // Self-sponsored: the transaction bumps the nonce before the authorization is checked.
        authorizationList = [
          await signer.signAuthorization({ address: req.delegateTo, chainId, nonce: nonce + 1 }),
        ];
      }
      const gas = req.gas ?? (await estimateGas(client, sender, req, authorizationList, options));
      const draft: TxRecord = {
        planId: req.planId,
        chainId,
        sender,
        nonce,
        to: req.to,
        data: req.data,
        value: req.value,
        gas,
        authorizationList: authorizationList?.map(toStoredAuth),
        status: "signed",
        attempts: [],
      };
      const first = await sign(draft, fees);
      const record: TxRecord = { ...draft, attempts: [first] };
      await store.putIntent(record);
      await store.setNonce(chainId, sender, nextNonceAfter(record));
      // From here on the transaction is in flight: an RPC failure is an unknown outcome, never a failure.
      try {
        await broadcast(client, record, first);
      } catch (err) {
        if (!(err instanceof BroadcastRefused)) unknownOutcome(req.planId)(err);
        else {
          // The node refused the bytes: they never entered a pool.
          await dropped(record, `refused by the node: ${err.reason}`);
          throw err.cause;
        }
      }
      return mustGet(req.planId);
    });

  const unknownOutcome = (planId: string) => (err: unknown) => {
    if (!isTransportFailure(err)) throw err;
    emit("unknown-outcome", `${asBallastError(err).shortMessage} — still in flight, watching`, planId);
  };

  const finish = async (r: TxRecord, rc: TransactionReceipt): Promise<Observation> => {
    const inclusion: TxInclusion = {
      hash: rc.transactionHash,
      blockNumber: rc.blockNumber,
      blockHash: rc.blockHash,
      gasUsed: rc.gasUsed,
      effectiveGasPrice: rc.effectiveGasPrice,
    };
    if (((await store.getNonce(chainId, sender)) ?? 0) < nextNonceAfter(r))
      await store.setNonce(chainId, sender, nextNonceAfter(r));
    if (rc.status === "success") {
      await store.markConfirmed(chainId, r.planId, inclusion);
      return { record: await mustGet(r.planId) };
    }
    await store.markReverted(chainId, r.planId, inclusion);
    return {
      record: await mustGet(r.planId),
      error: new TransactionRevertedError(r.planId, rc.transactionHash, "status 0 receipt"),
    };
  };

  const watches = new Map<string, Watch>();

  /** One look at a record: moves it toward final. RPC failures throw (the record stays as it was). */
  const observe = async (planId: string): Promise<Observation> => {
    let r = await mustGet(planId);
    if (isFinal(r.status)) return { record: r };
    if (r.attempts.at(-1)?.broadcastBlock === undefined) {
      await exclusive(() => ensureBroadcast(r));
      r = await mustGet(planId);
      if (isFinal(r.status)) return { record: r };
    }
    const w = watches.get(planId) ?? { seen: undefined, strikes: 0 };
    watches.set(planId, w);
    const head = await reader.getBlockNumber();
    const rc = await findReceipt(r);
    if (rc) {
      w.seen = rc;
      w.strikes = 0;
      if (head >= rc.blockNumber + BigInt(confirmations - 1)) {
        const block = await reader.getBlock({ blockNumber: rc.blockNumber }).catch(() => undefined);
        if (block?.hash === rc.blockHash) return finish(r, rc);
      }
      return { record: r };
    }
    if (w.seen) {
      // It was included and is gone: a reorg. Still in a pool → it may land again; gone → dropped.
      const block = w.seen.blockNumber;
      w.seen = undefined;
      if (await known(reader, r)) return { record: r };
      const reason = `reorged out of block ${block}`;
      return {
        record: await dropped(r, reason),
        error: new TransactionDroppedError(planId, r.nonce, reason),
      };
    }
    const onchain = await reader.getTransactionCount({ address: sender, blockTag: "latest" });
    if (onchain > r.nonce) {
      // Our nonce is used but none of our hashes has a receipt: look three times before calling it a conflict.
      if (++w.strikes < 3) return { record: r };
      return {
        record: await dropped(r, `nonce ${r.nonce} used by another transaction`),
        error: new NonceConflictError(sender, r.nonce, onchain, planId),
      };
    }
    w.strikes = 0;
    const since = r.attempts.at(-1)?.broadcastBlock;
    const stuck = since !== undefined && head >= since + replaceAfterBlocks;
    const isKnown = await known(reader, r);
    if (isKnown && (await behindGap(r, onchain))) {
      // Queued behind nonces nothing journaled fills: a fee bump cannot help; said once, and the chain holds.
      if (!w.gapSaid)
        emit(
          "nonce-gap",
          `nonce ${r.nonce} is queued behind the chain's next nonce ${onchain}, which nothing journaled fills (a node reset or rollback?): it lands only if another sender fills the gap; this chain holds`,
          planId,
        );
      w.gapSaid = true;
      return { record: r };
    }
    // Behind a nonce the chain has not reached, a fee bump cannot help: see whether the chain ever saw it.
    if (!isKnown && (r.nonce > onchain || !stuck)) await exclusive(() => lost(r, onchain));
    else if (stuck) await exclusive(async () => replace(await mustGet(planId), head));
    return { record: await mustGet(planId) };
  };

  const wait: TxManager["wait"] = async (planId, waitOptions = {}) => {
    const timeoutMs = waitOptions.timeoutMs ?? defaultTimeout;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (waitOptions.signal?.aborted) throw new WaitAbortedError(planId);
      const look = await observe(planId).catch((err: unknown) => {
        if (!isTransportFailure(err)) throw err;
        return undefined; // unknown: keep watching
      });
      if (look?.error) throw look.error;
      if (look && isFinal(look.record.status)) return final(look.record);
      if (Date.now() > deadline) throw new TransactionTimeoutError(planId, timeoutMs);
      await sleep(pollMs, waitOptions.signal);
    }
  };

  const settle: TxManager["settle"] = async () => {
    const settled: TxRecord[] = [];
    const errors: BallastError[] = [];
    for (const r of await store.pending(chainId, sender)) {
      try {
        const { record } = await observe(r.planId);
        if (isFinal(record.status)) settled.push(record);
      } catch (err) {
        if (!isTransportFailure(err)) throw err;
        errors.push(asBallastError(err));
      }
    }
    const inFlight = (await store.pending(chainId, sender)).map(txInFlight);
    return { chainId, sender, inFlight, settled, errors };
  };

  const resume: TxManager["resume"] = () =>
    exclusive(async () => {
      for (const r of await store.pending(chainId, sender)) await ensureBroadcast(r);
      return store.pending(chainId, sender);
    });

  return {
    chainId,
    sender,
    send,
    wait,
    settle,
    resume,
    get: async (planId) => store.get(chainId, planId),
  };
}

/** A node refused a signed transaction (insufficient funds, intrinsic gas, …): it never entered its pool. */
class BroadcastRefused extends Error {
  constructor(
    readonly reason: string,
    override readonly cause: unknown,
  ) {
    super(reason);
  }
}

/** What the watch remembers of a record between looks: a receipt seen once (a later miss is a reorg), strikes. */
type Watch = { seen: TransactionReceipt | undefined; strikes: number; gapSaid?: boolean };

/** `eth_estimateGas` of a request, padded; a revert is a SimulationFailedError, a transport failure passes through. */
async function estimateGas(
  client: ChainPublicClient,
  sender: Address,
  req: SendRequest,
  authorizationList: SignedAuthorizationList | undefined,
  options: Pick<TxManagerOptions, "gasPadBps" | "gasPadFloor">,
): Promise<bigint> {
  try {
    const gas = await client.estimateGas({
      account: sender,
      to: req.to,
      data: req.data,
      value: req.value,
      ...(authorizationList ? { authorizationList } : {}),
    });
    return padGas(gas, {
      ...(options.gasPadBps === undefined ? {} : { bps: options.gasPadBps }),
      ...(options.gasPadFloor === undefined ? {} : { floor: options.gasPadFloor }),
    });
  } catch (err) {
    const data = revertDataOf(err);
    if (data === undefined && isTransportFailure(err)) throw err;
    const d = decodeRevert(data);
    throw new SimulationFailedError(`gas estimation failed: ${d.reason}`, d.index, data, {
      errorName: d.errorName,
      cause: err,
    });
  }
}

/** One look at a record: where it stands, and the error of a final outcome that is not a success. */
type Observation = { readonly record: TxRecord; readonly error?: BallastError };

/** A final record as the caller of `wait` sees it: the confirmed record, or the error of its outcome. */
function final(r: TxRecord): ConfirmedTx {
  switch (r.status) {
    case "confirmed":
      return r as ConfirmedTx;
    case "reverted":
      throw new TransactionRevertedError(r.planId, r.inclusion?.hash ?? "0x", "status 0 receipt");
    case "dropped":
      throw new TransactionDroppedError(r.planId, r.nonce, r.droppedReason ?? "dropped");
    case "signed":
    case "broadcast":
      throw new Error("not final");
  }
}

/** The sender's next nonce once `r` is mined: a self-sponsored authorization bumps it a second time. */
const nextNonceAfter = (r: TxRecord): number => r.nonce + 1 + (r.authorizationList?.length ? 1 : 0);

/** Caller-given first-attempt fees, checked against the policy cap. */
function computeFeesOverride(fees: Fees, policy: FeePolicy): Fees {
  if (fees.maxFeePerGas > policy.maxFeePerGas)
    throw new FeeCapExceededError(fees.maxFeePerGas, policy.maxFeePerGas);
  return { maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: max(0n, fees.maxPriorityFeePerGas) };
}

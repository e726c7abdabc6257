import type { Address, Hex } from "@ballast/core";
import { max, min } from "@ballast/core";
import {
  HttpRequestError,
  keccak256,
  type LocalAccount,
  type SignedAuthorizationList,
  TimeoutError,
  type TransactionReceipt,
  type TransactionSerializable,
} from "viem";
import { type ChainClients, type ChainPublicClient, type PinnedClient, pinClient } from "./clients.ts";
import { decodeRevert, revertDataOf } from "./decode.ts";
import {
  ExecutorConfigError,
  FeeCapExceededError,
  NonceConflictError,
  PlanConflictError,
  SimulationFailedError,
  TransactionDroppedError,
  TransactionRevertedError,
  TransactionTimeoutError,
  UnknownPlanError,
} from "./errors.ts";
import { bumpFees, computeFees, type FeePolicy, type Fees, padGas } from "./fees.ts";
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
   * stuck. Throws TransactionDroppedError (reorged out: re-plan), TransactionRevertedError,
   * NonceConflictError or TransactionTimeoutError (still journaled).
   */
  wait(planId: string, options?: { readonly timeoutMs?: number }): Promise<ConfirmedTx>;
  /** After a restart: rebroadcasts journaled-but-unsent transactions (the same signed bytes) and returns the pending records. */
  resume(): Promise<readonly TxRecord[]>;
  /** The journal record of a plan, if any. */
  get(planId: string): Promise<TxRecord | undefined>;
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const isTransportFailure = (err: unknown): boolean => {
  for (let e: unknown = err, i = 0; e && i < 8; e = (e as { cause?: unknown }).cause, i++)
    if (e instanceof HttpRequestError || e instanceof TimeoutError) return true;
  return false;
};

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
  const reader: ChainPublicClient = clients.public;

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

  /** Is any attempt of `r` known to the node (pending or mined)? */
  const known = async (client: ChainPublicClient, r: TxRecord): Promise<boolean> => {
    for (const a of [...r.attempts].reverse()) {
      const tx = await client.getTransaction({ hash: a.hash }).catch(() => undefined);
      if (tx) return true;
    }
    return false;
  };

  const findReceipt = async (r: TxRecord): Promise<TransactionReceipt | undefined> => {
    for (const a of [...r.attempts].reverse()) {
      const rc = await reader.getTransactionReceipt({ hash: a.hash }).catch(() => undefined);
      if (rc) return rc;
    }
    return undefined;
  };

  /**
   * Hands one signed attempt to a node and journals the head block it was handed over at (which starts the
   * replacement clock). "Already known" is fine; "underpriced" or "nonce too low" are left to wait().
   */
  const broadcast = async (client: ChainPublicClient, r: TxRecord, a: TxAttempt): Promise<void> => {
    try {
      await client.sendRawTransaction({ serializedTransaction: a.raw });
    } catch (err) {
      if (isTransportFailure(err) && client !== reader) return broadcast(reader, r, a);
      const msg = messageOf(err);
      const benign =
        /already known|already imported|known transaction|already in pool|already exists|underpriced|fee too low|less than block base fee|replacement|nonce too low|nonce has already been used|invalid nonce/;
      if (!benign.test(msg)) throw err;
    }
    await store.markBroadcast(chainId, r.planId, a.hash, await client.getBlockNumber());
  };

  /** Makes sure the latest journaled attempt reached a node (crash between journal and broadcast). */
  const ensureBroadcast = async (r: TxRecord): Promise<void> => {
    const last = r.attempts.at(-1);
    if (!last || last.broadcastBlock !== undefined) return;
    if (await known(reader, r)) {
      await store.markBroadcast(chainId, r.planId, last.hash, await reader.getBlockNumber());
      return;
    }
    const onchain = await reader.getTransactionCount({ address: sender, blockTag: "latest" });
    if (onchain > r.nonce) return; // mined (receipt found by wait) or taken: wait() decides
    const pinned = await pinClient(clients);
    await broadcast(pinned.public, r, last);
  };

  const dropped = async (r: TxRecord, reason: string): Promise<void> => {
    await store.markDropped(chainId, r.planId, reason);
    const rest = await store.pending(chainId, sender);
    // Give the nonce back unless a later journaled transaction depends on it.
    if (!rest.some((p) => p.nonce > r.nonce))
      await store.setNonce(
        chainId,
        sender,
        await reader.getTransactionCount({ address: sender, blockTag: "latest" }),
      );
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
    await broadcast(pinned.public, r, attempt);
  };

  const send: TxManager["send"] = (req) =>
    exclusive(async () => {
      const existing = await store.get(chainId, req.planId);
      if (existing && !(req.supersede && (existing.status === "dropped" || existing.status === "reverted"))) {
        if (!sameTx(existing, req)) throw new PlanConflictError(req.planId);
        if (!isFinal(existing.status)) await ensureBroadcast(existing);
        return mustGet(req.planId);
      }
      const pinned = await pinClient(clients);
      const client = pinned.public;
      const [chainNonce, pending, stored] = await Promise.all([
        client.getTransactionCount({ address: sender, blockTag: "pending" }),
        store.pending(chainId, sender),
        store.getNonce(chainId, sender),
      ]);
      const nonce = Math.max(chainNonce, stored ?? 0, ...pending.map(nextNonceAfter));
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

      let gas = req.gas;
      if (gas === undefined) {
        try {
          const estimate = await client.estimateGas({
            account: sender,
            to: req.to,
            data: req.data,
            value: req.value,
            ...(authorizationList ? { authorizationList } : {}),
          });
          gas = padGas(estimate, {
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
      await broadcast(client, record, first);
      return mustGet(req.planId);
    });

  const finish = async (r: TxRecord, rc: TransactionReceipt): Promise<ConfirmedTx> => {
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
      return (await mustGet(r.planId)) as ConfirmedTx;
    }
    await store.markReverted(chainId, r.planId, inclusion);
    throw new TransactionRevertedError(r.planId, rc.transactionHash, "status 0 receipt");
  };

  const final = async (r: TxRecord): Promise<ConfirmedTx> => {
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
  };

  const wait: TxManager["wait"] = async (planId, waitOptions = {}) => {
    const timeoutMs = waitOptions.timeoutMs ?? defaultTimeout;
    const deadline = Date.now() + timeoutMs;
    let seen: TransactionReceipt | undefined;
    let conflictStrikes = 0;
    for (;;) {
      let r = await mustGet(planId);
      if (isFinal(r.status)) return final(r);
      if (r.attempts.at(-1)?.broadcastBlock === undefined) {
        await exclusive(() => ensureBroadcast(r));
        r = await mustGet(planId);
      }
      const head = await reader.getBlockNumber();
      const rc = await findReceipt(r);
      if (rc) {
        seen = rc;
        conflictStrikes = 0;
        if (head >= rc.blockNumber + BigInt(confirmations - 1)) {
          const block = await reader.getBlock({ blockNumber: rc.blockNumber }).catch(() => undefined);
          if (block?.hash === rc.blockHash) return finish(r, rc);
        }
      } else if (seen) {
        // It was included and is gone: a reorg. Still in a pool → it may land again; gone → dropped.
        if (!(await known(reader, r))) {
          await dropped(r, `reorged out of block ${seen.blockNumber}`);
          throw new TransactionDroppedError(planId, r.nonce, `reorged out of block ${seen.blockNumber}`);
        }
        seen = undefined;
      } else {
        const onchain = await reader.getTransactionCount({ address: sender, blockTag: "latest" });
        if (onchain > r.nonce) {
          // Our nonce is used but none of our hashes has a receipt: look twice before calling it a conflict.
          if (++conflictStrikes >= 3) {
            await dropped(r, `nonce ${r.nonce} used by another transaction`);
            throw new NonceConflictError(sender, r.nonce, onchain, planId);
          }
        } else {
          const last = r.attempts.at(-1);
          const since = last?.broadcastBlock;
          if (since !== undefined && head >= since + replaceAfterBlocks)
            await exclusive(async () => replace(await mustGet(planId), head));
        }
      }
      if (Date.now() > deadline) throw new TransactionTimeoutError(planId, timeoutMs);
      await sleep(pollMs);
    }
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
    resume,
    get: async (planId) => store.get(chainId, planId),
  };
}

/** The sender's next nonce once `r` is mined: a self-sponsored authorization bumps it a second time. */
const nextNonceAfter = (r: TxRecord): number => r.nonce + 1 + (r.authorizationList?.length ? 1 : 0);

/** Caller-given first-attempt fees, checked against the policy cap. */
function computeFeesOverride(fees: Fees, policy: FeePolicy): Fees {
  if (fees.maxFeePerGas > policy.maxFeePerGas)
    throw new FeeCapExceededError(fees.maxFeePerGas, policy.maxFeePerGas);
  return { maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: max(0n, fees.maxPriorityFeePerGas) };
}

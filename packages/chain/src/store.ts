import type { Address, Hex } from "@ballast/core";

/** A value or a promise of it: a store may be synchronous (better-sqlite3) or asynchronous. */
export type Awaitable<T> = T | Promise<T>;

/** A signed EIP-7702 authorization as journaled (plain data). */
export type StoredAuthorization = {
  readonly address: Address;
  readonly chainId: number;
  readonly nonce: number;
  readonly r: Hex;
  readonly s: Hex;
  readonly yParity: number;
};

/** One signed version of a plan's transaction (the first one, or a fee replacement with the same nonce). */
export type TxAttempt = {
  readonly hash: Hex;
  /** The signed raw transaction: rebroadcast as is after a crash, never re-signed differently. */
  readonly raw: Hex;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  /** Head block when it was broadcast; undefined while only journaled. */
  readonly broadcastBlock?: bigint | undefined;
};

/** Where a journaled transaction stands. `confirmed`, `reverted` and `dropped` are final. */
export type TxStatus = "signed" | "broadcast" | "confirmed" | "reverted" | "dropped";

/** The inclusion a final record ends with. */
export type TxInclusion = {
  readonly hash: Hex;
  readonly blockNumber: bigint;
  readonly blockHash: Hex;
  readonly gasUsed: bigint;
  readonly effectiveGasPrice: bigint;
};

/** The journal entry of one plan's transaction on one chain. Every field is plain data (JSON-able with bigints as strings). */
export type TxRecord = {
  readonly planId: string;
  readonly chainId: number;
  readonly sender: Address;
  readonly nonce: number;
  readonly to: Address;
  readonly data: Hex;
  readonly value: bigint;
  readonly gas: bigint;
  readonly authorizationList?: readonly StoredAuthorization[] | undefined;
  readonly status: TxStatus;
  /** Oldest first; the last one is the current fee level. */
  readonly attempts: readonly TxAttempt[];
  readonly inclusion?: TxInclusion | undefined;
  readonly droppedReason?: string | undefined;
};

/**
 * The transaction manager's durable journal. The keeper implements it on SQLite; {@link memoryTxStore} is the
 * reference implementation. Contract:
 * - every method is durable when it returns (the manager signs, then journals, then broadcasts);
 * - `putIntent` inserts a record and must throw if the plan already has one that is not `dropped` or
 *   `reverted` (one live transaction per plan and chain); a dropped/reverted one is overwritten when the
 *   caller re-sends the re-evaluated plan;
 * - `markReplaced` appends an attempt (same nonce) before it is broadcast;
 * - `markBroadcast` sets `broadcastBlock` on the attempt with that hash and the status to `broadcast`
 *   (unless final);
 * - `markConfirmed`, `markReverted` and `markDropped` are final; `pending` returns the non-final records of
 *   a sender on a chain, lowest nonce first;
 * - `getNonce`/`setNonce` hold the next nonce the manager may use for a sender (a high-water mark).
 * Records must round-trip exactly (bigints included); the manager never deletes.
 */
export type TxStore = {
  /** The next nonce journaled for (chain, sender), or undefined if none yet. */
  getNonce(chainId: number, sender: Address): Awaitable<number | undefined>;
  /** Sets the next nonce for (chain, sender). */
  setNonce(chainId: number, sender: Address, nonce: number): Awaitable<void>;
  /** The record of a plan on a chain, if any. */
  get(chainId: number, planId: string): Awaitable<TxRecord | undefined>;
  /** Journals a plan transaction with its first signed attempt (status `signed`). Throws if a live one exists. */
  putIntent(record: TxRecord): Awaitable<void>;
  /** Marks the attempt `hash` broadcast at head block `blockNumber`. */
  markBroadcast(chainId: number, planId: string, hash: Hex, blockNumber: bigint): Awaitable<void>;
  /** Journals a fee replacement (a new signed attempt with the same nonce), before it is broadcast. */
  markReplaced(chainId: number, planId: string, attempt: TxAttempt): Awaitable<void>;
  /** Final: included at the confirmation depth and succeeded. */
  markConfirmed(chainId: number, planId: string, inclusion: TxInclusion): Awaitable<void>;
  /** Final: included at the confirmation depth but reverted. */
  markReverted(chainId: number, planId: string, inclusion: TxInclusion): Awaitable<void>;
  /** Final: not on chain any more (reorg) or its nonce went to another transaction. */
  markDropped(chainId: number, planId: string, reason: string): Awaitable<void>;
  /** Non-final records of (chain, sender), lowest nonce first. */
  pending(chainId: number, sender: Address): Awaitable<readonly TxRecord[]>;
};

const FINAL: ReadonlySet<TxStatus> = new Set(["confirmed", "reverted", "dropped"]);

/** True for `confirmed`, `reverted` and `dropped`. */
export const isFinal = (status: TxStatus): boolean => FINAL.has(status);

/** An in-memory {@link TxStore} (records are copied in and out, as a database would). For tests and examples. */
export function memoryTxStore(): TxStore & { records(): TxRecord[] } {
  const nonces = new Map<string, number>();
  const records = new Map<string, TxRecord>();
  const nkey = (chainId: number, sender: Address) => `${chainId}:${sender.toLowerCase()}`;
  const rkey = (chainId: number, planId: string) => `${chainId}:${planId}`;
  const must = (chainId: number, planId: string): TxRecord => {
    const r = records.get(rkey(chainId, planId));
    if (!r) throw new Error(`memoryTxStore: no record for plan ${planId} on chain ${chainId}`);
    return r;
  };
  const update = (r: TxRecord, patch: Partial<TxRecord>) =>
    records.set(rkey(r.chainId, r.planId), structuredClone({ ...r, ...patch }));
  return {
    getNonce: (chainId, sender) => nonces.get(nkey(chainId, sender)),
    setNonce: (chainId, sender, nonce) => {
      nonces.set(nkey(chainId, sender), nonce);
    },
    get: (chainId, planId) => {
      const r = records.get(rkey(chainId, planId));
      return r && structuredClone(r);
    },
    putIntent: (record) => {
      const k = rkey(record.chainId, record.planId);
      const old = records.get(k);
      if (old && old.status !== "dropped" && old.status !== "reverted")
        throw new Error(`memoryTxStore: plan ${record.planId} already journaled`);
      records.set(k, structuredClone(record));
    },
    markBroadcast: (chainId, planId, hash, blockNumber) => {
      const r = must(chainId, planId);
      update(r, {
        status: isFinal(r.status) ? r.status : "broadcast",
        attempts: r.attempts.map((a) => (a.hash === hash ? { ...a, broadcastBlock: blockNumber } : a)),
      });
    },
    markReplaced: (chainId, planId, attempt) => {
      const r = must(chainId, planId);
      update(r, { attempts: [...r.attempts, attempt] });
    },
    markConfirmed: (chainId, planId, inclusion) => {
      update(must(chainId, planId), { status: "confirmed", inclusion });
    },
    markReverted: (chainId, planId, inclusion) => {
      update(must(chainId, planId), { status: "reverted", inclusion });
    },
    markDropped: (chainId, planId, reason) => {
      update(must(chainId, planId), { status: "dropped", droppedReason: reason });
    },
    pending: (chainId, sender) =>
      [...records.values()]
        .filter(
          (r) =>
            r.chainId === chainId && r.sender.toLowerCase() === sender.toLowerCase() && !isFinal(r.status),
        )
        .sort((a, b) => a.nonce - b.nonce)
        .map((r) => structuredClone(r)),
    records: () => [...records.values()].map((r) => structuredClone(r)),
  };
}

import type { Address } from "@ballast/core";
import { BallastError } from "@ballast/core";
import { HttpRequestError, type LocalAccount, TimeoutError, type TransactionReceipt } from "viem";
import type { ChainClients, ChainPublicClient } from "./clients.ts";
import { ExecutorConfigError, findRpcRequestError, UnknownPlanError } from "./errors.ts";
import { createMutex } from "./executor.ts";
import type { TxRecord, TxStore } from "./store.ts";
import type { TxEvent, TxManagerOptions } from "./txManager.ts";

/** What the watch remembers of a record between looks: a receipt seen once (a later miss is a reorg), strikes. */
export type Watch = { seen: TransactionReceipt | undefined; strikes: number; gapSaid?: boolean };

/**
 * What every step of one transaction manager shares: its sender, chain, journal and settings, the queue that keeps
 * nonce-taking and broadcasting steps one at a time, and the watches of the records it looks at.
 */
export type TxContext = {
  readonly clients: ChainClients;
  readonly store: TxStore;
  readonly options: TxManagerOptions;
  readonly signer: LocalAccount;
  readonly chainId: number;
  readonly sender: Address;
  /** Reads go through the pool's ranked fallback (per-URL retries, then the next URL). */
  readonly reader: ChainPublicClient;
  readonly confirmations: number;
  readonly replaceAfterBlocks: bigint;
  readonly maxReplacements: number;
  readonly watches: Map<string, Watch>;
  /** Tells `options.onEvent` what the manager decided on its own. */
  emit(kind: TxEvent["kind"], detail: string, planId?: string): void;
  /** Runs `fn` after every step queued before it (and before any queued after). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
};

/** The context of the manager of `options.clients.account` (a local signing account) on its chain. */
export function txContext(options: TxManagerOptions): TxContext {
  const { clients, store } = options;
  const signer = clients.account as LocalAccount | undefined;
  if (!signer?.signTransaction)
    throw new ExecutorConfigError("The transaction manager needs a local signing account.");
  const chainId = clients.chain.id;
  return {
    clients,
    store,
    options,
    signer,
    chainId,
    sender: signer.address,
    reader: clients.public,
    confirmations: Math.max(1, options.confirmations ?? 1),
    replaceAfterBlocks: BigInt(Math.max(1, options.replaceAfterBlocks ?? 3)),
    maxReplacements: options.maxReplacements ?? 5,
    watches: new Map(),
    emit: (kind, detail, planId) =>
      options.onEvent?.({ kind, chainId, detail, ...(planId === undefined ? {} : { planId }) }),
    exclusive: createMutex(),
  };
}

/** The journal record of a plan; UnknownPlanError if there is none. */
export async function mustGet(ctx: TxContext, planId: string): Promise<TxRecord> {
  const r = await ctx.store.get(ctx.chainId, planId);
  if (!r) throw new UnknownPlanError(planId);
  return r;
}

/** The sender's next nonce on the chain (mined transactions only). */
export const chainNonce = (ctx: TxContext): Promise<number> =>
  ctx.reader.getTransactionCount({ address: ctx.sender, blockTag: "latest" });

/** The sender's next nonce once `r` is mined: a self-sponsored authorization bumps it a second time. */
export const nextNonceAfter = (r: TxRecord): number => r.nonce + 1 + (r.authorizationList?.length ? 1 : 0);

/** An RPC that did not answer (network, timeout, HTTP error, no URL left): the outcome of the call is unknown. */
export const isTransportFailure = (err: unknown): boolean => {
  for (let e: unknown = err, i = 0; e && i < 10; e = (e as { cause?: unknown }).cause, i++)
    if (
      e instanceof HttpRequestError ||
      e instanceof TimeoutError ||
      (e as Error).name === "RpcUnavailableError"
    )
      return true;
  return false;
};

/** `err` as a BallastError: the RPC request error inside it, itself, or a wrapper. */
export const asBallastError = (err: unknown): BallastError =>
  findRpcRequestError(err) ??
  (err instanceof BallastError
    ? err
    : new BallastError(err instanceof Error ? err.message : String(err), { cause: err }));

/** After a transaction was journaled: a transport failure is an unknown outcome (said, then watched); else rethrown. */
export const unknownOutcome = (ctx: TxContext, planId: string) => (err: unknown) => {
  if (!isTransportFailure(err)) throw err;
  ctx.emit("unknown-outcome", `${asBallastError(err).shortMessage} — still in flight, watching`, planId);
};

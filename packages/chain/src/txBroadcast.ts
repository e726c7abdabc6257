import type { Hex } from "@ballast/core";
import { min } from "@ballast/core";
import { keccak256, TransactionNotFoundError, type TransactionSerializable } from "viem";
import { type ChainPublicClient, pinClient } from "./clients.ts";
import { FeeCapExceededError } from "./errors.ts";
import { bumpFees, computeFees, type Fees } from "./fees.ts";
import type { TxAttempt, TxRecord } from "./store.ts";
import {
  asBallastError,
  chainNonce,
  isTransportFailure,
  mustGet,
  nextNonceAfter,
  type TxContext,
} from "./txContext.ts";

/** A node refused a signed transaction (insufficient funds, intrinsic gas, …): it never entered its pool. */
export class BroadcastRefused extends Error {
  constructor(
    readonly reason: string,
    override readonly cause: unknown,
  ) {
    super(reason);
  }
}

/** Fees of the next block; over the cap they are an error when `strict`, else the cap itself (a replacement). */
export async function marketFees(ctx: TxContext, client: ChainPublicClient, strict: boolean): Promise<Fees> {
  const policy = ctx.options.fees;
  const [block, prio] = await Promise.all([
    client.getBlock({ blockTag: "latest" }),
    client.estimateMaxPriorityFeePerGas().catch(() => 1_000_000_000n),
  ]);
  const baseFeePerGas = block.baseFeePerGas ?? 0n;
  try {
    return computeFees({ baseFeePerGas, priorityFeePerGas: prio, policy });
  } catch (err) {
    if (strict || !(err instanceof FeeCapExceededError)) throw err;
    const cap = policy.maxFeePerGas;
    const p = policy.maxPriorityFeePerGas ?? cap;
    return { maxFeePerGas: cap, maxPriorityFeePerGas: min(p, cap) };
  }
}

/** Signs one attempt of `r` at `fees` (EIP-7702 when it carries authorizations). */
export async function sign(ctx: TxContext, r: TxRecord, fees: Fees): Promise<TxAttempt> {
  const base = {
    chainId: ctx.chainId,
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
  const raw = (await ctx.signer.signTransaction(tx)) as Hex;
  return { hash: keccak256(raw), raw, ...fees };
}

/** Is any attempt of `r` known to the node (pending or mined)? An RPC failure throws: it is not a "no". */
export async function known(client: ChainPublicClient, r: TxRecord): Promise<boolean> {
  for (const a of [...r.attempts].reverse()) {
    const tx = await client.getTransaction({ hash: a.hash }).catch((err: unknown) => {
      if (err instanceof TransactionNotFoundError) return undefined;
      throw err;
    });
    if (tx) return true;
  }
  return false;
}

const BENIGN =
  /already known|already imported|known transaction|already in pool|already exists|underpriced|fee too low|less than block base fee|replacement|nonce too low|nonce has already been used|invalid nonce/;

/**
 * Hands one signed attempt to a node and journals the head block it was first handed over at (which starts the
 * replacement clock; if the head cannot be read the record stays `signed` and the next look journals it).
 * A refusal by the node (not a transport failure) throws {@link BroadcastRefused}.
 * "Already known" is fine; "underpriced" or "nonce too low" are left to the watch.
 */
export async function broadcast(
  ctx: TxContext,
  pinned: ChainPublicClient,
  r: TxRecord,
  a: TxAttempt,
): Promise<void> {
  const { clients, reader } = ctx;
  // A send-only endpoint takes every broadcast, and a failure there never falls back to a public node.
  const client = clients.send?.public ?? pinned;
  try {
    await client.sendRawTransaction({ serializedTransaction: a.raw });
  } catch (err) {
    if (isTransportFailure(err) && !clients.send && client !== reader) return broadcast(ctx, reader, r, a);
    const msg = messageOf(err);
    if (isTransportFailure(err)) throw err;
    if (!BENIGN.test(msg)) throw new BroadcastRefused(msg.split(" | ")[0] ?? msg, err);
  }
  const head = await reader.getBlockNumber().catch((err: unknown) => {
    if (!isTransportFailure(err)) throw err;
    ctx.emit(
      "unknown-outcome",
      `broadcast, but the head block could not be read: ${asBallastError(err).shortMessage}`,
      r.planId,
    );
    return undefined;
  });
  // A rebroadcast of the same bytes keeps its first block: the replacement clock runs on.
  if (head !== undefined && a.broadcastBlock === undefined)
    await ctx.store.markBroadcast(ctx.chainId, r.planId, a.hash, head);
}

const messageOf = (err: unknown): string => {
  const parts: string[] = [];
  for (let e: unknown = err, i = 0; e && i < 8; e = (e as { cause?: unknown }).cause, i++)
    if (e instanceof Error) parts.push(e.message);
  return parts.join(" | ").toLowerCase();
};

/**
 * Journals `r` dropped for `reason` and gives its nonce back unless a later journaled transaction depends on it: the
 * journal's next nonce becomes the first after the chain's and every earlier record still pending.
 */
export async function dropped(ctx: TxContext, r: TxRecord, reason: string): Promise<TxRecord> {
  const { store, chainId, sender } = ctx;
  await store.markDropped(chainId, r.planId, reason);
  ctx.emit("dropped", reason, r.planId);
  const rest = await store.pending(chainId, sender);
  if (!rest.some((p) => p.nonce > r.nonce))
    await store.setNonce(chainId, sender, Math.max(await chainNonce(ctx), ...rest.map(nextNonceAfter)));
  return mustGet(ctx, r.planId);
}

/** `r` waits on nonces (from the chain's next one, `onchain`) that no journaled record fills. */
export const behindGap = async (ctx: TxContext, r: TxRecord, onchain: number): Promise<boolean> =>
  r.nonce > onchain &&
  !(await ctx.store.pending(ctx.chainId, ctx.sender)).some((p) => p.nonce >= onchain && p.nonce < r.nonce);

/**
 * The node does not know `r` and its nonce is unused (`onchain` ≤ nonce). If nothing journaled fills the nonces
 * below it, the chain never saw it (a reset or rollback put the journal ahead): it is dropped, so the chain is
 * re-planned from what it really holds. Otherwise the same signed bytes are handed over again.
 */
export async function lost(ctx: TxContext, r: TxRecord, onchain: number): Promise<void> {
  if (await behindGap(ctx, r, onchain)) {
    ctx.emit(
      "nonce-reconciled",
      `journal nonce ${r.nonce} is ahead of the chain's ${onchain}: the chain never saw it`,
      r.planId,
    );
    await dropped(ctx, r, `the chain never saw nonce ${r.nonce} (its next nonce is ${onchain})`);
    return;
  }
  const last = r.attempts.at(-1);
  if (!last) return;
  const pinned = await pinClient(ctx.clients);
  await broadcast(ctx, pinned.public, r, last);
  ctx.emit(
    "rebroadcast",
    `the node had lost ${last.hash}: the same signed bytes were broadcast again`,
    r.planId,
  );
}

/** Makes sure the latest journaled attempt reached a node (crash between journal and broadcast, lost mempool). */
export async function ensureBroadcast(ctx: TxContext, r: TxRecord): Promise<void> {
  const { reader } = ctx;
  const last = r.attempts.at(-1);
  if (!last) return;
  if (await known(reader, r)) {
    if (last.broadcastBlock === undefined)
      await ctx.store.markBroadcast(ctx.chainId, r.planId, last.hash, await reader.getBlockNumber());
    return;
  }
  const onchain = await chainNonce(ctx);
  if (onchain > r.nonce) return; // mined (the receipt is found next) or taken: the watch decides
  await lost(ctx, r, onchain);
}

/** `r` is stuck at `head`: signs and broadcasts it again with bumped fees, or, with no room to bump, its same bytes. */
export async function replace(ctx: TxContext, r: TxRecord, head: bigint): Promise<void> {
  const last = r.attempts.at(-1);
  if (!last) return;
  const pinned = await pinClient(ctx.clients);
  const market = await marketFees(ctx, pinned.public, false);
  const { feeBumpBps, fees: policy } = ctx.options;
  const next =
    r.attempts.length - 1 < ctx.maxReplacements
      ? bumpFees({
          previous: last,
          market,
          policy,
          ...(feeBumpBps === undefined ? {} : { bumpBps: feeBumpBps }),
        })
      : undefined;
  if (!next) {
    // No room to bump: keep the same bytes in the pool (nodes may have evicted them).
    if (!(await known(pinned.public, r))) await broadcast(ctx, pinned.public, r, last);
    else await ctx.store.markBroadcast(ctx.chainId, r.planId, last.hash, head);
    return;
  }
  const attempt = await sign(ctx, r, next);
  await ctx.store.markReplaced(ctx.chainId, r.planId, attempt);
  ctx.emit("replaced", `stuck since block ${last.broadcastBlock}: replaced by ${attempt.hash}`, r.planId);
  await broadcast(ctx, pinned.public, r, attempt);
}

import type { BallastError } from "@ballast/core";
import { type TransactionReceipt, TransactionReceiptNotFoundError } from "viem";
import { NonceConflictError, TransactionDroppedError, TransactionRevertedError } from "./errors.ts";
import { isFinal, type TxInclusion, type TxRecord } from "./store.ts";
import { behindGap, dropped, ensureBroadcast, known, lost, replace } from "./txBroadcast.ts";
import { chainNonce, mustGet, nextNonceAfter, type TxContext, type Watch } from "./txContext.ts";
import type { ConfirmedTx } from "./txManager.ts";

/** One look at a record: where it stands, and the error of a final outcome that is not a success. */
export type Observation = { readonly record: TxRecord; readonly error?: BallastError };

/** One look at a record: moves it toward final. RPC failures throw (the record stays as it was). */
export async function observe(ctx: TxContext, planId: string): Promise<Observation> {
  let r = await mustGet(ctx, planId);
  if (isFinal(r.status)) return { record: r };
  if (r.attempts.at(-1)?.broadcastBlock === undefined) {
    await ctx.exclusive(() => ensureBroadcast(ctx, r));
    r = await mustGet(ctx, planId);
    if (isFinal(r.status)) return { record: r };
  }
  const w = ctx.watches.get(planId) ?? { seen: undefined, strikes: 0 };
  ctx.watches.set(planId, w);
  const head = await ctx.reader.getBlockNumber();
  const rc = await findReceipt(ctx, r);
  if (rc) return included(ctx, r, w, rc, head);
  if (w.seen) return reorged(ctx, r, w, w.seen.blockNumber);
  return notIncluded(ctx, r, w, head);
}

/** The newest receipt of any attempt of `r`. */
async function findReceipt(ctx: TxContext, r: TxRecord): Promise<TransactionReceipt | undefined> {
  for (const a of [...r.attempts].reverse()) {
    const rc = await ctx.reader.getTransactionReceipt({ hash: a.hash }).catch((err: unknown) => {
      if (err instanceof TransactionReceiptNotFoundError) return undefined;
      throw err;
    });
    if (rc) return rc;
  }
  return undefined;
}

/** `r` has a receipt: final once `confirmations` deep on the block the receipt names. */
async function included(
  ctx: TxContext,
  r: TxRecord,
  w: Watch,
  rc: TransactionReceipt,
  head: bigint,
): Promise<Observation> {
  w.seen = rc;
  w.strikes = 0;
  if (head >= rc.blockNumber + BigInt(ctx.confirmations - 1)) {
    const block = await ctx.reader.getBlock({ blockNumber: rc.blockNumber }).catch(() => undefined);
    if (block?.hash === rc.blockHash) return finish(ctx, r, rc);
  }
  return { record: r };
}

/** It was included (in `block`) and is gone: a reorg. Still in a pool → it may land again; gone → dropped. */
async function reorged(ctx: TxContext, r: TxRecord, w: Watch, block: bigint): Promise<Observation> {
  w.seen = undefined;
  if (await known(ctx.reader, r)) return { record: r };
  const reason = `reorged out of block ${block}`;
  return {
    record: await dropped(ctx, r, reason),
    error: new TransactionDroppedError(r.planId, r.nonce, reason),
  };
}

/** No receipt: its nonce taken by another transaction, queued behind a gap, lost by the node, or stuck. */
async function notIncluded(ctx: TxContext, r: TxRecord, w: Watch, head: bigint): Promise<Observation> {
  const { planId } = r;
  const onchain = await chainNonce(ctx);
  if (onchain > r.nonce) {
    // Our nonce is used but none of our hashes has a receipt: look three times before calling it a conflict.
    if (++w.strikes < 3) return { record: r };
    return {
      record: await dropped(ctx, r, `nonce ${r.nonce} used by another transaction`),
      error: new NonceConflictError(ctx.sender, r.nonce, onchain, planId),
    };
  }
  w.strikes = 0;
  const since = r.attempts.at(-1)?.broadcastBlock;
  const stuck = since !== undefined && head >= since + ctx.replaceAfterBlocks;
  const isKnown = await known(ctx.reader, r);
  if (isKnown && (await behindGap(ctx, r, onchain))) {
    // Queued behind nonces nothing journaled fills: a fee bump cannot help; said once, and the chain holds.
    if (!w.gapSaid)
      ctx.emit(
        "nonce-gap",
        `nonce ${r.nonce} is queued behind the chain's next nonce ${onchain}, which nothing journaled fills (a node reset or rollback?): it lands only if another sender fills the gap; this chain holds`,
        planId,
      );
    w.gapSaid = true;
    return { record: r };
  }
  // Behind a nonce the chain has not reached, a fee bump cannot help: see whether the chain ever saw it.
  if (!isKnown && (r.nonce > onchain || !stuck)) await ctx.exclusive(() => lost(ctx, r, onchain));
  else if (stuck) await ctx.exclusive(async () => replace(ctx, await mustGet(ctx, planId), head));
  return { record: await mustGet(ctx, planId) };
}

/** Journals the outcome of a receipt deep enough: confirmed, or reverted with its error. */
async function finish(ctx: TxContext, r: TxRecord, rc: TransactionReceipt): Promise<Observation> {
  const { store, chainId, sender } = ctx;
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
    return { record: await mustGet(ctx, r.planId) };
  }
  await store.markReverted(chainId, r.planId, inclusion);
  return {
    record: await mustGet(ctx, r.planId),
    error: new TransactionRevertedError(r.planId, rc.transactionHash, "status 0 receipt"),
  };
}

/** A final record as the caller of `wait` sees it: the confirmed record, or the error of its outcome. */
export function final(r: TxRecord): ConfirmedTx {
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

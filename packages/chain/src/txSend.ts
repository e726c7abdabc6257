import type { Address } from "@ballast/core";
import { max } from "@ballast/core";
import type { SignedAuthorizationList } from "viem";
import { type ChainPublicClient, pinClient } from "./clients.ts";
import { decodeRevert, revertDataOf } from "./decode.ts";
import {
  ExecutorConfigError,
  FeeCapExceededError,
  ForeignTransactionError,
  PlanConflictError,
  SimulationFailedError,
} from "./errors.ts";
import { type FeePolicy, type Fees, padGas } from "./fees.ts";
import { isFinal, type StoredAuthorization, type TxRecord } from "./store.ts";
import { BroadcastRefused, broadcast, dropped, ensureBroadcast, marketFees, sign } from "./txBroadcast.ts";
import { isTransportFailure, mustGet, nextNonceAfter, type TxContext, unknownOutcome } from "./txContext.ts";
import type { SendRequest, TxManagerOptions, TxRequest } from "./txManager.ts";

/**
 * Signs, journals, then broadcasts the plan's transaction, one send at a time. A plan already journaled (and not
 * superseded) returns its record, its bytes handed to a node again if none knows them: never signed twice.
 */
export const sendTx = (ctx: TxContext, req: SendRequest): Promise<TxRecord> =>
  ctx.exclusive(async () => {
    const existing = await ctx.store.get(ctx.chainId, req.planId);
    if (existing && !(req.supersede && (existing.status === "dropped" || existing.status === "reverted"))) {
      if (!sameTx(existing, req)) throw new PlanConflictError(req.planId);
      if (!isFinal(existing.status))
        await ensureBroadcast(ctx, existing).catch(unknownOutcome(ctx, req.planId));
      return mustGet(ctx, req.planId);
    }
    const { public: client } = await pinClient(ctx.clients);
    const nonce = await nextNonce(ctx, client);
    const fees = req.fees
      ? computeFeesOverride(req.fees, ctx.options.fees)
      : await marketFees(ctx, client, true);
    const draft = await draftTx(ctx, client, req, nonce);
    const first = await sign(ctx, draft, fees);
    const record: TxRecord = { ...draft, attempts: [first] };
    await ctx.store.putIntent(record);
    await ctx.store.setNonce(ctx.chainId, ctx.sender, nextNonceAfter(record));
    // From here on the transaction is in flight: an RPC failure is an unknown outcome, never a failure.
    try {
      await broadcast(ctx, client, record, first);
    } catch (err) {
      if (!(err instanceof BroadcastRefused)) unknownOutcome(ctx, req.planId)(err);
      else {
        // The node refused the bytes: they never entered a pool.
        await dropped(ctx, record, `refused by the node: ${err.reason}`);
        throw err.cause;
      }
    }
    return mustGet(ctx, req.planId);
  });

/** The record of a new transaction at `nonce`, before it is signed: its authorization (EIP-7702) and gas limit. */
async function draftTx(
  ctx: TxContext,
  client: ChainPublicClient,
  req: SendRequest,
  nonce: number,
): Promise<TxRecord> {
  const { signer, chainId, sender } = ctx;
  let authorizationList: SignedAuthorizationList | undefined;
  if (req.delegateTo) {
    if (!signer.signAuthorization)
      throw new ExecutorConfigError("EIP-7702 delegation needs an account that signs authorizations.");
    // Self-sponsored: the transaction bumps the nonce before the authorization is checked.
    authorizationList = [
      await signer.signAuthorization({ address: req.delegateTo, chainId, nonce: nonce + 1 }),
    ];
  }
  const gas = req.gas ?? (await estimateGas(client, sender, req, authorizationList, ctx.options));
  return {
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
}

/** The first nonce free for a new transaction, after checking the chain's pending nonce against the journal. */
async function nextNonce(ctx: TxContext, client: ChainPublicClient): Promise<number> {
  const { chainId, sender, store } = ctx;
  const [latest, pendingNonce, pending, stored] = await Promise.all([
    client.getTransactionCount({ address: sender, blockTag: "latest" }),
    client.getTransactionCount({ address: sender, blockTag: "pending" }),
    store.pending(chainId, sender),
    store.getNonce(chainId, sender),
  ]);
  const ours = Math.max(latest, ...pending.map(nextNonceAfter));
  if (pendingNonce > ours) throw new ForeignTransactionError(chainId, sender, ours, pendingNonce);
  if ((stored ?? 0) > ours)
    ctx.emit(
      "nonce-reconciled",
      `journal nonce ${stored} is ahead of the chain's ${ours}: signing with ${ours}`,
    );
  return ours;
}

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

/** Caller-given first-attempt fees, checked against the policy cap. */
function computeFeesOverride(fees: Fees, policy: FeePolicy): Fees {
  if (fees.maxFeePerGas > policy.maxFeePerGas)
    throw new FeeCapExceededError(fees.maxFeePerGas, policy.maxFeePerGas);
  return { maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: max(0n, fees.maxPriorityFeePerGas) };
}

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

/**
 * Bridge transfers in the journal (`bridge_transfers`, migration 6): each deposit a batch carries is journaled before
 * the batch is sent, and followed until it is final — filled on the destination (`fillStatuses`), refunded on the
 * origin after its deadline, or unsent (its batch never landed). Until then it is in flight (its origin and its
 * destination hold) and its expected output is in transit (counted as the destination's wallet balance).
 */
import type { InFlightItem, TxRecord } from "@ballast/chain";
import {
  type Address,
  assetId,
  type BridgeDeposit,
  type BridgeQuote,
  type BridgeTransfer,
  type BridgeVenue,
  formatUsd,
  type Hex,
  mulDiv,
  usdValue,
} from "@ballast/core";
import type { ChainBatch, InTransit } from "@ballast/engine";
import { TransactionReceiptNotFoundError } from "viem";
import { fromJson, type Journal, toJson } from "./journal.ts";
import { errText, type Keeper } from "./keeper.ts";
import { nextSeq } from "./migrations.ts";

/** Where a transfer stands. `filled`, `refunded` and `unsent` are final. */
export type TransferStatus = "journaled" | "deposited" | "expired" | "filled" | "refunded" | "unsent";
const FINAL: readonly TransferStatus[] = ["filled", "refunded", "unsent"];

/** One bridge transfer as journaled: what was asked, what the chains said, and its life. */
export type TransferRecord = {
  readonly id: string;
  readonly planId: string;
  readonly bridge: string;
  readonly originChainId: number;
  readonly destChainId: number;
  readonly account: Address;
  readonly symbol: string;
  readonly tokenIn: Address;
  readonly tokenOut: Address;
  readonly decimalsOut: number;
  readonly amountIn: bigint;
  /** What arrives when filled (the quote's output). */
  readonly amountOut: bigint;
  readonly feeIn: bigint;
  /** USD of the input and of the fee at the cycle's prices. */
  readonly usd: bigint;
  readonly feeUsd: bigint;
  /** Destination-clock unix seconds after which it can no longer be filled. */
  readonly fillDeadline: number;
  readonly estimatedFillSec: number | undefined;
  /** The bridge's own record (the quote's `record`; Across: the deposit's arguments). */
  readonly deposit: unknown;
  readonly status: TransferStatus;
  readonly createdAt: number;
  /** The deposit once the batch landed, as the origin recorded it (its id, and the bridge's data: Across's relay data). */
  readonly event?: BridgeDeposit | undefined;
  readonly depositTx?: Hex | undefined;
  /** Each status change: when, what, why. */
  readonly life: readonly { readonly at: number; readonly status: TransferStatus; readonly detail: string }[];
};

/** True once a transfer can no longer change. */
export const isFinalTransfer = (s: TransferStatus) => FINAL.includes(s);
const isFinal = isFinalTransfer;

/** A transfer's life in one line, for `history`: route, amount, and each status with its time from the start. */
const lifeSummary = (r: TransferRecord): string =>
  `${r.bridge} ${formatUnitsOf(r.amountIn, r.decimalsOut)} ${r.symbol} chain ${r.originChainId} → ${r.destChainId}${r.event ? ` (deposit #${r.event.depositId})` : ""}: ${r.life.map((l) => `${l.status} +${l.at - r.createdAt}s`).join(" → ")}`;

/** Journals a transfer as it stands; each write (each change of status) takes the journal's next sequence number. */
export const writeTransfer = (
  journal: Pick<Journal, "sql" | "portfolio">,
  r: TransferRecord,
  at: number,
): Promise<void> =>
  journal.sql.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO bridge_transfers (id, portfolio, plan_id, bridge, origin_chain, dest_chain, status, created_at,
         updated_at, summary, json, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
         summary = excluded.summary, json = excluded.json, seq = excluded.seq`,
      [
        r.id,
        journal.portfolio,
        r.planId,
        r.bridge,
        r.originChainId,
        r.destChainId,
        r.status,
        r.createdAt,
        at,
        lifeSummary(r),
        toJson(r),
        await nextSeq(tx),
      ],
    );
  });

/**
 * Journals the deposits of a batch before it is sent (one row per deposit, status `journaled`): after a crash at any
 * point the next cycle finds them, and while they are not final nothing plans over them.
 */
export async function journalTransfers(
  k: Keeper,
  params: { planId: string; batch: ChainBatch; at: number; prices: ReadonlyMap<string, bigint> },
): Promise<TransferRecord[]> {
  const { batch, at } = params;
  const chain = k.chains.find((c) => c.setup.chainId === batch.chainId);
  const records = batch.bridges.map((q, i) => transferOf(k, params, q, i, chain?.setup.account));
  for (const r of records) await writeTransfer(k.journal, r, at);
  return records;
}

function transferOf(
  k: Keeper,
  params: { planId: string; batch: ChainBatch; at: number; prices: ReadonlyMap<string, bigint> },
  q: BridgeQuote,
  index: number,
  account: Address | undefined,
): TransferRecord {
  const origin = k.chains.find((c) => c.setup.chainId === q.fromChainId)?.setup;
  const dest = k.chains.find((c) => c.setup.chainId === q.toChainId)?.setup;
  const tokenIn = origin?.tokens.find((t) => t.address.toLowerCase() === q.tokenIn.toLowerCase());
  const tokenOut = dest?.tokens.find((t) => t.address.toLowerCase() === q.tokenOut.toLowerCase());
  const price = params.prices.get(assetId(q.fromChainId, q.tokenIn)) ?? 0n;
  const usd = tokenIn ? usdValue(q.amountIn, tokenIn.decimals, price) : 0n;
  return {
    id: `${params.planId}:${q.fromChainId}:${index}`,
    planId: params.planId,
    bridge: q.bridge,
    originChainId: q.fromChainId,
    destChainId: q.toChainId,
    account: account ?? bridgeOf(k, q.fromChainId, q.bridge).settlement.depositor(q.record),
    symbol: tokenIn?.symbol ?? q.tokenIn,
    tokenIn: q.tokenIn,
    tokenOut: q.tokenOut,
    decimalsOut: tokenOut?.decimals ?? 18,
    amountIn: q.amountIn,
    amountOut: q.amountOut,
    feeIn: q.feeIn,
    usd,
    feeUsd: q.amountIn > 0n ? mulDiv(usd, q.feeIn, q.amountIn) : 0n,
    fillDeadline: q.fillDeadline,
    estimatedFillSec: q.estimatedFillSec,
    deposit: q.record,
    status: "journaled",
    createdAt: params.at,
    life: [
      {
        at: params.at,
        status: "journaled",
        detail: `before the origin batch of plan ${params.planId.slice(0, 12)}`,
      },
    ],
  };
}

/** Every transfer of the portfolio, newest first; `live` only those not final. */
export async function listTransfers(
  k: Pick<Keeper, "journal">,
  opts: { live?: boolean; limit?: number } = {},
) {
  const rows = await k.journal.sql.all<{ json: string }>(
    `SELECT json FROM bridge_transfers WHERE portfolio = ? ${opts.live ? "AND status NOT IN ('filled','refunded','unsent')" : ""}
     ORDER BY created_at DESC, id DESC LIMIT ?`,
    [k.journal.portfolio, opts.limit ?? 1_000],
  );
  return rows.map((r) => fromJson<TransferRecord>(r.json));
}

/** What {@link settleTransfers} found. */
export type TransferSettlement = {
  /** Transfers not final: the origin and the destination of each hold. */
  readonly inFlight: InFlightItem[];
  /** Deposited and not filled: counted as the destination's wallet balance. */
  readonly inTransit: InTransit[];
  /** Every transfer not final after this pass, and those that became final in it. */
  readonly transfers: TransferRecord[];
  /** When the newest fill or refund was seen (unix seconds): value arrived at one end, to be placed without waiting. */
  readonly arrivedAt: number | undefined;
};

/**
 * Looks at every transfer not final, repeating while one moves: journaled → its origin batch confirmed with the
 * deposit (deposited) or dropped/reverted/never journaled (unsent); deposited → filled (the destination's fill
 * status), or past its deadline (expired) → refunded (the origin's refund leaf). A read that fails leaves the
 * transfer where it was: an unknown outcome is never a final one.
 */
export async function settleTransfers(k: Keeper, now: number): Promise<TransferSettlement> {
  const live = await listTransfers(k, { live: true });
  const transfers: TransferRecord[] = [];
  for (let r of live) {
    for (let step = 0; step < 4 && !isFinal(r.status); step++) {
      let next: TransferRecord;
      try {
        next = await advance(k, r, now);
      } catch (e) {
        k.log.warn(
          { transfer: r.id, status: r.status, err: errText(e) },
          "could not read a bridge transfer: still in flight",
        );
        break;
      }
      if (next === r) break;
      await writeTransfer(k.journal, next, now);
      observeTransfer(k, next, now);
      r = next;
    }
    transfers.push(r);
  }
  const [newest] = await k.journal.sql.all<{ at: number | null }>(
    "SELECT max(updated_at) AS at FROM bridge_transfers WHERE portfolio = ? AND status IN ('filled', 'refunded')",
    [k.journal.portfolio],
  );
  const open = transfers.filter((r) => !isFinal(r.status));
  return {
    inFlight: open.map((r) => transferInFlight(k, r, now)),
    inTransit: open
      .filter((r) => r.status === "deposited" || r.status === "expired")
      .map((r) => ({ id: r.id, chainId: r.destChainId, token: r.tokenOut, amount: r.amountOut })),
    transfers,
    arrivedAt: newest?.at == null ? undefined : Number(newest.at),
  };
}

/**
 * Why a cycle that read the chains after `settleTransfers` must not send: one of its open `transfers` moved since
 * (deposit landed, filled, refunded), re-read from the chains without journaling; `undefined` when none did. The
 * settle pass and the chains' reads are not one atomic read, so a transfer that moved in between is counted twice (in
 * transit and arrived) or not at all (gone from the origin, not yet in transit): NAV is off by its amount, and a free
 * chain would rebalance against it. A read that fails counts as moved. The next cycle settles it and reads again.
 */
export async function movedTransfer(
  k: Keeper,
  transfers: readonly TransferRecord[],
  now: number,
): Promise<string | undefined> {
  for (const r of transfers.filter((t) => !isFinal(t.status))) {
    const next = await advance(k, r, now).catch((e: unknown) => e);
    if (next instanceof Error || (next as TransferRecord).status !== r.status)
      return `bridge transfer ${r.id} moved while the chains were read (${next instanceof Error ? errText(next) : (next as TransferRecord).status}): NAV is read again next cycle`;
  }
  return undefined;
}

const keyOf = (k: Keeper, chainId: number) =>
  k.chains.find((c) => c.setup.chainId === chainId)?.key ?? String(chainId);

/** A transfer as an in-flight item, for the decision's reason and `status`. */
export function transferInFlight(k: Keeper, r: TransferRecord, now: number): InFlightItem {
  return {
    kind: "bridge",
    chainId: r.originChainId,
    toChainId: r.destChainId,
    sender: r.account,
    planId: r.planId,
    detail: transferLine(k, r, now),
  };
}

/** One line per transfer: amount, route, state, age and expected arrival. */
export function transferLine(k: Keeper, r: TransferRecord, now: number): string {
  const amount = `${formatUnitsOf(r.amountOut, r.decimalsOut)} ${r.symbol}`;
  const route = `${keyOf(k, r.originChainId)} → ${keyOf(k, r.destChainId)}`;
  const id = r.event ? ` deposit #${r.event.depositId}` : "";
  const age = `${Math.max(0, now - r.createdAt)} s old`;
  const eta =
    r.status === "journaled" || r.status === "deposited"
      ? `, expected ${r.estimatedFillSec === undefined ? "soon" : `by ${new Date((r.createdAt + r.estimatedFillSec) * 1000).toISOString()}`}, deadline ${new Date(r.fillDeadline * 1000).toISOString()}`
      : "";
  return `${r.bridge} ${amount} ${route}${id}: ${r.status}, ${age}${eta}`;
}

const formatUnitsOf = (amount: bigint, decimals: number): string => {
  const s = amount.toString().padStart(decimals + 1, "0");
  const whole = s.slice(0, s.length - decimals);
  const frac = s
    .slice(s.length - decimals)
    .replace(/0+$/, "")
    .slice(0, 4);
  return frac ? `${whole}.${frac}` : whole;
};

const moved = (
  r: TransferRecord,
  status: TransferStatus,
  at: number,
  detail: string,
  patch: Partial<TransferRecord> = {},
) => ({ ...r, ...patch, status, life: [...r.life, { at, status, detail }] }) satisfies TransferRecord;

function runtimeOf(k: Keeper, chainId: number) {
  const c = k.chains.find((x) => x.setup.chainId === chainId);
  if (!c) throw new Error(`chain ${chainId} is not in the config`);
  return c;
}

/** The bridge `name` of a chain (its venue reads that chain); throws when the config gives the chain none. */
function bridgeOf(k: Keeper, chainId: number, name: string): BridgeVenue {
  const c = runtimeOf(k, chainId);
  const bridge = c.setup.bridge;
  if (bridge?.name !== name)
    throw new Error(`chain ${c.key} has no ${name} bridge: cannot read the transfer`);
  return bridge;
}

/** What the bridge's settlement matches and reads a transfer by. */
const transferOfRecord = (r: TransferRecord): BridgeTransfer => ({
  record: r.deposit,
  toChainId: r.destChainId,
  tokenIn: r.tokenIn,
  amountIn: r.amountIn,
  account: r.account,
});

/** The successful receipt of a journaled batch: its inclusion's, or any attempt's the chain has mined; else none. */
export async function landedReceipt(client: Keeper["chains"][number]["clients"]["public"], tx: TxRecord) {
  const hashes = tx.inclusion ? [tx.inclusion.hash] : tx.attempts.map((x) => x.hash);
  for (const hash of hashes) {
    const receipt = await client.getTransactionReceipt({ hash }).catch((e: unknown) => {
      if (e instanceof TransactionReceiptNotFoundError) return undefined;
      throw e;
    });
    if (receipt?.status === "success") return receipt;
  }
  return undefined;
}

/**
 * One step of a transfer's life, read from the chains through its bridge's settlement (the origin's venue for the
 * deposit and the refund, the destination's for the fill); returns `r` itself when nothing changed.
 */
async function advance(k: Keeper, r: TransferRecord, now: number): Promise<TransferRecord> {
  if (r.status === "journaled") return deposited(k, r, now);
  if (!r.event) return r;
  const transfer = transferOfRecord(r);
  const dest = runtimeOf(k, r.destChainId);
  const state = await bridgeOf(k, r.destChainId, r.bridge).settlement.fillState(r.event);
  if (state.state === "filled") return moved(r, "filled", now, `filled on ${dest.key}`);
  if (state.state === "pending") return r;
  const refund = await bridgeOf(k, r.originChainId, r.bridge).settlement.findRefund(transfer, r.event);
  if (refund) return moved(r, "refunded", now, `refunded on ${keyOf(k, r.originChainId)} (${refund})`);
  return r.status === "expired"
    ? r
    : moved(r, "expired", now, `unfilled ${state.secondsPast} s past its deadline: awaiting the refund`);
}

/** A journaled transfer: deposited once its origin batch landed with the deposit, unsent if it never will. */
async function deposited(k: Keeper, r: TransferRecord, now: number): Promise<TransferRecord> {
  const tx = await k.journal.txStore.get(r.originChainId, r.planId);
  if (!tx || tx.status === "dropped" || tx.status === "reverted")
    return moved(r, "unsent", now, tx ? `origin batch ${tx.status}` : "the origin batch was never sent");
  // The journal may not know yet that its batch landed (a read-only command, a kill before it was marked): any
  // attempt's successful receipt is the chain's word.
  const receipt = await landedReceipt(runtimeOf(k, r.originChainId).clients.public, tx);
  if (!receipt) return r;
  const event = bridgeOf(k, r.originChainId, r.bridge).settlement.findDeposit(
    receipt.logs,
    transferOfRecord(r),
  );
  if (!event)
    return moved(r, "unsent", now, `origin batch ${receipt.transactionHash} carries no such deposit`);
  return moved(r, "deposited", now, `deposit #${event.depositId} in ${receipt.transactionHash}`, {
    event,
    depositTx: receipt.transactionHash,
  });
}

/** Metrics and a log line of a status change. */
function observeTransfer(k: Keeper, r: TransferRecord, now: number): void {
  const route = `${keyOf(k, r.originChainId)}>${keyOf(k, r.destChainId)}`;
  k.metrics.inc("ballast_bridge_transfers_total", { route, outcome: r.status });
  const usd = (x: bigint) => Number(x / 10n ** 16n) / 100;
  if (r.status === "deposited") {
    k.metrics.inc("ballast_bridged_usd_total", { route }, usd(r.usd));
    k.metrics.inc("ballast_bridge_fees_usd_total", { route }, usd(r.feeUsd));
  }
  if (r.status === "filled") k.metrics.set("ballast_bridge_fill_seconds", { route }, now - r.createdAt);
  const line = { transfer: r.id, route, usd: formatUsd(r.usd), detail: r.life.at(-1)?.detail };
  if (r.status === "unsent" || r.status === "expired" || r.status === "refunded")
    k.log.warn(line, `bridge transfer ${r.status}`);
  else k.log.info(line, `bridge transfer ${r.status}`);
}

/** The transfers not final, one line each, for `status` and the demo ("" when none). */
export function renderTransfers(k: Keeper, transfers: readonly TransferRecord[], now: number): string {
  const open = transfers.filter((r) => !isFinal(r.status));
  if (open.length === 0) return "";
  return [
    "In flight between chains (counted in NAV at the destination):",
    ...open.map((r) => `  ${transferLine(k, r, now)}`),
  ].join("\n");
}

/** A transfer for `--json`: decimal strings, its line and its life. */
export const transferJson = (k: Keeper, r: TransferRecord, now: number) => ({
  id: r.id,
  planId: r.planId,
  bridge: r.bridge,
  from: keyOf(k, r.originChainId),
  to: keyOf(k, r.destChainId),
  symbol: r.symbol,
  amountIn: String(r.amountIn),
  amountOut: String(r.amountOut),
  fee: String(r.feeIn),
  status: r.status,
  depositId: r.event ? String(r.event.depositId) : null,
  ageSeconds: Math.max(0, now - r.createdAt),
  expectedArrival: r.estimatedFillSec === undefined ? null : r.createdAt + r.estimatedFillSec,
  fillDeadline: r.fillDeadline,
  line: transferLine(k, r, now),
  life: r.life,
});

/**
 * Swap orders in the journal (`swap_orders`, migration 7): a swap leg the engine realized as a 1inch Fusion order is
 * journaled before the batch carrying its approval is sent, and followed until it is final: its batch never landed
 * (unsent); once it landed the order is built, verified (refused when the quote fails a check: nothing is signed),
 * signed and journaled with its hash (signed) BEFORE it reaches the relayer (submitted), then filled, expired or
 * cancelled. Until then its chain holds: its input is still in the account (the order is all-or-nothing, so a fill
 * swaps input for output in one transaction and NAV is never counted twice), and nothing sells it twice.
 */
import type { SignedFusionOrder } from "@ballast/1inch";
import type { InFlightItem } from "@ballast/chain";
import { type Address, BallastError, formatUsd, type Hex } from "@ballast/core";
import type { ChainBatch, SwapOrder } from "@ballast/engine";
import { landedReceipt } from "./bridges.ts";
import { fromJson, type Journal, toJson } from "./journal.ts";
import { errText, type Keeper } from "./keeper.ts";
import { nextSeq } from "./migrations.ts";

/** Where an order stands. `filled`, `expired`, `cancelled`, `refused` and `unsent` are final. */
export type OrderStatus =
  | "journaled"
  | "signed"
  | "submitted"
  | "filled"
  | "expired"
  | "cancelled"
  | "refused"
  | "unsent";
const FINAL: readonly OrderStatus[] = ["filled", "expired", "cancelled", "refused", "unsent"];
export const isFinalOrder = (s: OrderStatus) => FINAL.includes(s);

/** One swap order as journaled: what the plan asked, the signed order once there is one, and its life. */
export type OrderRecord = SwapOrder & {
  readonly id: string;
  readonly planId: string;
  readonly account: Address;
  readonly symbolIn: string;
  readonly symbolOut: string;
  readonly decimalsIn: number;
  readonly decimalsOut: number;
  readonly status: OrderStatus;
  readonly createdAt: number;
  /** Set once signed (journaled before the relayer sees it). */
  readonly signed?: SignedFusionOrder | undefined;
  /** Unix seconds after which the order can no longer be filled (the order's own expiry). */
  readonly deadline?: number | undefined;
  /** What the account received, once filled. */
  readonly filledOut?: bigint | undefined;
  readonly life: readonly { readonly at: number; readonly status: OrderStatus; readonly detail: string }[];
};

const moved = (
  r: OrderRecord,
  status: OrderStatus,
  at: number,
  detail: string,
  patch: Partial<OrderRecord> = {},
) => ({ ...r, ...patch, status, life: [...r.life, { at, status, detail }] }) satisfies OrderRecord;

const keyOf = (k: Keeper, chainId: number) =>
  k.chains.find((c) => c.setup.chainId === chainId)?.key ?? String(chainId);

const formatUnitsOf = (amount: bigint, decimals: number): string => {
  const s = amount.toString().padStart(decimals + 1, "0");
  const frac = s
    .slice(s.length - decimals)
    .replace(/0+$/, "")
    .slice(0, 4);
  return `${s.slice(0, s.length - decimals)}${frac ? `.${frac}` : ""}`;
};

/** One line per order: route, amounts, hash, state, age (and what was received once filled). */
export function orderLine(k: Keeper, r: OrderRecord, now: number): string {
  const hash = r.signed ? ` ${r.signed.orderHash.slice(0, 10)}…` : "";
  const filled =
    r.filledOut === undefined ? "" : `, received ${formatUnitsOf(r.filledOut, r.decimalsOut)} ${r.symbolOut}`;
  return `${r.route} ${r.symbolIn} → ${r.symbolOut} on ${keyOf(k, r.chainId)} (${formatUsd(r.usd)}, at least ${formatUnitsOf(r.minAmountOut, r.decimalsOut)} ${r.symbolOut})${hash}: ${r.status}, ${Math.max(0, now - r.createdAt)} s old${filled}`;
}

/** An order's life in one line, for `history`: route, amounts, hash, each status with its time, what was received. */
const orderSummary = (r: OrderRecord): string =>
  `${r.route} ${formatUnitsOf(r.amountIn, r.decimalsIn)} ${r.symbolIn} → ${r.symbolOut}${r.signed ? ` ${r.signed.orderHash}` : ""}: ${r.life.map((l) => `${l.status} +${l.at - r.createdAt}s`).join(" → ")}${r.filledOut === undefined ? "" : ` (received ${formatUnitsOf(r.filledOut, r.decimalsOut)} ${r.symbolOut})`}`;

/** Journals an order as it stands; each write takes the journal's next sequence number. */
export const writeOrder = (journal: Pick<Journal, "sql" | "portfolio">, r: OrderRecord, at: number) =>
  journal.sql.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO swap_orders (id, portfolio, plan_id, route, chain, status, order_hash, created_at, updated_at,
         summary, json, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, order_hash = excluded.order_hash,
         updated_at = excluded.updated_at, summary = excluded.summary, json = excluded.json, seq = excluded.seq`,
      [
        r.id,
        journal.portfolio,
        r.planId,
        r.route,
        r.chainId,
        r.status,
        r.signed?.orderHash ?? null,
        r.createdAt,
        at,
        orderSummary(r),
        toJson(r),
        await nextSeq(tx),
      ],
    );
  });

/** Journals a batch's orders before it is sent (status `journaled`): after a crash the next cycle finds them. */
export async function journalOrders(k: Keeper, params: { planId: string; batch: ChainBatch; at: number }) {
  const chain = k.chains.find((c) => c.setup.chainId === params.batch.chainId);
  const symbol = (a: Address) => chain?.setup.tokens.find((t) => t.address.toLowerCase() === a.toLowerCase());
  for (const o of params.batch.orders) {
    const r: OrderRecord = {
      ...o,
      id: `${params.planId}:${o.chainId}:${o.step}`,
      planId: params.planId,
      account: chain?.setup.account ?? ("0x" as Address),
      symbolIn: symbol(o.tokenIn)?.symbol ?? o.tokenIn,
      symbolOut: symbol(o.tokenOut)?.symbol ?? o.tokenOut,
      decimalsIn: symbol(o.tokenIn)?.decimals ?? 18,
      decimalsOut: symbol(o.tokenOut)?.decimals ?? 18,
      status: "journaled",
      createdAt: params.at,
      life: [
        {
          at: params.at,
          status: "journaled",
          detail: `before the batch of plan ${params.planId.slice(0, 12)}`,
        },
      ],
    };
    await writeOrder(k.journal, r, params.at);
  }
}

/** Every order of the portfolio, newest first; `live` only those not final. */
export async function listOrders(k: Pick<Keeper, "journal">, opts: { live?: boolean; limit?: number } = {}) {
  const rows = await k.journal.sql.all<{ json: string }>(
    `SELECT json FROM swap_orders WHERE portfolio = ? ${opts.live ? "AND status NOT IN ('filled','expired','cancelled','refused','unsent')" : ""}
     ORDER BY created_at DESC, id DESC LIMIT ?`,
    [k.journal.portfolio, opts.limit ?? 1_000],
  );
  return rows.map((r) => fromJson<OrderRecord>(r.json));
}

/** What {@link settleOrders} found. */
export type OrderSettlement = {
  /** Orders not final: their chains hold. */
  readonly inFlight: InFlightItem[];
  /** Every order not final after this pass, and those that became final in it. */
  readonly orders: OrderRecord[];
};

/**
 * Moves every order not final as far as it goes now, journaling each step before the next: the signed order is in the
 * journal before the relayer sees it, so a restart submits that same order (same hash) and never signs another. A read
 * or request that fails leaves the order where it was (an unknown outcome is never a final one).
 */
export async function settleOrders(
  k: Keeper,
  now: number,
  opts: { execute: boolean },
): Promise<OrderSettlement> {
  const orders: OrderRecord[] = [];
  for (let r of await listOrders(k, { live: true })) {
    // A read-only command (plan, status) never signs nor submits: it reports the journal's word.
    for (let step = 0; opts.execute && step < 4 && !isFinalOrder(r.status); step++) {
      let next: OrderRecord;
      try {
        next = await advance(k, r, now);
      } catch (e) {
        k.log.warn(
          { order: r.id, status: r.status, err: errText(e) },
          "could not advance a swap order: still in flight",
        );
        break;
      }
      if (next === r) break;
      await writeOrder(k.journal, next, now);
      observeOrder(k, next, now);
      r = next;
    }
    orders.push(r);
  }
  const open = orders.filter((r) => !isFinalOrder(r.status));
  return {
    inFlight: open.map((r) => ({
      kind: "order",
      chainId: r.chainId,
      sender: r.account,
      planId: r.planId,
      detail: orderLine(k, r, now),
    })),
    orders,
  };
}

/** A verification failure: the quote or the built order is not what the plan asked (nothing is signed). */
const isRefusal = (api: typeof import("@ballast/1inch"), e: unknown): boolean =>
  [
    api.UntrustedSettlementError,
    api.UntrustedRouterError,
    api.SwapMismatchError,
    api.InsufficientOutputError,
    api.UnsupportedSwapError,
  ].some((E) => e instanceof E);

/** One step of an order's life; returns `r` itself when nothing changed. */
async function advance(k: Keeper, r: OrderRecord, now: number): Promise<OrderRecord> {
  const c = k.chains.find((x) => x.setup.chainId === r.chainId);
  if (!c?.fusion)
    throw new BallastError(
      `chain ${r.chainId} has no Fusion client (policy.fusion, oneInch.fusion, the key)`,
    );
  const fusion = await c.fusion();
  // Loaded when an order moves: the Fusion SDK (with axios) stays out of a keeper that never places one.
  const api = await import("@ballast/1inch");
  const { buildFusionOrder, getFusionOrderStatus, OneInchHttpError, relayFusionOrder, signFusionOrder } = api;
  if (r.status === "journaled") {
    const tx = await k.journal.txStore.get(r.chainId, r.planId);
    if (!tx || tx.status === "dropped" || tx.status === "reverted")
      return moved(r, "unsent", now, tx ? `its batch ${tx.status}` : "its batch was never sent");
    if (!(await landedReceipt(c.clients.public, tx))) return r;
    const maxWait = k.config.policy.fusion?.maxWait ?? 0;
    try {
      const prepared = await buildFusionOrder(fusion, {
        tokenIn: r.tokenIn,
        tokenOut: r.tokenOut,
        amountIn: r.amountIn,
        minAmountOut: r.minAmountOut,
        preset: k.config.policy.fusion?.preset ?? "medium",
        allowPartialFills: false,
        allowMultipleFills: false,
      });
      const deadline = Number(prepared.summary.deadline);
      if (deadline > now + maxWait)
        return moved(
          r,
          "refused",
          now,
          `the order would stay open until ${deadline}, past maxWait (${maxWait} s)`,
        );
      const signed = await signFusionOrder(fusion, prepared);
      return moved(r, "signed", now, `order ${signed.orderHash}`, { signed, deadline });
    } catch (e) {
      if (isRefusal(api, e)) return moved(r, "refused", now, `nothing signed: ${errText(e)}`);
      throw e;
    }
  }
  const signed = r.signed as SignedFusionOrder;
  if (r.status === "signed") {
    await relayFusionOrder(fusion, signed);
    return moved(r, "submitted", now, "accepted by the relayer");
  }
  const state = await getFusionOrderStatus(fusion, signed.orderHash as Hex).catch((e: unknown) => {
    if (e instanceof OneInchHttpError && e.status === 404) return undefined;
    throw e;
  });
  if (state?.status === "filled")
    return moved(r, "filled", now, `filled: ${state.filledTakerAmount} out`, {
      filledOut: state.filledTakerAmount,
    });
  if (state?.status === "cancelled")
    return moved(r, "cancelled", now, `cancelled${state.cancelTx ? ` (${state.cancelTx})` : ""}`);
  if (state?.status === "invalid-signature")
    return moved(r, "refused", now, "the relayer rejected its signature");
  // Past its own expiry the Limit Order Protocol refuses every fill: expired, whatever the API says yet.
  if (state?.status === "expired" || (r.deadline !== undefined && now > r.deadline))
    return moved(r, "expired", now, `not filled by ${r.deadline ?? "its deadline"}`);
  return r;
}

function observeOrder(k: Keeper, r: OrderRecord, now: number): void {
  const chain = keyOf(k, r.chainId);
  k.metrics.inc("ballast_swap_orders_total", { chain, outcome: r.status });
  if (r.status === "filled") k.metrics.set("ballast_swap_order_fill_seconds", { chain }, now - r.createdAt);
  const line = { order: r.id, hash: r.signed?.orderHash, detail: r.life.at(-1)?.detail };
  if (r.status === "refused" || r.status === "expired" || r.status === "unsent" || r.status === "cancelled")
    k.log.warn(line, `swap order ${r.status}`);
  else k.log.info(line, `swap order ${r.status}`);
}

/** The orders not final, one line each, for `status` ("" when none). */
export function renderOrders(k: Keeper, orders: readonly OrderRecord[], now: number): string {
  const open = orders.filter((r) => !isFinalOrder(r.status));
  if (open.length === 0) return "";
  return [
    "Swap orders in flight (their input is still in the account):",
    ...open.map((r) => `  ${orderLine(k, r, now)}`),
  ].join("\n");
}

/** An order not final, as the dashboard's `/api/status` shows it (amounts formatted with their symbols). */
export type OrderView = {
  chainId: number;
  route: string;
  /** What people read: `1inch Fusion order`. */
  label: string;
  /** Null until it is signed. */
  orderHash: string | null;
  status: OrderStatus;
  ageSeconds: number;
  amountIn: string;
  minAmountOut: string;
  /** What the account received from it; null until the relayer reports a fill. */
  filledOut: string | null;
};

export const orderView = (r: OrderRecord, now: number): OrderView => ({
  chainId: r.chainId,
  route: r.route,
  label: r.label,
  orderHash: r.signed?.orderHash ?? null,
  status: r.status,
  ageSeconds: Math.max(0, now - r.createdAt),
  amountIn: `${formatUnitsOf(r.amountIn, r.decimalsIn)} ${r.symbolIn}`,
  minAmountOut: `${formatUnitsOf(r.minAmountOut, r.decimalsOut)} ${r.symbolOut}`,
  filledOut: r.filledOut === undefined ? null : `${formatUnitsOf(r.filledOut, r.decimalsOut)} ${r.symbolOut}`,
});

/** An order for `--json`. */
export const orderJson = (k: Keeper, r: OrderRecord, now: number) => ({
  id: r.id,
  planId: r.planId,
  route: r.route,
  chain: keyOf(k, r.chainId),
  orderHash: r.signed?.orderHash ?? null,
  status: r.status,
  amountIn: String(r.amountIn),
  minAmountOut: String(r.minAmountOut),
  filledOut: r.filledOut === undefined ? null : String(r.filledOut),
  ageSeconds: Math.max(0, now - r.createdAt),
  deadline: r.deadline ?? null,
  line: orderLine(k, r, now),
  life: r.life,
});

/**
 * The chains whose swaps are planned atomically this cycle (`policy.fusion.retry: atomic`): those with an order that
 * ended unfilled since the last rebalance.
 */
export async function atomicRetryChains(k: Keeper, since: number): Promise<Set<number>> {
  if (k.config.policy.fusion?.retry !== "atomic") return new Set();
  const rows = await k.journal.sql.all<{ chain: number }>(
    "SELECT DISTINCT chain FROM swap_orders WHERE portfolio = ? AND status IN ('expired','cancelled','refused') AND updated_at >= ?",
    [k.journal.portfolio, since],
  );
  return new Set(rows.map((r) => Number(r.chain)));
}

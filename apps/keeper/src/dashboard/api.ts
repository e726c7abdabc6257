import type { Journal } from "../journal.ts";
import { listOrders, type OrderView, orderView } from "../orders.ts";
import { cyclePoints, latestCycles, type TxView, transactions } from "./store.ts";
import type { CycleView } from "./view.ts";

/** A chain as the dashboard names it, with its explorer and, under `ballast run`, its live health. */
export type ChainInfo = {
  key: string;
  chainId: number;
  explorer: string | null;
  health?: { lastCycleAt: number | null; error: string | null };
};

/** `GET /api/status`: where the portfolio stands and what the keeper last decided, planned and sent. */
export type StatusResponse = {
  /** Unix seconds. */
  generatedAt: number;
  /** `keeper`: served by `ballast run` (live health); `journal`: `ballast dashboard` (the journal alone). */
  source: "keeper" | "journal";
  chains: ChainInfo[];
  /** The newest journaled cycle: valuation, decision with every rule's verdict, simulations. */
  cycle: CycleView | null;
  /** The newest cycle that carried a plan, its simulations, and the transactions sent for it. */
  plan: (CycleView & { transactions: TxView[] }) | null;
  /** Swap orders not final (1inch Fusion), newest first, read from the journal now: their input is in flight. */
  orders: OrderView[];
};

/** `GET /api/history`: the drift of each sleeve and the NAV over a range, and the rebalances sent in it. */
export type HistoryResponse = {
  from: number;
  to: number;
  sleeves: { id: string; targetBps: number; bandBps: number }[];
  /** Oldest first; `drift[i]` is the drift of `sleeves[i]` in bps (null when the sleeve was not valued). */
  points: { at: number; navUsd: string | null; drift: (number | null)[]; fire: boolean }[];
  /** One per plan that was sent: when, and each chain's transaction. */
  rebalances: { at: number; planId: string; transactions: TxView[] }[];
};

/** At most this many points per history answer; longer ranges are thinned evenly (plans are always kept). */
export const HISTORY_MAX_POINTS = 1_500;

/** Builds the `/api/status` answer from the journal. */
export async function statusOf(
  db: Journal,
  chains: ChainInfo[],
  source: StatusResponse["source"],
  now: number,
): Promise<StatusResponse> {
  const { latest, planned } = await latestCycles(db);
  return {
    generatedAt: now,
    source,
    chains,
    cycle: latest,
    plan: planned?.plan
      ? { ...planned, transactions: await transactions(db, { planId: planned.plan.id }) }
      : null,
    orders: (await listOrders({ journal: db }, { live: true, limit: 100 })).map((r) => orderView(r, now)),
  };
}

/** Builds the `/api/history` answer for `[from, to]` (unix seconds) from the journal. */
export async function historyOf(db: Journal, from: number, to: number): Promise<HistoryResponse> {
  const sleeves = ((await latestCycles(db)).latest?.sleeves ?? []).map((s) => ({
    id: s.id,
    targetBps: s.targetBps,
    bandBps: s.bandBps,
  }));
  const byPlan = new Map<string, TxView[]>();
  for (const tx of await transactions(db, { from, to }))
    byPlan.set(tx.planId, [...(byPlan.get(tx.planId) ?? []), tx]);
  return {
    from,
    to,
    sleeves,
    points: (await cyclePoints(db, from, to, HISTORY_MAX_POINTS))
      .filter((p) => p.navUsd !== null)
      .map((p) => ({
        at: p.at,
        navUsd: p.navUsd,
        drift: sleeves.map((s) => p.drift[s.id] ?? null),
        fire: p.fire,
      })),
    rebalances: [...byPlan].map(([planId, txs]) => ({
      at: Math.min(...txs.map((t) => t.at)),
      planId,
      transactions: txs,
    })),
  };
}

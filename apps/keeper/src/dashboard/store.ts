import type { TxRecord } from "@ballast/chain";
import type Database from "better-sqlite3";
import { fromJson } from "../journal.ts";
import type { CycleView } from "./view.ts";

// `cycles`: one small row per kept cycle for the drift history (NAV, drift per sleeve), with the full view only for
// cycles that carried a plan; `cycle_latest`: the full view of the newest cycle, overwritten every cycle.
const SCHEMA = `CREATE TABLE IF NOT EXISTS cycles (
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, plan_id TEXT, fire INTEGER NOT NULL, nav_usd TEXT,
  drift TEXT NOT NULL, errors TEXT NOT NULL, json TEXT);
CREATE INDEX IF NOT EXISTS cycles_at ON cycles (at);
CREATE TABLE IF NOT EXISTS cycle_latest (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);`;

type Db = Database.Database;

/** One point of the drift history: NAV (USD wad, decimal) and each sleeve's drift in bps. */
export type CyclePoint = {
  at: number;
  planId: string | null;
  fire: boolean;
  navUsd: string | null;
  drift: Record<string, number>;
};

const hasTable = (db: Db, name: string): boolean =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;

/**
 * Journals a cycle for the dashboard. The newest cycle is always kept whole (for `/api/status`); for the history,
 * every cycle with a plan, the one right after it and any whose failing chains changed are kept, and quiet cycles
 * once per `sampleSeconds` (`keeper.dashboard.sampleEvery`). See `pnpm bench:dashboard` for the size per day.
 */
export function recordCycle(db: Db, view: CycleView, sampleSeconds: number): void {
  db.exec(SCHEMA);
  const json = JSON.stringify(view);
  db.prepare(
    "INSERT INTO cycle_latest (id, json) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json",
  ).run(json);
  const errors = view.chainErrors.map((e) => e.chain).join(",");
  const last = db
    .prepare("SELECT at, plan_id AS planId, errors FROM cycles ORDER BY at DESC, id DESC LIMIT 1")
    .get() as { at: number; planId: string | null; errors: string } | undefined;
  const quiet = view.plan === null && last?.planId === null && last.errors === errors;
  if (last && quiet && view.at - last.at < sampleSeconds) return;
  db.prepare(
    "INSERT INTO cycles (at, plan_id, fire, nav_usd, drift, errors, json) VALUES (?, ?, ?, ?, ?, ?, ?)",
  ).run(
    view.at,
    view.plan?.id ?? null,
    view.decision?.fire ? 1 : 0,
    view.navUsd,
    JSON.stringify(Object.fromEntries(view.sleeves.map((s) => [s.id, s.driftBps]))),
    errors,
    view.plan ? json : null,
  );
}

/** The newest journaled cycle, and the newest one that carried a plan. */
export function latestCycles(db: Db): { latest: CycleView | null; planned: CycleView | null } {
  if (!hasTable(db, "cycles")) return { latest: null, planned: null };
  const latest = db.prepare("SELECT json FROM cycle_latest WHERE id = 1").get() as
    | { json: string }
    | undefined;
  const planned = db
    .prepare("SELECT json FROM cycles WHERE plan_id IS NOT NULL ORDER BY at DESC, id DESC LIMIT 1")
    .get() as { json: string } | undefined;
  const parse = (r: { json: string } | undefined) => (r ? (JSON.parse(r.json) as CycleView) : null);
  return { latest: parse(latest), planned: parse(planned) };
}

/**
 * History points with `from <= at <= to`, oldest first: at most about `maxPoints`, thinned evenly in SQL (cycles with
 * a plan and the newest one are always kept).
 */
export function cyclePoints(db: Db, from: number, to: number, maxPoints: number): CyclePoint[] {
  if (!hasTable(db, "cycles")) return [];
  const { n, newest } = db
    .prepare("SELECT count(*) AS n, max(id) AS newest FROM cycles WHERE at >= ? AND at <= ?")
    .get(from, to) as { n: number; newest: number | null };
  const stride = Math.max(1, Math.ceil(n / maxPoints));
  const rows = db
    .prepare(
      `SELECT at, plan_id AS planId, fire, nav_usd AS navUsd, drift FROM cycles
       WHERE at >= ? AND at <= ? AND (id % ? = 0 OR plan_id IS NOT NULL OR id = ?) ORDER BY at, id`,
    )
    .all(from, to, stride, newest ?? -1) as {
    at: number;
    planId: string | null;
    fire: number;
    navUsd: string | null;
    drift: string;
  }[];
  return rows.map((r) => ({
    ...r,
    fire: r.fire === 1,
    drift: JSON.parse(r.drift) as Record<string, number>,
  }));
}

/** A journaled transaction as the dashboard shows it. */
export type TxView = {
  chainId: number;
  planId: string;
  status: string;
  at: number;
  nonce: number;
  hash: string | null;
  replaced: string[];
  block: string | null;
  gasUsed: string | null;
  droppedReason: string | null;
};

const txView = (at: number, r: TxRecord): TxView => ({
  chainId: r.chainId,
  planId: r.planId,
  status: r.status,
  at,
  nonce: r.nonce,
  hash: r.inclusion?.hash ?? r.attempts.at(-1)?.hash ?? null,
  replaced: r.attempts.slice(0, -1).map((a) => a.hash),
  block: r.inclusion ? r.inclusion.blockNumber.toString() : null,
  gasUsed: r.inclusion ? r.inclusion.gasUsed.toString() : null,
  droppedReason: r.droppedReason ?? null,
});

/** Journaled transactions: those of `planId`, or every one sent in [from, to]; oldest first. */
export function transactions(db: Db, q: { planId: string } | { from: number; to: number }): TxView[] {
  if (!hasTable(db, "transactions")) return [];
  const rows = (
    "planId" in q
      ? db.prepare("SELECT at, json FROM transactions WHERE plan_id = ? ORDER BY chain_id").all(q.planId)
      : db
          .prepare("SELECT at, json FROM transactions WHERE at >= ? AND at <= ? ORDER BY at")
          .all(q.from, q.to)
  ) as { at: number; json: string }[];
  return rows.map((r) => txView(r.at, fromJson<TxRecord>(r.json)));
}

import type { TxRecord } from "@ballast/chain";
import type Database from "better-sqlite3";
import { fromJson } from "../journal.ts";
import type { CycleView } from "./view.ts";

const SCHEMA = `CREATE TABLE IF NOT EXISTS cycles (
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, plan_id TEXT, fire INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS cycles_at ON cycles (at);`;

type Db = Database.Database;
type Row = { at: number; json: string };

const hasTable = (db: Db, name: string): boolean =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;

/**
 * Journals a cycle for the dashboard. Every cycle with a plan, the one right after it and any whose chain errors
 * changed are kept; quiet cycles once per `sampleSeconds` (`keeper.dashboard.sampleEvery`, default a minute: a
 * keeper ticking on every block keeps about 1,440 rows a day).
 */
export function recordCycle(db: Db, view: CycleView, sampleSeconds: number): void {
  db.exec(SCHEMA);
  const last = db.prepare("SELECT at, json FROM cycles ORDER BY at DESC, id DESC LIMIT 1").get() as
    | Row
    | undefined;
  if (last && view.plan === null) {
    const prev = JSON.parse(last.json) as CycleView;
    const errors = (v: CycleView) => v.chainErrors.map((e) => e.chain).join();
    const quiet = prev.plan === null && errors(prev) === errors(view);
    if (quiet && view.at - last.at < sampleSeconds) return;
  }
  db.prepare("INSERT INTO cycles (at, plan_id, fire, json) VALUES (?, ?, ?, ?)").run(
    view.at,
    view.plan?.id ?? null,
    view.decision?.fire ? 1 : 0,
    JSON.stringify(view),
  );
}

/** The newest journaled cycle, and the newest one that carried a plan. */
export function latestCycles(db: Db): { latest: CycleView | null; planned: CycleView | null } {
  if (!hasTable(db, "cycles")) return { latest: null, planned: null };
  const one = (where: string) =>
    db.prepare(`SELECT at, json FROM cycles ${where} ORDER BY at DESC, id DESC LIMIT 1`).get() as
      | Row
      | undefined;
  const parse = (r: Row | undefined) => (r ? (JSON.parse(r.json) as CycleView) : null);
  return { latest: parse(one("")), planned: parse(one("WHERE plan_id IS NOT NULL")) };
}

/** Journaled cycles with `from <= at <= to`, oldest first. */
export function cyclesBetween(db: Db, from: number, to: number): CycleView[] {
  if (!hasTable(db, "cycles")) return [];
  return (
    db.prepare("SELECT json FROM cycles WHERE at >= ? AND at <= ? ORDER BY at, id").all(from, to) as {
      json: string;
    }[]
  ).map((r) => JSON.parse(r.json) as CycleView);
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
  ) as Row[];
  return rows.map((r) => txView(r.at, fromJson<TxRecord>(r.json)));
}

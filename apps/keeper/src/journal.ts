import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

/** One row of `ballast history`. */
export type HistoryEntry = {
  at: number;
  kind: "decision" | "plan" | "transaction";
  planId: string | null;
  chainId: number | null;
  summary: string;
  json: string;
};

const SCHEMA = `
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
CREATE TABLE IF NOT EXISTS decisions (
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, fire INTEGER NOT NULL, plan_id TEXT, summary TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plans (
  id TEXT PRIMARY KEY, at INTEGER NOT NULL, summary TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** The keeper's SQLite journal: decisions, plans, and small durable state (last rebalance, known LP ids). */
export type Journal = ReturnType<typeof openJournal>;

/** Opens (and creates, with its folder) the journal at `path`; `:memory:` for tests. */
export function openJournal(path: string) {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.exec(SCHEMA);
  const q = {
    decision: db.prepare("INSERT INTO decisions (at, fire, plan_id, summary, json) VALUES (?, ?, ?, ?, ?)"),
    plan: db.prepare("INSERT OR IGNORE INTO plans (id, at, summary, json) VALUES (?, ?, ?, ?)"),
    get: db.prepare("SELECT value FROM kv WHERE key = ?"),
    put: db.prepare(
      "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    ),
  };
  return {
    db,
    /** Records a decision (and the plan it fired, if any). */
    recordDecision(d: { at: number; fire: boolean; planId: string | null; summary: string; json: string }) {
      q.decision.run(d.at, d.fire ? 1 : 0, d.planId, d.summary, d.json);
    },
    /** Records a plan once (by id). */
    recordPlan(p: { id: string; at: number; summary: string; json: string }) {
      q.plan.run(p.id, p.at, p.summary, p.json);
    },
    /** Reads a durable value. */
    get(key: string): string | undefined {
      return (q.get.get(key) as { value: string } | undefined)?.value;
    },
    /** Writes a durable value. */
    put(key: string, value: string) {
      q.put.run(key, value);
    },
    /** The newest `limit` entries of every kind, newest first. */
    history(limit = 50): HistoryEntry[] {
      const rows = db
        .prepare(
          `SELECT at, 'decision' AS kind, plan_id AS planId, NULL AS chainId, summary, json FROM decisions
           UNION ALL SELECT at, 'plan', id, NULL, summary, json FROM plans
           ${hasTable(db, "transactions") ? "UNION ALL SELECT at, 'transaction', plan_id, chain_id, summary, json FROM transactions" : ""}
           ORDER BY at DESC LIMIT ?`,
        )
        .all(limit) as HistoryEntry[];
      return rows;
    },
    /** Closes the database. */
    close() {
      db.close();
    },
  };
}

const hasTable = (db: Database.Database, name: string) =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;

import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import type { TxRecord, TxStore } from "@ballast/chain";
import { type Address, BallastError } from "@ballast/core";
import Database from "better-sqlite3";

/** Brings an older journal's rows to the current shape (idempotent, at every open). */
function migrate(db: Database.Database): void {
  // Plans journaled as a JSON string of the plan JSON (stringified twice) become the plan JSON itself.
  db.exec(
    "UPDATE plans SET json = json_extract(json, '$') WHERE json_valid(json) AND json_type(json) = 'text'",
  );
  // Journals from before dry runs were marked: their decisions are `run`'s.
  if (
    !(db.prepare("PRAGMA table_info(decisions)").all() as { name: string }[]).some(
      (c) => c.name === "dry_run",
    )
  )
    db.exec("ALTER TABLE decisions ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0");
}

/** Filters of {@link historyRows}. */
export type HistoryOptions = { readonly since?: number | undefined; readonly dryRuns?: boolean | undefined };

/**
 * The newest `limit` entries of every kind at or after `since` (unix seconds), newest first in a stable order (time,
 * then transaction → decision → plan, then each table's sequence); `dryRuns: false` leaves out the decisions of
 * `status` and `plan`.
 */
export function historyRows(db: Database.Database, limit: number, opts: HistoryOptions = {}): HistoryEntry[] {
  const rows = db
    .prepare(
      // Each table gives its newest rows through its index on `at`; only those 3 × limit rows are merged.
      `SELECT * FROM (SELECT at, 2 AS k, rowid AS seq, 'decision' AS kind, dry_run AS dryRun, plan_id AS planId,
           NULL AS chainId, summary, json
         FROM decisions WHERE at >= @since AND (@dry = 1 OR dry_run = 0) ORDER BY at DESC, rowid DESC LIMIT @limit)
       UNION ALL SELECT * FROM (SELECT at, 1, rowid, 'plan', 0, id, NULL, summary, json
         FROM plans WHERE at >= @since ORDER BY at DESC, rowid DESC LIMIT @limit)
       UNION ALL SELECT * FROM (SELECT at, 3, rowid, 'transaction', 0, plan_id, chain_id, summary, json
         FROM transactions WHERE at >= @since ORDER BY at DESC, rowid DESC LIMIT @limit)
       ORDER BY at DESC, k DESC, seq DESC LIMIT @limit`,
    )
    .all({ limit, since: opts.since ?? 0, dry: opts.dryRuns === false ? 0 : 1 }) as (Omit<
    HistoryEntry,
    "dryRun"
  > & { k: number; dryRun: number })[];
  return rows.map(({ k: _k, dryRun, ...r }) => ({ ...r, dryRun: dryRun === 1 }));
}

/** One row of `ballast history`. `seq`: the row's sequence in its table (with `at` and `kind`, a stable order). */
export type HistoryEntry = {
  at: number;
  seq: number;
  kind: "decision" | "plan" | "transaction";
  /** A decision of `status` or `plan` (nothing could be sent), not of `run`. */
  dryRun: boolean;
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
CREATE TABLE IF NOT EXISTS nonces (chain_id INTEGER NOT NULL, sender TEXT NOT NULL, nonce INTEGER NOT NULL,
  PRIMARY KEY (chain_id, sender));
CREATE TABLE IF NOT EXISTS transactions (
  chain_id INTEGER NOT NULL, plan_id TEXT NOT NULL, sender TEXT NOT NULL, nonce INTEGER NOT NULL,
  status TEXT NOT NULL, at INTEGER NOT NULL, summary TEXT NOT NULL, json TEXT NOT NULL,
  PRIMARY KEY (chain_id, plan_id));
CREATE INDEX IF NOT EXISTS decisions_at ON decisions (at);
CREATE INDEX IF NOT EXISTS plans_at ON plans (at);
CREATE INDEX IF NOT EXISTS transactions_at ON transactions (at);
`;

// Records round-trip exactly: bigints are written as {"$n": "123"}.
const toJson = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? { $n: x.toString() } : x));
/** Parses a journal record: `{"$n": "123"}` becomes a bigint. */
export const fromJson = <T>(text: string): T =>
  JSON.parse(text, (_k, x) =>
    x && typeof x === "object" && typeof x.$n === "string" ? BigInt(x.$n) : x,
  ) as T;
const FINAL = new Set(["confirmed", "reverted", "dropped"]);

/** The keeper's SQLite journal: decisions, plans, transactions (a {@link TxStore}), nonces and small durable state. */
export type Journal = ReturnType<typeof openJournal>;

/** Another live process (a second keeper) holds the journal's lock. */
export class JournalLockedError extends BallastError {
  override name = "JournalLockedError";
  constructor(
    readonly path: string,
    readonly owner: string,
  ) {
    super(`The journal ${path} is in use by another keeper (${owner}); one keeper per journal.`, {
      details: `Stop the other keeper first. If no keeper runs, remove ${path}.lock.`,
      context: { path, owner },
    });
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * Takes the journal's exclusive lock: `<path>.lock`, created atomically, holding the owner's pid and host. A lock
 * left by a dead process on this host is taken over. Returns the release function.
 */
export function lockJournal(path: string): () => void {
  const file = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname() }));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let owner: { pid?: number; host?: string } = {};
      try {
        owner = JSON.parse(readFileSync(file, "utf8")) as typeof owner;
      } catch {
        // a half-written lock: its writer is starting right now
      }
      const stale = owner.host === hostname() && typeof owner.pid === "number" && !alive(owner.pid);
      if (!stale || attempt > 0)
        throw new JournalLockedError(path, `pid ${owner.pid ?? "?"} on ${owner.host ?? "?"}`);
      unlinkSync(file);
    }
  }
  throw new JournalLockedError(path, "unknown");
}

/** Opens (and creates, with its folder) the journal at `path`; `:memory:` for tests. `exclusive` takes its lock. */
export function openJournal(path: string, opts: { exclusive?: boolean } = {}) {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const release = opts.exclusive && path !== ":memory:" ? lockJournal(path) : () => {};
  let db: Database.Database;
  try {
    db = new Database(path);
    db.pragma("busy_timeout = 5000");
  } catch (e) {
    release();
    throw e;
  }
  db.exec(SCHEMA);
  migrate(db);
  const q = {
    decision: db.prepare(
      "INSERT INTO decisions (at, fire, plan_id, summary, json, dry_run) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    plan: db.prepare("INSERT OR IGNORE INTO plans (id, at, summary, json) VALUES (?, ?, ?, ?)"),
    get: db.prepare("SELECT value FROM kv WHERE key = ?"),
    put: db.prepare(
      "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    ),
  };
  const tq = {
    get: db.prepare("SELECT json FROM transactions WHERE chain_id = ? AND plan_id = ?"),
    put: db.prepare(
      `INSERT INTO transactions (chain_id, plan_id, sender, nonce, status, at, summary, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(chain_id, plan_id) DO UPDATE SET sender = excluded.sender, nonce = excluded.nonce,
         status = excluded.status, at = excluded.at, summary = excluded.summary, json = excluded.json`,
    ),
    pending: db.prepare(
      "SELECT json FROM transactions WHERE chain_id = ? AND sender = ? AND status NOT IN ('confirmed','reverted','dropped') ORDER BY nonce",
    ),
    getNonce: db.prepare("SELECT nonce FROM nonces WHERE chain_id = ? AND sender = ?"),
    setNonce: db.prepare(
      "INSERT INTO nonces (chain_id, sender, nonce) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET nonce = excluded.nonce",
    ),
  };
  const getTx = (chainId: number, planId: string): TxRecord | undefined => {
    const row = tq.get.get(chainId, planId) as { json: string } | undefined;
    return row ? fromJson<TxRecord>(row.json) : undefined;
  };
  const writeTx = (r: TxRecord) => {
    const last = r.attempts.at(-1);
    const summary = `${r.status} nonce ${r.nonce}${last ? ` ${last.hash}` : ""}${r.inclusion ? ` block ${r.inclusion.blockNumber} gas ${r.inclusion.gasUsed}` : ""}${r.droppedReason ? ` (${r.droppedReason})` : ""}`;
    tq.put.run(
      r.chainId,
      r.planId,
      r.sender.toLowerCase(),
      r.nonce,
      r.status,
      Math.floor(Date.now() / 1000),
      summary,
      toJson(r),
    );
  };
  const mustTx = (chainId: number, planId: string): TxRecord => {
    const r = getTx(chainId, planId);
    if (!r) throw new Error(`journal: no transaction for plan ${planId} on chain ${chainId}`);
    return r;
  };
  const patch = (chainId: number, planId: string, f: (r: TxRecord) => Partial<TxRecord>) => {
    const r = mustTx(chainId, planId);
    writeTx({ ...r, ...f(r) });
  };
  /** The transaction store the chain package's transaction manager journals to. */
  const txStore: TxStore = {
    getNonce: (chainId, sender: Address) =>
      (tq.getNonce.get(chainId, sender.toLowerCase()) as { nonce: number } | undefined)?.nonce,
    setNonce: (chainId, sender, nonce) => {
      tq.setNonce.run(chainId, sender.toLowerCase(), nonce);
    },
    get: getTx,
    putIntent: (record) => {
      const old = getTx(record.chainId, record.planId);
      if (old && old.status !== "dropped" && old.status !== "reverted")
        throw new Error(
          `journal: plan ${record.planId} already has a live transaction on chain ${record.chainId}`,
        );
      writeTx(record);
    },
    markBroadcast: (chainId, planId, hash, blockNumber) =>
      patch(chainId, planId, (r) => ({
        status: FINAL.has(r.status) ? r.status : "broadcast",
        attempts: r.attempts.map((a) => (a.hash === hash ? { ...a, broadcastBlock: blockNumber } : a)),
      })),
    markReplaced: (chainId, planId, attempt) =>
      patch(chainId, planId, (r) => ({ attempts: [...r.attempts, attempt] })),
    markConfirmed: (chainId, planId, inclusion) =>
      patch(chainId, planId, () => ({ status: "confirmed", inclusion })),
    markReverted: (chainId, planId, inclusion) =>
      patch(chainId, planId, () => ({ status: "reverted", inclusion })),
    markDropped: (chainId, planId, reason) =>
      patch(chainId, planId, () => ({ status: "dropped", droppedReason: reason })),
    pending: (chainId, sender) =>
      (tq.pending.all(chainId, sender.toLowerCase()) as { json: string }[]).map((row) =>
        fromJson<TxRecord>(row.json),
      ),
  };
  return {
    db,
    txStore,
    /** Records a decision (and the plan it fired, if any); `dryRun` for `status` and `plan`. */
    recordDecision(d: {
      at: number;
      fire: boolean;
      planId: string | null;
      summary: string;
      json: string;
      dryRun?: boolean;
    }) {
      q.decision.run(d.at, d.fire ? 1 : 0, d.planId, d.summary, d.json, d.dryRun ? 1 : 0);
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
    /** {@link historyRows} of this journal. */
    history: (limit = 50, opts: HistoryOptions = {}): HistoryEntry[] => historyRows(db, limit, opts),
    /** Closes the database (and releases its lock). */
    close() {
      db.close();
      release();
    },
  };
}

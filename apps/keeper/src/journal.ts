import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import type { TxRecord, TxStore } from "@ballast/chain";
import { type Address, BallastError } from "@ballast/core";
import { migrate, nextSeq, SCHEMA_VERSION } from "./migrations.ts";
import { isPostgresUrl, JournalDatabaseError, openSql, type Sql } from "./sql.ts";

/** Filters of {@link Journal.history}. */
export type HistoryOptions = { readonly since?: number | undefined; readonly dryRuns?: boolean | undefined };

/** One row of `ballast history`. `seq`: its place in the journal-wide sequence (history's order). */
export type HistoryEntry = {
  at: number;
  seq: number;
  /** A decision taken this many times in a row (1 for every other kind); `firstAt`: when the first was. */
  repeats: number;
  firstAt: number | null;
  kind: "decision" | "plan" | "transaction" | "transfer" | "order";
  /** A decision of `status` or `plan` (nothing could be sent), not of `run`. */
  dryRun: boolean;
  planId: string | null;
  chainId: number | null;
  summary: string;
  json: string;
};

/** A journal record as text; records round-trip exactly: bigints are written as {"$n": "123"}. */
export const toJson = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? { $n: x.toString() } : x));
/** Parses a journal record: `{"$n": "123"}` becomes a bigint. */
export const fromJson = <T>(text: string): T =>
  JSON.parse(text, (_k, x) =>
    x && typeof x === "object" && typeof x.$n === "string" ? BigInt(x.$n) : x,
  ) as T;
const FINAL = new Set(["confirmed", "reverted", "dropped"]);

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

/** The portfolio of a single-portfolio config, and of every row written before portfolios existed. */
export const DEFAULT_PORTFOLIO = "default";

/**
 * Checked in the same database transaction that journals a signed transaction (or a fee replacement): throws when
 * this worker no longer owns what it signs for ({@link LeaseLostError} from `leases.ts`), so nothing is journaled and
 * nothing is broadcast. SQLite journals have none: the journal's file lock makes its one process the only sender.
 */
export type Fence = (tx: Sql) => Promise<void>;

/**
 * The keeper's journal, one interface over SQLite and PostgreSQL: decisions, plans, transactions (a
 * {@link TxStore}), nonces, small durable state (`get`/`put`: LP keys, last rebalance, …); the risk events and the
 * dashboard's cycles are written through `sql` by their modules. Rows belong to `portfolio`; transactions and nonces
 * are per (chain, sender), shared by the portfolios that share a key.
 */
export type Journal = {
  readonly portfolio: string;
  readonly sql: Sql;
  readonly txStore: TxStore;
  /**
   * Records a decision (and the plan it fired, if any); `dryRun` for `status` and `plan`. A decision equal to the
   * portfolio's newest entry (the same decision, nothing journaled since) is counted on that row, not repeated.
   */
  recordDecision(d: {
    at: number;
    fire: boolean;
    planId: string | null;
    summary: string;
    json: string;
    dryRun?: boolean;
  }): Promise<void>;
  /** Records a plan once (by id). */
  recordPlan(p: { id: string; at: number; summary: string; json: string }): Promise<void>;
  /** Reads a durable value of this portfolio. */
  get(key: string): Promise<string | undefined>;
  /** Writes a durable value of this portfolio. */
  put(key: string, value: string): Promise<void>;
  /**
   * The newest `limit` entries of every kind at or after `since` (unix seconds), newest first in the order they were
   * journaled (the journal-wide sequence, not the clock); `dryRuns: false` leaves out the decisions of `status` and
   * `plan`, and the plans only they decided on (`dryRun` marks both). A bridge transfer is one row, at its last
   * change (which takes its place in the sequence), with its whole life.
   */
  history(limit?: number, opts?: HistoryOptions): Promise<HistoryEntry[]>;
  /** The same database seen as another portfolio (shares the connection; `close` it with this one). */
  forPortfolio(portfolio: string, fence?: Fence): Journal;
  /** Closes the database (and releases its lock). */
  close(): Promise<void>;
};

/** Options of {@link openJournal}. */
export type OpenJournalOptions = {
  /** Take the journal's exclusive lock (`run`): a SQLite file's `<path>.lock`; Postgres journals use leases. */
  exclusive?: boolean;
  /** Whose rows (default {@link DEFAULT_PORTFOLIO}). */
  portfolio?: string;
  /** Read-only SQLite handle (the dashboard); no migration. */
  readonly?: boolean;
};

/**
 * Opens the journal `keeper.journal` names: a `postgres://` URL, or a SQLite file (created with its folder;
 * `:memory:` for tests). Applies the schema migrations it has not seen. A journal written by a newer ballast is
 * refused.
 */
export async function openJournal(target: string, opts: OpenJournalOptions = {}): Promise<Journal> {
  const file = !isPostgresUrl(target) && target !== ":memory:";
  if (file && !opts.readonly) mkdirSync(dirname(target), { recursive: true });
  const release = opts.exclusive && file ? lockJournal(target) : () => {};
  let sql: Sql | undefined;
  try {
    sql = await openSql(target, { readonly: opts.readonly ?? false });
    if (!opts.readonly) await migrate(sql);
    const [row] = opts.readonly
      ? []
      : await sql.all<{ v: number | null }>("SELECT max(version) AS v FROM schema_migrations");
    if ((row?.v ?? 0) > SCHEMA_VERSION)
      throw new JournalDatabaseError(
        `The journal is at schema version ${row?.v}; this ballast knows ${SCHEMA_VERSION}.`,
        {
          details: "It was written by a newer ballast: upgrade this one.",
        },
      );
  } catch (e) {
    await sql?.close().catch(() => {});
    release();
    throw e;
  }
  const db = sql;
  const close = async () => {
    await db.close();
    release();
  };
  return journalOver(db, opts.portfolio ?? DEFAULT_PORTFOLIO, close);
}

const summaryOf = (r: TxRecord): string => {
  const last = r.attempts.at(-1);
  return `${r.status} nonce ${r.nonce}${last ? ` ${last.hash}` : ""}${r.inclusion ? ` block ${r.inclusion.blockNumber} gas ${r.inclusion.gasUsed}` : ""}${r.droppedReason ? ` (${r.droppedReason})` : ""}`;
};

// Inside a transaction: each write of a transaction (each change of status) takes the next number of the sequence.
const writeTx = async (q: Sql, portfolio: string, r: TxRecord) =>
  q.run(
    `INSERT INTO transactions (chain_id, plan_id, sender, nonce, status, at, summary, json, portfolio, seq)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (chain_id, plan_id) DO UPDATE SET sender = excluded.sender, nonce = excluded.nonce,
       status = excluded.status, at = excluded.at, summary = excluded.summary, json = excluded.json,
       seq = excluded.seq`,
    [
      r.chainId,
      r.planId,
      r.sender.toLowerCase(),
      r.nonce,
      r.status,
      Math.floor(Date.now() / 1000),
      summaryOf(r),
      toJson(r),
      portfolio,
      await nextSeq(q),
    ],
  );

const readTx = async (q: Sql, chainId: number, planId: string): Promise<TxRecord | undefined> => {
  const [row] = await q.all<{ json: string }>(
    "SELECT json FROM transactions WHERE chain_id = ? AND plan_id = ?",
    [chainId, planId],
  );
  return row ? fromJson<TxRecord>(row.json) : undefined;
};

/** Two live transactions of one sender with one nonce: the database refused the second. */
export class NonceTakenError extends BallastError {
  override name = "NonceTakenError";
}

const isUniqueViolation = (e: unknown): boolean => {
  for (let c: unknown = e, i = 0; c && i < 5; c = (c as { cause?: unknown }).cause, i++) {
    const code = (c as { code?: string }).code;
    if (code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE") return true;
  }
  return false;
};

/** The transaction store over `sql`: each change is one database transaction; sends are fenced. */
function txStoreOver(sql: Sql, portfolio: string, fence: Fence | undefined): TxStore {
  const patch = (chainId: number, planId: string, f: (r: TxRecord) => Partial<TxRecord>, fenced = false) =>
    sql.transaction(async (tx) => {
      if (fenced) await fence?.(tx);
      const r = await readTx(tx, chainId, planId);
      if (!r) throw new Error(`journal: no transaction for plan ${planId} on chain ${chainId}`);
      await writeTx(tx, portfolio, { ...r, ...f(r) });
    });
  return {
    getNonce: async (chainId, sender: Address) =>
      (
        await sql.all<{ nonce: number }>("SELECT nonce FROM nonces WHERE chain_id = ? AND sender = ?", [
          chainId,
          sender.toLowerCase(),
        ])
      )[0]?.nonce,
    setNonce: async (chainId, sender, nonce) => {
      await sql.run(
        `INSERT INTO nonces (chain_id, sender, nonce) VALUES (?, ?, ?)
         ON CONFLICT (chain_id, sender) DO UPDATE SET nonce = excluded.nonce`,
        [chainId, sender.toLowerCase(), nonce],
      );
    },
    get: (chainId, planId) => readTx(sql, chainId, planId),
    putIntent: (record) =>
      sql
        .transaction(async (tx) => {
          await fence?.(tx);
          const old = await readTx(tx, record.chainId, record.planId);
          if (old && old.status !== "dropped" && old.status !== "reverted")
            throw new Error(
              `journal: plan ${record.planId} already has a live transaction on chain ${record.chainId}`,
            );
          await writeTx(tx, portfolio, record);
        })
        .catch((e: unknown) => {
          if (!isUniqueViolation(e)) throw e;
          throw new NonceTakenError(
            `Nonce ${record.nonce} of ${record.sender} on chain ${record.chainId} is already journaled for another plan.`,
            {
              details: "Another portfolio sharing this key signed with it first: nothing was sent.",
              cause: e,
            },
          );
        }),
    markBroadcast: (chainId, planId, hash, blockNumber) =>
      patch(chainId, planId, (r) => ({
        status: FINAL.has(r.status) ? r.status : "broadcast",
        attempts: r.attempts.map((a) => (a.hash === hash ? { ...a, broadcastBlock: blockNumber } : a)),
      })),
    markReplaced: (chainId, planId, attempt) =>
      patch(chainId, planId, (r) => ({ attempts: [...r.attempts, attempt] }), true),
    markConfirmed: (chainId, planId, inclusion) =>
      patch(chainId, planId, () => ({ status: "confirmed", inclusion })),
    markReverted: (chainId, planId, inclusion) =>
      patch(chainId, planId, () => ({ status: "reverted", inclusion })),
    markDropped: (chainId, planId, reason) =>
      patch(chainId, planId, () => ({ status: "dropped", droppedReason: reason })),
    pending: async (chainId, sender) =>
      (
        await sql.all<{ json: string }>(
          "SELECT json FROM transactions WHERE chain_id = ? AND sender = ? AND status NOT IN ('confirmed','reverted','dropped') ORDER BY nonce",
          [chainId, sender.toLowerCase()],
        )
      ).map((row) => fromJson<TxRecord>(row.json)),
  };
}

/** {@link Journal.history} of `portfolio`. */
async function historyRows(
  sql: Sql,
  portfolio: string,
  limit: number,
  opts: HistoryOptions,
): Promise<HistoryEntry[]> {
  const dry = opts.dryRuns === false ? "AND dry_run = 0" : "";
  // A plan is a dry run when only dry runs (`status`, `plan`) decided on it: none of `run`'s decisions took it.
  const dryPlan = `coalesce((SELECT min(x.dry_run) FROM decisions x WHERE x.portfolio = plans.portfolio
    AND x.plan_id = plans.id), 0)`;
  const since = opts.since ?? 0;
  // Each table gives its newest rows through its (portfolio, seq) index; only those 4 × limit rows are merged.
  const rows = await sql.all<Omit<HistoryEntry, "dryRun"> & { dryRun: number }>(
    `SELECT * FROM (SELECT at, seq, repeats, first_at AS "firstAt", 'decision' AS kind, dry_run AS "dryRun",
         plan_id AS "planId", CAST(NULL AS BIGINT) AS "chainId", summary, json
       FROM decisions WHERE portfolio = ? AND at >= ? ${dry} ORDER BY seq DESC LIMIT ?) d
     UNION ALL SELECT * FROM (SELECT at, seq, 1, CAST(NULL AS BIGINT), 'plan', ${dryPlan},
         id, CAST(NULL AS BIGINT), summary, json
       FROM plans WHERE portfolio = ? AND at >= ? ${dry && `AND ${dryPlan} = 0`} ORDER BY seq DESC LIMIT ?) p
     UNION ALL SELECT * FROM (SELECT at, seq, 1, CAST(NULL AS BIGINT), 'transaction', 0, plan_id, chain_id, summary, json
       FROM transactions WHERE portfolio = ? AND at >= ? ORDER BY seq DESC LIMIT ?) t
     UNION ALL SELECT * FROM (SELECT updated_at, seq, 1, CAST(NULL AS BIGINT), 'transfer', 0, plan_id, origin_chain,
         summary, json
       FROM bridge_transfers WHERE portfolio = ? AND updated_at >= ? ORDER BY seq DESC LIMIT ?) b
     UNION ALL SELECT * FROM (SELECT updated_at, seq, 1, CAST(NULL AS BIGINT), 'order', 0, plan_id, chain, summary, json
       FROM swap_orders WHERE portfolio = ? AND updated_at >= ? ORDER BY seq DESC LIMIT ?) o
     ORDER BY seq DESC LIMIT ?`,
    [
      portfolio,
      since,
      limit,
      portfolio,
      since,
      limit,
      portfolio,
      since,
      limit,
      portfolio,
      since,
      limit,
      portfolio,
      since,
      limit,
      limit,
    ],
  );
  return rows.map(({ dryRun, ...r }) => ({ ...r, dryRun: dryRun === 1 }));
}

type DecisionRow = Parameters<Journal["recordDecision"]>[0];

/**
 * The portfolio's newest journal entry when it is a decision equal to `d` (the same outcome, plan, reasons and
 * dry-run mark): `d` repeats it.
 */
async function repeatedDecision(tx: Sql, portfolio: string, d: DecisionRow): Promise<number | undefined> {
  const [last] = await tx.all<{
    id: number;
    fire: number;
    planId: string | null;
    summary: string;
    json: string;
    dryRun: number;
  }>(
    `SELECT id, fire, plan_id AS "planId", summary, json, dry_run AS "dryRun" FROM decisions
     WHERE portfolio = ? AND seq = (SELECT max(seq) FROM (SELECT max(seq) AS seq FROM decisions WHERE portfolio = ?
       UNION ALL SELECT max(seq) FROM plans WHERE portfolio = ?
       UNION ALL SELECT max(seq) FROM transactions WHERE portfolio = ?
       UNION ALL SELECT max(seq) FROM bridge_transfers WHERE portfolio = ?
       UNION ALL SELECT max(seq) FROM swap_orders WHERE portfolio = ?) m)`,
    [portfolio, portfolio, portfolio, portfolio, portfolio, portfolio],
  );
  const same =
    last !== undefined &&
    last.fire === (d.fire ? 1 : 0) &&
    last.planId === d.planId &&
    last.summary === d.summary &&
    last.json === d.json &&
    last.dryRun === (d.dryRun ? 1 : 0);
  return same ? last.id : undefined;
}

/** The journal of `portfolio` over an open, migrated database. */
export function journalOver(sql: Sql, portfolio: string, close: () => Promise<void>, fence?: Fence): Journal {
  return {
    portfolio,
    sql,
    txStore: txStoreOver(sql, portfolio, fence),
    recordDecision: (d) =>
      sql.transaction(async (tx) => {
        const repeated = await repeatedDecision(tx, portfolio, d);
        if (repeated !== undefined)
          await tx.run(
            "UPDATE decisions SET repeats = repeats + 1, first_at = coalesce(first_at, at), at = ? WHERE id = ?",
            [d.at, repeated],
          );
        else
          await tx.run(
            `INSERT INTO decisions (at, fire, plan_id, summary, json, dry_run, portfolio, seq)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            [
              d.at,
              d.fire ? 1 : 0,
              d.planId,
              d.summary,
              d.json,
              d.dryRun ? 1 : 0,
              portfolio,
              await nextSeq(tx),
            ],
          );
      }),
    recordPlan: (p) =>
      sql.transaction(async (tx) => {
        await tx.run(
          "INSERT INTO plans (id, at, summary, json, portfolio, seq) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
          [p.id, p.at, p.summary, p.json, portfolio, await nextSeq(tx)],
        );
      }),
    async get(key) {
      const [row] = await sql.all<{ value: string }>("SELECT value FROM kv WHERE portfolio = ? AND key = ?", [
        portfolio,
        key,
      ]);
      return row?.value;
    },
    async put(key, value) {
      await sql.run(
        `INSERT INTO kv (portfolio, key, value) VALUES (?, ?, ?)
         ON CONFLICT (portfolio, key) DO UPDATE SET value = excluded.value`,
        [portfolio, key, value],
      );
    },
    history: (limit = 50, opts = {}) => historyRows(sql, portfolio, limit, opts),
    forPortfolio: (other, otherFence) => journalOver(sql, other, close, otherFence),
    close,
  };
}

import type { Sql } from "./sql.ts";

/** One schema version: a script, or steps that depend on the dialect or on what an adopted journal already has. */
export type Migration = {
  readonly version: number;
  readonly name: string;
  readonly sql: string | ((tx: Sql) => Promise<void>);
};

/**
 * The journal's schema, as numbered migrations applied in order at start (`schema_migrations` records each). One list
 * for both stores: `{{id}}` is the dialect's auto-numbered key, everything else is the shared subset of SQL. Version 1
 * is the schema of the journals written before migrations existed (`IF NOT EXISTS`, so such a SQLite file is
 * adopted as it is); a change to the schema is a new version at the end, never an edit of one that shipped.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "journal",
    sql: `
CREATE TABLE IF NOT EXISTS decisions (
  id {{id}}, at BIGINT NOT NULL, fire INTEGER NOT NULL, plan_id TEXT, summary TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plans (id TEXT PRIMARY KEY, at BIGINT NOT NULL, summary TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (chain_id BIGINT NOT NULL, sender TEXT NOT NULL, nonce BIGINT NOT NULL,
  PRIMARY KEY (chain_id, sender));
CREATE TABLE IF NOT EXISTS transactions (
  chain_id BIGINT NOT NULL, plan_id TEXT NOT NULL, sender TEXT NOT NULL, nonce BIGINT NOT NULL,
  status TEXT NOT NULL, at BIGINT NOT NULL, summary TEXT NOT NULL, json TEXT NOT NULL,
  PRIMARY KEY (chain_id, plan_id));
CREATE INDEX IF NOT EXISTS decisions_at ON decisions (at);
CREATE INDEX IF NOT EXISTS plans_at ON plans (at);
CREATE INDEX IF NOT EXISTS transactions_at ON transactions (at);
CREATE TABLE IF NOT EXISTS risk_events (
  id {{id}}, at BIGINT NOT NULL, chain TEXT, kind TEXT NOT NULL, usd TEXT, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS risk_events_kind_at ON risk_events (kind, at);
CREATE TABLE IF NOT EXISTS cycles (
  id {{id}}, at BIGINT NOT NULL, plan_id TEXT, fire INTEGER NOT NULL, nav_usd TEXT,
  drift TEXT NOT NULL, errors TEXT NOT NULL, json TEXT);
CREATE INDEX IF NOT EXISTS cycles_at ON cycles (at);
CREATE TABLE IF NOT EXISTS cycle_latest (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);`,
  },
  {
    // Several portfolios in one journal: every portfolio-owned row names its portfolio ('default' for the rows
    // of before). Nonces stay per (chain, sender): two portfolios sharing a key share its nonce sequence, and no
    // two live transactions of a sender may hold the same nonce (the database refuses the second).
    version: 2,
    name: "portfolios",
    sql: `
ALTER TABLE decisions ADD COLUMN portfolio TEXT NOT NULL DEFAULT 'default';
ALTER TABLE plans ADD COLUMN portfolio TEXT NOT NULL DEFAULT 'default';
ALTER TABLE transactions ADD COLUMN portfolio TEXT NOT NULL DEFAULT 'default';
ALTER TABLE risk_events ADD COLUMN portfolio TEXT NOT NULL DEFAULT 'default';
ALTER TABLE cycles ADD COLUMN portfolio TEXT NOT NULL DEFAULT 'default';
CREATE TABLE kv_by_portfolio (portfolio TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (portfolio, key));
INSERT INTO kv_by_portfolio (portfolio, key, value) SELECT 'default', key, value FROM kv;
DROP TABLE kv;
ALTER TABLE kv_by_portfolio RENAME TO kv;
CREATE TABLE cycle_latest_by_portfolio (portfolio TEXT PRIMARY KEY, json TEXT NOT NULL);
INSERT INTO cycle_latest_by_portfolio (portfolio, json) SELECT 'default', json FROM cycle_latest;
DROP TABLE cycle_latest;
ALTER TABLE cycle_latest_by_portfolio RENAME TO cycle_latest;
CREATE INDEX decisions_portfolio_at ON decisions (portfolio, at);
CREATE INDEX risk_events_portfolio_kind_at ON risk_events (portfolio, kind, at);
CREATE INDEX cycles_portfolio_at ON cycles (portfolio, at);
CREATE INDEX transactions_pending ON transactions (chain_id, sender, status);
CREATE UNIQUE INDEX transactions_live_nonce ON transactions (chain_id, sender, nonce) WHERE status <> 'dropped';`,
  },
  {
    // Leases (Postgres, several keepers): who owns a portfolio or a (key, chain), until when, and the fencing token
    // every journaled send is checked against. Times are the database's clock, never a worker's.
    version: 3,
    name: "leases",
    sql: `
CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, token BIGINT NOT NULL, expires_at BIGINT NOT NULL);`,
  },
  {
    // Decisions of `status` and `plan` are marked dry runs (the rows of before are `run`'s); plans journaled as a
    // JSON string of the plan's JSON (stringified twice) become that JSON; Postgres gets the per-table sequence
    // SQLite's rowid gives, so `history` has a stable order within one second.
    version: 4,
    name: "dry-runs-and-plan-objects",
    sql: async (tx) => {
      // A SQLite journal opened by ballast before versioned migrations may have the column already.
      if (!(await hasColumn(tx, "decisions", "dry_run")))
        await tx.exec("ALTER TABLE decisions ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0");
      await tx.exec(
        tx.dialect === "sqlite"
          ? "UPDATE plans SET json = json_extract(json, '$') WHERE json_valid(json) AND json_type(json) = 'text'"
          : // The sequences first: they number the rows in their physical order, which an UPDATE changes.
            `ALTER TABLE plans ADD COLUMN seq BIGINT GENERATED BY DEFAULT AS IDENTITY;
ALTER TABLE transactions ADD COLUMN seq BIGINT GENERATED BY DEFAULT AS IDENTITY;
UPDATE plans SET json = json::json #>> '{}' WHERE json LIKE '"%';`,
      );
    },
  },
  {
    // History's order is one journal-wide sequence: decisions, plans and transactions each take its next number when
    // written (a transaction again at each change of status), so a row's place is when it was written, whatever its
    // kind or second. The rows of before are numbered in the order history showed them (time, then plan →
    // decision → transaction, then their table's sequence). A decision equal to the one just before it is not
    // written again: `repeats` counts it and `first_at` keeps when it began.
    version: 5,
    name: "journal-sequence",
    sql: async (tx) => {
      const pg = tx.dialect === "postgres";
      const old = pg ? "seq" : "rowid"; // migration 4's per-table sequence on Postgres
      await tx.exec(`${
        pg
          ? "ALTER TABLE plans ALTER COLUMN seq DROP IDENTITY; ALTER TABLE transactions ALTER COLUMN seq DROP IDENTITY;"
          : "ALTER TABLE plans ADD COLUMN seq BIGINT; ALTER TABLE transactions ADD COLUMN seq BIGINT;"
      }
ALTER TABLE decisions ADD COLUMN seq BIGINT;
ALTER TABLE decisions ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1;
ALTER TABLE decisions ADD COLUMN first_at BIGINT;
CREATE TEMPORARY TABLE journal_order AS SELECT t, s, ROW_NUMBER() OVER (ORDER BY at, k, s) AS n FROM (
  SELECT 'd' AS t, id AS s, at, 2 AS k FROM decisions
  UNION ALL SELECT 'p', ${old}, at, 1 FROM plans
  UNION ALL SELECT 't', ${old}, at, 3 FROM transactions) x;
UPDATE decisions SET seq = (SELECT n FROM journal_order WHERE t = 'd' AND s = decisions.id);
UPDATE plans SET seq = (SELECT n FROM journal_order WHERE t = 'p' AND s = plans.${old});
UPDATE transactions SET seq = (SELECT n FROM journal_order WHERE t = 't' AND s = transactions.${old});
CREATE INDEX decisions_portfolio_seq ON decisions (portfolio, seq);
CREATE INDEX plans_portfolio_seq ON plans (portfolio, seq);
CREATE INDEX transactions_portfolio_seq ON transactions (portfolio, seq);
${
  pg
    ? "CREATE SEQUENCE journal_seq; SELECT setval('journal_seq', (SELECT count(*) + 1 FROM journal_order), false);"
    : "CREATE TABLE journal_seq (n BIGINT NOT NULL); INSERT INTO journal_seq SELECT count(*) FROM journal_order;"
}
DROP TABLE journal_order;`);
    },
  },
  {
    // Bridge transfers (#16): journaled before the origin batch is sent, then deposited (the origin's event),
    // filled (the destination's fill status), refunded (the origin's refund leaf) or unsent (the batch never landed).
    // Each write (each change of status) takes the next number of the journal-wide sequence, as a transaction does.
    version: 6,
    name: "bridge-transfers",
    sql: `
CREATE TABLE bridge_transfers (
  id TEXT PRIMARY KEY, portfolio TEXT NOT NULL, plan_id TEXT NOT NULL, bridge TEXT NOT NULL,
  origin_chain BIGINT NOT NULL, dest_chain BIGINT NOT NULL, status TEXT NOT NULL,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, summary TEXT NOT NULL, json TEXT NOT NULL,
  seq BIGINT NOT NULL);
CREATE INDEX bridge_transfers_live ON bridge_transfers (portfolio, status);
CREATE INDEX bridge_transfers_at ON bridge_transfers (portfolio, updated_at);
CREATE INDEX bridge_transfers_portfolio_seq ON bridge_transfers (portfolio, seq);`,
  },
  {
    // Swap orders (#17, 1inch Fusion): journaled before the batch carrying their approval, signed and journaled with
    // their hash before the relayer sees them, then filled, expired, cancelled, refused or unsent.
    version: 7,
    name: "swap-orders",
    sql: `
CREATE TABLE swap_orders (
  id TEXT PRIMARY KEY, portfolio TEXT NOT NULL, plan_id TEXT NOT NULL, route TEXT NOT NULL,
  chain BIGINT NOT NULL, status TEXT NOT NULL, order_hash TEXT,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, summary TEXT NOT NULL, json TEXT NOT NULL,
  seq BIGINT NOT NULL);
CREATE INDEX swap_orders_live ON swap_orders (portfolio, status);
CREATE INDEX swap_orders_portfolio_seq ON swap_orders (portfolio, seq);`,
  },
];

/**
 * The next number of the journal-wide sequence (migration 5): a Postgres sequence; on SQLite a one-row counter, to be
 * taken inside the transaction that writes the row (SQLite has one writer at a time, so numbers follow commits).
 */
export async function nextSeq(tx: Sql): Promise<number> {
  const [row] = await tx.all<{ n: number }>(
    tx.dialect === "postgres"
      ? "SELECT nextval('journal_seq') AS n"
      : "UPDATE journal_seq SET n = n + 1 RETURNING n",
  );
  if (row === undefined) throw new Error("journal: the sequence journal_seq is missing");
  return row.n;
}

const hasColumn = async (tx: Sql, table: string, column: string): Promise<boolean> =>
  (
    await tx.all(
      tx.dialect === "sqlite"
        ? "SELECT 1 FROM pragma_table_info(?) WHERE name = ?"
        : "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND column_name = ?",
      [table, column],
    )
  ).length > 0;

const ID = { sqlite: "INTEGER PRIMARY KEY", postgres: "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" };

/** A lock id only the journal's migrations take (Postgres advisory lock): keepers starting together migrate once. */
const MIGRATION_LOCK = 0x62616c6c; // "ball"

/**
 * Applies the migrations `sql` has not seen yet, each in its own transaction with its `schema_migrations` row.
 * Returns the versions applied. Several keepers starting at once on one Postgres apply each version once. `to` stops
 * at that version (tests of a migration start from the schema before it).
 */
export async function migrate(sql: Sql, opts: { readonly to?: number } = {}): Promise<number[]> {
  await sql.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
  );
  const applied: number[] = [];
  for (const m of MIGRATIONS.filter((x) => x.version <= (opts.to ?? Number.POSITIVE_INFINITY))) {
    const done = await sql.transaction(async (tx) => {
      if (tx.dialect === "postgres") await tx.all("SELECT pg_advisory_xact_lock(?)", [MIGRATION_LOCK]);
      const seen = await tx.all("SELECT 1 FROM schema_migrations WHERE version = ?", [m.version]);
      if (seen.length > 0) return false;
      if (typeof m.sql === "string") await tx.exec(m.sql.replaceAll("{{id}}", ID[tx.dialect]));
      else await m.sql(tx);
      await tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
        m.version,
        m.name,
        Math.floor(Date.now() / 1000),
      ]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}

/** The newest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

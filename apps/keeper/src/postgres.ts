import { BallastError, redactText } from "@ballast/core";
import pg from "pg";
import { JournalDatabaseError, type Sql } from "./sql.ts";

// The Postgres side of the journal's one SQL surface (`Sql`): its own module, which `openSql` loads for a `postgres://`
// journal only, so a keeper on SQLite never loads the driver.

/** `?` → `$1, $2, …` (the journal's SQL has no `?` inside literals). */
const numbered = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

// int8 (counts, ids, unix seconds, nonces) as numbers: every journal integer is far below 2^53.
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/** Wraps a pg failure: the URL's password never reaches a message. */
const wrap = (e: unknown): never => {
  if (e instanceof BallastError) throw e;
  const msg = e instanceof Error ? e.message : String(e);
  throw new JournalDatabaseError(`Postgres journal: ${redactText(msg)}`, {
    cause: e,
    context: { code: (e as { code?: string }).code },
  });
};

type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

const over = (q: Queryable, transaction: Sql["transaction"], close: Sql["close"]): Sql => ({
  dialect: "postgres",
  all: async <T>(sql: string, params: readonly unknown[] = []) =>
    (await q.query(numbered(sql), params as unknown[]).catch(wrap)).rows as T[],
  run: async (sql, params = []) =>
    (await q.query(numbered(sql), params as unknown[]).catch(wrap)).rowCount ?? 0,
  exec: async (script) => {
    await q.query(script).catch(wrap);
  },
  transaction,
  close,
});

/** Options of {@link postgresSql}. */
export type PostgresOptions = {
  /** Connections in the pool (default 4). */
  max?: number;
  /** Bound of every statement, ms (default 10 000): a cut connection fails instead of hanging. */
  statementTimeoutMs?: number;
};

/**
 * Connects a pool to a `postgres://` URL as {@link Sql}. A connection that breaks fails the statement on it (the
 * pool replaces it); a transaction runs on one connection, `BEGIN` … `COMMIT`.
 */
export function postgresSql(url: string, opts: PostgresOptions = {}): Sql {
  const timeout = opts.statementTimeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 4,
    types,
    statement_timeout: timeout,
    query_timeout: timeout + 1_000,
    connectionTimeoutMillis: timeout,
    keepAlive: true,
  });
  // A connection's error (server restart, network cut) must not kill the process: the query on it fails with it
  // (pg errors every pending query of a connection that ends), and the pool drops the connection.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  const transaction: Sql["transaction"] = async (fn) => {
    const client = await pool.connect().catch(wrap);
    let broken = false;
    try {
      await client.query("BEGIN");
      const tx: Sql = over(
        client,
        (f) => f(tx),
        async () => {},
      ); // a nested transaction joins this one
      const out = await fn(tx);
      await client.query("COMMIT");
      return out;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      return wrap(e);
    } finally {
      client.release(broken);
    }
  };
  return over(pool, transaction, () => pool.end());
}

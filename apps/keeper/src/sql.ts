import { BallastError, redactText } from "@ballast/core";
import Database from "better-sqlite3";
import pg from "pg";

/**
 * The one SQL surface the journal is written against: SQLite (better-sqlite3, embedded, the default) or PostgreSQL
 * (`pg`, for several keepers). Statements use `?` placeholders and the common subset of both dialects (`ON CONFLICT`,
 * `RETURNING`, quoted aliases); the Postgres driver numbers the placeholders. Integers come back as numbers on both.
 */
export type Sql = {
  readonly dialect: "sqlite" | "postgres";
  /** Rows of a query. */
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a statement; returns how many rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

/** The journal's database failed or could not be reached: nothing was journaled, nothing was sent. */
export class JournalDatabaseError extends BallastError {
  override name = "JournalDatabaseError";
}

/** True for a `postgres://` or `postgresql://` journal URL. */
export const isPostgresUrl = (journal: string): boolean => /^postgres(ql)?:\/\//.test(journal);

/** Opens a SQLite file (`:memory:` for tests) as {@link Sql}. Statements run one at a time, transactions whole. */
export function sqliteSql(path: string, opts: { readonly?: boolean } = {}): Sql {
  const db = new Database(path, opts.readonly ? { readonly: true, fileMustExist: true } : {});
  db.pragma("busy_timeout = 5000");
  if (!opts.readonly) {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
  }
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    const cached = statements.get(sql);
    if (cached) return cached;
    const s = db.prepare(sql);
    statements.set(sql, s);
    return s;
  };
  // better-sqlite3 is synchronous; this queue keeps another caller's statements out of an open transaction.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T> | T): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  const direct = (): Sql => ({
    dialect: "sqlite",
    all: async <T>(sql: string, params: readonly unknown[] = []) => prepare(sql).all(...params) as T[],
    run: async (sql, params = []) => prepare(sql).run(...params).changes,
    exec: async (script) => {
      db.exec(script);
    },
    transaction: (fn) => fn(direct()), // already inside one
    close: async () => {},
  });
  const inner = direct();
  return {
    dialect: "sqlite",
    all: (sql, params) => serial(() => inner.all(sql, params)),
    run: (sql, params) => serial(() => inner.run(sql, params)),
    exec: (script) => serial(() => inner.exec(script)),
    transaction: (fn) =>
      serial(async () => {
        db.exec("BEGIN IMMEDIATE");
        try {
          const out = await fn(inner);
          db.exec("COMMIT");
          return out;
        } catch (e) {
          db.exec("ROLLBACK");
          throw e;
        }
      }),
    close: () =>
      serial(() => {
        db.close();
      }),
  };
}

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

/** Opens the journal database named by `keeper.journal`: a `postgres://` URL, else a SQLite file path. */
export const openSql = (journal: string, opts: { readonly?: boolean } = {}): Sql =>
  isPostgresUrl(journal) ? postgresSql(journal) : sqliteSql(journal, opts);

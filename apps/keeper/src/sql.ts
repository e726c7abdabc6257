import { BallastError } from "@ballast/core";
import Database from "better-sqlite3";

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

/** How long a SQLite statement waits for another process's lock before it fails with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Puts a read-write handle in WAL mode. On a new file, processes doing this at once each read the header and then
 * want to write it; SQLite refuses all but one at once with SQLITE_BUSY, without waiting the busy timeout (a reader
 * waiting to become a writer could deadlock). The refused statement holds no lock, so it is tried again, 5 ms apart,
 * within the busy timeout: once the winner has committed, the file is WAL and the retry has nothing to write.
 */
function useWal(db: Database.Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== "SQLITE_BUSY" || Date.now() >= deadline) throw e;
      Atomics.wait(PAUSE, 0, 0, 5); // a synchronous pause, as SQLite's own busy wait is
    }
  }
}

/** Opens a SQLite file (`:memory:` for tests) as {@link Sql}. Statements run one at a time, transactions whole. */
export function sqliteSql(path: string, opts: { readonly?: boolean } = {}): Sql {
  const db = new Database(path, opts.readonly ? { readonly: true, fileMustExist: true } : {});
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (!opts.readonly) {
    useWal(db);
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

/**
 * Opens the journal database named by `keeper.journal`: a `postgres://` URL, else a SQLite file path. The Postgres
 * driver is loaded only for a Postgres journal (a keeper on SQLite never loads it).
 */
export const openSql = async (journal: string, opts: { readonly?: boolean } = {}): Promise<Sql> =>
  isPostgresUrl(journal) ? (await import("./postgres.ts")).postgresSql(journal) : sqliteSql(journal, opts);

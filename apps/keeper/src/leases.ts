import { BallastError } from "@ballast/core";
import type { Fence } from "./journal.ts";
import type { Sql } from "./sql.ts";

/**
 * Leases with fencing tokens: how several keepers share one Postgres journal without ever sending twice.
 *
 * A lease is a row of `leases` (name, owner, token, expires_at). A worker takes a free or expired lease (the token
 * goes up by one on every change of hands), renews it on a heartbeat, and loses it when it stops renewing for the
 * TTL. Every send is fenced: the database transaction that journals a signed transaction (or a fee replacement)
 * first checks, with a row lock, that the worker still holds the lease under the token it took it with; a worker
 * whose lease expired or passed to another (a pause, a network partition, a cut connection) journals nothing and so
 * broadcasts nothing. Expiry is judged by the database's clock, never a worker's.
 *
 * Why a lease table and not Postgres advisory locks: an advisory lock belongs to a session, so (1) a partitioned
 * worker keeps it until the server notices the dead TCP connection, which can be many minutes, while its other
 * pooled connections would still write; (2) it cannot be checked inside the transaction that journals a send, on
 * another connection; (3) it gives no token to tell the old owner from the new, and does not survive a pooler in
 * transaction mode. A lease row fixes all three, and shows who owns what (`SELECT * FROM leases`).
 */

/** A lease this worker holds. */
export type Lease = { readonly name: string; readonly token: number; readonly expiresAtMs: number };

/** The lease was lost (expired, or taken over by another keeper): what needed it was not journaled, not sent. */
export class LeaseLostError extends BallastError {
  override name = "LeaseLostError";
  constructor(
    readonly lease: string,
    readonly owner: string,
  ) {
    super(`Lease ${lease} is no longer held by ${owner}: nothing was journaled or sent under it.`, {
      details:
        "Another keeper owns it now (or this one could not renew it in time); it settles what was sent.",
      context: { lease, owner },
    });
  }
}

/** The lease of a portfolio. */
export const portfolioLease = (portfolio: string) => `portfolio:${portfolio}`;
/** The lease of a signing key on a chain: two portfolios sharing a key never sign with it at once. */
export const keyLease = (chainId: number, sender: string) => `key:${chainId}:${sender.toLowerCase()}`;

/**
 * The lease a worker holds on itself while it runs: its heartbeat, renewed with its other leases. The live workers
 * are the holders of unexpired `worker:` leases; each takes its share of the portfolios ({@link liveWorkers}).
 */
export const workerLease = (owner: string) => `worker:${owner}`;

/** The database's clock in ms, in each dialect. */
const NOW = {
  postgres: "(extract(epoch from clock_timestamp()) * 1000)::bigint",
  sqlite: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
} as const;

/**
 * Takes `name` for `owner` when it is free, expired or already `owner`'s (then renewed). The token goes up whenever
 * the lease changes hands or was expired. Returns the lease, or undefined when another owner holds it.
 */
export async function acquireLease(
  sql: Sql,
  name: string,
  owner: string,
  ttlMs: number,
): Promise<Lease | undefined> {
  const now = NOW[sql.dialect];
  const [row] = await sql.all<{ token: number; expires_at: number }>(
    `INSERT INTO leases (name, owner, token, expires_at) VALUES (?, ?, 1, ${now} + ?)
     ON CONFLICT (name) DO UPDATE SET
       token = CASE WHEN leases.owner = excluded.owner AND leases.expires_at > ${now}
                    THEN leases.token ELSE leases.token + 1 END,
       owner = excluded.owner, expires_at = excluded.expires_at
     WHERE leases.owner = excluded.owner OR leases.expires_at <= ${now}
     RETURNING token, expires_at`,
    [name, owner, ttlMs],
  );
  return row ? { name, token: row.token, expiresAtMs: row.expires_at } : undefined;
}

/**
 * Extends every one of `leases` still held by `owner` by `ttlMs`, in one statement (a heartbeat is one round trip,
 * however many leases: a busy worker renews in time). Returns the names renewed under their token; the others expired
 * or changed hands meanwhile (then they are lost).
 */
export async function renewLeases(
  sql: Sql,
  leases: readonly Lease[],
  owner: string,
  ttlMs: number,
): Promise<Set<string>> {
  if (leases.length === 0) return new Set();
  const now = NOW[sql.dialect];
  const rows = await sql.all<{ name: string; token: number | string }>(
    `UPDATE leases SET expires_at = ${now} + ?
     WHERE owner = ? AND expires_at > ${now} AND name IN (${leases.map(() => "?").join(", ")})
     RETURNING name, token`,
    [ttlMs, owner, ...leases.map((l) => l.name)],
  );
  const token = new Map(leases.map((l) => [l.name, l.token]));
  return new Set(rows.filter((r) => Number(r.token) === token.get(r.name)).map((r) => r.name));
}

/** Lets a lease go now (a clean stop): the next keeper need not wait for the TTL. */
export async function releaseLease(sql: Sql, lease: Lease, owner: string): Promise<void> {
  await sql.run("UPDATE leases SET expires_at = 0 WHERE name = ? AND owner = ? AND token = ?", [
    lease.name,
    owner,
    lease.token,
  ]);
}

/**
 * Checks inside transaction `tx` that `owner` still holds each lease under its token, and locks those rows until
 * `tx` ends (Postgres `FOR SHARE`: a takeover waits for the send being journaled, then sees it). Throws
 * {@link LeaseLostError} otherwise.
 */
export async function checkLeases(tx: Sql, leases: readonly Lease[], owner: string): Promise<void> {
  const lock = tx.dialect === "postgres" ? " FOR SHARE" : "";
  for (const lease of leases) {
    const ok = await tx.all(
      `SELECT 1 FROM leases WHERE name = ? AND owner = ? AND token = ? AND expires_at > ${NOW[tx.dialect]}${lock}`,
      [lease.name, owner, lease.token],
    );
    if (ok.length === 0) throw new LeaseLostError(lease.name, owner);
  }
}

/** How many workers hold an unexpired {@link workerLease}: the workers alive now, by the database's clock. */
export async function liveWorkers(sql: Sql): Promise<number> {
  const [row] = await sql.all<{ n: number | string }>(
    `SELECT count(*) AS n FROM leases WHERE name LIKE 'worker:%' AND expires_at > ${NOW[sql.dialect]}`,
  );
  return Number(row?.n ?? 0);
}

/** The leases one worker holds, with its heartbeat. Build with {@link createLeaseSet}. */
export type LeaseSet = {
  readonly owner: string;
  readonly ttlMs: number;
  /** Takes each of `names` that is free (or already held); returns the names held afterwards, in order. */
  acquire(names: readonly string[]): Promise<string[]>;
  /** The lease held under `name`, if any. */
  held(name: string): Lease | undefined;
  /** The names of every lease held now. */
  names(): string[];
  /** One heartbeat: renews every held lease; returns the names lost (no longer held). */
  renew(): Promise<string[]>;
  /** Releases `names` (default all). */
  release(names?: readonly string[]): Promise<void>;
  /**
   * Gives up every lease here without reaching the database (it cannot be reached): nothing is sent under them from
   * now on, and they expire there after the TTL. Returns their names.
   */
  abandon(): string[];
  /** A journal fence requiring every one of `names`: not held here or not in the database → LeaseLostError. */
  fence(names: readonly string[]): Fence;
};

/** A worker's set of leases on `sql` under `owner` (unique per process: host, pid, start time). */
export function createLeaseSet(sql: Sql, opts: { owner: string; ttlMs: number }): LeaseSet {
  const { owner, ttlMs } = opts;
  const held = new Map<string, Lease>();
  return {
    owner,
    ttlMs,
    async acquire(names) {
      for (const name of names) {
        const lease = await acquireLease(sql, name, owner, ttlMs);
        if (lease) held.set(name, lease);
        else held.delete(name);
      }
      return names.filter((n) => held.has(n));
    },
    held: (name) => held.get(name),
    names: () => [...held.keys()],
    async renew() {
      const leases = [...held.values()];
      const kept = await renewLeases(sql, leases, owner, ttlMs).catch(() => new Set<string>());
      const lost = leases.filter((l) => !kept.has(l.name) && held.get(l.name) === l).map((l) => l.name);
      for (const name of lost) held.delete(name);
      return lost;
    },
    async release(names) {
      for (const name of names ?? [...held.keys()]) {
        const lease = held.get(name);
        held.delete(name);
        if (lease) await releaseLease(sql, lease, owner).catch(() => {});
      }
    },
    abandon() {
      const names = [...held.keys()];
      held.clear();
      return names;
    },
    fence: (names) => async (tx) => {
      const leases = names.map((n) => {
        const lease = held.get(n);
        if (!lease) throw new LeaseLostError(n, owner);
        return lease;
      });
      await checkLeases(tx, leases, owner);
    },
  };
}

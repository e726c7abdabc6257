import type { TxRecord } from "@ballast/chain";
import { startTcpProxy, testDatabase } from "@ballast/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { type Journal, openJournal } from "./journal.ts";
import { acquireLease, createLeaseSet, keyLease, LeaseLostError, portfolioLease } from "./leases.ts";
import type { Sql } from "./sql.ts";

const SENDER = "0x00000000000000000000000000000000000000Bb" as const;
const record = (planId: string, nonce: number): TxRecord => ({
  planId,
  chainId: 1,
  sender: SENDER,
  nonce,
  to: SENDER,
  data: "0x",
  value: 0n,
  gas: 21_000n,
  status: "signed",
  attempts: [{ hash: `0x${planId}`, raw: `0x${planId}`, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n }],
});

const open: Journal[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((j) => j.close().catch(() => {})));
});

/** Two keeper processes on one Postgres journal: two connection pools. */
async function twoWorkers() {
  const url = await testDatabase();
  const a = await openJournal(url, { portfolio: "p1" });
  const b = await openJournal(url, { portfolio: "p1" });
  open.push(a, b);
  return { url, a, b };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Time passing for a lease, without waiting for it: its expiry set in the past, as when its owner stopped renewing it
 * for longer than its TTL. (The leases live minutes here, so a loaded machine cannot expire one by accident.)
 */
const expire = (sql: Pick<Sql, "run">, name: string) =>
  sql.run("UPDATE leases SET expires_at = 0 WHERE name = ?", [name]);
const expiresAt = async (j: Journal, name: string) =>
  Number(
    (await j.sql.all<{ e: number }>("SELECT expires_at AS e FROM leases WHERE name = ?", [name]))[0]?.e ?? 0,
  );
const TTL = 120_000;

describe("leases on Postgres", () => {
  it("one owner at a time; a heartbeat keeps it; expiry hands it over with a higher token", async () => {
    const { a, b } = await twoWorkers();
    const la = createLeaseSet(a.sql, { owner: "worker-a", ttlMs: TTL });
    const lb = createLeaseSet(b.sql, { owner: "worker-b", ttlMs: TTL });
    const name = portfolioLease("p1");
    expect(await la.acquire([name])).toEqual([name]);
    expect(await lb.acquire([name])).toEqual([]);
    // Each heartbeat moves the expiry to a TTL from now (the database's clock), so it stays with a.
    for (let i = 0; i < 3; i++) {
      const before = await expiresAt(a, name);
      await sleep(20);
      expect(await la.renew()).toEqual([]);
      expect(await expiresAt(a, name)).toBeGreaterThan(before);
    }
    expect(await lb.acquire([name])).toEqual([]);
    const first = la.held(name)?.token ?? 0;
    // a stops renewing (dead or partitioned): once the TTL has passed, b takes over under a new token.
    await expire(a.sql, name);
    expect(await lb.acquire([name])).toEqual([name]);
    expect(lb.held(name)?.token).toBe(first + 1);
    // a finds out at its next heartbeat.
    expect(await la.renew()).toEqual([name]);
    expect(la.held(name)).toBeUndefined();
  });

  it("a worker that lost its lease journals nothing, so sends nothing; the new owner sees what was sent before", async () => {
    const { a, b } = await twoWorkers();
    const names = [portfolioLease("p1"), keyLease(1, SENDER)];
    const la = createLeaseSet(a.sql, { owner: "worker-a", ttlMs: TTL });
    const lb = createLeaseSet(b.sql, { owner: "worker-b", ttlMs: TTL });
    await la.acquire(names);
    const fencedA = a.forPortfolio("p1", la.fence(names));
    await fencedA.txStore.putIntent(record("sent-by-a", 0));
    for (const name of names) await expire(a.sql, name);
    expect(await lb.acquire(names)).toEqual(names);
    // a has not noticed yet (no heartbeat since): its local view still says it holds both leases.
    expect(la.held(names[0] as string)).toBeDefined();
    await expect(fencedA.txStore.putIntent(record("late-a", 1))).rejects.toBeInstanceOf(LeaseLostError);
    const replacement = {
      hash: "0xbump",
      raw: "0xbump",
      maxFeePerGas: 3n,
      maxPriorityFeePerGas: 2n,
    } as const;
    await expect(fencedA.txStore.markReplaced(1, "sent-by-a", replacement)).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    const fencedB = b.forPortfolio("p1", lb.fence(names));
    // b settles a's journaled transaction first: it is in b's in-flight ledger, untouched by a's late attempts.
    const pending = await fencedB.txStore.pending(1, SENDER);
    expect(pending.map((r) => [r.planId, r.attempts.length])).toEqual([["sent-by-a", 1]]);
    await fencedB.txStore.putIntent(record("sent-by-b", 1));
    expect((await b.txStore.pending(1, SENDER)).map((r) => r.planId)).toEqual(["sent-by-a", "sent-by-b"]);
  });

  it("a takeover waits for a send being journaled under the old lease, then the old owner is fenced out", async () => {
    const { a, b } = await twoWorkers();
    const name = portfolioLease("p1");
    const la = createLeaseSet(a.sql, { owner: "worker-a", ttlMs: TTL });
    await la.acquire([name]);
    const fence = la.fence([name]);
    // a's journaling transaction checks its lease and holds the row while it writes…
    let takeover: Promise<unknown> | undefined;
    await a.sql.transaction(async (tx) => {
      await fence(tx);
      // …past the TTL (the expiry moved inside the same transaction: the row is a's until it commits): b tries to take
      // over meanwhile, and waits for the row.
      await expire(tx, name);
      takeover = acquireLease(b.sql, name, "worker-b", TTL);
      await sleep(100);
      await tx.run("INSERT INTO kv (portfolio, key, value) VALUES ('p1', 'marker', 'a')");
    });
    // b got it only after a's transaction committed, so b sees a's write.
    expect(await takeover).toMatchObject({ name, token: 2 });
    expect(await b.get("marker")).toBe("a");
    await expect(a.sql.transaction((tx) => fence(tx))).rejects.toBeInstanceOf(LeaseLostError);
  });

  it("a partitioned worker (its connections cut) stops sending", async () => {
    const url = await testDatabase();
    const proxy = await startTcpProxy(Number(new URL(url).port));
    const viaProxy = new URL(url);
    viaProxy.port = String(proxy.port);
    const a = await openJournal(viaProxy.toString(), { portfolio: "p1" });
    open.push(a);
    const names = [portfolioLease("p1")];
    const la = createLeaseSet(a.sql, { owner: "worker-a", ttlMs: 5_000 });
    await la.acquire(names);
    const fenced = a.forPortfolio("p1", la.fence(names));
    await fenced.txStore.putIntent(record("before", 0));
    proxy.cut();
    try {
      await expect(fenced.txStore.putIntent(record("during", 1))).rejects.toThrow();
      // The heartbeat cannot reach the database either: the lease is given up here.
      expect(await la.renew()).toEqual(names);
    } finally {
      proxy.heal();
    }
    // The link is back, the lease is not: a still sends nothing until it takes the lease again.
    await expect(fenced.txStore.putIntent(record("after", 1))).rejects.toBeInstanceOf(LeaseLostError);
    const direct = await openJournal(url);
    open.push(direct);
    expect((await direct.txStore.pending(1, SENDER)).map((r) => r.planId)).toEqual(["before"]);
    await proxy.close();
  });
});

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { TxRecord } from "@ballast/chain";
import { testDatabase } from "@ballast/testkit";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { writeTransfer } from "./bridges.ts";
import { type Journal, JournalLockedError, NonceTakenError, openJournal } from "./journal.ts";
import { MIGRATIONS, migrate, SCHEMA_VERSION } from "./migrations.ts";
import { openSql } from "./sql.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A new, empty journal target of each store: a SQLite file in a temp folder, a fresh Postgres database. */
const STORES: Record<string, () => Promise<string>> = {
  sqlite: async () => {
    const dir = mkdtempSync(join(tmpdir(), "ballast-journal-"));
    dirs.push(dir);
    return join(dir, "nested", "ballast.db");
  },
  postgres: testDatabase,
};

const SENDER = "0x00000000000000000000000000000000000000Aa" as const;
const record = (planId: string, nonce: number, over: Partial<TxRecord> = {}): TxRecord => ({
  planId,
  chainId: 8453,
  sender: SENDER,
  nonce,
  to: SENDER,
  data: "0x1234",
  value: 0n,
  gas: 300_000n,
  status: "signed",
  attempts: [
    {
      hash: `0xh${planId}`,
      raw: `0xr${planId}`,
      maxFeePerGas: 2n * 10n ** 9n,
      maxPriorityFeePerGas: 10n ** 9n,
    },
  ],
  ...over,
});

async function withJournal<T>(
  target: string,
  fn: (j: Journal) => Promise<T>,
  portfolio?: string,
): Promise<T> {
  const j = await openJournal(target, portfolio ? { portfolio } : {});
  try {
    return await fn(j);
  } finally {
    await j.close();
  }
}

// The same suite against both stores: what the keeper and the transaction manager rely on holds on each.
describe.each(Object.keys(STORES))("journal on %s", (store) => {
  const fresh = STORES[store] as () => Promise<string>;

  it("keeps decisions, plans and state across a reopen; migrations run once", async () => {
    const target = await fresh();
    await withJournal(target, async (j) => {
      await j.recordPlan({ id: "0xabc", at: 10, summary: "3 legs", json: "{}" });
      await j.recordPlan({ id: "0xabc", at: 11, summary: "dup", json: "{}" });
      await j.recordDecision({ at: 12, fire: true, planId: "0xabc", summary: "band fired", json: "{}" });
      await j.put("lastRebalanceAt", "12");
      await j.put("lastRebalanceAt", "13");
    });
    await withJournal(target, async (j) => {
      expect(await j.get("lastRebalanceAt")).toBe("13");
      expect(await j.get("missing")).toBeUndefined();
      const h = await j.history();
      expect(h.map((e) => [e.kind, e.summary, e.planId])).toEqual([
        ["decision", "band fired", "0xabc"],
        ["plan", "3 legs", "0xabc"],
      ]);
      const versions = await j.sql.all<{ version: number }>(
        "SELECT version FROM schema_migrations ORDER BY version",
      );
      expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
    });
  });

  it("history is newest first in the order journaled (not by kind within a second), filters and marks dry runs", async () => {
    await withJournal(await fresh(), async (j) => {
      // One cycle and a `status` after it, all in the same second: the order is the journal's sequence. A
      // transaction's confirmation is journaled after the dry run, and so listed above it.
      await j.recordDecision({ at: 50, fire: false, planId: null, summary: "old", json: "[]" });
      await j.recordPlan({ id: "0xp1", at: 100, summary: "plan 1", json: "{}" });
      await j.recordDecision({ at: 100, fire: true, planId: "0xp1", summary: "fire 1", json: "[]" });
      await j.txStore.putIntent(record("0xp1", 1));
      await j.recordDecision({
        at: 100,
        fire: false,
        planId: null,
        summary: "dry",
        json: "[]",
        dryRun: true,
      });
      await j.txStore.markConfirmed(8453, "0xp1", { hash: "0xh0xp1", blockNumber: 9n, gasUsed: 1n } as never);
      await j.recordDecision({ at: 100, fire: false, planId: null, summary: "hold 2", json: "[]" });
      const all = await j.history();
      expect(all.map((e) => (e.kind === "transaction" ? e.summary.split(" ")[0] : e.summary))).toEqual([
        "hold 2",
        "confirmed",
        "dry",
        "fire 1",
        "plan 1",
        "old",
      ]);
      expect(all.map((e) => e.dryRun)).toEqual([false, false, true, false, false, false]);
      expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((a, b) => b - a));
      expect((await j.history(2)).map((e) => e.summary)).toEqual(["hold 2", all[1]?.summary]);
      expect((await j.history(10, { since: 100 })).map((e) => e.summary)).not.toContain("old");
      expect((await j.history(10, { dryRuns: false })).map((e) => e.summary)).not.toContain("dry");
    });
  });

  it("a plan only dry runs (status, plan) decided on is a dry run too: marked, and left out with dryRuns: false", async () => {
    await withJournal(await fresh(), async (j) => {
      // `plan --force`: a plan and its dry-run decision; then `run` plans and sends another.
      await j.recordPlan({ id: "0xdry", at: 10, summary: "dry plan", json: "{}" });
      await j.recordDecision({
        at: 10,
        fire: false,
        planId: "0xdry",
        summary: "hold",
        json: "[]",
        dryRun: true,
      });
      await j.recordPlan({ id: "0xreal", at: 20, summary: "real plan", json: "{}" });
      await j.recordDecision({ at: 20, fire: true, planId: "0xreal", summary: "fire", json: "[]" });
      // The same plan (same id) first seen by `plan`, then decided on by `run`: a real one.
      await j.recordPlan({ id: "0xboth", at: 30, summary: "both plan", json: "{}" });
      await j.recordDecision({
        at: 30,
        fire: false,
        planId: "0xboth",
        summary: "dry 2",
        json: "[]",
        dryRun: true,
      });
      await j.recordDecision({ at: 31, fire: true, planId: "0xboth", summary: "fire 2", json: "[]" });
      const plans = (await j.history()).filter((e) => e.kind === "plan");
      expect(plans.map((e) => [e.summary, e.dryRun])).toEqual([
        ["both plan", false],
        ["real plan", false],
        ["dry plan", true],
      ]);
      expect((await j.history(10, { dryRuns: false })).map((e) => e.summary)).toEqual([
        "fire 2",
        "both plan",
        "fire",
        "real plan",
      ]);
    });
  });

  it("no decision repeated: the same decision again is counted on its row until something else is journaled", async () => {
    await withJournal(await fresh(), async (j) => {
      const hold = { fire: false, planId: null, summary: "hold — band: inside", json: "[]" } as const;
      await j.recordDecision({ ...hold, at: 10 });
      await j.recordDecision({ ...hold, at: 40 });
      await j.recordDecision({ ...hold, at: 70 });
      // A dry run between two equal decisions of `run` is another entry: the next one starts a new row.
      await j.recordDecision({ ...hold, at: 80, dryRun: true });
      await j.recordDecision({ ...hold, at: 100 });
      await j.recordDecision({ ...hold, at: 130, summary: "hold — cooldown" });
      const h = await j.history();
      expect(h.map((e) => [e.summary, e.dryRun, e.at, e.repeats, e.firstAt])).toEqual([
        ["hold — cooldown", false, 130, 1, null],
        [hold.summary, false, 100, 1, null],
        [hold.summary, true, 80, 1, null],
        [hold.summary, false, 70, 3, 10],
      ]);
      // Another portfolio's entries in between do not break this one's run of equal decisions.
      await j.forPortfolio("other").recordDecision({ ...hold, at: 140, summary: "elsewhere" });
      await j.recordDecision({ ...hold, at: 150, summary: "hold — cooldown" });
      expect((await j.history(1))[0]).toMatchObject({ at: 150, repeats: 2, firstAt: 130 });
    });
  });

  it("a bridge transfer is one history row at its last change, in the journal's order; it ends a run of equal decisions", async () => {
    await withJournal(await fresh(), async (j) => {
      const transfer = (status: string, at: number) =>
        writeTransfer(
          j,
          {
            id: "0xp1:0",
            planId: "0xp1",
            bridge: "across",
            originChainId: 1,
            destChainId: 8453,
            symbol: "USDC",
            decimalsOut: 6,
            amountIn: 15_000_000_000n,
            createdAt: 100,
            status,
            life: [
              { at: 100, status: "journaled", detail: "" },
              ...(at > 100 ? [{ at, status, detail: "" }] : []),
            ],
          } as never,
          at,
        );
      const hold = { fire: false, planId: null, summary: "hold", json: "[]" } as const;
      await j.recordDecision({ ...hold, at: 90 });
      await transfer("journaled", 100);
      await j.recordDecision({ ...hold, at: 110 });
      await j.recordDecision({ ...hold, at: 120 });
      const before = await j.history();
      expect(before.map((e) => [e.kind, e.repeats])).toEqual([
        ["decision", 2],
        ["transfer", 1],
        ["decision", 1],
      ]);
      // Filled at 130, within the same second as a decision: the row moves up to where it was last written.
      await transfer("filled", 130);
      await j.recordDecision({ ...hold, at: 130 });
      const after = await j.history();
      expect(after.map((e) => [e.kind, e.at])).toEqual([
        ["decision", 130],
        ["transfer", 130],
        ["decision", 120],
        ["decision", 90],
      ]);
      expect(after[1]?.summary).toBe("across 15000 USDC chain 1 → 8453: journaled +0s → filled +30s");
      expect(after[1]?.chainId).toBe(1);
      expect(after.map((e) => e.seq)).toEqual([...after.map((e) => e.seq)].sort((a, b) => b - a));
    });
  });

  it("migration 4: a version-3 journal's decisions are run's, its twice-stringified plans become objects", async () => {
    const target = await fresh();
    if (store === "sqlite") mkdirSync(dirname(target), { recursive: true });
    const old = await openSql(target);
    try {
      await migrate(old, { to: 3 });
      await old.run(
        "INSERT INTO decisions (at, fire, plan_id, summary, json) VALUES (5, 0, NULL, 'hold', '[]')",
      );
      await old.run("INSERT INTO plans (id, at, summary, json) VALUES (?, ?, ?, ?)", [
        "0xold",
        4,
        "1 leg",
        JSON.stringify(JSON.stringify({ id: "0xold", turnoverUsd: "12" })),
      ]);
      await old.run("INSERT INTO plans (id, at, summary, json) VALUES (?, ?, ?, ?)", [
        "0xnew",
        4,
        "2 legs",
        JSON.stringify({ id: "0xnew" }),
      ]);
    } finally {
      await old.close();
    }
    await withJournal(target, async (j) => {
      await j.recordDecision({ at: 6, fire: false, planId: null, summary: "dry", json: "[]", dryRun: true });
      const h = await j.history();
      expect(h.map((e) => [e.summary, e.dryRun])).toEqual([
        ["dry", true],
        ["hold", false],
        ["2 legs", false],
        ["1 leg", false],
      ]);
      expect(h.filter((e) => e.kind === "plan").map((e) => JSON.parse(e.json))).toEqual([
        { id: "0xnew" },
        { id: "0xold", turnoverUsd: "12" },
      ]);
    });
  });

  it("migration 5: a version-4 journal's rows keep the order history showed, and new rows follow them", async () => {
    const target = await fresh();
    if (store === "sqlite") mkdirSync(dirname(target), { recursive: true });
    const old = await openSql(target);
    try {
      await migrate(old, { to: 4 });
      // Written out of order on purpose: history showed them by time, then plan → decision → transaction.
      await old.run(
        "INSERT INTO decisions (at, fire, plan_id, summary, json) VALUES (7, 0, NULL, 'd7', '[]')",
      );
      await old.run("INSERT INTO plans (id, at, summary, json) VALUES ('0xp', 7, 'p7', '{}')");
      await old.run(
        `INSERT INTO transactions (chain_id, plan_id, sender, nonce, status, at, summary, json)
         VALUES (1, '0xp', '0xaa', 0, 'confirmed', 7, 't7', '{}')`,
      );
      await old.run(
        "INSERT INTO decisions (at, fire, plan_id, summary, json) VALUES (3, 0, NULL, 'd3', '[]')",
      );
    } finally {
      await old.close();
    }
    await withJournal(target, async (j) => {
      await j.recordDecision({ at: 5, fire: false, planId: null, summary: "new", json: "[]" });
      expect((await j.history()).map((e) => [e.summary, e.seq])).toEqual([
        ["new", 5],
        ["t7", 4],
        ["d7", 3],
        ["p7", 2],
        ["d3", 1],
      ]);
    });
  });

  it("refuses a journal written by a newer ballast", async () => {
    const target = await fresh();
    await withJournal(target, (j) =>
      j.sql.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
        SCHEMA_VERSION + 1,
        "future",
        0,
      ]),
    );
    await expect(openJournal(target)).rejects.toThrow(/schema version \d+; this ballast knows/);
  });

  it("round-trips transaction records exactly and follows the TxStore contract", async () => {
    await withJournal(await fresh(), async (j) => {
      const s = j.txStore;
      const rec = record("p1", 7);
      await s.putIntent(rec);
      await expect(s.putIntent(rec)).rejects.toThrow(/already has a live transaction/);
      await s.markBroadcast(8453, "p1", "0xhp1", 100n);
      await s.markReplaced(8453, "p1", {
        hash: "0xh2",
        raw: "0xr2",
        maxFeePerGas: 3n * 10n ** 9n,
        maxPriorityFeePerGas: 2n * 10n ** 9n,
      });
      const pending = await s.pending(8453, "0x00000000000000000000000000000000000000aa");
      expect(pending).toHaveLength(1);
      expect(pending[0]?.attempts.map((a) => a.hash)).toEqual(["0xhp1", "0xh2"]);
      expect(pending[0]?.attempts[0]?.broadcastBlock).toBe(100n);
      expect(pending[0]?.status).toBe("broadcast");
      expect(pending[0]?.gas).toBe(300_000n);
      const inclusion = {
        hash: "0xh2",
        blockNumber: 101n,
        blockHash: "0xb",
        gasUsed: 21_000n,
        effectiveGasPrice: 1n,
      };
      await s.markConfirmed(8453, "p1", inclusion as never);
      expect(await s.pending(8453, SENDER)).toEqual([]);
      expect(await s.get(8453, "p1")).toEqual({
        ...rec,
        status: "confirmed",
        inclusion,
        attempts: pending[0]?.attempts,
      });
      expect(await s.get(8453, "nope")).toBeUndefined();
      expect(await s.getNonce(8453, SENDER)).toBeUndefined();
      await s.setNonce(8453, SENDER, 8);
      await s.setNonce(8453, SENDER, 9);
      expect(await s.getNonce(8453, "0x00000000000000000000000000000000000000AA")).toBe(9);
      // A dropped plan may be journaled again (the re-evaluated send), with the nonce it freed.
      await s.putIntent(record("p2", 9));
      await s.markDropped(8453, "p2", "reorged out");
      await s.putIntent(record("p2", 9, { data: "0x5678" }));
      expect((await s.get(8453, "p2"))?.data).toBe("0x5678");
      const tx = (await j.history()).find((e) => e.kind === "transaction" && e.planId === "p1");
      expect(tx?.summary).toMatch(/^confirmed nonce 7 0xh2 block 101/);
      // Unix seconds, like every other journal entry (not milliseconds).
      expect(Math.abs((tx?.at ?? 0) - Date.now() / 1000)).toBeLessThan(60);
    });
  });

  it("keeps portfolios apart but shares a key's nonces and in-flight ledger between them", async () => {
    const target = await fresh();
    const a = await openJournal(target, { portfolio: "a" });
    const b = a.forPortfolio("b");
    try {
      await a.put("protocolHints", "A");
      await b.put("protocolHints", "B");
      await a.recordDecision({ at: 1, fire: false, planId: null, summary: "hold a", json: "[]" });
      expect([await a.get("protocolHints"), await b.get("protocolHints")]).toEqual(["A", "B"]);
      expect((await b.history()).map((e) => e.summary)).toEqual([]);
      await a.txStore.putIntent(record("from-a", 3));
      // b signs with the same key: it sees a's transaction in flight, and may not take its nonce.
      expect((await b.txStore.pending(8453, SENDER)).map((r) => r.planId)).toEqual(["from-a"]);
      await expect(b.txStore.putIntent(record("from-b", 3))).rejects.toBeInstanceOf(NonceTakenError);
      expect(await b.txStore.get(8453, "from-b")).toBeUndefined();
      await b.txStore.putIntent(record("from-b", 4));
      expect((await a.history()).filter((e) => e.kind === "transaction").map((e) => e.planId)).toEqual([
        "from-a",
      ]);
    } finally {
      await a.close();
    }
  });

  it("four writers racing for one nonce: exactly one transaction is journaled", async () => {
    const target = await fresh();
    const first = await openJournal(target);
    // Postgres: four connection pools, as four keeper processes would have. SQLite has one process per file, and
    // that process's portfolios share its connection.
    const handles =
      store === "postgres"
        ? [first, ...(await Promise.all([1, 2, 3].map(() => openJournal(target))))]
        : [first, ...[1, 2, 3].map((i) => first.forPortfolio(`p${i}`))];
    try {
      const results = await Promise.allSettled(
        handles.map((h, i) => h.txStore.putIntent(record(`racer-${i}`, 11))),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of results.filter((x) => x.status === "rejected"))
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(NonceTakenError);
      expect(await handles[0]?.txStore.pending(8453, SENDER)).toHaveLength(1);
    } finally {
      await Promise.all((store === "postgres" ? handles : [first]).map((h) => h.close()));
    }
  });

  it("a failing fence journals nothing: no new transaction, no fee replacement", async () => {
    const target = await fresh();
    const j = await openJournal(target);
    const lost = j.forPortfolio("default", async () => {
      throw new Error("lease lost");
    });
    try {
      await j.txStore.putIntent(record("live", 1));
      await expect(lost.txStore.putIntent(record("fenced", 2))).rejects.toThrow("lease lost");
      const replacement = { hash: "0xh9", raw: "0xr9", maxFeePerGas: 9n, maxPriorityFeePerGas: 1n } as const;
      await expect(lost.txStore.markReplaced(8453, "live", replacement)).rejects.toThrow("lease lost");
      expect(await j.txStore.get(8453, "fenced")).toBeUndefined();
      expect((await j.txStore.get(8453, "live"))?.attempts).toHaveLength(1);
      // Facts about what is already out (receipts, drops) are still journaled without the lease.
      await lost.txStore.markDropped(8453, "live", "seen by the next owner");
      expect((await j.txStore.get(8453, "live"))?.status).toBe("dropped");
    } finally {
      await j.close();
    }
  });
});

describe("SQLite journal file", () => {
  it("one sender per journal: an exclusive open refuses a second one, and takes over a dead owner's lock", async () => {
    const path = await (STORES.sqlite as () => Promise<string>)();
    const first = await openJournal(path, { exclusive: true });
    await expect(openJournal(path, { exclusive: true })).rejects.toBeInstanceOf(JournalLockedError);
    // Read-only users (status, plan, history) do not need the lock.
    await (await openJournal(path)).close();
    await first.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
    // A lock left by a process that no longer runs (SIGKILL) is taken over.
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: 2 ** 22 + 12_345, host: hostname() }));
    const next = await openJournal(path, { exclusive: true });
    await expect(openJournal(path, { exclusive: true })).rejects.toThrow(
      /in use by another keeper \(pid \d+/,
    );
    await next.close();
  });

  it("adopts a journal written before migrations: its rows become the default portfolio's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ballast-journal-"));
    dirs.push(dir);
    const path = join(dir, "old.db");
    const old = new Database(path);
    old.exec(`CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE decisions (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, fire INTEGER NOT NULL, plan_id TEXT,
        summary TEXT NOT NULL, json TEXT NOT NULL);
      INSERT INTO kv VALUES ('lastRebalanceAt', '42');
      INSERT INTO decisions (at, fire, plan_id, summary, json) VALUES (40, 0, NULL, 'hold', '[]');`);
    old.close();
    await withJournal(path, async (j) => {
      expect(await j.get("lastRebalanceAt")).toBe("42");
      expect((await j.history()).map((e) => e.summary)).toEqual(["hold"]);
    });
  });

  it("migrates an old journal: its decisions are run's, its plans stored twice-stringified become objects", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ballast-journal-"));
    dirs.push(dir);
    const path = join(dir, "old.db");
    const db = new Database(path);
    db.exec(`CREATE TABLE decisions (
      id INTEGER PRIMARY KEY, at INTEGER NOT NULL, fire INTEGER NOT NULL, plan_id TEXT, summary TEXT NOT NULL, json TEXT NOT NULL);
      INSERT INTO decisions (at, fire, plan_id, summary, json) VALUES (5, 0, NULL, 'hold', '[]');
      CREATE TABLE plans (id TEXT PRIMARY KEY, at INTEGER NOT NULL, summary TEXT NOT NULL, json TEXT NOT NULL);`);
    // A plan stored the old way: its JSON text stringified once more.
    db.prepare("INSERT INTO plans VALUES (?, ?, ?, ?)").run(
      "0xold",
      4,
      "1 leg",
      JSON.stringify(JSON.stringify({ id: "0xold", turnoverUsd: "12" })),
    );
    db.close();
    await withJournal(path, async (j) => {
      const plan = (await j.history()).find((e) => e.kind === "plan");
      expect(JSON.parse(plan?.json ?? "null")).toEqual({ id: "0xold", turnoverUsd: "12" });
      await j.recordDecision({ at: 6, fire: false, planId: null, summary: "dry", json: "[]", dryRun: true });
      expect((await j.history()).map((e) => [e.summary, e.dryRun])).toEqual([
        ["dry", true],
        ["hold", false],
        ["1 leg", false],
      ]);
    });
  });

  it("adopts a journal whose open already marked dry runs (ballast before versioned migrations)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ballast-journal-"));
    dirs.push(dir);
    const path = join(dir, "marked.db");
    const db = new Database(path);
    db.exec(`CREATE TABLE decisions (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, fire INTEGER NOT NULL,
        plan_id TEXT, summary TEXT NOT NULL, json TEXT NOT NULL, dry_run INTEGER NOT NULL DEFAULT 0);
      INSERT INTO decisions (at, fire, plan_id, summary, json, dry_run) VALUES (5, 0, NULL, 'status', '[]', 1);`);
    db.close();
    await withJournal(path, async (j) => {
      expect((await j.history()).map((e) => [e.summary, e.dryRun])).toEqual([["status", true]]);
    });
  });
});

import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { JournalLockedError, openJournal } from "./journal.ts";

describe("journal", () => {
  it("keeps decisions, plans and state across a reopen", () => {
    const dir = mkdtempSync(join(tmpdir(), "ballast-journal-"));
    try {
      const path = join(dir, "nested", "ballast.db");
      const j = openJournal(path);
      j.recordPlan({ id: "0xabc", at: 10, summary: "3 legs", json: "{}" });
      j.recordPlan({ id: "0xabc", at: 11, summary: "dup", json: "{}" });
      j.recordDecision({ at: 12, fire: true, planId: "0xabc", summary: "band fired", json: "{}" });
      j.put("lastRebalanceAt", "12");
      j.close();
      const again = openJournal(path);
      expect(again.get("lastRebalanceAt")).toBe("12");
      const h = again.history();
      expect(h.map((e) => [e.kind, e.summary])).toEqual([
        ["decision", "band fired"],
        ["plan", "3 legs"],
      ]);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("journal history", () => {
  it("is newest first in a stable order, filters by time and dry runs, and marks them", () => {
    const j = openJournal(":memory:");
    try {
      // Two cycles in the same second: the order still follows the journal's sequence, not the clock alone.
      j.recordPlan({ id: "0xp1", at: 100, summary: "plan 1", json: "{}" });
      j.recordDecision({ at: 100, fire: true, planId: "0xp1", summary: "fire 1", json: "[]" });
      j.recordDecision({ at: 100, fire: false, planId: null, summary: "hold 2", json: "[]", dryRun: true });
      j.recordDecision({ at: 100, fire: false, planId: null, summary: "hold 3", json: "[]" });
      j.recordDecision({ at: 50, fire: false, planId: null, summary: "old", json: "[]" });
      const all = j.history();
      expect(all.map((e) => e.summary)).toEqual(["hold 3", "hold 2", "fire 1", "plan 1", "old"]);
      expect(all.map((e) => e.dryRun)).toEqual([false, true, false, false, false]);
      expect(j.history().map((e) => e.summary)).toEqual(all.map((e) => e.summary));
      expect(j.history(2).map((e) => e.summary)).toEqual(["hold 3", "hold 2"]);
      expect(j.history(10, { since: 100 }).map((e) => e.summary)).not.toContain("old");
      expect(j.history(10, { dryRuns: false }).map((e) => e.summary)).not.toContain("hold 2");
    } finally {
      j.close();
    }
  });

  it("migrates an old journal: its decisions are run's, its plans stored twice-stringified become objects", () => {
    const dir = mkdtempSync(join(tmpdir(), "ballast-journal-"));
    try {
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
      const j = openJournal(path);
      const plan = j.history().find((e) => e.kind === "plan")!;
      expect(JSON.parse(plan.json)).toEqual({ id: "0xold", turnoverUsd: "12" });
      j.recordDecision({ at: 6, fire: false, planId: null, summary: "dry", json: "[]", dryRun: true });
      expect(j.history().map((e) => [e.summary, e.dryRun])).toEqual([
        ["dry", true],
        ["hold", false],
        ["1 leg", false],
      ]);
      j.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("journal as the transaction store", () => {
  const rec = {
    planId: "0xplan",
    chainId: 8453,
    sender: "0x00000000000000000000000000000000000000Aa" as const,
    nonce: 7,
    to: "0x00000000000000000000000000000000000000Aa" as const,
    data: "0x1234" as const,
    value: 0n,
    gas: 300_000n,
    status: "signed" as const,
    attempts: [
      {
        hash: "0xh1" as const,
        raw: "0xr1" as const,
        maxFeePerGas: 2n * 10n ** 9n,
        maxPriorityFeePerGas: 10n ** 9n,
      },
    ],
  };

  it("round-trips records exactly and follows the store contract", async () => {
    const j = openJournal(":memory:");
    const s = j.txStore;
    await s.putIntent(rec);
    expect(() => s.putIntent(rec)).toThrow(/already has a live transaction/);
    await s.markBroadcast(8453, "0xplan", "0xh1", 100n);
    await s.markReplaced(8453, "0xplan", {
      hash: "0xh2",
      raw: "0xr2",
      maxFeePerGas: 3n * 10n ** 9n,
      maxPriorityFeePerGas: 2n * 10n ** 9n,
    });
    const pending = (await s.pending(8453, "0x00000000000000000000000000000000000000aa")) as (typeof rec)[];
    expect(pending).toHaveLength(1);
    expect(pending[0]?.attempts.map((a) => a.hash)).toEqual(["0xh1", "0xh2"]);
    expect((pending[0]?.attempts[0] as { broadcastBlock?: bigint } | undefined)?.broadcastBlock).toBe(100n);
    expect(pending[0]?.gas).toBe(300_000n);
    await s.markConfirmed(8453, "0xplan", {
      hash: "0xh2",
      blockNumber: 101n,
      blockHash: "0xb",
      gasUsed: 21_000n,
      effectiveGasPrice: 1n,
    });
    expect(await s.pending(8453, rec.sender)).toEqual([]);
    expect(((await s.get(8453, "0xplan")) as { status: string }).status).toBe("confirmed");
    await s.setNonce(8453, rec.sender, 8);
    expect(await s.getNonce(8453, "0x00000000000000000000000000000000000000AA")).toBe(8);
    const tx = j.history().find((e) => e.kind === "transaction");
    expect(tx?.summary).toMatch(/^confirmed nonce 7 0xh2 block 101/);
    // Unix seconds, like every other journal entry (not milliseconds).
    expect(Math.abs((tx?.at ?? 0) - Date.now() / 1000)).toBeLessThan(60);
    j.close();
  });

  it("one sender per journal: an exclusive open refuses a second one, and takes over a dead owner's lock", () => {
    const dir = mkdtempSync(join(tmpdir(), "ballast-journal-"));
    try {
      const path = join(dir, "ballast.db");
      const first = openJournal(path, { exclusive: true });
      expect(() => openJournal(path, { exclusive: true })).toThrow(JournalLockedError);
      // Read-only users (status, plan, history) do not need the lock.
      openJournal(path).close();
      first.close();
      expect(existsSync(`${path}.lock`)).toBe(false);
      // A lock left by a process that no longer runs (SIGKILL) is taken over.
      writeFileSync(`${path}.lock`, JSON.stringify({ pid: 2 ** 22 + 12_345, host: hostname() }));
      const next = openJournal(path, { exclusive: true });
      expect(() => openJournal(path, { exclusive: true })).toThrow(/in use by another keeper \(pid \d+/);
      next.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

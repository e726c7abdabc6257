import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, expect, it } from "vitest";
import { MIGRATIONS } from "../src/migrations.ts";

const fixture = fileURLToPath(new URL("./fixtures/open-journal.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "ballast-journal-open-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill(); // by its pid: a failed round left it
  rmSync(dir, { recursive: true, force: true });
});

/** A fixture process and its stdout, one line at a time. */
function opener(): { child: ChildProcess; next: () => Promise<string> } {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], { stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  const queued: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else queued.push(line);
  });
  child.once("exit", (code) => {
    for (const w of waiting.splice(0)) w(`exited ${code}`);
  });
  const next = () => {
    const line = queued.shift();
    return line !== undefined ? Promise.resolve(line) : new Promise<string>((r) => waiting.push(r));
  };
  return { child, next };
}

const PROCESSES = 6;
const ROUNDS = 100;

// Two `ballast status` started together on a new journal: one exited 1 in CI. Each process's `journal_mode = WAL`
// read the new file's header and then wanted to write it; SQLite refused all writers but one at once ("database is
// locked"), busy timeout or not (sql.ts `useWal`). Without that fix, 1 to 4 of 60–100 rounds failed here (load 16).
it("several processes opening one new SQLite journal at the same moment all open it, migrated once", async () => {
  const openers = Array.from({ length: PROCESSES }, opener);
  expect(await Promise.all(openers.map((o) => o.next()))).toEqual(openers.map(() => "ready"));
  const failures: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const path = join(dir, `${round}.db`);
    const at = performance.timeOrigin + performance.now() + 20;
    for (const o of openers) o.child.stdin?.write(`${at} ${path}\n`);
    const answers = await Promise.all(openers.map((o) => o.next()));
    failures.push(...answers.filter((a) => a !== "ok").map((a) => `round ${round}: ${a}`));
    const db = new Database(path, { readonly: true });
    const versions = db.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all();
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
  }
  const exits = openers.map((o) => new Promise<number | null>((r) => o.child.once("exit", r)));
  for (const o of openers) o.child.stdin?.end();
  expect(failures).toEqual([]);
  expect(await Promise.all(exits)).toEqual(openers.map(() => 0));
}, 120_000);

import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Every anvil this process starts is recorded twice: in memory (killed on exit and on SIGINT/SIGTERM/SIGHUP)
 * and as a small file in this checkout's registry directory, so a later run or a vitest globalSetup can kill the
 * anvils of a process that died without cleaning up (SIGKILL, a crashed worker). The registry belongs to the
 * checkout (`packages/testkit/.cache/anvils`), never to the machine: two clones on one machine never see, or
 * reap, each other's anvils.
 */

/** Environment variable that overrides the registry directory (a test run's own folder, say). */
export const REGISTRY_ENV = "BALLAST_TESTKIT_REGISTRY";

/** Environment variable naming the current test run; set by the testkit's vitest globalSetup. */
export const RUN_ENV = "BALLAST_TESTKIT_RUN";

type Entry = { pid: number; owner: number; run: string | null; startedAt: number };

const live = new Set<number>();
let hooksInstalled = false;
let reapedOnce = false;

const CHECKOUT_REGISTRY = join(dirname(fileURLToPath(import.meta.url)), "..", ".cache", "anvils");

/** Directory of the anvil registry (one JSON file per running anvil): `$BALLAST_TESTKIT_REGISTRY`, else the checkout's. */
export function registryDir(): string {
  return process.env[REGISTRY_ENV] || CHECKOUT_REGISTRY;
}

/** Records an anvil started by this process (internal). */
export function registerAnvil(pid: number): void {
  live.add(pid);
  installHooks();
  if (!reapedOnce) {
    reapedOnce = true;
    reapOrphanAnvils();
  }
  const entry: Entry = { pid, owner: process.pid, run: process.env[RUN_ENV] ?? null, startedAt: Date.now() };
  try {
    mkdirSync(registryDir(), { recursive: true });
    writeFileSync(join(registryDir(), `${pid}.json`), JSON.stringify(entry));
  } catch {
    // the registry is a safety net; the in-memory hooks still apply
  }
}

/** Forgets an anvil that has been stopped (internal). */
export function unregisterAnvil(pid: number): void {
  live.delete(pid);
  rmSync(join(registryDir(), `${pid}.json`), { force: true });
}

/** PIDs of the anvils this process started and has not stopped yet. */
export function liveAnvilPids(): number[] {
  return [...live];
}

/** Kills, synchronously, every anvil this process started and has not stopped yet. */
export function killLiveAnvils(): void {
  for (const pid of live) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
    rmSync(join(registryDir(), `${pid}.json`), { force: true });
  }
  live.clear();
}

/**
 * Kills registered anvils whose owning process is gone; with `run`, also every anvil of that test run.
 * Returns the PIDs it killed.
 */
export function reapOrphanAnvils(run?: string): number[] {
  const killed: number[] = [];
  let names: string[];
  try {
    names = readdirSync(registryDir());
  } catch {
    return killed;
  }
  for (const name of names) {
    if (!name.endsWith(".json")) continue;
    const file = join(registryDir(), name);
    let entry: Entry;
    try {
      entry = JSON.parse(readFileSync(file, "utf8")) as Entry;
    } catch {
      continue; // being written
    }
    const ownedHere = entry.owner === process.pid && live.has(entry.pid);
    const orphan = !isAlive(entry.owner);
    const ofRun = run !== undefined && entry.run === run;
    if (ownedHere && !ofRun) continue;
    if (!orphan && !ofRun) continue;
    if (isAlive(entry.pid) && isAnvil(entry.pid)) {
      try {
        process.kill(entry.pid, "SIGKILL");
        killed.push(entry.pid);
      } catch {
        // raced with its exit
      }
    }
    live.delete(entry.pid);
    rmSync(file, { force: true });
  }
  return killed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function isAnvil(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("anvil");
  } catch {
    try {
      return execFileSync("ps", ["-p", String(pid), "-o", "command="], { encoding: "utf8" }).includes(
        "anvil",
      );
    } catch {
      return false;
    }
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killLiveAnvils);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = () => {
      killLiveAnvils();
      // If nobody else handles the signal, restore Node's default behaviour (exit by that signal).
      if (process.listenerCount(signal) === 1) {
        process.off(signal, handler);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, handler);
  }
}

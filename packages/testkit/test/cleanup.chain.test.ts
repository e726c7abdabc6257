import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { REGISTRY_ENV, reapOrphanAnvils } from "../src/reaper.ts";

// This file's own registry (inherited by its children): another test file's first startAnvil, or another
// checkout's run, must not reap the orphan this file makes before the file's own reapOrphanAnvils() does.
const registry = mkdtempSync(join(tmpdir(), "ballast-testkit-cleanup-test-"));
process.env[REGISTRY_ENV] = registry;
afterAll(() => rmSync(registry, { recursive: true, force: true }));

const fixture = fileURLToPath(new URL("./fixtures/hold-anvil.ts", import.meta.url));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// Bounded just under the test timeout, not by a guess of how fast a busy machine ends a process: on a 2-core machine
// shared with other test runs (load 15+), a child's exit and its anvil's end took longer than a 5 s bound.
async function waitUntil(check: () => boolean, ms = 25_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

/** Spawns a Node process that starts an anvil; resolves with both PIDs once anvil listens. */
function holdAnvil(): Promise<{ child: ChildProcess; anvil: number }> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve({ child, anvil: (JSON.parse(line) as { anvil: number }).anvil });
    });
    child.once("exit", (code) => reject(new Error(`fixture exited early (${code})`)));
  });
}

describe.concurrent("no anvil outlives its test process", () => {
  it.each(["SIGTERM", "SIGINT", "exit"] as const)("is killed when the owner ends by %s", async (how) => {
    const { child, anvil } = await holdAnvil();
    expect(alive(anvil)).toBe(true);
    if (how === "exit") child.stdin?.write("exit\n");
    else child.kill(how);
    expect(await waitUntil(() => child.exitCode !== null || child.signalCode !== null)).toBe(true);
    expect(await waitUntil(() => !alive(anvil))).toBe(true);
  });
});

// Not concurrent with the tests above: their fixtures share this file's registry, and a fixture's first startAnvil
// reaps orphans, so one starting after the SIGKILL below would reap this test's orphan before the test's own call.
describe("an orphaned anvil", () => {
  it("is reaped from the registry after its owner was SIGKILLed", async () => {
    const { child, anvil } = await holdAnvil();
    child.kill("SIGKILL");
    expect(await waitUntil(() => child.signalCode !== null)).toBe(true);
    expect(alive(anvil)).toBe(true); // no handler can run on SIGKILL: the anvil is orphaned…
    expect(reapOrphanAnvils()).toContain(anvil); // …until the next start or the globalSetup teardown
    expect(await waitUntil(() => !alive(anvil))).toBe(true);
  });
});

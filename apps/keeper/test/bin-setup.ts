// Vitest global setup: builds the `ballast` bin once per test run, for the tests that run `ballast` as a process.
// They run it dozens of times; plain node starts the bundle with ~0.3 s of CPU where node + tsx spent ~2.5 s
// loading the sources (measured on a 2-core machine), so a chain test's cycles, not its start-ups, set its time.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { buildBin } from "../build.ts";
import "./bin.ts"; // the type of what it provides

export default async function setup(project: TestProject): Promise<() => void> {
  // Under the package's dist/ (like the shipped bin): it finds better-sqlite3, pino and the dashboard's files there.
  const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
  mkdirSync(dist, { recursive: true });
  const dir = mkdtempSync(join(dist, "test-bin-"));
  const bin = join(dir, "ballast.js");
  await buildBin(bin);
  project.provide("ballastBin", bin);
  return () => rmSync(dir, { recursive: true, force: true });
}

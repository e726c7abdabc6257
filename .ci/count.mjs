// Sums vitest's per-package "Tests" summary lines from a log and prints "N passed, N failed".
import { readFileSync } from "node:fs";

// Strip ANSI colour codes (ESC [ … m).
const text = readFileSync(process.argv[2] ?? 0, "utf8").replace(
  new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"),
  "",
);
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const line of text.split("\n")) {
  const m = /\bTests\s+(.*)\(\d+\)\s*$/.exec(line);
  if (!m) continue;
  for (const [, n, kind] of m[1].matchAll(/(\d+)\s+(passed|failed|skipped)/g)) totals[kind] += Number(n);
}
const skipped = totals.skipped ? `, ${totals.skipped} skipped` : "";
console.log(`${totals.passed} passed, ${totals.failed} failed${skipped}`);

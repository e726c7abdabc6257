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
// Checks that are not vitest tests (lint, typecheck, a package whose run crashed before its summary) are named
// in argv as "name=exitcode" and each non-zero one counts as one failure.
for (const check of process.argv.slice(3)) {
  const [name, code] = check.split("=");
  if (code === "0") continue;
  totals.failed++;
  console.log(`check failed: ${name} (exit ${code})`);
}
// The failures themselves, last, so that a log cut to its tail still says what failed and why: every vitest
// "FAIL" heading with the lines under it (the assertion or error), at most 120 lines in all.
const lines = text.split("\n");
const failures = [];
for (let i = 0; i < lines.length && failures.length < 120; i++) {
  if (!/\bFAIL\b/.test(lines[i])) continue;
  failures.push(...lines.slice(i, i + 12).filter((l) => l.trim() !== ""), "");
}
if (failures.length) console.log(["failures:", ...failures.slice(0, 120)].join("\n"));
if (totals.skipped) console.log(`${totals.skipped} skipped`);
console.log(`${totals.passed} passed, ${totals.failed} failed`);

#!/usr/bin/env node
// `pnpm test:repeat [--times N] [--filter text]`: runs every chain test file (a test file that uses the
// testkit: a local anvil) N times, one file at a time, and prints the failures per file; the whole output of each
// failed run is kept in a log folder (printed) to find its cause. A flaky test is a failing test: this is how one
// is found before CI finds it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    times: { type: "string", default: "5" },
    filter: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("usage: pnpm test:repeat [--times N (default 5)] [--filter substring-of-path]");
  process.exit(0);
}
const times = Number(values.times);
if (!Number.isInteger(times) || times < 1) {
  console.error(`--times must be a positive integer, got ${values.times}`);
  process.exit(2);
}

/** Test files under `dir` (skipping node_modules), as paths relative to the package root `pkg`. */
function testFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const packageDirs = ["packages", "apps"]
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name)))
  .concat(join(root, "test"));
// The file name says whether a test needs a chain: `*.chain.test.ts` in a package, `*.e2e.test.ts` here.
const usesChain = /\.(chain|e2e)\.test\.ts$/;
const targets = packageDirs.flatMap((pkg) =>
  testFiles(pkg)
    .filter((file) => usesChain.test(file))
    .filter((file) => !values.filter || relative(root, file).includes(values.filter))
    .map((file) => ({ pkg, file })),
);

const logs = mkdtempSync(join(tmpdir(), "ballast-repeat-"));
console.log(`${targets.length} chain test files × ${times} runs (output of failed runs in ${logs})`);
const failures = new Map();
for (const { pkg, file } of targets) {
  const name = relative(root, file);
  let failed = 0;
  for (let i = 0; i < times; i++) {
    const run = spawnSync("pnpm", ["exec", "vitest", "run", relative(pkg, file)], {
      cwd: pkg,
      encoding: "utf8",
      env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
    });
    if (run.status !== 0) {
      failed++;
      const output = `${run.stdout}\n${run.stderr}`;
      const log = join(logs, `${name.replaceAll("/", "_")}.run${i + 1}.log`);
      writeFileSync(log, output);
      const why = output.split("\n").filter((l) => /FAIL|Error|×/.test(l));
      console.log(`  ${name} run ${i + 1}: FAILED (${log})\n    ${why.slice(0, 6).join("\n    ")}`);
    }
  }
  failures.set(name, failed);
  console.log(`${failed === 0 ? "ok  " : "FAIL"} ${name}: ${failed}/${times} failed`);
}
const total = [...failures.values()].reduce((a, b) => a + b, 0);
console.log(`\n${total} failed runs over ${targets.length} files × ${times}`);
process.exit(total === 0 ? 0 : 1);

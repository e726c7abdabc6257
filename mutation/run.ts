/**
 * `pnpm test:mutation [pkg…] [--all] [--check] [--dry-run] [--unit] [--mutate=<file[:lines]>] | --summary`: StrykerJS over the code that decides and guards money, one
 * package at a time (concurrency 1: the machine is shared).
 *
 * Incremental: each package's result is kept in `mutation/incremental/<pkg>.json` (committed), so a rerun —
 * here or on another machine — only mutates code that changed and reruns tests that changed since that
 * result. Committed rather than cached because the scores in the README's "Measured" table are read from it
 * and the next person should pay only for their own diff.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { Stryker } from "@stryker-mutator/core";

type StrykerOptions = NonNullable<ConstructorParameters<typeof Stryker>[0]>;

const root = resolve(import.meta.dirname, "..");
// Stryker looks for plugins next to the package it runs in; they are installed at the root.
const plugins = ["@stryker-mutator/vitest-runner", "@stryker-mutator/typescript-checker"].map((m) =>
  createRequire(import.meta.url).resolve(m),
);

/**
 * Per package: its folder, the guard and verification modules (what `pnpm test:mutation <pkg>` mutates) and
 * the rest of the code that decides (added with `--all`).
 */
export const targets: Record<
  string,
  { readonly dir: string; readonly guard: readonly string[]; readonly rest: readonly string[] }
> = {
  core: {
    dir: "packages/core",
    guard: ["src/triggers.ts", "src/policy.ts"],
    rest: ["src/planner.ts", "src/flows/*.ts", "!src/flows/*.test.ts", "src/flow.ts"],
  },
  chain: {
    dir: "packages/chain",
    guard: ["src/guards.ts", "src/executor.ts"],
    rest: ["src/tx*.ts", "src/simulate.ts", "!src/*.test.ts"], // the transaction manager: txManager.ts and its steps
  },
  "aave-v3": { dir: "packages/aave-v3", guard: ["src/math.ts"], rest: ["src/project.ts"] },
  "uniswap-v3": {
    dir: "packages/uniswap-v3",
    guard: ["src/position.ts", "src/math/*.ts", "!src/math/*.test.ts"],
    rest: [],
  },
  "1inch": { dir: "packages/1inch", guard: ["src/verify.ts", "src/routers.ts"], rest: [] },
  engine: {
    dir: "packages/engine",
    guard: [],
    rest: ["src/realize.ts", "src/realize/*.ts", "!src/realize/*.test.ts"],
  },
};

const flags = new Set(process.argv.slice(2).filter((a) => a.startsWith("--")));
const all = flags.has("--all");
const dryRun = flags.has("--dry-run");
// `--mutate=src/realize/guards.ts` (or `src/realize.ts:90-120`): one file or line range of the package (Stryker's syntax), for a slice of a
// module whose tests are slow; its results join the package's incremental file like any other. Repeatable, and a
// pattern may exclude (`--mutate=src/flows/*.ts --mutate='!src/flows/*.test.ts'`).
const only = [...flags].filter((f) => f.startsWith("--mutate=")).map((f) => f.slice("--mutate=".length));
// `--unit`: only the package's tests that start no chain (all but `*.chain.test.ts`), so a mutant costs a second,
// not the 2–10 s of its chain test files. What they kill is a lower bound of what the whole suite kills; kept in its own
// incremental file (`<pkg>.all.unit.json`), as its results are for another set of tests.
const unit = flags.has("--unit");
// Stryker's incremental file holds only the last run's files, so each `--mutate=` slice keeps its own
// (`core.all.planner.json` for `--mutate=src/planner.ts`); `--summary` reads them all.
const slice = only
  .filter((p) => !p.startsWith("!"))
  .map(
    (p) =>
      `.${p
        .replace(/^src\//, "")
        .replace(/\.ts(:.*)?$/, "")
        .replace(/[^A-Za-z0-9]+/g, "-")
        .replace(/-$/, "")}`,
  )
  .join("");

/** The package's test files that start no chain, relative to its folder. */
const unitTests = (dir: string): string[] =>
  ["src", "test"]
    .filter((top) => existsSync(join(dir, top)))
    .flatMap((top) =>
      readdirSync(join(dir, top), { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".test.ts") && !f.endsWith(".chain.test.ts"))
        .map((f) => join(top, f)),
    );

async function runPackage(name: string): Promise<number | undefined> {
  const target = targets[name];
  if (!target) throw new Error(`unknown package "${name}"; one of: ${Object.keys(targets).join(", ")}`);
  process.chdir(resolve(root, target.dir));
  const options: StrykerOptions = {
    mutate: only.length > 0 ? only : all ? [...target.guard, ...target.rest] : [...target.guard],
    testRunner: "vitest",
    plugins,
    // The TypeScript checker drops mutants that do not compile before any test runs them; it costs a
    // type-check per mutant, so it is opt-in (`--check`) on a loaded machine.
    checkers: flags.has("--check") ? ["typescript"] : [],
    tsconfigFile: "tsconfig.json",
    coverageAnalysis: "perTest",
    // The machine is shared: one test process at a time, and static mutants (run once at import) skipped.
    concurrency: 1,
    ignoreStatic: true,
    incremental: !dryRun,
    incrementalFile: resolve(
      root,
      "mutation/incremental",
      `${name}${all ? ".all" : ""}${unit ? ".unit" : ""}${slice}.json`,
    ),
    ...(unit ? { testFiles: unitTests(resolve(root, target.dir)) } : {}),
    reporters: ["clear-text", "progress", "json"],
    jsonReporter: { fileName: resolve(root, "mutation/reports", `${name}.json`) },
    thresholds: { high: 90, low: 80, break: null },
    tempDirName: resolve(root, ".cache/stryker", name),
    cleanTempDir: "always",
    // A mutant that loops forever (min-cost flow, the planner's search) costs this much past its tests' own time
    // (× 1.5); `--timeout-ms=5000` for modules full of loops whose tests take well under a second.
    timeoutMS: Number(
      [...flags].find((f) => f.startsWith("--timeout-ms="))?.slice("--timeout-ms=".length) ?? 20_000,
    ),
    // `--dry-run`: count the mutants and time the initial test run only (what a full run would cost).
    dryRunOnly: dryRun,
  };
  const results = await new Stryker(options).runMutationTest();
  if (dryRun) return undefined;
  const t = tally(results.map((r) => r.status));
  console.log(`${name}: ${line(t)}`);
  return t.counted === 0 ? undefined : (100 * t.killed) / t.counted;
}

/** Killed (a test failed, or the mutant hung) of counted (all but mutants that do not compile, ignored, or crashed). */
type Tally = { killed: number; counted: number };
const tally = (statuses: readonly string[]): Tally => ({
  killed: statuses.filter((s) => s === "Killed" || s === "Timeout").length,
  counted: statuses.filter((s) => !["CompileError", "Ignored", "RuntimeError"].includes(s)).length,
});
const line = (t: Tally) =>
  `${t.killed}/${t.counted} killed (${t.counted === 0 ? "n/a" : `${((100 * t.killed) / t.counted).toFixed(1)}%`})`;

/**
 * `--summary`: the score per package and overall from the committed results, without running anything. Each source
 * file counts once, from the result that has the most of its mutants — a whole-module run beats a `--mutate=` slice;
 * on a tie the whole suite (`<pkg>.json`, then `<pkg>.all.json`) beats `--unit` (`<pkg>.all.unit.json`). Overall =
 * Σ killed / Σ counted over those files (each mutant weighs the same, whatever its package). A configured file in no
 * result is named, so that a module never run cannot lift the overall score by its absence.
 */
function summary(): void {
  const dir = resolve(root, "mutation/incremental");
  let total: Tally = { killed: 0, counted: 0 };
  for (const name of Object.keys(targets)) {
    const best = new Map<string, { from: string; statuses: string[] }>();
    const results = readdirSync(dir).filter((f) => f === `${name}.json` || f.startsWith(`${name}.all.`));
    // Whole-suite results first, so that on a tie they beat `--unit` ones.
    for (const from of [
      ...results.filter((f) => !f.includes(".unit")),
      ...results.filter((f) => f.includes(".unit")),
    ]) {
      const report = JSON.parse(readFileSync(join(dir, from), "utf8")) as {
        files: Record<string, { mutants: { status: string }[] }>;
      };
      for (const [file, { mutants }] of Object.entries(report.files))
        if (mutants.length > (best.get(file)?.statuses.length ?? 0))
          best.set(file, { from, statuses: mutants.map((m) => m.status) });
    }
    for (const [file, { from, statuses }] of best) {
      const t = tally(statuses);
      total = { killed: total.killed + t.killed, counted: total.counted + t.counted };
      console.log(`${name} ${file}: ${line(t)}  [${from}]`);
    }
    const target = targets[name] as (typeof targets)[string];
    for (const file of configuredFiles(target.dir, [...target.guard, ...target.rest]))
      if (!best.has(file))
        console.log(`${name} ${file}: in no result (never run, or nothing in it to mutate)`);
  }
  console.log(`overall: ${line(total)}`);
}

/** The files of a package that `patterns` (`src/x.ts`, `src/dir/*.ts`, `!src/dir/*.test.ts`) name, relative to it. */
function configuredFiles(dir: string, patterns: readonly string[]): string[] {
  const matcher = (p: string) =>
    new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`);
  const include = patterns.filter((p) => !p.startsWith("!")).map(matcher);
  const exclude = patterns.filter((p) => p.startsWith("!")).map((p) => matcher(p.slice(1)));
  return readdirSync(join(root, dir, "src"), { recursive: true, encoding: "utf8" })
    .map((f) => `src/${f}`)
    .filter((f) => include.some((r) => r.test(f)) && !exclude.some((r) => r.test(f)))
    .sort();
}

const names = process.argv.slice(2).filter((a) => !a.startsWith("--"));
if (flags.has("--summary")) summary();
else
  for (const name of names.length ? names : Object.keys(targets)) {
    const target = targets[name];
    if (!target) throw new Error(`unknown package "${name}"; one of: ${Object.keys(targets).join(", ")}`);
    if ((all ? [...target.guard, ...target.rest] : target.guard).length > 0) await runPackage(name);
  }

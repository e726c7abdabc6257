/**
 * "Usable alone" means installable alone: each library package is built (tsc → ESM + .d.ts), packed with
 * `pnpm pack`, checked with publint and @arethetypeswrong/cli, installed from the tarballs into a fresh npm project
 * outside the workspace (dependencies such as viem from the npm registry), and run there with plain `node`:
 * every package's entry point loads, core's README example prints its plan, and every other package's README example
 * (`examples/readme.ts`, which the README quotes verbatim) runs against local anvils with the real protocols (Aave 3.6,
 * Uniswap V3, Simple7702Account; 1inch through its Swap API stand-in) and prints what the chain says
 * (`readme-examples.ts`).
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startTestChain, type TestChain } from "@ballast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readmeChecks } from "./readme-examples.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const execFileAsync = promisify(execFile);
/** The library packages, in dependency order. */
const PACKAGES = ["core", "chain", "aave-v3", "uniswap-v3", "1inch", "across", "engine", "config"] as const;
const VIEM = (require("viem/package.json") as { version: string }).version;
/** The zod `@ballast/config` resolves in the workspace: its README example imports zod itself. */
const ZOD = (
  createRequire(join(ROOT, "packages/config/package.json"))("zod/package.json") as { version: string }
).version;

let work: string;
let project: string;
const tarballs: Record<string, string> = {};

const run = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, stdio: "pipe" });

/** TypeScript → JavaScript with types stripped only (what a user's build step does), so node runs the example. */
function toJs(source: string): string {
  const ts = require("typescript") as typeof import("typescript");
  return ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
  }).outputText;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "ballast-pack-"));
  // Build in dependency order (each package's build reads its dependencies' dist/*.d.ts), then pack.
  for (const p of PACKAGES) run("pnpm", ["run", "build"], join(ROOT, "packages", p));
  const packs = join(work, "tarballs");
  mkdirSync(packs);
  for (const p of PACKAGES) {
    run("pnpm", ["pack", "--pack-destination", packs], join(ROOT, "packages", p));
    const file = readdirSync(packs).find((f) => f.startsWith(`ballast-${p}-`) && f.endsWith(".tgz"));
    if (!file) throw new Error(`no tarball for ${p}`);
    tarballs[p] = join(packs, file);
  }
  // A fresh npm project outside the workspace: no pnpm, no workspace links, no TypeScript.
  project = join(work, "app");
  mkdirSync(project);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "app", private: true, type: "module" }),
  );
  run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      ...PACKAGES.map((p) => tarballs[p]!),
      `viem@${VIEM}`,
      `zod@${ZOD}`,
    ],
    project,
  );
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed library packages", () => {
  for (const p of PACKAGES)
    it(`@ballast/${p}: publint and arethetypeswrong are clean`, () => {
      run("pnpm", ["exec", "publint", "run", "--strict", tarballs[p]!], ROOT);
      run("pnpm", ["exec", "attw", "--profile", "esm-only", tarballs[p]!], ROOT);
      const manifest = JSON.parse(
        run("tar", ["-xzOf", tarballs[p]!, "package/package.json"], ROOT),
      ) as Record<string, unknown>;
      expect(manifest.sideEffects).toBe(false);
      // 1inch also exports its registry plugin alone (its index carries Fusion, which a browser bundle cannot take);
      // chain its config fields (zod) apart, so that its main entry loads no zod.
      const subpath = (name: string) => ({
        [`./${name}`]: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
      });
      const more = p === "1inch" ? subpath("plugin") : p === "chain" ? subpath("schema") : {};
      expect(manifest.exports).toEqual({
        ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
        ...more,
      });
      if (p !== "core") expect(manifest.peerDependencies).toEqual({ viem: expect.any(String) });
    });

  it("every entry point loads with plain node from the installed tarballs", () => {
    const script = PACKAGES.map(
      (p) => `console.log("${p}", Object.keys(await import("@ballast/${p}")).length);`,
    );
    writeFileSync(join(project, "load.mjs"), script.join("\n"));
    const out = run("node", ["load.mjs"], project);
    for (const p of PACKAGES) expect(out).toMatch(new RegExp(`^${p} [1-9]\\d*$`, "m"));
  });

  it("core's README example (examples/rebalance.ts) runs with node and prints its plan", () => {
    const source = readFileSync(join(ROOT, "packages/core/examples/rebalance.ts"), "utf8");
    writeFileSync(join(project, "rebalance.mjs"), toJs(source));
    const out = run("node", ["rebalance.mjs"], project);
    expect(out).toContain("eth-usdc-lp");
    expect(out).toMatch(/plan/i);
  });

  describe("every package README's example, run from the tarballs against local chains with the real protocols", () => {
    const chains: Record<1 | 8453, TestChain> = {} as never;
    beforeAll(async () => {
      chains[1] = await startTestChain({ chainId: 1 });
      chains[8453] = await startTestChain({ chainId: 8453 });
    });
    afterAll(async () => {
      await Promise.all(Object.values(chains).map((c) => c.stop()));
    });

    for (const [name, check] of Object.entries(readmeChecks))
      it(`@ballast/${name}: examples/readme.ts is the README's example and prints what the chain says`, async () => {
        const source = readFileSync(join(ROOT, "packages", name, "examples/readme.ts"), "utf8");
        expect(readFileSync(join(ROOT, "packages", name, "README.md"), "utf8")).toContain(source.trim());
        writeFileSync(join(project, `${name}.mjs`), toJs(source));
        // Asynchronously: the 1inch stand-in answers from this process while the example runs.
        const example = async (env: Record<string, string>) =>
          (await execFileAsync("node", [`${name}.mjs`], { cwd: project, env: { ...process.env, ...env } }))
            .stdout;
        await check({ chains, example });
      });
  });
});

import { execFileSync, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import pkg from "../package.json" with { type: "json" };

const HERE = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(HERE, "dist", "ballast.js");
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });

describe("the built bin", () => {
  beforeAll(() => {
    execFileSync(process.execPath, ["--import", "tsx", join(HERE, "build.ts")], { cwd: HERE });
  }, 60_000);

  it("runs with plain node, no TypeScript loader: --version and --help", () => {
    const version = run("--version");
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(pkg.version);
    const help = run("--help");
    expect(help.status).toBe(0);
    for (const command of ["init", "status", "plan", "run", "history", "demo"])
      expect(help.stdout).toContain(command);
  });

  it("points `demo` to the sources, which carry the dev-only testkit", () => {
    const demo = run("demo");
    expect(demo.status).toBe(1);
    expect(demo.stderr).toContain("pnpm demo");
  });
});

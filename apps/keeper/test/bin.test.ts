import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import pkg from "../package.json" with { type: "json" };
import { openJournal } from "../src/journal.ts";

const HERE = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(HERE, "dist", "ballast.js");
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });

/** A one-sleeve config whose journal is `journal`, written into `dir`; its path. */
function configFile(dir: string, journal: string): string {
  const file = join(dir, "ballast.yaml");
  writeFileSync(
    file,
    [
      "chains:",
      "  a:",
      "    chainId: 1",
      "    rpc: [http://127.0.0.1:9]",
      "    account: { type: eip7702, key: env:K }",
      "    tokens: { WETH: { address: '0x0000000000000000000000000000000000000001', decimals: 18 } }",
      "policy:",
      "  sleeves: [{ id: eth, chain: a, kind: token, asset: WETH, weight: 100% }]",
      "  bands: { absolute: 5%, relative: 25% }",
      `keeper: { journal: "${journal}" }`,
    ].join("\n"),
  );
  return file;
}

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

  it("loads a split-off chunk when a command needs it: the Postgres driver for a postgres:// journal", () => {
    const dir = mkdtempSync(join(tmpdir(), "ballast-bin-"));
    try {
      // Port 9 (discard) refuses the connection: the driver was loaded and tried, and its error is the journal's.
      const history = run("history", "-c", configFile(dir, "postgres://ballast:secret@127.0.0.1:9/ballast"));
      expect(history.status).toBe(1);
      expect(history.stderr).toContain("Postgres journal");
      expect(history.stderr).not.toContain("secret");
      expect(readdirSync(join(HERE, "dist")).filter((f) => f.startsWith("postgres-"))).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves the dashboard's files from the keeper package (the bundle sits one folder lower than the sources)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ballast-bin-"));
    const file = configFile(dir, join(dir, "journal.db"));
    await (await openJournal(join(dir, "journal.db"))).close();
    const child = spawn(process.execPath, [BIN, "dashboard", "-c", file, "--listen", "127.0.0.1:0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d;
          const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.stderr.on("data", (d: Buffer) => {
          err += d;
        });
        child.once("exit", (code) => reject(new Error(`dashboard exited ${code}: ${err}`)));
      });
      const res = await fetch(`${url}/app.js`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(readFileSync(join(HERE, "dashboard", "dist", "app.js"), "utf8"));
    } finally {
      child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

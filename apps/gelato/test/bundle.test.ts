import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { archiveW3f, BundleError, buildW3fBundle } from "../src/lib.ts";
import { tarEntries } from "./gelato-stand-in.ts";

const dirs: string[] = [];
const tempDir = async (prefix: string) => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("the Web3 Function bundle", () => {
  it("builds for Gelato's runtime (browser platform, ESM) with no node: module in its import graph", async () => {
    const outDir = await tempDir("ballast-w3f-");
    const b = await buildW3fBundle({ outDir });
    expect(b.inputs.some((p) => p.includes("packages/engine/src/cycle.ts"))).toBe(true);
    expect(b.inputs.some((p) => p.endsWith("src/handler.ts"))).toBe(true);
    expect(b.inputs.some((p) => p.includes("web3-functions-sdk"))).toBe(true);
    expect(b.inputs.filter((p) => p.startsWith("node:"))).toEqual([]);
    const code = await readFile(b.bundlePath, "utf8");
    expect(code).not.toMatch(/from\s*["']node:|require\(["']node:|import\(["']node:/);
    expect(b.bytes).toBeLessThan(2 * 1024 * 1024);
    // The archive Gelato's upload takes.
    const archive = await archiveW3f(b);
    expect(tarEntries(archive)).toEqual([
      "web3Function/",
      "web3Function/index.js",
      "web3Function/source.js",
      "web3Function/schema.json",
    ]);
  });

  it("refuses an entry whose graph reaches a Node built-in, naming the importer", async () => {
    const dir = await tempDir("ballast-w3f-bad-");
    await writeFile(
      join(dir, "index.ts"),
      'import { readFileSync } from "node:fs";\nconsole.log(readFileSync);\n',
    );
    await writeFile(join(dir, "schema.json"), "{}");
    const err = await buildW3fBundle({ outDir: join(dir, "out"), entry: join(dir, "index.ts") }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(BundleError);
    expect(err.message).toContain("node:fs");
  });
});

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const STARTS_A_CHAIN = /useTestChain|startTestChain|startAnvil\(|startDemoChains|useDemoChains/;

/** A test starts a chain itself, or through a fixture script it spawns (`./fixtures/x.ts` that does). */
function startsAChain(file: string): boolean {
  const text = readFileSync(file, "utf8");
  if (STARTS_A_CHAIN.test(text)) return true;
  return [...text.matchAll(/\.\/fixtures\/[\w-]+\.ts/g)].some((m) =>
    STARTS_A_CHAIN.test(readFileSync(join(dirname(file), m[0]), "utf8")),
  );
}

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === "node_modules" || name.startsWith(".")) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith(".test.ts") ? [path] : [];
  });
}

it("a package test file that starts a chain says so in its name (*.chain.test.ts), and only those do", () => {
  const files = ["packages", "apps"].flatMap((group) =>
    readdirSync(join(ROOT, group)).flatMap((pkg) => testFiles(join(ROOT, group, pkg))),
  );
  expect(files.length).toBeGreaterThan(50);
  const misnamed = files
    .filter((f) => startsAChain(f) !== f.endsWith(".chain.test.ts"))
    .map((f) => relative(ROOT, f));
  expect(misnamed).toEqual([]);
});

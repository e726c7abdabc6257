import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, ROOT } from "./cli.ts";

/** Lines of the README's demo excerpt: the first code block after "An excerpt". */
function readmeExcerpt(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const from = readme.indexOf("An excerpt");
  const block = /```\n([\s\S]*?)```/.exec(readme.slice(from));
  if (from < 0 || !block?.[1]) throw new Error('README.md has no "An excerpt" code block');
  return block[1].split("\n").filter((l) => l.trim() !== "" && l.trim() !== "…");
}

/** A line with its figures and hashes abstracted: what must stay true when prices, gas or timings differ. */
const shape = (line: string) =>
  line
    .replace(/0x[0-9a-fA-F]+(…[0-9a-fA-F]+)?/g, "HEX")
    .replace(/[-+]?\$?[0-9][0-9,]*(\.[0-9]+)?/g, "N")
    .replace(/\s+/g, " ")
    .trim();

describe("the README's demo excerpt", () => {
  it("is what `ballast demo` prints, in the same order (modulo figures and hashes)", async () => {
    // The demo keeps its journal folder for `ballast history`; here it goes into a folder the test removes.
    const tmp = mkdtempSync(join(tmpdir(), "ballast-demo-test-"));
    const run = await cli(["demo"], { TMPDIR: tmp }).finally(() =>
      rmSync(tmp, { recursive: true, force: true }),
    );
    expect(run.code, run.stderr).toBe(0);
    const printed = run.stdout.split("\n").map(shape);
    let at = 0;
    for (const line of readmeExcerpt()) {
      const found = printed.indexOf(shape(line), at);
      expect(found, `README line not printed by the demo (after line ${at}): ${line}`).toBeGreaterThanOrEqual(
        0,
      );
      at = found + 1;
    }
  }, 120_000);
});

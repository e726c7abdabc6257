import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureCachedState, stateCacheKey } from "./cache.ts";

const dir = mkdtempSync(join(tmpdir(), "ballast-testkit-cache-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("state cache", () => {
  it("keys by chain id, Aave version and deploy inputs", () => {
    expect(stateCacheKey(1)).toMatch(/^[0-9a-f]{16}$/);
    expect(stateCacheKey(1)).toBe(stateCacheKey(1, "3.6"));
    expect(stateCacheKey(1)).not.toBe(stateCacheKey(8453));
    expect(stateCacheKey(1, "3.0")).not.toBe(stateCacheKey(1, "3.6"));
  });

  it("builds once under concurrent callers, breaks a stale lock, and writes complete files atomically", async () => {
    const chainId = 31337;
    const key = stateCacheKey(chainId);
    const prefix = `chain-${chainId}-aave3.6-`;
    // A lock left by a process that no longer exists.
    writeFileSync(join(dir, `${prefix}${key}.lock`), "999999999");
    // States from older deploy inputs: pruned once they are old (10 min), kept while recent.
    const old = join(dir, `${prefix}0000000000000000.state.json`);
    const recent = join(dir, `${prefix}1111111111111111.state.json`);
    writeFileSync(old, "{}");
    writeFileSync(recent, "{}");
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(old, hourAgo, hourAgo);

    const results = await Promise.all([1, 2, 3].map(() => ensureCachedState({ chainId, cacheDir: dir })));
    expect(results.filter((r) => r.built)).toHaveLength(1);
    for (const r of results) {
      expect(r.key).toBe(key);
      expect(r.deployment.chainId).toBe(chainId);
      expect(existsSync(r.statePath)).toBe(true);
    }
    expect(results[0]?.deployment).toEqual(results[1]?.deployment);
    expect(readdirSync(dir).sort()).toEqual(
      [
        `${prefix}${key}.deployment.json`,
        `${prefix}${key}.state.json`,
        `${prefix}1111111111111111.state.json`,
      ].sort(),
    );
    const again = await ensureCachedState({ chainId, cacheDir: dir });
    expect(again.built).toBe(false);
  });
});

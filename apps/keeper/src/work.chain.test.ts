import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAnvil } from "@ballast/testkit";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, type LimitsConfig } from "./config.ts";
import { exampleConfig } from "./example.ts";
import { openJournal } from "./journal.ts";
import { createMetrics } from "./metrics.ts";
import { consecutiveFailures, recordBatch, sendingStops } from "./risk.ts";
import { loadPortfolios, portfolioName, sharedJournal } from "./work.ts";
import { runWorker, type WorkerRound } from "./worker.ts";

const dir = mkdtempSync(join(tmpdir(), "ballast-work-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = {
  BALLAST_KEY: `0x${"11".repeat(32)}`,
  ETH_RPC_URL: "http://127.0.0.1:1",
  ARB_RPC_URL: "http://127.0.0.1:2",
};

/** A valid portfolio file (the example config) whose journal is `journal`. */
function portfolio(path: string, journal: string): string {
  writeFileSync(path, exampleConfig().replace(/journal: .*/, `journal: ${journal}`));
  return path;
}

describe("the portfolios of a worker", () => {
  it("reads a folder of portfolio files, each named after its file, on one shared journal", () => {
    const folder = join(dir, "portfolios");
    mkdirSync(folder);
    const pg = "postgres://keeper@127.0.0.1:5432/ballast";
    portfolio(join(folder, "fund-b.yaml"), pg);
    portfolio(join(folder, "fund-a.yml"), pg);
    writeFileSync(join(folder, "notes.txt"), "not a portfolio");
    const list = loadPortfolios([folder], env);
    expect(list.map((p) => p.name)).toEqual(["fund-a", "fund-b"]);
    expect(sharedJournal(list)).toBe(pg);
    // Every command names a Postgres portfolio after its file, as the worker does; a SQLite journal's is "default".
    expect(portfolioName(join(folder, "fund-a.yml"), list[0]?.config as never)).toBe("fund-a");
    const sqlite = loadPortfolios([portfolio(join(dir, "solo.yaml"), "./ballast.db")], env);
    expect(portfolioName(join(dir, "solo.yaml"), sqlite[0]?.config as never)).toBe("default");
  });

  it("refuses two journals, two portfolios of one name, and an empty folder", () => {
    const a = portfolio(join(dir, "x.yaml"), "postgres://keeper@127.0.0.1/a");
    const b = portfolio(join(dir, "y.yaml"), "postgres://keeper@127.0.0.1/b");
    expect(() => sharedJournal(loadPortfolios([a, b], env))).toThrow(/different journals/);
    mkdirSync(join(dir, "other"));
    const again = portfolio(join(dir, "other", "x.yaml"), "postgres://keeper@127.0.0.1/a");
    const twice = (() => {
      try {
        loadPortfolios([a, again], env);
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(twice).toBeInstanceOf(ConfigError);
    expect(twice?.issues).toEqual([{ path: "portfolio", message: "two portfolio files share this name" }]);
    mkdirSync(join(dir, "empty"));
    expect(() => loadPortfolios([join(dir, "empty")], env)).toThrow(/No portfolio file/);
  });
});

describe("a worker", () => {
  it("refuses a portfolio whose RPC serves another chain, as run does at start: it holds none of it", async () => {
    // ethereum (chain 1) pointed at a node of chain 8453; arbitrum's URL answers nothing (not an error here).
    const wrong = await startAnvil({ chainId: 8453 });
    try {
      const file = portfolio(join(dir, "mismatch.yaml"), join(dir, "mismatch.db"));
      const portfolios = loadPortfolios([file], { ...env, ETH_RPC_URL: wrong.rpcUrl });
      const lines: string[] = [];
      const rounds: WorkerRound[] = [];
      await runWorker({
        portfolios,
        journal: sharedJournal(portfolios),
        env: { ...env, ETH_RPC_URL: wrong.rpcUrl },
        log: pino({ level: "error" }, { write: (line: string) => void lines.push(line) }),
        metrics: createMetrics(),
        tickMs: 10,
        maxRounds: 1,
        now: () => Math.floor(Date.now() / 1000),
        onRound: (r) => void rounds.push(r),
      });
      expect(rounds.map((r) => r.held)).toEqual([[]]);
      expect(lines.join("")).toContain("portfolio cannot start");
      expect(lines.join("")).toContain("serves chain 8453, expected 1");
    } finally {
      await wrong.stop();
    }
  });

  it("clears a tripped breaker when it takes a portfolio whose config no longer meets its condition, as run does", async () => {
    const nodes = await Promise.all([startAnvil({ chainId: 1 }), startAnvil({ chainId: 42161 })]);
    try {
      const rpc = { ETH_RPC_URL: nodes[0]?.rpcUrl, ARB_RPC_URL: nodes[1]?.rpcUrl };
      const journalPath = join(dir, "breakers.db");
      const files = ["kept", "cleared"].map((name) => portfolio(join(dir, `${name}.yaml`), journalPath));
      // "cleared" now allows 5 failures in a row; "kept" still 3.
      const cleared = readFileSync(files[1] as string, "utf8");
      writeFileSync(
        files[1] as string,
        cleared.replace("maxConsecutiveFailures: 3", "maxConsecutiveFailures: 5"),
      );
      const portfolios = loadPortfolios(files, { ...env, ...rpc });
      // Both tripped on ethereum by three failed batches under the old limits, before this worker starts.
      const before = await openJournal(journalPath);
      const old = portfolios[0]?.config.policy.limits as LimitsConfig;
      try {
        for (const p of portfolios)
          for (let at = 1; at <= 3; at++)
            await recordBatch(before.forPortfolio(p.name), old, {
              at,
              chain: "ethereum",
              ok: false,
              detail: "reverted",
            });
      } finally {
        await before.close();
      }
      await runWorker({
        portfolios,
        journal: sharedJournal(portfolios),
        env: { ...env, ...rpc },
        log: pino({ level: "silent" }),
        metrics: createMetrics(),
        tickMs: 10,
        maxRounds: 1,
        now: () => Math.floor(Date.now() / 1000),
      });
      const after = await openJournal(journalPath);
      try {
        const stopped = async (name: string) =>
          [...(await sendingStops(after.forPortfolio(name), ["ethereum", "arbitrum"]))].map(
            ([chain, s]) => `${chain}:${s.kind}`,
          );
        expect(await stopped("kept")).toEqual(["ethereum:breaker"]);
        expect(await consecutiveFailures(after.forPortfolio("cleared"), "ethereum")).toBe(0);
        expect(await stopped("cleared")).toEqual([]);
      } finally {
        await after.close();
      }
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
    }
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAnvil } from "@ballast/testkit";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "./config.ts";
import { exampleConfig } from "./example.ts";
import { createMetrics } from "./metrics.ts";
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
});

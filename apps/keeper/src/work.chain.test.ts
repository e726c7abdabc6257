import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Anvil,
  startAnvil,
  startRpcProxy,
  startStandIn,
  startTcpProxy,
  testDatabase,
} from "@ballast/testkit";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, type LimitsConfig } from "./config.ts";
import type { Routes } from "./dashboard/server.ts";
import { type HeldPortfolios, workerDashboardRoutes } from "./dashboard/workers.ts";
import { exampleConfig } from "./example.ts";
import { openJournal } from "./journal.ts";
import { createMetrics, type Health, type Metrics, serveMetrics } from "./metrics.ts";
import { consecutiveFailures, recordBatch, sendingStops } from "./risk.ts";
import { loadPortfolios, portfolioName, sharedJournal } from "./work.ts";
import { type PortfolioEntry, runWorker, type WorkerHealth, type WorkerRound } from "./worker.ts";

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

/**
 * Workers on one Postgres journal over `n` portfolios of the example config, on two bare anvils answering the chain
 * ids it names (their cycles fail to read the absent protocols: these tests are about who holds what, not cycles).
 */
describe("workers on one Postgres journal", () => {
  let anvils: Anvil[] = [];
  afterAll(async () => {
    await Promise.all(anvils.map((a) => a.stop()));
  });

  async function setup(n: number, edit: (yaml: string) => string = (y) => y) {
    if (anvils.length === 0) anvils = await Promise.all([1, 42161].map((chainId) => startAnvil({ chainId })));
    const rpc = { ETH_RPC_URL: anvils[0]?.rpcUrl, ARB_RPC_URL: anvils[1]?.rpcUrl };
    const url = await testDatabase();
    const file = join(dir, `pg-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, edit(exampleConfig().replace(/journal: .*/, `journal: ${url}`)));
    const config = loadPortfolios([file], { ...env, ...rpc })[0]?.config as PortfolioEntry["config"];
    const portfolios = Array.from({ length: n }, (_, i) => ({ name: `p${i}`, config }));
    return { url, file, portfolios, env: { ...env, ...rpc } };
  }

  /** A worker in this process: its rounds' holdings, log lines, `/healthz` and metrics, stopped by `stop`. */
  function start(
    o: Awaited<ReturnType<typeof setup>>,
    owner: string,
    journal = o.url,
    more: Partial<Parameters<typeof runWorker>[0]> = {},
  ): {
    held: () => string[];
    lines: string[];
    health: () => Promise<WorkerHealth>;
    metrics: Metrics;
    stop: () => Promise<void>;
  } {
    const stop = new AbortController();
    const lines: string[] = [];
    let held: string[] = [];
    let health: Health = () => ({ ok: false });
    const metrics = createMetrics();
    const done = runWorker({
      portfolios: o.portfolios,
      journal,
      env: o.env,
      log: pino({ level: "info" }, { write: (line: string) => void lines.push(line) }),
      metrics,
      owner,
      leaseTtlMs: 1_000,
      tickMs: 100,
      now: () => Math.floor(Date.now() / 1000),
      signal: stop.signal,
      onRound: (r) => {
        held = [...r.held].sort();
      },
      exposeHealth: (h) => {
        health = h;
      },
      ...more,
    });
    return {
      held: () => held,
      lines,
      health: async () => (await health()) as WorkerHealth,
      metrics,
      stop: async () => {
        stop.abort();
        await done;
      },
    };
  }

  const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 20_000) => {
    const end = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  /** Who holds each portfolio lease now, by the database. */
  async function owners(url: string): Promise<Record<string, string>> {
    const j = await openJournal(url);
    try {
      const rows = await j.sql.all<{ name: string; owner: string }>(
        "SELECT name, owner FROM leases WHERE name LIKE 'portfolio:%' AND expires_at > (extract(epoch from clock_timestamp()) * 1000)::bigint",
      );
      return Object.fromEntries(rows.map((r) => [r.name, r.owner]));
    } finally {
      await j.close();
    }
  }

  it("spread evenly: each takes ceil(portfolios / live workers); a joining worker gets its share, a leaving one's go back", async () => {
    const o = await setup(7);
    const a = start(o, "worker-a");
    const b = { current: undefined as ReturnType<typeof start> | undefined };
    try {
      await until("a alone holds all seven", () => a.held().length === 7);
      b.current = start(o, "worker-b");
      const bw = b.current;
      // a releases its surplus at its next round; b takes it: 4 and 3, never one portfolio on both.
      await until("a and b hold 4 and 3", () => [a.held().length, bw.held().length].sort().join() === "3,4");
      expect([...a.held(), ...bw.held()].sort()).toEqual(o.portfolios.map((p) => p.name));
      const byDb = await owners(o.url);
      expect(Object.keys(byDb)).toHaveLength(7);
      for (const name of a.held()) expect(byDb[`portfolio:${name}`]).toBe("worker-a");
      for (const name of bw.held()) expect(byDb[`portfolio:${name}`]).toBe("worker-b");
      expect(a.lines.join("")).toContain("portfolios handed over: another worker joined");
      expect(a.metrics.render()).toMatch(/ballast_workers_live 2/);
      // b stops (its leases released): a takes everything back.
      await bw.stop();
      b.current = undefined;
      await until("a holds all seven again", () => a.held().length === 7);
    } finally {
      await b.current?.stop();
      await a.stop();
    }
  });

  it("cut off from Postgres: gives up every lease, /healthz is not ok, says so and counts it; back when healed", async () => {
    const o = await setup(2);
    const proxy = await startTcpProxy(Number(new URL(o.url).port));
    const via = new URL(o.url);
    via.port = String(proxy.port);
    const a = start(o, "worker-a", via.toString());
    try {
      await until("a holds both", () => a.held().length === 2);
      expect((await a.health()).journal.ok).toBe(true);
      proxy.cut();
      await until("a gave up its portfolios", async () => (await a.health()).leases.length === 0);
      const h = await a.health();
      // Holding nothing, it is no healthy standby: it could not take over anything.
      expect(h).toMatchObject({ ok: false, leases: [], portfolios: {}, journal: { ok: false } });
      expect(h.journal.error).toBeTruthy();
      expect(a.lines.join("")).toContain("JOURNAL UNREACHABLE");
      expect(a.metrics.render()).toMatch(/ballast_journal_up 0/);
      expect(a.metrics.render()).toMatch(/ballast_worker_portfolios 0/);
      proxy.heal();
      // (A heartbeat that failed just before the heal may still land after it: it is set right at the next round.)
      await until("a holds both again, its journal reachable", async () => {
        const h = await a.health();
        return h.journal.ok && h.leases.filter((l) => l.startsWith("portfolio:")).length === 2;
      });
      expect(a.lines.join("")).toContain("journal reachable again");
      expect(a.metrics.render()).toMatch(/ballast_journal_up 1/);
    } finally {
      await a.stop();
      await proxy.close();
    }
  });

  it("alerts of each held portfolio name it; the dashboard lists the portfolios held with their health and serves each one's API", async () => {
    const hook = await startStandIn(() => ({ json: {} }));
    // Bare anvils: every cycle fails to read the protocols, so each chain is unreadable from the first cycle on.
    const o = await setup(2, (y) =>
      y.replace(
        "  # alerts:",
        `  alerts: { sinks: [{ type: webhook, url: "${hook.url}/hook" }], staleAfter: 1s }\n  # alerts:`,
      ),
    );
    let dashboards: () => ReadonlyMap<string, Routes> = () => new Map();
    const a = start(o, "worker-a", o.url, {
      dashboard: {
        listen: "127.0.0.1:0",
        expose: (d) => {
          dashboards = d;
        },
      },
    });
    const routes = workerDashboardRoutes({
      held: async () => (await a.health()) as HeldPortfolios,
      portfolios: () => dashboards(),
    });
    const server = await serveMetrics("127.0.0.1:0", createMetrics(), () => a.health(), routes);
    const get = (path: string) => fetch(`http://127.0.0.1:${server.port}${path}`);
    try {
      await until("a holds both", () => a.held().length === 2);
      const titles = () =>
        hook.requests.map((r) => (r.body as { title?: string }).title ?? JSON.stringify(r.body));
      await until("a stale-chain alert of each portfolio", () =>
        ["p0", "p1"].every((p) => titles().some((t) => t.includes(`[${p}] Chain ethereum unreadable`))),
      );
      // The page says what /healthz says, per portfolio.
      const h = await a.health();
      const page = await (await get("/")).text();
      const word = (ok: boolean | undefined) => (ok ? "ok" : "NOT OK");
      expect(page).toContain(`worker-a: 2 portfolio(s) held, ${h.ok ? "healthy" : "NOT healthy"}`);
      for (const p of ["p0", "p1"])
        expect(page).toContain(
          `<a href="/?portfolio=${p}">${p}</a></td><td>${word(h.portfolios[p]?.ok)}</td>`,
        );
      const status = await get("/api/status?portfolio=p1");
      expect(status.status).toBe(200);
      expect(((await status.json()) as { source: string }).source).toBe("keeper");
      expect((await get("/api/history?portfolio=p0&range=1h")).status).toBe(200);
      expect((await get("/api/status?portfolio=elsewhere")).status).toBe(404);
      expect((await get("/api/status")).status).toBe(400);
      expect((await get("/app.js?portfolio=p0")).status).toBe(200);
    } finally {
      await server.close();
      await a.stop();
      await hook.close();
    }
  });

  it("one portfolio's slow cycle never delays another's: each held portfolio cycles on its own", async () => {
    const o = await setup(1);
    // "slow" (its own key: portfolios sharing a key take turns by design) reads ethereum through a proxy that, once
    // both are held, answers every call 3 s late.
    const proxy = await startRpcProxy(anvils[0]?.rpcUrl as string);
    const slowFile = join(dir, "slow.yaml");
    writeFileSync(slowFile, readFileSync(o.file, "utf8").replaceAll("env:BALLAST_KEY", "env:SLOW_KEY"));
    const keys = { ...o.env, SLOW_KEY: `0x${"22".repeat(32)}` };
    const slow = loadPortfolios([slowFile], { ...keys, ETH_RPC_URL: proxy.url })[0]
      ?.config as PortfolioEntry["config"];
    const portfolios = [
      { name: "fast", config: o.portfolios[0]?.config as PortfolioEntry["config"] },
      { name: "slow", config: slow },
    ];
    const ended = { fast: 0, slow: 0 };
    let held: readonly string[] = [];
    const a = start({ ...o, env: keys, portfolios }, "worker-a", o.url, {
      onRound: (r) => {
        held = r.held;
        for (const name of Object.keys(r.outcomes)) ended[name as keyof typeof ended]++;
      },
    });
    try {
      await until("a holds both", () => held.length === 2);
      proxy.setFaults({ delayMs: 3_000 });
      ended.fast = 0;
      ended.slow = 0;
      await until("five cycles of fast", () => ended.fast >= 5);
      // Rounds that waited for every cycle would have ended as many cycles of slow as of fast.
      expect(ended.slow).toBeLessThanOrEqual(1);
    } finally {
      proxy.setFaults({});
      await a.stop();
      await proxy.stop();
    }
  }, 60_000);
});

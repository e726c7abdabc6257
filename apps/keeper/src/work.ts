import { readdirSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { BallastError } from "@ballast/core";
import { type Command, InvalidArgumentError } from "commander";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import type { Routes } from "./dashboard/server.ts";
import { type HeldPortfolios, workerDashboardRoutes } from "./dashboard/workers.ts";
import { DEFAULT_PORTFOLIO } from "./journal.ts";
import { createLogger } from "./log.ts";
import { createMetrics, type Health, serveMetrics } from "./metrics.ts";
import { STOP_GRACE_MS, stopOnSignals } from "./signals.ts";
import { isPostgresUrl } from "./sql.ts";
import { type PortfolioEntry, runWorker } from "./worker.ts";

/**
 * The portfolio a config file serves: on a Postgres journal, the file's name (`fund-a.yaml` → `fund-a`), as
 * `ballast work` names it; on a SQLite journal (one portfolio per file) `default`, the name of every row of before.
 */
export const portfolioName = (file: string, config: Config): string =>
  isPostgresUrl(config.keeper.journal) ? basename(file, extname(file)) : DEFAULT_PORTFOLIO;

/** The portfolios named by `paths`: YAML files, or folders of them; a portfolio is named after its file. */
export function loadPortfolios(
  paths: readonly string[],
  env: Record<string, string | undefined>,
): PortfolioEntry[] {
  const files = paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => join(p, f))
      : [p],
  );
  const entries = files.map((file) => ({
    name: basename(file, extname(file)),
    config: loadConfig(file, env),
  }));
  const names = new Set<string>();
  for (const e of entries) {
    if (names.has(e.name))
      throw new ConfigError(e.name, [{ path: "portfolio", message: "two portfolio files share this name" }]);
    names.add(e.name);
  }
  if (entries.length === 0) throw new BallastError(`No portfolio file (*.yaml) in ${paths.join(", ")}.`);
  return entries;
}

/** The one journal all `portfolios` name (`keeper.journal`); a worker serves one journal. */
export function sharedJournal(portfolios: readonly PortfolioEntry[]): string {
  const journals = new Set(portfolios.map((p) => p.config.keeper.journal));
  if (journals.size !== 1)
    throw new BallastError("The portfolios name different journals; a worker serves one.", {
      details: "Give every portfolio file the same keeper.journal (a postgres:// URL for several workers).",
    });
  return [...journals][0] as string;
}

const seconds = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected seconds > 0");
  return n;
};

/**
 * Runs a worker over `portfolios` until SIGINT/SIGTERM; serves on `listen` `/metrics` (labelled by portfolio) and
 * `/healthz` (every held portfolio by the rules of `run`).
 */
export async function work(
  portfolios: PortfolioEntry[],
  o: {
    env: Record<string, string | undefined>;
    leaseTtl: number;
    tick: number;
    maxPortfolios?: number;
    listen?: string;
  },
): Promise<void> {
  const log = createLogger({ level: o.env.BALLAST_LOG_LEVEL ?? "info" });
  const metrics = createMetrics({ portfolio: "the portfolio's name, from its file" });
  const stop = new AbortController();
  const offSignals = stopOnSignals(
    stop,
    log,
    "leases released, in-flight transactions stay journaled",
    STOP_GRACE_MS,
  );
  // Until the worker's journal is open, it holds nothing and `/healthz` says so (503: not serving yet).
  let health: Health = () => ({ ok: false, portfolios: {} });
  let dashboards: () => ReadonlyMap<string, Routes> = () => new Map();
  const routes = workerDashboardRoutes({
    held: async () => (await health()) as unknown as HeldPortfolios,
    portfolios: () => dashboards(),
  });
  const server = o.listen ? await serveMetrics(o.listen, metrics, () => health(), routes) : undefined;
  if (server)
    log.info(
      { listen: `${o.listen?.split(":")[0]}:${server.port}` },
      "serving /metrics, /healthz and the dashboard of each portfolio held",
    );
  try {
    await runWorker({
      portfolios,
      journal: sharedJournal(portfolios),
      env: o.env,
      log,
      metrics,
      leaseTtlMs: o.leaseTtl * 1000,
      tickMs: o.tick * 1000,
      ...(o.maxPortfolios ? { maxPortfolios: o.maxPortfolios } : {}),
      now: () => Math.floor(Date.now() / 1000),
      signal: stop.signal,
      exposeHealth: (h) => {
        health = h;
      },
      ...(o.listen
        ? {
            dashboard: {
              listen: o.listen,
              expose: (d) => {
                dashboards = d;
              },
            },
          }
        : {}),
    });
  } finally {
    offSignals();
    await server?.close();
  }
}

/** `ballast work`: serve a share of many portfolios on one shared journal, beside other workers. */
export function workCommand(p: Command, env: Record<string, string | undefined>): void {
  p.command("work")
    .description(
      "serve many portfolios (YAML files, or folders of them) on one shared journal, with other workers: each portfolio and signing key is leased to one worker at a time",
    )
    .argument("<paths...>", "portfolio files or folders of them; a portfolio is named after its file")
    .option(
      "--lease-ttl <seconds>",
      "a worker silent this long loses its portfolios to the others",
      seconds,
      15,
    )
    .option("--tick <seconds>", "time between rounds of cycles", seconds, 5)
    .option("--max-portfolios <n>", "most portfolios this worker holds", (v) => Number.parseInt(v, 10))
    .option(
      "--listen <host:port>",
      "serve /metrics (labelled by portfolio), /healthz (every portfolio held) and the dashboard (/: the portfolios held; /?portfolio=NAME: one) here",
    )
    .action(
      async (
        paths: string[],
        o: { leaseTtl: number; tick: number; maxPortfolios?: number; listen?: string },
      ) => {
        await work(loadPortfolios(paths, env), { env, ...o });
      },
    );
}

import { existsSync } from "node:fs";
import { BallastError } from "@ballast/core";
import type { Config } from "../config.ts";
import { openJournal } from "../journal.ts";
import { createMetrics, serveMetrics } from "../metrics.ts";
import { resolveSecret } from "../secrets.ts";
import { isPostgresUrl } from "../sql.ts";
import { isLoopback } from "./config.ts";
import { chainInfos, dashboardRoutes } from "./server.ts";

/** The dashboard cannot be served: no journal yet, or a non-loopback address without a token. */
export class DashboardError extends BallastError {
  override name = "DashboardError";
}

/** The resolved `keeper.dashboard.token`, or null; refuses a non-loopback `listen` without one. */
export function dashboardToken(
  config: Config,
  env: Record<string, string | undefined>,
  listen: string,
): string | null {
  const ref = config.keeper.dashboard.token;
  const token = ref ? resolveSecret(ref, env, "keeper.dashboard.token") : null;
  const host = listen.split(":")[0] ?? "";
  if (token === null && !isLoopback(host))
    throw new DashboardError(`Refusing to serve the dashboard on ${host} without a token.`, {
      details: "Set keeper.dashboard.token: env:NAME, or listen on 127.0.0.1.",
    });
  return token;
}

/** The token `ballast run` requires for `/api/*`: none when the dashboard is off (`/metrics` and `/healthz` need none). */
export const runDashboardToken = (config: Config, env: Record<string, string | undefined>): string | null =>
  config.keeper.dashboard.enabled ? dashboardToken(config, env, config.keeper.listen) : null;

/**
 * `ballast dashboard`: serves the dashboard read-only from the journal alone (no RPC, no key), until `signal`
 * aborts. Resolves with the bound URL once listening, and `closed` when stopped.
 */
export async function serveJournalDashboard(
  config: Config,
  o: { listen: string; env: Record<string, string | undefined>; signal: AbortSignal; portfolio?: string },
): Promise<{ url: string; closed: Promise<void> }> {
  const file = config.keeper.journal;
  if (!isPostgresUrl(file) && !existsSync(file))
    throw new DashboardError(`No journal at ${file}.`, { details: "Run the keeper (ballast run) first." });
  const token = dashboardToken(config, o.env, o.listen);
  const journal = await openJournal(file, {
    readonly: true,
    ...(o.portfolio ? { portfolio: o.portfolio } : {}),
  });
  const routes = dashboardRoutes({
    journal,
    chains: () => chainInfos(config.chains),
    source: "journal",
    token,
    now: () => Math.floor(Date.now() / 1000),
  });
  const server = await serveMetrics(
    o.listen,
    createMetrics(),
    () => ({ ok: true, chains: {} }),
    routes,
  ).catch(async (e: unknown) => {
    await journal.close();
    throw e;
  });
  const closed = new Promise<void>((resolve) => {
    const stop = () =>
      void server
        .close()
        .then(() => journal.close())
        .then(resolve);
    if (o.signal.aborted) stop();
    else o.signal.addEventListener("abort", stop, { once: true });
  });
  return { url: `http://${o.listen.split(":")[0]}:${server.port}/`, closed };
}

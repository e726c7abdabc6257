import { BallastError } from "@ballast/core";
import { alertCycle, type KeeperAlerts } from "./alerts/keeper.ts";
import { chainInfos, dashboardRoutes } from "./dashboard/server.ts";
import { type Keeper, keeperCycle, settlePending } from "./keeper.ts";
import { serveMetrics } from "./metrics.ts";

/** Options of {@link runDaemon}. */
export type DaemonOptions = {
  /** One cycle, then return (no metrics server). */
  once: boolean;
  maxCycles?: number;
  /** Unix seconds. */
  now: () => number;
  /** Aborts the loop (tests); SIGINT and SIGTERM do the same. */
  signal?: AbortSignal;
  /** The resolved `keeper.dashboard.token` that `/api/*` requires; null or absent: none. */
  dashboardToken?: string | null;
  /** Where alerts go (`keeper.alerts`); null or absent: nowhere. */
  alerts?: KeeperAlerts | null;
};

/** Waits `ms`, or less when `signal` aborts. */
export const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });

/**
 * The keeper loop: settles journaled transactions first, then runs a cycle on every tick — a new block on any
 * chain (`tick: block`) or a fixed interval. A failed cycle is retried with jittered backoff; one chain's failure
 * never stalls the others (the engine reports it and plans without sending to it). SIGINT/SIGTERM finish the
 * current cycle and stop.
 */
export async function runDaemon(k: Keeper, opts: DaemonOptions): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => {
    k.log.info("shutting down after the current cycle");
    stop.abort();
  };
  opts.signal?.addEventListener("abort", onSignal, { once: true });
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const last: Record<string, { at: number | null; error: string | null }> = Object.fromEntries(
    k.chains.map((c) => [c.key, { at: null, error: null }]),
  );
  const tick = k.config.keeper.tick;
  const periodMs =
    tick === "block" ? Math.min(...k.chains.map((c) => c.clients.chain.blockTimeMs)) : tick * 1000;
  const dashboard =
    !opts.once && k.config.keeper.dashboard.enabled
      ? dashboardRoutes({
          db: k.journal.db,
          chains: () => chainInfos(k.config.chains, last),
          source: "keeper",
          token: opts.dashboardToken ?? null,
          now: opts.now,
        })
      : undefined;
  const server = opts.once
    ? undefined
    : await serveMetrics(
        k.config.keeper.listen,
        k.metrics,
        () => {
          const staleMs = Math.max(periodMs * 5, 60_000);
          const chains = Object.fromEntries(
            Object.entries(last).map(([key, v]) => [key, { lastCycleAt: v.at, error: v.error }]),
          );
          const ok = Object.values(last).every(
            (v) => v.at !== null && Date.now() - v.at < staleMs && v.error === null,
          );
          return { ok, chains };
        },
        dashboard,
      );
  if (server)
    k.log.info(
      { listen: `${k.config.keeper.listen.split(":")[0]}:${server.port}` },
      dashboard ? "serving /metrics, /healthz and the dashboard" : "serving /metrics and /healthz",
    );

  try {
    await settlePending(k);
    let cycles = 0;
    let failures = 0;
    const heads = new Map<number, bigint>();
    while (!stop.signal.aborted) {
      if (tick === "block" && cycles > 0) {
        // Wait for a new block on any chain.
        const moved = await Promise.all(
          k.chains.map(async (c) => {
            const n = await c.clients.public.getBlockNumber({ cacheTime: 0 }).catch(() => undefined);
            if (n === undefined || n === heads.get(c.setup.chainId)) return false;
            heads.set(c.setup.chainId, n);
            return true;
          }),
        );
        if (!moved.some(Boolean)) {
          await sleep(periodMs, stop.signal);
          continue;
        }
      }
      try {
        const now = opts.now();
        const { result, sent } = await keeperCycle(k, { now, execute: true });
        alertCycle(opts.alerts ?? null, k, { result, sent }, now);
        failures = 0;
        for (const c of k.chains) {
          const err = result.chainErrors.find((e) => e.chainId === c.setup.chainId);
          last[c.key] = { at: Date.now(), error: err ? err.error.shortMessage : null };
        }
        if (opts.once) {
          const problems = [
            ...result.chainErrors.map((e) => `chain ${e.key}: ${e.error.shortMessage}`),
            ...(result.error ? [result.error.shortMessage] : []),
            ...sent
              .filter((s) => s.status !== "confirmed")
              .map((s) => `chain ${s.key}: ${s.status} — ${s.error ?? ""}`),
          ];
          if (problems.length > 0)
            throw new BallastError(`The cycle did not complete on every chain.`, {
              details: problems.join("\n"),
            });
        }
        k.log.info(
          {
            fire: result.decision?.fire ?? false,
            plan: result.plan?.id.slice(0, 12) ?? null,
            sent: sent.map((s) => `${s.key}:${s.status}`),
          },
          "cycle done",
        );
      } catch (e) {
        if (opts.once) throw e;
        failures++;
        k.log.error({ err: e instanceof Error ? e.message : String(e) }, "cycle failed");
        const backoff = Math.min(60_000, 1_000 * 2 ** Math.min(failures, 6));
        await sleep(backoff / 2 + Math.random() * (backoff / 2), stop.signal);
      }
      cycles++;
      if (opts.once || (opts.maxCycles !== undefined && cycles >= opts.maxCycles)) break;
      if (tick !== "block") await sleep(periodMs, stop.signal);
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await server?.close();
    await opts.alerts?.notifier.flush(5_000);
  }
}

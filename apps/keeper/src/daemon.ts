import { sleep } from "@ballast/chain";
import { alertCycle, alertSettled, type KeeperAlerts } from "./alerts/keeper.ts";
import { chainInfos, dashboardRoutes } from "./dashboard/server.ts";
import {
  IncompleteCycleError,
  type Keeper,
  type KeeperCycle,
  keeperCycle,
  settleInFlight,
} from "./keeper.ts";
import { serveMetrics } from "./metrics.ts";
import { reviewBreakersAtStart, sendingStops, stopText } from "./risk.ts";
import { stopOnSignals } from "./signals.ts";

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
  /** Exit the process this long after SIGINT/SIGTERM if it is still stopping (`ballast run`: 3 s, `STOP_GRACE_MS`). */
  graceMs?: number;
  /** Sees each cycle that completed (with `once`: on every chain), e.g. to print it (`run --once --json`). */
  onCycle?: (cycle: KeeperCycle) => void;
};

/** What `/healthz` knows of a chain. */
export type ChainHealth = {
  /** When a cycle last completed (ms). */
  at: number | null;
  /** The chain's read error in the last cycle. */
  error: string | null;
  /** Cycles in a row whose read of the chain failed. */
  unreadableCycles: number;
  /** The last batch sent there failed (cleared by a later confirmed batch or a cycle with nothing to send there). */
  batchError: string | null;
  /** What is in flight there (sent, not final). */
  inFlight: number;
};

/** Each chain of `k` before its first cycle: unhealthy until a cycle completes. */
export const freshHealth = (k: Keeper): Record<string, ChainHealth> =>
  Object.fromEntries(
    k.chains.map((c) => [
      c.key,
      { at: null, error: null, unreadableCycles: 0, batchError: null, inFlight: 0 },
    ]),
  );

/** Updates each chain's health from a completed cycle. */
export function track(
  health: Record<string, ChainHealth>,
  k: Keeper,
  { result, sent, inFlight }: KeeperCycle,
): void {
  for (const c of k.chains) {
    const h = health[c.key] as ChainHealth;
    const err = result.chainErrors.find((e) => e.chainId === c.setup.chainId);
    const unreadable = result.fetches[c.setup.chainId] === undefined;
    const batch = sent.find((s) => s.chainId === c.setup.chainId);
    health[c.key] = {
      at: Date.now(),
      error: err ? err.error.shortMessage : null,
      unreadableCycles: unreadable ? h.unreadableCycles + 1 : 0,
      batchError:
        batch?.status === "failed" || batch?.status === "refused"
          ? (batch.error ?? batch.status)
          : batch || !unreadable
            ? null
            : h.batchError,
      inFlight: inFlight.filter((i) => i.chainId === c.setup.chainId).length,
    };
  }
}

/** One portfolio's health: `ok` and what is known per chain. */
export type PortfolioHealth = { ok: boolean; chains: Record<string, object> };

/**
 * `/healthz` of one portfolio: every chain read recently, no failing batch, no tripped breaker (an operator's pause is
 * healthy). `periodMs` is the time between cycles.
 */
export async function healthOf(
  k: Keeper,
  health: Record<string, ChainHealth>,
  periodMs: number,
): Promise<PortfolioHealth> {
  // Cycles can legitimately take as long as waiting for a batch's confirmation.
  const staleMs = Math.max(periodMs * 5, 60_000, k.config.keeper.confirmTimeout * 2_000);
  const n = k.config.keeper.unhealthyAfter;
  const stops = await sendingStops(k.journal, Object.keys(health));
  const chains = Object.fromEntries(
    Object.entries(health).map(([key, v]) => {
      const stop = stops.get(key);
      return [key, { ...v, ...(stop ? { sending: stopText(stop) } : {}) }];
    }),
  );
  const ok =
    [...stops.values()].every((s) => s.kind !== "breaker") &&
    Object.values(health).every(
      (v) => v.at !== null && Date.now() - v.at < staleMs && v.unreadableCycles < n && v.batchError === null,
    );
  return { ok, chains };
}

/** `run --once`: a cycle that did not complete on every chain is an {@link IncompleteCycleError} (exit 3). */
function throwIfIncomplete({ result, sent }: KeeperCycle): void {
  const problems = [
    ...result.chainErrors.map((e) => `chain ${e.key}: ${e.error.shortMessage}`),
    ...(result.stage === "failed" ? [result.error.shortMessage] : []),
    ...sent
      .filter((s) => s.status !== "confirmed" && s.status !== "held")
      .map((s) => `chain ${s.key}: ${s.status} — ${s.error ?? ""}`),
    ...(result.decision?.reasons ?? [])
      .filter((r) => r.rule === "in-flight")
      .map((r) => `${r.detail} (kept in the journal: the next run settles it)`),
  ];
  if (problems.length > 0)
    throw new IncompleteCycleError(`The cycle did not complete on every chain.`, {
      details: problems.join("\n"),
    });
}

/**
 * What a start picks up from the previous run: it settles (and alerts) what was left in flight — a run that does one
 * cycle waits for it, within confirmTimeout — and clears circuit breakers whose condition no longer holds.
 */
async function resume(k: Keeper, opts: DaemonOptions, signal: AbortSignal): Promise<void> {
  const left = await settleInFlight(k, {
    waitMs: opts.once ? k.config.keeper.confirmTimeout * 1000 : 0,
    signal,
    now: opts.now(),
  });
  alertSettled(opts.alerts ?? null, k, left.settled, opts.now());
  if (left.inFlight.length > 0)
    k.log.warn(
      { inFlight: left.inFlight.map((i) => `${i.chainId}: ${i.detail}`) },
      "in flight from before: those chains hold until it is final",
    );
  await reviewBreakersAtStart(k, opts.now());
}

/** Each chain's last head seen, and when it was first seen (`performance.now()`). */
export type Heads = Map<number, { block: bigint; seenAt: number }>;

/** Whether any chain has a block the loop has not seen (one `eth_blockNumber` per chain); records it. */
async function newHead(k: Keeper, heads: Heads): Promise<boolean> {
  const moved = await Promise.all(
    k.chains.map(async (c) => {
      const block = await c.clients.public.getBlockNumber({ cacheTime: 0 }).catch(() => undefined);
      if (block === undefined || block === heads.get(c.setup.chainId)?.block) return false;
      heads.set(c.setup.chainId, { block, seenAt: performance.now() });
      return true;
    }),
  );
  return moved.some(Boolean);
}

/**
 * How long to wait before looking for a new head again: until the chain expected to produce one first is due (its
 * last head's sighting plus its block time), and then every 1/20 of its block time (at least 50 ms) — so a block is
 * seen within ~5% of the block time of its arrival, at a few `eth_blockNumber` per block. Waiting a whole block time
 * between looks (as before) saw a block up to a block late: at 1-s blocks, 3 of 20 rebalances missed the next block.
 */
export function nextHeadPollMs(k: Pick<Keeper, "chains">, heads: Heads, now: number): number {
  return Math.min(
    ...k.chains.map((c) => {
      const blockMs = c.clients.chain.blockTimeMs;
      const poll = Math.max(50, Math.floor(blockMs / 20));
      const seen = heads.get(c.setup.chainId);
      return seen === undefined ? poll : Math.max(poll, seen.seenAt + blockMs - now);
    }),
  );
}

/**
 * The keeper loop: settles the in-flight ledger first, then runs a cycle on every tick — a new block on any
 * chain (`tick: block`) or a fixed interval. Each cycle settles again before planning, and a chain with anything in
 * flight gets no new batch. A failed cycle is retried with jittered backoff; one chain's failure never stalls the
 * others (the engine reports it and plans without sending to it). SIGINT/SIGTERM stop it within a few seconds, also
 * while it waits for a transaction or a slow RPC ({@link stopOnSignals}): what is in flight stays journaled and the next
 * start settles it.
 */
export async function runDaemon(k: Keeper, opts: DaemonOptions): Promise<void> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const offSignals = stopOnSignals(stop, k.log, "in-flight transactions stay journaled", opts.graceMs);

  const health = freshHealth(k);
  const tick = k.config.keeper.tick;
  const periodMs =
    tick === "block" ? Math.min(...k.chains.map((c) => c.clients.chain.blockTimeMs)) : tick * 1000;
  const dashboard =
    !opts.once && k.config.keeper.dashboard.enabled
      ? dashboardRoutes({
          journal: k.journal,
          chains: () => chainInfos(k.config.chains, health),
          source: "keeper",
          token: opts.dashboardToken ?? null,
          now: opts.now,
        })
      : undefined;
  const server = opts.once
    ? undefined
    : await serveMetrics(k.config.keeper.listen, k.metrics, () => healthOf(k, health, periodMs), dashboard);
  if (server)
    k.log.info(
      { listen: `${k.config.keeper.listen.split(":")[0]}:${server.port}` },
      dashboard ? "serving /metrics, /healthz and the dashboard" : "serving /metrics and /healthz",
    );

  try {
    await resume(k, opts, stop.signal);
    let cycles = 0;
    let failures = 0;
    const heads: Heads = new Map();
    while (!stop.signal.aborted) {
      if (tick === "block" && cycles > 0 && !(await newHead(k, heads))) {
        await sleep(nextHeadPollMs(k, heads, performance.now()), stop.signal);
        continue;
      }
      const cycleStart = performance.now();
      try {
        const now = opts.now();
        const cycle = await keeperCycle(k, { now, execute: true, signal: stop.signal });
        const { result, sent } = cycle;
        await alertCycle(opts.alerts ?? null, k, cycle, now);
        failures = 0;
        track(health, k, cycle);
        if (opts.once && !stop.signal.aborted) throwIfIncomplete(cycle);
        opts.onCycle?.(cycle);
        k.log.info(
          {
            fire: result.decision?.fire ?? false,
            plan: result.plan?.id.slice(0, 12) ?? null,
            sent: sent.map((s) => `${s.key}:${s.status}`),
            ms: Math.round(performance.now() - cycleStart),
          },
          "cycle done",
        );
      } catch (e) {
        if (stop.signal.aborted) break;
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
    offSignals();
    await server?.close();
    await opts.alerts?.notifier.flush(5_000);
  }
}

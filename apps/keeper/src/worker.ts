import { hostname } from "node:os";
import { checkChainIds, sleep } from "@ballast/chain";
import type { Logger } from "pino";
import { alertCycle, createKeeperAlerts, type KeeperAlerts } from "./alerts/keeper.ts";
import { assembleKeeper } from "./assemble.ts";
import type { Config } from "./config.ts";
import { type ChainHealth, freshHealth, healthOf, type PortfolioHealth, track } from "./daemon.ts";
import { dashboardToken } from "./dashboard/serve.ts";
import { chainInfos, dashboardRoutes, type Routes } from "./dashboard/server.ts";
import { type Journal, JournalLockedError, openJournal } from "./journal.ts";
import { errText, type Keeper, keeperCycle } from "./keeper.ts";
import {
  createLeaseSet,
  keyLease,
  type LeaseSet,
  liveWorkers,
  portfolioLease,
  workerLease,
} from "./leases.ts";
import { type Health, labelled, type Metrics } from "./metrics.ts";
import { reviewBreakersAtStart } from "./risk.ts";

/**
 * A worker: one keeper process serving its share of many portfolios on one shared journal (Postgres for several
 * workers). Each portfolio, and each signing key on each chain, is owned through a lease (`leases.ts`); the worker
 * renews its leases on a heartbeat, picks up portfolios nobody holds (a dead worker's, once its leases expired),
 * and runs a cycle for each portfolio it holds. A cycle starts by settling the portfolio's in-flight ledger, so a
 * portfolio taken over from a dead worker first settles what that worker journaled. One portfolio's failure never
 * stalls another: each cycle runs on its own and its error is logged and counted.
 */

/** This process's name in the leases: host, pid and start time. */
export const workerName = () => `${hostname()}:${process.pid}:${Date.now().toString(36)}`;

/**
 * `ballast run` on a Postgres journal: the one portfolio is held under its lease (and its keys' leases, taken by
 * `takeKeys` once the chains are known), renewed on a heartbeat and released by `close`; every send is fenced. A
 * portfolio another keeper holds is refused like a locked SQLite journal.
 */
export async function leaseJournal(
  journal: Journal,
  ttlMs = 15_000,
): Promise<{ journal: Journal; takeKeys(k: Keeper): Promise<void> }> {
  const leases = createLeaseSet(journal.sql, { owner: workerName(), ttlMs });
  const names = [portfolioLease(journal.portfolio)];
  const busy = (what: string) =>
    new JournalLockedError(
      `${what} of portfolio "${journal.portfolio}" in the Postgres journal`,
      "another keeper",
    );
  if ((await leases.acquire(names)).length === 0) {
    await journal.close();
    throw busy("the lease");
  }
  const heartbeat = setInterval(() => void leases.renew(), Math.max(100, ttlMs / 3));
  const fenced = journal.forPortfolio(journal.portfolio, (tx) => leases.fence(names)(tx));
  const close = async () => {
    clearInterval(heartbeat);
    await leases.release().catch(() => {});
    await journal.close();
  };
  return {
    journal: { ...fenced, close },
    async takeKeys(k) {
      const keys = k.chains.map((c) => keyLease(c.setup.chainId, c.setup.executor.sender));
      if ((await leases.acquire(keys)).length < keys.length) throw busy("a signing key");
      names.push(...keys);
    },
  };
}

/** One portfolio a worker may serve: its name (the lease and the journal rows) and its config. */
export type PortfolioEntry = { readonly name: string; readonly config: Config };

/** Options of {@link runWorker}. */
export type WorkerOptions = {
  readonly portfolios: readonly PortfolioEntry[];
  /** The shared journal (`keeper.journal` of the portfolios: they must all name the same one). */
  readonly journal: string;
  readonly env: Record<string, string | undefined>;
  readonly log: Logger;
  /** One registry for the worker; every value is labelled with its portfolio. */
  readonly metrics: Metrics;
  /** This worker's name in the leases (default host:pid:start). */
  readonly owner?: string;
  /** A lease not renewed for this long passes to another worker (default 15 s). */
  readonly leaseTtlMs?: number;
  /** Time between rounds of cycles (default 5 s). */
  readonly tickMs?: number;
  /** Most portfolios this worker holds at once (default its fair share: ceil(portfolios / live workers)). */
  readonly maxPortfolios?: number;
  /** Stop after this many rounds (tests, benches). */
  readonly maxRounds?: number;
  readonly now: () => number;
  readonly signal?: AbortSignal;
  /** Sees each round's outcome per portfolio (tests, benches). */
  readonly onRound?: (round: WorkerRound) => void;
  /** Given, once the journal is open, what `/healthz` answers for this worker ({@link workerHealth}). */
  readonly exposeHealth?: (health: Health) => void;
  /**
   * Serving the dashboard on `listen`: each held portfolio with `keeper.dashboard.enabled` gets its routes (its
   * token; refused beyond loopback without one, as under `run`), given by name to `expose`.
   */
  readonly dashboard?: { listen: string; expose(portfolios: () => ReadonlyMap<string, Routes>): void };
};

/** What one round saw: the portfolios held, and how each cycle that ended since the round before ended. */
export type WorkerRound = {
  readonly held: readonly string[];
  readonly outcomes: Record<string, "ok" | "key-busy" | "error">;
};

/**
 * A portfolio this worker holds, with its keeper, the key leases it signs under, its chains' health and its alerting
 * (its own `keeper.alerts`, every alert named after the portfolio; null without sinks).
 */
type Held = {
  keeper: Keeper;
  keyNames: string[];
  health: Record<string, ChainHealth>;
  alerts: KeeperAlerts | null;
  dashboard: Routes | null;
};

/**
 * The alerting of portfolio `name` (`keeper.alerts` of its file), as `run` builds it, with each alert's title and
 * subject naming the portfolio: one sink may serve many portfolios, and its de-duplication keeps them apart.
 */
export function portfolioAlerts(
  name: string,
  config: Config,
  o: { log: Logger; env: Record<string, string | undefined> },
): KeeperAlerts | null {
  const a = createKeeperAlerts(config.keeper.alerts, {
    ...o,
    secrets: Object.values(config.chains).flatMap((c) => [...c.rpc, ...(c.sendRpc ? [c.sendRpc] : [])]),
  });
  if (!a) return null;
  const { notifier } = a;
  return {
    ...a,
    notifier: {
      stats: notifier.stats,
      flush: (ms) => notifier.flush(ms),
      notify: (x) =>
        notifier.notify({ ...x, subject: `${name}/${x.subject}`, title: `[${name}] ${x.title}` }),
    },
  };
}

/**
 * Whether the worker reaches its journal. A worker cut off from it (a network partition, the database down) holds no
 * lease and sends nothing, and must not pass for a healthy standby: `/healthz` says so until the link is back.
 */
export type JournalLink = { ok: boolean; error: string | null; since: number };

/** What `/healthz` answers under `ballast work`: ok when the journal is reachable and every held portfolio is ok. */
export type WorkerHealth = {
  ok: boolean;
  owner: string;
  journal: JournalLink;
  leases: string[];
  portfolios: Record<string, PortfolioHealth>;
};

/**
 * `/healthz` of a worker: each portfolio it holds by the rules of `run` ({@link healthOf}, `periodMs` being the time
 * between rounds); ok only when all are and the journal is reachable. A worker holding none (a standby) is healthy
 * while it reaches the journal, so it can take over.
 */
export async function workerHealth(
  held: ReadonlyMap<string, Pick<Held, "keeper" | "health">>,
  leases: Pick<LeaseSet, "owner" | "names">,
  periodMs: number,
  journal: JournalLink = { ok: true, error: null, since: 0 },
): Promise<WorkerHealth> {
  const portfolios: Record<string, PortfolioHealth> = {};
  // Its breaker is read from the journal: unreadable (the link just broke), it is not known to be ok.
  for (const [name, h] of held)
    portfolios[name] = await healthOf(h.keeper, h.health, periodMs).catch(() => ({ ok: false, chains: {} }));
  return {
    ok: journal.ok && Object.values(portfolios).every((p) => p.ok),
    owner: leases.owner,
    journal,
    leases: leases.names().sort(),
    portfolios,
  };
}

/** A running worker's state: its journal, leases, the portfolios it holds and whether it reaches the journal. */
type WorkerState = {
  o: WorkerOptions;
  journal: Journal;
  leases: LeaseSet;
  held: Map<string, Held>;
  /**
   * The cycle running for each portfolio, held or not any more (a lost lease does not stop a cycle: its sends are
   * fenced). A portfolio is not taken again, nor released, while one runs: never two cycles of one in this process.
   */
  cycling: Map<string, Promise<void>>;
  link: JournalLink;
};

/** Runs the worker until `signal` aborts (or `maxRounds`); releases its leases on the way out. */
export async function runWorker(o: WorkerOptions): Promise<void> {
  const owner = o.owner ?? workerName();
  const ttlMs = o.leaseTtlMs ?? 15_000;
  // A SQLite journal stays one process's (its file lock); on Postgres the leases share it.
  const journal = await openJournal(o.journal, { exclusive: true });
  const leases = createLeaseSet(journal.sql, { owner, ttlMs });
  const w: WorkerState = {
    o,
    journal,
    leases,
    held: new Map(),
    cycling: new Map(),
    link: { ok: true, error: null, since: o.now() },
  };
  // The heartbeat runs beside the cycles: a slow cycle (waiting for a confirmation) must not let leases lapse.
  let beating = false;
  const heartbeat = setInterval(
    () => {
      if (beating) return;
      beating = true;
      void beat(w).finally(() => {
        beating = false;
      });
    },
    Math.max(100, ttlMs / 3),
  );
  o.exposeHealth?.(() => workerHealth(w.held, leases, o.tickMs ?? 5_000, w.link));
  o.dashboard?.expose(
    () => new Map([...w.held].flatMap(([name, h]) => (h.dashboard ? [[name, h.dashboard] as const] : []))),
  );
  // Each round starts a cycle of every held portfolio whose last one ended, without waiting for the others: one
  // portfolio waiting for a confirmation (up to confirmTimeout) never delays another's cycles.
  let outcomes: WorkerRound["outcomes"] = {};
  try {
    for (let round = 0; !o.signal?.aborted && (o.maxRounds === undefined || round < o.maxRounds); round++) {
      if (await rebalance(w))
        for (const [name, h] of w.held)
          if (!w.cycling.has(name))
            w.cycling.set(
              name,
              cycleOne(o, leases, name, h).then((outcome) => {
                outcomes[name] = outcome;
                w.cycling.delete(name);
              }),
            );
      if (o.maxRounds !== undefined && round + 1 >= o.maxRounds) await Promise.all(w.cycling.values());
      o.onRound?.({ held: [...w.held.keys()], outcomes });
      outcomes = {};
      if (o.maxRounds === undefined || round + 1 < o.maxRounds) await sleep(o.tickMs ?? 5_000, o.signal);
    }
  } finally {
    await Promise.all(w.cycling.values());
    clearInterval(heartbeat);
    await leases.release().catch(() => {});
    await journal.close();
    await Promise.all([...w.held.values()].map((h) => h.alerts?.notifier.flush(5_000)));
  }
}

/** Drops the portfolios whose leases were lost: this worker no longer sends for them. */
function forget(w: WorkerState, lost: readonly string[]): void {
  for (const name of lost) {
    const portfolio = name.replace(/^portfolio:/, "");
    if (w.held.delete(portfolio))
      w.o.log.warn({ portfolio, owner: w.leases.owner }, "lease lost: this worker no longer sends for it");
  }
  w.o.metrics.set("ballast_worker_portfolios", {}, w.held.size);
}

/**
 * Records whether the journal answered (`error` null) and says so once per change: a worker that cannot reach it gives
 * up every lease at once (it cannot renew them; they expire for the others after the TTL) and reports unhealthy.
 */
function noteLink(w: WorkerState, error: string | null): void {
  const { log, metrics, now } = w.o;
  metrics.set("ballast_journal_up", {}, error === null ? 1 : 0);
  if (error !== null) forget(w, w.leases.abandon());
  if ((error === null) === w.link.ok) return;
  w.link = { ok: error === null, error, since: now() };
  if (error === null) log.info({ owner: w.leases.owner }, "journal reachable again: taking portfolios again");
  else
    log.error(
      { owner: w.leases.owner, err: error },
      "JOURNAL UNREACHABLE: this worker gave up its leases and sends nothing until the journal is back",
    );
}

/** One heartbeat: checks the journal answers, then renews every lease; drops the portfolios whose lease was lost. */
async function beat(w: WorkerState): Promise<void> {
  const error = await w.journal.sql.all("SELECT 1").then(() => null, errText);
  noteLink(w, error);
  if (error === null) forget(w, await w.leases.renew());
}

/**
 * A round's start: renews this worker's own lease (its heartbeat row), then holds its fair share of the portfolios —
 * ceil(portfolios / live workers), at most `maxPortfolios` — releasing the surplus when a worker joined (the newcomer
 * takes them at once: a released lease is free) and taking free ones when below it. False when the journal cannot be
 * reached (then nothing runs this round).
 */
async function rebalance(w: WorkerState): Promise<boolean> {
  const { o, leases, held } = w;
  try {
    await leases.acquire([workerLease(leases.owner)]);
    const live = Math.max(1, await liveWorkers(w.journal.sql));
    o.metrics.set("ballast_workers_live", {}, live);
    const share = Math.min(o.maxPortfolios ?? o.portfolios.length, Math.ceil(o.portfolios.length / live));
    // A portfolio mid-cycle is released at a later round, once its cycle ended.
    const surplus = [...held.keys()]
      .sort()
      .slice(share)
      .filter((name) => !w.cycling.has(name));
    if (surplus.length > 0) {
      for (const name of surplus) held.delete(name);
      await leases.release(surplus.map(portfolioLease));
      o.log.info({ portfolios: surplus, live, share }, "portfolios handed over: another worker joined");
    }
    await pickUp(w, share - held.size);
    noteLink(w, null);
  } catch (e) {
    noteLink(w, errText(e));
    return false;
  }
  o.metrics.set("ballast_worker_portfolios", {}, held.size);
  return true;
}

/** Takes the leases of up to `room` portfolios nobody holds and builds their keepers. */
async function pickUp({ o, journal, leases, held, cycling }: WorkerState, room: number) {
  if (room <= 0) return;
  const wanted = o.portfolios.filter((p) => !held.has(p.name) && !cycling.has(p.name));
  const taken: PortfolioEntry[] = [];
  for (const p of wanted) {
    if (taken.length >= room) break;
    if ((await leases.acquire([portfolioLease(p.name)])).length > 0) taken.push(p);
  }
  for (const p of taken) {
    const entry: Held = {
      keeper: undefined as unknown as Keeper,
      keyNames: [],
      health: {},
      alerts: null,
      dashboard: null,
    };
    // Every send of this portfolio is fenced by its own lease and the leases of the keys it signs with.
    const fence = (tx: Parameters<ReturnType<LeaseSet["fence"]>>[0]) =>
      leases.fence([portfolioLease(p.name), ...entry.keyNames])(tx);
    try {
      entry.keeper = assembleKeeper(p.config, journal.forPortfolio(p.name, fence), {
        env: o.env,
        needKeys: true,
        log: o.log.child({ portfolio: p.name }),
        metrics: labelled(o.metrics, { portfolio: p.name }),
      });
      if (o.dashboard) dashboardToken(p.config, o.env, o.dashboard.listen); // refused here, not at its first request
      entry.alerts = portfolioAlerts(p.name, p.config, {
        log: o.log.child({ portfolio: p.name }),
        env: o.env,
      });
      // As `run` does at start: an RPC URL serving another chain is refused before anything is read or sent.
      await Promise.all(entry.keeper.chains.map((c) => checkChainIds(c.clients, { chain: c.key })));
      // As `run` does at start: a breaker whose condition the portfolio's config no longer meets is cleared.
      await reviewBreakersAtStart(entry.keeper, o.now());
    } catch (e) {
      o.log.error({ portfolio: p.name, err: errText(e) }, "portfolio cannot start: lease released");
      await leases.release([portfolioLease(p.name)]);
      continue;
    }
    entry.keyNames = entry.keeper.chains.map((c) => keyLease(c.setup.chainId, c.setup.executor.sender));
    entry.health = freshHealth(entry.keeper);
    entry.dashboard = portfolioDashboard(o, entry);
    held.set(p.name, entry);
    o.log.info(
      { portfolio: p.name, owner: leases.owner },
      "portfolio taken: settling its in-flight ledger first",
    );
  }
}

/** The dashboard routes of a held portfolio, live (its chains' health), when the worker serves them. */
function portfolioDashboard(o: WorkerOptions, h: Held): Routes | null {
  const { config, journal } = h.keeper;
  if (!o.dashboard || !config.keeper.dashboard.enabled) return null;
  return dashboardRoutes({
    journal,
    chains: () => chainInfos(config.chains, h.health),
    source: "keeper",
    token: dashboardToken(config, o.env, o.dashboard.listen),
    now: o.now,
  });
}

/** Keys in use by a cycle of this process: two portfolios sharing a key never sign with it at the same time. */
const keyQueues = new Map<string, Promise<unknown>>();
async function withKeys<T>(names: readonly string[], fn: () => Promise<T>): Promise<T> {
  const sorted = [...names].sort();
  const before = Promise.all(sorted.map((n) => keyQueues.get(n)));
  const run = before.then(fn, fn);
  const done = run.catch(() => undefined);
  for (const n of sorted) keyQueues.set(n, done);
  try {
    return await run;
  } finally {
    for (const n of sorted) if (keyQueues.get(n) === done) keyQueues.delete(n);
  }
}

/** One cycle of one held portfolio, under its key leases; never throws. */
async function cycleOne(
  o: WorkerOptions,
  leases: LeaseSet,
  name: string,
  h: Held,
): Promise<WorkerRound["outcomes"][string]> {
  const log = h.keeper.log;
  const keys = await leases.acquire(h.keyNames).catch((): string[] => []);
  if (keys.length < h.keyNames.length) {
    log.warn(
      { keys: h.keyNames.filter((k) => !keys.includes(k)) },
      "a signing key is leased by another worker: waiting",
    );
    return "key-busy";
  }
  try {
    const now = o.now();
    const c = await withKeys(h.keyNames, () =>
      keeperCycle(h.keeper, { now, execute: true, signal: o.signal }),
    );
    track(h.health, h.keeper, c);
    await alertCycle(h.alerts, h.keeper, c, now);
    log.info(
      {
        fire: c.result.decision?.fire ?? false,
        plan: c.result.plan?.id.slice(0, 12) ?? null,
        sent: c.sent.map((s) => `${s.key}:${s.status}`),
      },
      "cycle done",
    );
    return "ok";
  } catch (e) {
    h.keeper.metrics.inc("ballast_cycles_total", { outcome: "error" });
    log.error({ err: errText(e) }, `portfolio ${name}: cycle failed`);
    return "error";
  } finally {
    // Keys are held for a cycle only: another worker's portfolio on the same key gets its turn (and settles first).
    await leases.release(h.keyNames);
  }
}

import { hostname } from "node:os";
import { checkChainIds } from "@ballast/chain";
import type { Logger } from "pino";
import { assembleKeeper } from "./assemble.ts";
import type { Config } from "./config.ts";
import { type ChainHealth, freshHealth, healthOf, type PortfolioHealth, track } from "./daemon.ts";
import { type Journal, JournalLockedError, openJournal } from "./journal.ts";
import { errText, type Keeper, keeperCycle, sleep } from "./keeper.ts";
import { createLeaseSet, keyLease, type LeaseSet, portfolioLease } from "./leases.ts";
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
  /** Most portfolios this worker holds at once (default all). */
  readonly maxPortfolios?: number;
  /** Stop after this many rounds (tests, benches). */
  readonly maxRounds?: number;
  readonly now: () => number;
  readonly signal?: AbortSignal;
  /** Sees each round's outcome per portfolio (tests, benches). */
  readonly onRound?: (round: WorkerRound) => void;
  /** Given, once the journal is open, what `/healthz` answers for this worker ({@link workerHealth}). */
  readonly exposeHealth?: (health: Health) => void;
};

/** What one round did: per held portfolio, whether its cycle ran and how it ended. */
export type WorkerRound = {
  readonly held: readonly string[];
  readonly outcomes: Record<string, "ok" | "key-busy" | "error">;
};

/** A portfolio this worker holds, with its keeper, the key leases it signs under and its chains' health. */
type Held = { keeper: Keeper; keyNames: string[]; health: Record<string, ChainHealth> };

/** What `/healthz` answers under `ballast work`: ok when every held portfolio is; each one's state; the leases held. */
export type WorkerHealth = {
  ok: boolean;
  owner: string;
  leases: string[];
  portfolios: Record<string, PortfolioHealth>;
};

/**
 * `/healthz` of a worker: each portfolio it holds by the rules of `run` ({@link healthOf}, `periodMs` being the time
 * between rounds); ok only when all are. A worker holding none (a standby) is healthy.
 */
export async function workerHealth(
  held: ReadonlyMap<string, Pick<Held, "keeper" | "health">>,
  leases: Pick<LeaseSet, "owner" | "names">,
  periodMs: number,
): Promise<WorkerHealth> {
  const portfolios: Record<string, PortfolioHealth> = {};
  for (const [name, h] of held) portfolios[name] = await healthOf(h.keeper, h.health, periodMs);
  return {
    ok: Object.values(portfolios).every((p) => p.ok),
    owner: leases.owner,
    leases: leases.names().sort(),
    portfolios,
  };
}

/** Runs the worker until `signal` aborts (or `maxRounds`); releases its leases on the way out. */
export async function runWorker(o: WorkerOptions): Promise<void> {
  const owner = o.owner ?? workerName();
  const ttlMs = o.leaseTtlMs ?? 15_000;
  // A SQLite journal stays one process's (its file lock); on Postgres the leases share it.
  const journal = await openJournal(o.journal, { exclusive: true });
  const leases = createLeaseSet(journal.sql, { owner, ttlMs });
  const held = new Map<string, Held>();
  const forget = (lost: readonly string[]) => {
    for (const name of lost) {
      const portfolio = name.replace(/^portfolio:/, "");
      if (held.delete(portfolio))
        o.log.warn({ portfolio, owner }, "lease lost: this worker no longer sends for it");
    }
  };
  // The heartbeat runs beside the cycles: a slow cycle (waiting for a confirmation) must not let leases lapse.
  const heartbeat = setInterval(() => void leases.renew().then(forget), Math.max(100, ttlMs / 3));
  o.exposeHealth?.(() => workerHealth(held, leases, o.tickMs ?? 5_000));
  try {
    for (let round = 0; !o.signal?.aborted && (o.maxRounds === undefined || round < o.maxRounds); round++) {
      await pickUp(o, journal, leases, held);
      const outcomes: WorkerRound["outcomes"] = {};
      await Promise.all(
        [...held].map(async ([name, h]) => {
          outcomes[name] = await cycleOne(o, leases, name, h);
        }),
      );
      o.onRound?.({ held: [...held.keys()], outcomes });
      if (o.maxRounds === undefined || round + 1 < o.maxRounds) await sleep(o.tickMs ?? 5_000, o.signal);
    }
  } finally {
    clearInterval(heartbeat);
    await leases.release().catch(() => {});
    await journal.close();
  }
}

/** Takes the leases of portfolios nobody holds (up to `maxPortfolios`) and builds their keepers. */
async function pickUp(o: WorkerOptions, journal: Journal, leases: LeaseSet, held: Map<string, Held>) {
  const room = (o.maxPortfolios ?? o.portfolios.length) - held.size;
  if (room <= 0) return;
  const wanted = o.portfolios.filter((p) => !held.has(p.name));
  const taken: PortfolioEntry[] = [];
  for (const p of wanted) {
    if (taken.length >= room) break;
    if ((await leases.acquire([portfolioLease(p.name)])).length > 0) taken.push(p);
  }
  for (const p of taken) {
    const entry: Held = { keeper: undefined as unknown as Keeper, keyNames: [], health: {} };
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
    held.set(p.name, entry);
    o.log.info(
      { portfolio: p.name, owner: leases.owner },
      "portfolio taken: settling its in-flight ledger first",
    );
  }
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
    const c = await withKeys(h.keyNames, () =>
      keeperCycle(h.keeper, { now: o.now(), execute: true, signal: o.signal }),
    );
    track(h.health, h.keeper, c);
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

import {
  type AssetId,
  accountValueUsd,
  formatUsd,
  max,
  min,
  mulDiv,
  type Plan,
  type PortfolioState,
  planLegs,
  portfolioState,
} from "@ballast/core";
import { type CycleParams, type CycleResult, runCycle } from "@ballast/engine";
import type { Logger } from "pino";
import type { Config, LimitsConfig } from "./config.ts";
import type { Journal } from "./journal.ts";

/**
 * Risk controls that protect the treasury from the keeper itself: turnover caps, a circuit breaker per chain and an
 * operator's pause switch. Their state lives in the journal (`risk_events`), so `ballast pause` from another process
 * reaches a running daemon at its next cycle, and a restart keeps a tripped breaker tripped.
 */

/** Why sending is stopped on a chain: an operator's pause, or the circuit breaker. */
export type Stop = { readonly kind: "pause" | "breaker"; readonly reason: string; readonly at: number };

type EventKind = "pause" | "resume" | "trip" | "batch-ok" | "batch-failed" | "turnover" | "cost";
type EventRow = {
  id: number;
  at: number;
  chain: string | null;
  kind: EventKind;
  usd: string | null;
  detail: string;
};

/** Every chain: the scope of `ballast pause` / `resume` without `--chain`. */
export const ALL_CHAINS = "*";
const NAV_MARK = "risk.navMark";

async function record(
  journal: Journal,
  e: { at: number; chain: string | null; kind: EventKind; usd?: bigint; detail: string },
): Promise<void> {
  await journal.sql.run(
    "INSERT INTO risk_events (at, chain, kind, usd, detail, portfolio) VALUES (?, ?, ?, ?, ?, ?)",
    [e.at, e.chain, e.kind, e.usd === undefined ? null : String(e.usd), e.detail, journal.portfolio],
  );
}

const controlEvents = (journal: Journal): Promise<EventRow[]> =>
  journal.sql.all<EventRow>(
    "SELECT * FROM risk_events WHERE portfolio = ? AND kind IN ('pause','resume','trip','batch-ok','batch-failed') ORDER BY id",
    [journal.portfolio],
  );

/** Records an operator's pause of `chain` (or every chain). */
export async function pauseSending(
  journal: Journal,
  p: { at: number; chain?: string; reason: string },
): Promise<void> {
  await record(journal, { at: p.at, chain: p.chain ?? null, kind: "pause", detail: p.reason });
}

/**
 * Resumes sending on `chain` (its pause and its breaker), or everywhere without a chain. A chain-level resume
 * leaves a pause of every chain in place.
 */
export async function resumeSending(
  journal: Journal,
  p: { at: number; chain?: string; reason: string },
): Promise<void> {
  await record(journal, { at: p.at, chain: p.chain ?? null, kind: "resume", detail: p.reason });
}

/** The stop in force on each of `chains` (chains that may send are absent). */
export async function sendingStops(journal: Journal, chains: readonly string[]): Promise<Map<string, Stop>> {
  const pauses = new Map<string, Stop>();
  const trips = new Map<string, Stop>();
  for (const e of await controlEvents(journal)) {
    const scope = e.chain ?? ALL_CHAINS;
    if (e.kind === "pause") pauses.set(scope, { kind: "pause", reason: e.detail, at: e.at });
    else if (e.kind === "trip") trips.set(scope, { kind: "breaker", reason: e.detail, at: e.at });
    else if (e.kind === "resume" && scope === ALL_CHAINS) {
      pauses.clear();
      trips.clear();
    } else if (e.kind === "resume") {
      pauses.delete(scope);
      trips.delete(scope);
    }
  }
  const out = new Map<string, Stop>();
  for (const c of chains) {
    const stop = trips.get(c) ?? pauses.get(c) ?? pauses.get(ALL_CHAINS);
    if (stop) out.set(c, stop);
  }
  return out;
}

/** Failed or refused batches on `chain` since its last confirmed batch or resume. */
export async function consecutiveFailures(journal: Journal, chain: string): Promise<number> {
  let n = 0;
  for (const e of await controlEvents(journal)) {
    const mine = e.chain === chain || e.chain === null;
    if (!mine) continue;
    if (e.kind === "batch-failed") n++;
    else if (e.kind === "batch-ok" || e.kind === "resume") n = 0;
  }
  return n;
}

const sumUsd = async (journal: Journal, kind: EventKind, since: number): Promise<bigint> =>
  (
    await journal.sql.all<{ usd: string }>(
      "SELECT usd FROM risk_events WHERE portfolio = ? AND kind = ? AND at > ?",
      [journal.portfolio, kind, since],
    )
  ).reduce((a, r) => a + BigInt(r.usd), 0n);

/** Turnover sent over the rolling 24 hours before `now`, all chains (USD wad). */
export const dailyTurnoverUsd = (journal: Journal, now: number): Promise<bigint> =>
  sumUsd(journal, "turnover", now - 86_400);

/** Realised cost over the loss window before `now` (USD wad). */
export const realisedCostUsd = (journal: Journal, limits: LimitsConfig, now: number): Promise<bigint> =>
  sumUsd(journal, "cost", now - limits.lossWindow);

/**
 * Records one chain's batch outcome; trips the breaker there when it makes `maxConsecutiveFailures` in a row.
 * Returns the trip's reason, if it tripped.
 */
export async function recordBatch(
  journal: Journal,
  limits: LimitsConfig,
  o: { at: number; chain: string; ok: boolean; detail: string },
): Promise<string | undefined> {
  await record(journal, {
    at: o.at,
    chain: o.chain,
    kind: o.ok ? "batch-ok" : "batch-failed",
    detail: o.detail,
  });
  if (o.ok) return undefined;
  const n = await consecutiveFailures(journal, o.chain);
  if (n < limits.maxConsecutiveFailures) return undefined;
  const reason = `${n} consecutive failed or refused batches (last: ${o.detail})`;
  if ((await sendingStops(journal, [o.chain])).get(o.chain)?.kind !== "breaker")
    await record(journal, { at: o.at, chain: o.chain, kind: "trip", detail: reason });
  return reason;
}

/**
 * Records a sent plan's turnover (for the daily cap) and marks the account's value and prices to measure its realised
 * cost next cycle.
 */
export async function recordSent(
  journal: Journal,
  p: { at: number; plan: Plan; state: PortfolioState; chains: string[] },
): Promise<void> {
  await record(journal, {
    at: p.at,
    chain: null,
    kind: "turnover",
    usd: p.plan.turnoverUsd,
    detail: p.plan.id,
  });
  await journal.put(
    NAV_MARK,
    JSON.stringify({
      at: p.at,
      valueUsd: String(accountValueUsd(p.state)),
      prices: [...p.state.prices].map(([a, v]) => [a, String(v)]),
      chains: p.chains,
    }),
  );
}

/**
 * Realised cost of the last sent plan: the account's value before it minus its value now ({@link accountValueUsd}:
 * NAV and the holdings outside the sleeves), both at the prices of before (so market moves do not count). Recorded
 * once; when the window's total exceeds `maxLossUsd` the chains that sent are tripped.
 */
export async function measureCost(
  journal: Journal,
  limits: LimitsConfig,
  state: PortfolioState,
  now: number,
): Promise<void> {
  const text = await journal.get(NAV_MARK);
  if (!text) return;
  await journal.put(NAV_MARK, "");
  const mark = JSON.parse(text) as {
    at: number;
    valueUsd?: string;
    prices: [AssetId, string][];
    chains: string[];
  };
  // (A mark of an older version held NAV alone: not comparable, so not measured.)
  if (mark.valueUsd === undefined || now - mark.at > limits.lossWindow) return;
  let after: bigint;
  try {
    const prices = new Map(mark.prices.map(([a, v]) => [a, BigInt(v)]));
    after = accountValueUsd(portfolioState(state.snapshot, state.policy, { prices }));
  } catch {
    return; // an asset without a price then: not measurable
  }
  const cost = BigInt(mark.valueUsd) - after;
  await record(journal, { at: now, chain: null, kind: "cost", usd: cost, detail: mark.chains.join(",") });
  const total = await realisedCostUsd(journal, limits, now);
  if (total <= limits.maxLossUsd) return;
  for (const chain of mark.chains)
    await record(journal, {
      at: now,
      chain,
      kind: "trip",
      detail: `realised cost ${formatUsd(total)} over the last ${limits.lossWindow}s exceeds maxLossUsd ${formatUsd(limits.maxLossUsd)}`,
    });
}

/**
 * On restart: a breaker whose condition no longer holds under the current config (fewer consecutive failures than
 * `maxConsecutiveFailures`, realised cost back under `maxLossUsd`) is cleared, and says so in the journal.
 */
export async function reviewBreakers(
  journal: Journal,
  limits: LimitsConfig,
  chains: readonly string[],
  now: number,
): Promise<string[]> {
  const cleared: string[] = [];
  const lossOk = (await realisedCostUsd(journal, limits, now)) <= limits.maxLossUsd;
  for (const [chain, stop] of await sendingStops(journal, chains)) {
    if (stop.kind !== "breaker") continue;
    if ((await consecutiveFailures(journal, chain)) >= limits.maxConsecutiveFailures || !lossOk) continue;
    await resumeSending(journal, { at: now, chain, reason: "breaker condition cleared at restart" });
    cleared.push(chain);
  }
  return cleared;
}

/** {@link reviewBreakers} when a keeper starts (`run`, or a worker taking a portfolio); each cleared chain is logged. */
export async function reviewBreakersAtStart(
  k: { readonly journal: Journal; readonly config: Config; readonly log: Logger },
  now: number,
): Promise<void> {
  const chains = Object.keys(k.config.chains);
  for (const chain of await reviewBreakers(k.journal, k.config.policy.limits, chains, now))
    k.log.warn({ chain }, "circuit breaker cleared at restart: its condition no longer holds");
}

/** Where a plan stands against the turnover caps. */
export type LimitVerdict =
  | { readonly kind: "within" }
  | { readonly kind: "scale"; readonly maxTurnoverUsd: bigint; readonly why: string }
  | { readonly kind: "hold"; readonly why: string };

const largestLeg = (plan: Plan): bigint => planLegs(plan).reduce((m, l) => max(m, l.usd), 0n);

/** Checks a plan against `maxTradeUsd`, `maxCycleUsd` and what is left of `maxDailyUsd`; pure. */
export function checkLimits(plan: Plan, limits: LimitsConfig, dailyLeftUsd: bigint): LimitVerdict {
  const leg = largestLeg(plan);
  const cycleCap = min(limits.maxCycleUsd, dailyLeftUsd);
  const over: string[] = [];
  let cap = plan.turnoverUsd;
  if (plan.turnoverUsd > cycleCap) {
    over.push(
      `turnover ${formatUsd(plan.turnoverUsd)} > ${cycleCap === limits.maxCycleUsd ? `maxCycleUsd ${formatUsd(cycleCap)}` : `${formatUsd(cycleCap)} left of maxDailyUsd`}`,
    );
    cap = cycleCap;
  }
  if (leg > limits.maxTradeUsd) {
    over.push(`a leg of ${formatUsd(leg)} > maxTradeUsd ${formatUsd(limits.maxTradeUsd)}`);
    cap = min(cap, mulDiv(plan.turnoverUsd, limits.maxTradeUsd, leg));
  }
  if (over.length === 0) return { kind: "within" };
  const why = over.join("; ");
  if (limits.onExceed === "hold" || cap <= 0n) return { kind: "hold", why };
  return { kind: "scale", maxTurnoverUsd: cap, why };
}

/** The outcome of a cycle run under the turnover caps: the result to act on, and why it must not be sent (if so). */
export type LimitedCycle = { readonly result: CycleResult; readonly hold: string | undefined };

/**
 * Runs the engine's cycle under the turnover caps. A plan over a cap is planned again with the core planner's
 * `maxTurnoverUsd` scaling (every move shrunk by the same factor, so what is sent stays coherent), or held, as
 * `onExceed` says. A plan still over a cap after scaling is held.
 */
export async function runLimitedCycle(
  journal: Journal,
  limits: LimitsConfig,
  params: CycleParams,
): Promise<LimitedCycle> {
  const left = limits.maxDailyUsd - (await dailyTurnoverUsd(journal, params.now));
  const first = await runCycle(params);
  if (first.stage !== "simulated") return { result: first, hold: undefined };
  const verdict = checkLimits(first.plan, limits, left);
  if (verdict.kind === "within") return { result: first, hold: undefined };
  if (verdict.kind === "hold") return noted(first, `turnover cap: held, not sent — ${verdict.why}`, true);
  const second = await runCycle({
    ...params,
    rules: { ...params.rules, maxTurnoverUsd: verdict.maxTurnoverUsd },
  });
  const again = second.plan ? checkLimits(second.plan, { ...limits, onExceed: "hold" }, left) : undefined;
  return again?.kind === "hold"
    ? noted(second, `turnover cap: still over a cap after scaling, held — ${again.why}`, true)
    : noted(second, `turnover cap: scaled to fit — ${verdict.why}`, false);
}

/** The cycle with `note` in its plan's warnings (the artefact people review: `plan`, the journal). */
function noted(r: CycleResult, note: string, hold: boolean): LimitedCycle {
  const warnings = [...r.warnings, note];
  const result: CycleResult =
    r.stage === "gated" || r.stage === "planned" || r.stage === "simulated"
      ? { ...r, plan: { ...r.plan, warnings: [...r.plan.warnings, note] }, warnings }
      : { ...r, warnings };
  return { result, hold: hold ? note : undefined };
}

/** A short text for an error or stop. */
export const stopText = (s: Stop): string =>
  `${s.kind === "pause" ? "paused" : "circuit breaker tripped"} since ${new Date(s.at * 1000).toISOString()}: ${s.reason}`;

/** Per chain: whether it may send, and the risk totals against their limits. */
export type RiskSummary = {
  chains: Record<
    string,
    { sending: "on" | "paused" | "breaker"; reason: string | null; consecutiveFailures: number }
  >;
  turnover24hUsd: bigint;
  maxDailyUsd: bigint;
  realisedCostUsd: bigint;
  maxLossUsd: bigint;
};

/** Per chain: whether it may send, and the risk totals against their limits (for `status` and `--json`). */
export async function riskSummary(
  k: { readonly journal: Journal; readonly config: Config },
  now: number,
): Promise<RiskSummary> {
  const limits = k.config.policy.limits;
  const keys = Object.keys(k.config.chains);
  const stops = await sendingStops(k.journal, keys);
  const chains: RiskSummary["chains"] = {};
  for (const key of keys) {
    const stop = stops.get(key);
    chains[key] = {
      sending: stop ? (stop.kind === "pause" ? "paused" : "breaker") : "on",
      reason: stop ? stopText(stop) : null,
      consecutiveFailures: await consecutiveFailures(k.journal, key),
    };
  }
  return {
    chains,
    turnover24hUsd: await dailyTurnoverUsd(k.journal, now),
    maxDailyUsd: limits.maxDailyUsd,
    realisedCostUsd: await realisedCostUsd(k.journal, limits, now),
    maxLossUsd: limits.maxLossUsd,
  };
}

/** The risk lines under the status table. */
export function renderRisk(r: RiskSummary): string {
  const lines = Object.entries(r.chains).map(([key, c]) =>
    c.reason ? `sending on ${key}: STOPPED — ${c.reason}` : `sending on ${key}: on`,
  );
  lines.push(
    `turnover, last 24 h: ${formatUsd(r.turnover24hUsd)} of ${formatUsd(r.maxDailyUsd)}; realised cost in the loss window: ${formatUsd(r.realisedCostUsd)} of ${formatUsd(r.maxLossUsd)}`,
  );
  return lines.join("\n");
}

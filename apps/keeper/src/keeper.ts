import {
  FirewallError,
  ForeignTransactionError,
  findChainMismatchError,
  findRpcRequestError,
  type InFlightItem,
  isFinal,
  type Settlement,
  sleep,
  type TxRecord,
  txInFlight,
} from "@ballast/chain";
import {
  type Address,
  assetId,
  BallastError,
  formatAmount,
  formatHealthFactor,
  formatPlanTable,
  formatStatusTable,
  formatTable,
  formatUsd,
  healthFactors,
  type Plan,
  planToJSON,
  wadToBpsNumber,
} from "@ballast/core";
import {
  type ChainFetch,
  type CycleParams,
  type CycleResult,
  type ProtocolHints,
  runCycle,
  type SymbolPriceMoves,
} from "@ballast/engine";
import type { Logger } from "pino";
import {
  journalTransfers,
  movedTransfer,
  settleTransfers,
  type TransferRecord,
  type TransferSettlement,
} from "./bridges.ts";
import type { Config } from "./config.ts";
import { recordCycle } from "./dashboard/store.ts";
import { cycleView } from "./dashboard/view.ts";
import type { Journal } from "./journal.ts";
import { LeaseLostError } from "./leases.ts";
import type { Metrics } from "./metrics.ts";
import { atomicRetryChains, journalOrders, type OrderRecord, settleOrders } from "./orders.ts";
import {
  dailyTurnoverUsd,
  measureCost,
  realisedCostUsd,
  recordBatch,
  recordSent,
  runLimitedCycle,
  type Stop,
  sendingStops,
  stopText,
} from "./risk.ts";
import { type ChainRuntime, policyOf } from "./setup.ts";

/** What the keeper holds between cycles. */

/** A cycle that could not read every chain, or whose batches did not all land: exit code 3 (partial). */
export class IncompleteCycleError extends BallastError {
  override name = "IncompleteCycleError";
}

export type Keeper = {
  readonly config: Config;
  readonly chains: readonly ChainRuntime[];
  readonly journal: Journal;
  readonly metrics: Metrics;
  readonly log: Logger;
  /**
   * The last good read of each chain, kept in memory by a long-running keeper: a chain whose RPC fails is valued from
   * it (for at most {@link STALE_READ_MAX_SECONDS}) so the other chains still rebalance; it gets no batch itself.
   */
  readonly lastReads?: Map<number, { fetch: ChainFetch; at: number }>;
};

/** How old a chain's last good read may be to stand in for a failed one. */
export const STALE_READ_MAX_SECONDS = 900;

/**
 * The outcome of one chain's batch in a cycle. `in-flight`: sent, not final within `keeper.confirmTimeout` (or the
 * RPC failed after the broadcast): it stays in the in-flight ledger and later cycles settle it; never "failed".
 */
export type ChainOutcome = {
  chainId: number;
  key: string;
  /**
   * `held`: not sent on purpose (a pause, the circuit breaker, a turnover cap), or because this keeper's lease of the
   * portfolio or key passed to another keeper (a handover: the new owner sends it; never a failed batch).
   */
  status: "confirmed" | "in-flight" | "refused" | "failed" | "held";
  /**
   * The batch could not be simulated or sent because an RPC failed (no answer, an HTTP error, a timeout): that says
   * nothing about the batch, so the circuit breaker does not count it (the chain's stale alert covers the RPC).
   */
  rpcFailure?: true;
  hash?: string;
  gasUsed?: bigint;
  error?: string;
};

/**
 * One keeper cycle: the engine's result, what was in flight before it planned (transactions and bridge transfers),
 * what became final while it settled (transactions earlier cycles or runs left in flight), what was sent, and the
 * bridge transfers not final before it (or final in its settle pass).
 */
export type KeeperCycle = {
  result: CycleResult;
  inFlight: InFlightItem[];
  settled: TxRecord[];
  sent: ChainOutcome[];
  transfers: TransferRecord[];
  /** Swap orders not final before it (or final in its settle pass). */
  orders: OrderRecord[];
};

/** What a settle pass left in flight (those chains hold) and what became final during it. */
export type Settled = { inFlight: InFlightItem[]; settled: TxRecord[] };

const PROTOCOL_HINTS = "protocolHints";
const LAST_REBALANCE = "lastRebalanceAt";

/** An error for a log line: the failed RPC call and its URL when an RPC is the cause, else the short message. */
export const errText = (e: unknown): string =>
  findChainMismatchError(e)?.shortMessage ??
  findRpcRequestError(e)?.shortMessage ??
  (e as BallastError)?.shortMessage ??
  (e instanceof Error ? e.message : String(e));

/**
 * Settles every chain's in-flight ledger (one look at each journaled transaction that is not final: receipt → final,
 * lost by the node → the same bytes again, reorged out or never seen by the chain → dropped) and repeats until
 * nothing is in flight, `waitMs` has passed or `signal` aborts. Returns what is still in flight (those chains hold)
 * and every transaction that became final meanwhile. A confirmation journals `now` (the cycle's clock, unix seconds;
 * default the wall clock) as the last rebalance.
 */
export async function settleInFlight(
  k: Keeper,
  opts: { waitMs?: number; signal?: AbortSignal | undefined; now?: number } = {},
): Promise<Settled> {
  const deadline = Date.now() + (opts.waitMs ?? 0);
  const pollMs = Math.min(...k.chains.map((c) => c.clients.pollingIntervalMs), 1_000);
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const settled: TxRecord[] = [];
  for (;;) {
    const settlements = await Promise.all(
      k.chains.map(async (c) =>
        c.manager ? reportSettlement(k, c.key, await c.manager.settle(), now) : null,
      ),
    );
    for (const s of settlements) settled.push(...(s?.settled ?? []));
    const inFlight = settlements.flatMap((s) => s?.inFlight ?? []);
    if (inFlight.length === 0 || Date.now() >= deadline || opts.signal?.aborted) return { inFlight, settled };
    await sleep(pollMs, opts.signal);
  }
}

async function reportSettlement(k: Keeper, chain: string, s: Settlement, now: number): Promise<Settlement> {
  for (const r of s.settled) {
    const outcome = r.status === "confirmed" ? "confirmed" : r.status === "reverted" ? "reverted" : "dropped";
    k.metrics.inc("ballast_tx_total", { chain, outcome });
    // A batch that went in flight counts for the circuit breaker when its outcome is known.
    await recordOutcome(k, { chain, ok: outcome === "confirmed", detail: `in-flight batch ${outcome}` });
    if (r.inclusion && r.status === "confirmed") {
      k.metrics.inc("ballast_gas_used_total", { chain }, Number(r.inclusion.gasUsed));
      await k.journal.put(LAST_REBALANCE, String(now));
      k.log.info(
        { chain, planId: r.planId, hash: r.inclusion.hash, block: String(r.inclusion.blockNumber) },
        "in-flight transaction confirmed",
      );
    } else
      k.log.error(
        { chain, planId: r.planId, status: r.status, reason: r.droppedReason, hash: r.inclusion?.hash },
        `in-flight transaction ${r.status}`,
      );
  }
  for (const e of s.errors)
    k.log.warn(
      { chain, err: errText(e) },
      "could not settle the in-flight ledger: outcome unknown, watching",
    );
  return s;
}

/** What the journal holds in flight, without asking any chain (read-only commands). */
async function journaledInFlight(k: Keeper): Promise<InFlightItem[]> {
  const lists = await Promise.all(
    k.chains.map(async (c) =>
      (await k.journal.txStore.pending(c.setup.chainId, c.setup.executor.sender)).map(txInFlight),
    ),
  );
  return lists.flat();
}

/** The engine's inputs for a cycle now: the config's chains with the journaled hints, the policy, the clock. */
async function cycleParams(
  k: Keeper,
  opts: { now: number; force?: boolean },
  inFlight: readonly InFlightItem[],
  bridges?: Pick<TransferSettlement, "inTransit" | "arrivedAt">,
): Promise<CycleParams> {
  const { sleeves, rules, priceGuard } = policyOf(k.config);
  // What each protocol's read leaves for the next (LP keys: pool, ticks), journaled so a steady-state fetch is ONE
  // eth_call per chain.
  const known = JSON.parse((await k.journal.get(PROTOCOL_HINTS)) ?? "{}") as Record<string, ProtocolHints>;
  // Two-cycle settlement: what arrived (filled, or refunded) since the last rebalance is placed now, not after the
  // cooldown.
  const sent = await k.journal.get(LAST_REBALANCE);
  const arrived = bridges?.arrivedAt;
  const last = arrived !== undefined && sent && arrived >= Number(sent) ? undefined : sent;
  // An order that ended unfilled since the last rebalance: its swap is re-planned atomically (`policy.fusion.retry`).
  const atomic = await atomicRetryChains(k, Number(sent ?? 0));
  return {
    chains: k.chains.map(({ setup: { orders, ...setup } }) => ({
      ...setup,
      ...(orders && !atomic.has(setup.chainId) ? { orders } : {}),
      hints: known[setup.chainId] ?? {},
    })),
    sleeves,
    rules,
    priceGuard,
    now: opts.now,
    // Never after this cycle's clock: a landing journaled in a later second (settled during this cycle), or by another
    // keeper whose clock runs ahead, happened "now" (the engine refuses a last rebalance in the future).
    ...(last ? { lastRebalanceAt: Math.min(Number(last), opts.now) } : {}),
    ...(opts.force ? { force: true } : {}),
    inFlight,
    ...(bridges ? { inTransit: bridges.inTransit } : {}),
  };
}

/**
 * `plan --what-if`: the decision and plan as if USD prices had moved by `priceMoves` since the latest block (see the
 * engine's `whatIf`). Read-only: nothing is simulated, sent or journaled (the journal is only read: hints, in flight,
 * last rebalance).
 */
export async function whatIfCycle(
  k: Keeper,
  opts: { now: number; force?: boolean; priceMoves: SymbolPriceMoves },
): Promise<CycleResult> {
  const params = await cycleParams(k, opts, await journaledInFlight(k));
  return runCycle({ ...params, whatIf: { priceMoves: opts.priceMoves } });
}

/** Runs one cycle; with `execute`, sends each chain's simulated batch through its transaction manager. */
export async function keeperCycle(
  k: Keeper,
  opts: { now: number; execute: boolean; force?: boolean; signal?: AbortSignal | undefined },
): Promise<KeeperCycle> {
  // Before planning: settle what can be settled; a chain with anything still in flight gets no new batch.
  const { inFlight: txs, settled } = opts.execute
    ? await settleInFlight(k, { signal: opts.signal, now: opts.now })
    : { inFlight: await journaledInFlight(k), settled: [] };
  // Bridge transfers after the transactions: a confirmed origin batch gives its deposit; a fill or refund ends one.
  const bridges = await settleTransfers(k, opts.now);
  // Swap orders after the transactions too: a confirmed batch lets its order be signed and placed.
  const orders = await settleOrders(k, opts.now, { execute: opts.execute });
  const inFlight = [...txs, ...bridges.inFlight, ...orders.inFlight];
  for (const c of k.chains)
    k.metrics.set(
      "ballast_in_flight",
      { chain: c.key },
      inFlight.filter((i) => i.chainId === c.setup.chainId).length,
    );
  // What each protocol's read leaves for the next (LP keys: pool, ticks), journaled so a steady-state fetch is ONE
  // eth_call per chain.
  const limits = k.config.policy.limits;
  const { result, hold } = await runLimitedCycle(k.journal, limits, {
    ...(await cycleParams(k, opts, inFlight, bridges)),
    previousFetches: Object.fromEntries(
      [...(k.lastReads ?? [])]
        .filter(([, r]) => opts.now - r.at <= STALE_READ_MAX_SECONDS)
        .map(([chainId, r]) => [chainId, r.fetch]),
    ),
  });
  await k.journal.put(PROTOCOL_HINTS, JSON.stringify(result.hints));
  for (const [chainId, fetch] of Object.entries(result.fetches))
    k.lastReads?.set(Number(chainId), { fetch, at: opts.now });
  observe(k, result);
  // Realised cost of the last sent plan, measured on fresh reads of every chain, once nothing is in flight.
  if (opts.execute && result.state && result.staleChains.length === 0 && inFlight.length === 0)
    await measureCost(k.journal, limits, result.state, opts.now);
  const stops = await sendingStops(
    k.journal,
    k.chains.map((c) => c.key),
  );
  await observeRisk(k, stops, opts.now);

  const fired = await journalCycle(k, result, { ...opts, inFlight });
  const transfers = bridges.transfers;
  if (!opts.execute || !fired || result.stage !== "simulated")
    return { result, inFlight, settled, sent: [], transfers, orders: orders.orders };

  const plan = result.plan;
  // A free chain sends while transfers are open elsewhere: only if none moved since they were settled.
  const stale = hold ?? (await movedTransfer(k, transfers, opts.now));
  if (stale) k.log.warn({ plan: plan.id.slice(0, 12), reason: stale }, "plan held: nothing sent");
  const sent = await Promise.all(
    result.batches.map((b) => {
      const stop = stops.get(b.key);
      if (stale || stop) return held(k, b, stale ?? stopText(stop as Stop));
      return sendBatch(k, plan, b, { now: opts.now, prices: result.state.prices }, opts.signal);
    }),
  );
  // A batch in flight is sent too: it counts toward the daily turnover now, not when (or whether) it lands.
  const landing = sent.filter((s) => s.status === "confirmed" || s.status === "in-flight");
  if (landing.length > 0)
    await recordSent(k.journal, {
      at: opts.now,
      plan,
      state: result.state,
      chains: landing.map((s) => s.key),
    });
  if (sent.length > 0 && sent.every((s) => s.status === "confirmed"))
    await k.journal.put(LAST_REBALANCE, String(opts.now));
  return { result, inFlight, settled, sent, transfers, orders: orders.orders };
}

/** Logs a cycle's errors, journals its plan, decision and dashboard view, counts its decision; true when it fired. */
async function journalCycle(
  k: Keeper,
  result: CycleResult,
  opts: { now: number; execute: boolean; inFlight: readonly InFlightItem[] },
): Promise<boolean> {
  for (const e of result.chainErrors)
    k.log.error(
      {
        chain: e.key,
        err: e.error.shortMessage,
        details: e.error.details,
        rpc: findRpcRequestError(e.error)?.shortMessage,
      },
      "chain failed this cycle",
    );
  if (result.stage === "failed")
    k.log.error({ err: result.error.shortMessage, details: result.error.details }, "cycle failed");
  const fired = result.plan !== null && result.decision.fire;
  const summary = (result.decision?.reasons ?? [])
    .filter((r) => r.fired || r.rule === "in-flight")
    .map((r) => `${r.rule}: ${r.detail}`)
    .join("; ");
  if (result.plan)
    await k.journal.recordPlan({
      id: result.plan.id,
      at: opts.now,
      summary: planSummary(result.plan),
      json: planToJSON(result.plan, 0),
    });
  await k.journal.recordDecision({
    at: opts.now,
    fire: fired,
    planId: result.plan?.id ?? null,
    summary: `${fired ? "fire" : "hold"}${summary ? ` — ${summary}` : ""}`,
    json: JSON.stringify(result.decision?.reasons ?? []),
    dryRun: !opts.execute,
  });
  await recordCycle(
    k.journal,
    cycleView(result, opts.now, opts.inFlight),
    k.config.keeper.dashboard.sampleEvery,
  );
  k.metrics.inc("ballast_decisions_total", { outcome: fired ? "fire" : "hold" });
  for (const f of result.decision?.reasons.find((r) => r.rule === "price-sanity")?.faults ?? [])
    k.metrics.inc("ballast_price_holds_total", {
      chain: k.chains.find((c) => c.setup.chainId === f.chainId)?.key ?? f.chainId,
      asset: f.asset,
      kind: f.kind,
    });
  return fired;
}

function held(k: Keeper, b: CycleResult["batches"][number], reason: string): ChainOutcome {
  k.metrics.inc("ballast_tx_total", { chain: b.key, outcome: "held" });
  k.log.warn({ chain: b.key, reason }, "batch held: not sent");
  return { chainId: b.chainId, key: b.key, status: "held", error: reason };
}

async function sendBatch(
  k: Keeper,
  plan: Plan,
  b: CycleResult["batches"][number],
  at: { now: number; prices: ReadonlyMap<string, bigint> },
  signal: AbortSignal | undefined,
): Promise<ChainOutcome> {
  const outcome = await trySend(k, plan, b, at, signal);
  // In flight: its outcome is recorded when a later cycle settles it. An RPC failure is not the batch's.
  if (
    !outcome.rpcFailure &&
    (outcome.status === "confirmed" || outcome.status === "refused" || outcome.status === "failed")
  )
    await recordOutcome(k, {
      at: at.now,
      chain: b.key,
      ok: outcome.status === "confirmed",
      detail: outcome.error ?? outcome.status,
    });
  return outcome;
}

/** Records a batch's outcome for the circuit breaker, and says so when it trips. */
async function recordOutcome(
  k: Keeper,
  o: { at?: number; chain: string; ok: boolean; detail: string },
): Promise<void> {
  const at = o.at ?? Math.floor(Date.now() / 1000);
  const tripped = await recordBatch(k.journal, k.config.policy.limits, { ...o, at });
  if (tripped)
    k.log.error({ chain: o.chain, alert: "circuit-breaker", reason: tripped }, "circuit breaker tripped");
}

async function trySend(
  k: Keeper,
  plan: Plan,
  b: CycleResult["batches"][number],
  at: { now: number; prices: ReadonlyMap<string, bigint> },
  signal: AbortSignal | undefined,
): Promise<ChainOutcome> {
  const chain = k.chains.find((c) => c.setup.chainId === b.chainId);
  const base = { chainId: b.chainId, key: b.key };
  if (!chain?.manager) return { ...base, status: "refused", error: "no key to send with" };
  if (b.error instanceof FirewallError) alertFirewall(k, b.key, b.error);
  if (!b.ok && findRpcRequestError(b.error)) {
    const error = errText(b.error);
    k.metrics.inc("ballast_tx_total", { chain: b.key, outcome: "failed" });
    k.log.error({ chain: b.key, err: error }, "could not simulate the batch (an RPC failed): not sent");
    return { ...base, status: "failed", error, rpcFailure: true };
  }
  if (!b.ok) {
    const error = b.error?.shortMessage ?? "simulation failed";
    k.metrics.inc("ballast_tx_total", { chain: b.key, outcome: "refused" });
    k.log.error({ chain: b.key, err: error, details: b.error?.details }, "simulation failed: batch not sent");
    return { ...base, status: "refused", error };
  }
  try {
    // Its deposits are journaled before the batch exists anywhere else: a crash after this finds them (unsent, or
    // deposited once the batch is seen on the chain), so nothing is bridged twice.
    if (b.bridges.length > 0)
      await journalTransfers(k, { planId: plan.id, batch: b, at: at.now, prices: at.prices });
    // Its swap orders too: placed once the batch (their approval) landed, by a later settle pass.
    if (b.orders.length > 0) await journalOrders(k, { planId: plan.id, batch: b, at: at.now });
    k.log.info({ chain: b.key, calls: b.calls.length }, "sending the batch: waiting for its confirmation");
    for (const w of b.warnings) k.log.warn({ chain: b.key }, w);
    const res = await chain.setup.executor.execute(b.calls, {
      planId: plan.id,
      guards: b.guards,
      timeoutMs: k.config.keeper.confirmTimeout * 1000,
      signal,
    });
    const inc = res.record.inclusion;
    k.metrics.inc("ballast_tx_total", { chain: b.key, outcome: "confirmed" });
    k.metrics.inc("ballast_gas_used_total", { chain: b.key }, Number(inc.gasUsed));
    k.log.info(
      { chain: b.key, hash: inc.hash, gasUsed: String(inc.gasUsed), block: String(inc.blockNumber) },
      "batch confirmed",
    );
    return { ...base, status: "confirmed", hash: inc.hash, gasUsed: inc.gasUsed };
  } catch (e) {
    const record = await chain.manager.get(plan.id);
    if (record && !isFinal(record.status)) {
      // Sent, outcome not known yet: in flight, never "failed" (that would invite a second send).
      k.metrics.inc("ballast_tx_total", { chain: b.key, outcome: "in-flight" });
      k.log.warn(
        { chain: b.key, planId: plan.id, nonce: record.nonce, err: errText(e) },
        "batch in flight: not final yet, later cycles settle it and the chain holds meanwhile",
      );
      return { ...base, status: "in-flight", error: errText(e) };
    }
    if (
      e instanceof LeaseLostError ||
      (e instanceof BallastError && e.walk((x) => x instanceof LeaseLostError))
    ) {
      k.metrics.inc("ballast_tx_total", { chain: b.key, outcome: "lease-lost" });
      k.log.warn(
        { chain: b.key, err: errText(e) },
        "lease lost before sending: nothing journaled or sent; the keeper holding the portfolio now takes it over",
      );
      return { ...base, status: "held", error: errText(e) };
    }
    if (e instanceof ForeignTransactionError) {
      k.metrics.inc("ballast_tx_total", { chain: b.key, outcome: "refused" });
      k.log.fatal(
        { chain: b.key, alert: "foreign-transaction", err: e.shortMessage },
        "ALERT: another process signs with this key: nothing is sent on this chain while its transaction is pending",
      );
      return { ...base, status: "refused", error: e.shortMessage };
    }
    if (e instanceof FirewallError) alertFirewall(k, b.key, e);
    k.metrics.inc("ballast_tx_total", { chain: b.key, outcome: "failed" });
    k.log.error({ chain: b.key, err: errText(e) }, "batch failed");
    return {
      ...base,
      status: "failed",
      error: errText(e),
      ...(findRpcRequestError(e) ? { rpcFailure: true } : {}),
    };
  }
}

/** The alert-worthy line of a batch the firewall refused. */
function alertFirewall(k: Keeper, chain: string, e: FirewallError): void {
  k.metrics.inc("ballast_firewall_refusals_total", { chain, rule: e.rule });
  k.log.fatal(
    { chain, alert: "firewall", rule: e.rule, index: e.index, target: e.target, err: e.shortMessage },
    "FIREWALL refused a batch: nothing signed",
  );
}

/** Risk gauges: sending stopped per chain (and why), the 24 h turnover and the realised cost in the loss window. */
async function observeRisk(k: Keeper, stops: ReadonlyMap<string, Stop>, now: number): Promise<void> {
  for (const c of k.chains) {
    const stop = stops.get(c.key);
    for (const reason of ["pause", "breaker"] as const)
      k.metrics.set("ballast_sending_stopped", { chain: c.key, reason }, stop?.kind === reason ? 1 : 0);
  }
  const usd = (x: bigint) => Number(x / 10n ** 16n) / 100;
  k.metrics.set("ballast_turnover_24h_usd", {}, usd(await dailyTurnoverUsd(k.journal, now)));
  k.metrics.set(
    "ballast_realised_cost_usd",
    {},
    usd(await realisedCostUsd(k.journal, k.config.policy.limits, now)),
  );
}

function observe(k: Keeper, r: CycleResult): void {
  if (r.state) k.metrics.set("ballast_nav_usd", {}, Number(r.state.navUsd / 10n ** 16n) / 100);
  for (const s of r.state?.sleeves ?? [])
    k.metrics.set("ballast_sleeve_drift_bps", { sleeve: s.sleeve.id }, wadToBpsNumber(s.driftWad));
  for (const c of k.chains) {
    const failed = r.chainErrors.some((e) => e.chainId === c.setup.chainId);
    k.metrics.inc("ballast_cycles_total", { chain: c.key, outcome: failed ? "error" : "ok" });
  }
}

/** One line per plan for the journal. */
export function planSummary(plan: Plan): string {
  const legs = plan.chains.reduce((n, c) => n + c.legs.length, 0);
  return `${legs} legs on ${plan.chains.length} chain(s), estimated cost ${formatUsd(plan.estimatedCost.totalUsd)}`;
}

/** Why a cycle has no valuation, for people: each failed chain and the portfolio-level error. */
export function renderProblems(r: CycleResult): string {
  const root = (e: BallastError) => {
    const deepest = e.walk();
    const line = deepest instanceof Error ? deepest.message.split("\n")[0] : undefined;
    return line && line !== e.shortMessage && !e.details?.includes(line) ? `\n  cause: ${line}` : "";
  };
  return [
    ...r.chainErrors.map(
      (e) =>
        `chain ${e.key}: ${e.error.shortMessage}${e.error.details ? `\n  ${e.error.details}` : ""}${root(e.error)}`,
    ),
    ...(r.error ? [`${r.error.shortMessage}${r.error.details ? `\n  ${r.error.details}` : ""}`] : []),
    ...r.warnings.map((w) => `warning: ${w}`),
  ].join("\n");
}

/** The status table with health factors, for `ballast status` and the demo. */
export function renderStatus(r: CycleResult): string {
  if (!r.state) return `No status: ${renderProblems(r)}`;
  const hf = healthFactors(r.state)
    .map((h) => `health factor (chain ${h.chainId}, ${h.protocol}): ${formatHealthFactor(h.healthFactorWad)}`)
    .join("\n");
  // A rebalance the prices stopped is said here too, not only in `plan`.
  const held = r.decision?.reasons.find((x) => x.rule === "price-sanity" && x.fired);
  return `${formatStatusTable(r.state)}${hf ? `\n${hf}` : ""}${held ? `\n${held.detail}` : ""}`;
}

/** The plan table, for `ballast plan` and the demo. */
export function renderPlan(r: CycleResult): string {
  if (!r.plan) return "No plan.";
  const sims = r.batches.flatMap((b) => [
    b.ok
      ? `simulation ${b.key} (chain ${b.chainId}): ok — ${b.calls.length} calls in one transaction, gas ${b.simulation?.gasUsed.toLocaleString("en-US")}`
      : `simulation ${b.key} (chain ${b.chainId}): FAILED — ${b.error?.shortMessage ?? "unknown"}; this batch will not be sent`,
    // What realizing the legs changed (a leg skipped, a swap surplus left idle).
    ...b.warnings.map((w) => `  ${b.key}: ${w}`),
  ]);
  // A chain whose batch could not be built (no venue could swap, a pre-check refused a leg) is shown as failed.
  const failed = r.chainErrors.map(
    (e) =>
      `chain ${e.key}: FAILED — ${e.error.shortMessage}${e.error.details ? ` (${e.error.details})` : ""}; no batch for this chain`,
  );
  const assets = r.snapshot.assets;
  const transfers = r.transfers.map((t) => {
    const sender = r.batches.find((b) => b.chainId === t.fromChainId);
    const quote = sender?.bridges.find((q) => q.toChainId === t.toChainId);
    const how = quote
      ? `deposit at the end of chain ${t.fromChainId}'s batch, ${formatAmount(quote.amountOut, t.assetTo, assets)} expected (fee ${formatAmount(quote.feeIn, t.assetFrom, assets)})`
      : "no deposit this cycle";
    return `cross-chain transfer: ${formatAmount(t.amount, t.assetFrom, assets)} from chain ${t.fromChainId} to ${t.toChainId} — ${how}; chain ${t.toChainId}'s legs run once it has arrived`;
  });
  return [
    formatPlanTable(r.plan, r.snapshot.assets),
    ...ordersOf(r),
    "",
    ...sims,
    ...failed,
    ...transfers,
  ].join("\n");
}

/** The swap legs realized as orders (1inch Fusion): placed after the batch, filled by others in a later cycle. */
function ordersOf(r: CycleResult): string[] {
  const orders = r.batches.flatMap((b) => b.orders);
  if (orders.length === 0) return [];
  const amt = (amount: bigint, chainId: number, token: Address) =>
    formatAmount(amount, assetId(chainId, token), r.snapshot.assets);
  const rows = orders.map((o) => [
    String(o.chainId),
    String(o.step),
    o.label,
    amt(o.amountIn, o.chainId, o.tokenIn),
    amt(o.minAmountOut, o.chainId, o.tokenOut),
    formatUsd(o.usd),
    "a later cycle",
  ]);
  return [
    "",
    "Swap orders (signed and placed once the batch confirms; the swap is not in the batch)",
    formatTable(["chain", "step", "route", "amount in", "min out", "usd", "completes"], rows, [1, 5]),
  ];
}

import { InvalidAmountError } from "./errors.ts";
import { healthFactors } from "./health.ts";
import { abs, mulDiv, WAD, wadToBpsNumber } from "./math.ts";
import { isEmptyPlan, type Plan } from "./plan.ts";
import { type Policy, triggerModeOf } from "./policy.ts";
import type { PriceFault } from "./price-guard.ts";
import type { PortfolioState } from "./state.ts";

/** The rules a decision reports on. */
export type TriggerRule =
  | "band"
  | "calendar"
  | "health-factor"
  | "cooldown"
  | "min-trade"
  | "empty-plan"
  | "cost-gate"
  | "value-loss"
  | "in-flight"
  | "price-sanity";

/** One rule's verdict: a trigger (fires a rebalance) or a block (prevents one), and why, in words. */
export type DecisionReason = {
  readonly rule: TriggerRule;
  readonly effect: "trigger" | "block";
  readonly fired: boolean;
  readonly detail: string;
  /** `price-sanity` only: the prices not trusted ({@link PriceFault}). */
  readonly faults?: readonly PriceFault[];
};

/** Whether to rebalance, and every rule's verdict. `fire` = some trigger fired and no block fired. */
export type Decision = { readonly fire: boolean; readonly reasons: readonly DecisionReason[] };

/** The clock of a decision: now and the last rebalance (unix seconds); `lastRebalanceAt` absent = never. */
export type DecisionClock = { readonly now: number; readonly lastRebalanceAt?: number | undefined };

const seconds = (s: number): string =>
  s === 0
    ? "0s"
    : s % 86_400 === 0
      ? `${s / 86_400}d`
      : s % 3_600 === 0
        ? `${s / 3_600}h`
        : s % 60 === 0
          ? `${s / 60}m`
          : `${s}s`;
const bps = (wad: bigint): string => `${wadToBpsNumber(wad)} bps`;
const usd = (x: bigint): string => {
  const cents = x / 10n ** 16n;
  const c = cents < 0n ? -cents : cents;
  return `${cents < 0n ? "-" : ""}$${(c / 100n).toLocaleString("en-US")}.${(c % 100n).toString().padStart(2, "0")}`;
};
const hf = (x: bigint) => `${Number(x / 10n ** 14n) / 10_000}`;

const combine = (reasons: DecisionReason[]): Decision => {
  const trigger = reasons.some((r) => r.effect === "trigger" && r.fired);
  const hfFired = reasons.some((r) => r.rule === "health-factor" && r.fired);
  // A health-factor breach overrides the cooldown: de-risking cannot wait.
  const block = reasons.some((r) => r.effect === "block" && r.fired && !(hfFired && r.rule === "cooldown"));
  return { fire: trigger && !block, reasons };
};

/**
 * Pre-plan decision: band (any sleeve's |drift| > its band), calendar (≥ `calendarSeconds` since the last rebalance, or
 * never), health factor (any account below the floor — overrides the cooldown), blocked by the cooldown or when the
 * largest deviation from target is below the minimum trade. Which triggers count follows `policy.trigger`.
 * After planning, {@link gateDecision} adds the cost gate, the value-loss limit and the empty-plan check.
 */
export function decide(state: PortfolioState, policy: Policy, clock: DecisionClock): Decision {
  const { now, lastRebalanceAt } = clock;
  if (!Number.isSafeInteger(now) || now < 0)
    throw new InvalidAmountError("clock.now", now, "unix seconds (a non-negative integer)");
  if (
    lastRebalanceAt !== undefined &&
    (!Number.isSafeInteger(lastRebalanceAt) || lastRebalanceAt < 0 || lastRebalanceAt > now)
  )
    throw new InvalidAmountError("clock.lastRebalanceAt", lastRebalanceAt, "unix seconds ≤ now");
  const mode = triggerModeOf(policy);
  const elapsed = lastRebalanceAt === undefined ? undefined : now - lastRebalanceAt;
  const reasons: DecisionReason[] = [];
  if (mode !== "calendar") reasons.push(bandReason(state));
  if (mode !== "band") reasons.push(calendarReason(policy.calendarSeconds ?? 0, elapsed));
  if (policy.healthFactor) reasons.push(healthReason(state, policy.healthFactor.floorWad));
  if (policy.cooldownSeconds !== undefined && policy.cooldownSeconds > 0 && elapsed !== undefined)
    reasons.push(cooldownReason(policy.cooldownSeconds, elapsed));
  reasons.push(minTradeReason(state, policy.minTradeUsd));
  return combine(reasons);
}

function bandReason(state: PortfolioState): DecisionReason {
  const out = state.sleeves.filter((s) => s.outOfBand);
  return {
    rule: "band",
    effect: "trigger",
    fired: out.length > 0,
    detail:
      out.length > 0
        ? out.map((s) => `${s.sleeve.id} drift ${bps(s.driftWad)} beyond band ±${bps(s.bandWad)}`).join("; ")
        : `all ${state.sleeves.length} sleeves inside their bands (max |drift| ${bps(state.maxDriftWad)})`,
  };
}

function calendarReason(period: number, elapsed: number | undefined): DecisionReason {
  return {
    rule: "calendar",
    effect: "trigger",
    fired: elapsed === undefined || elapsed >= period,
    detail:
      elapsed === undefined
        ? "never rebalanced"
        : `${seconds(elapsed)} since the last rebalance, period ${seconds(period)}`,
  };
}

function healthReason(state: PortfolioState, floor: bigint): DecisionReason {
  // Only accounts the policy manages (a supply or debt sleeve) can be repaired by a rebalance.
  const managed = (h: { chainId: number; protocol: string }) =>
    state.sleeves.some(
      (s) =>
        s.sleeve.chainId === h.chainId &&
        s.sleeve.protocol === h.protocol &&
        (s.sleeve.kind === "supply" || s.sleeve.kind === "debt"),
    );
  // A null health factor (no debt) is never low.
  const low = healthFactors(state).filter(
    (h): h is typeof h & { healthFactorWad: bigint } =>
      h.healthFactorWad !== null && h.healthFactorWad < floor,
  );
  const text = (h: (typeof low)[number]) =>
    `chain ${h.chainId} ${h.protocol} HF ${hf(h.healthFactorWad)} < floor ${hf(floor)}${managed(h) ? "" : " (unmanaged account)"}`;
  return {
    rule: "health-factor",
    effect: "trigger",
    fired: low.some(managed),
    detail: low.length > 0 ? low.map(text).join("; ") : `every health factor ≥ floor ${hf(floor)}`,
  };
}

function cooldownReason(cooldown: number, elapsed: number): DecisionReason {
  const active = elapsed < cooldown;
  return {
    rule: "cooldown",
    effect: "block",
    fired: active,
    detail: active
      ? `${seconds(elapsed)} since the last rebalance, cooldown ${seconds(cooldown)}`
      : `cooldown ${seconds(cooldown)} elapsed`,
  };
}

function minTradeReason(state: PortfolioState, minTradeUsd: bigint): DecisionReason {
  let largest = 0n;
  for (const s of state.sleeves) {
    const dev = abs(s.valueUsd - mulDiv(s.targetWad, state.navUsd, WAD));
    if (dev > largest) largest = dev;
  }
  return {
    rule: "min-trade",
    effect: "block",
    fired: largest < minTradeUsd,
    detail: `largest deviation from target ${usd(largest)}, minimum trade ${usd(minTradeUsd)}`,
  };
}

/** The cost gate: fires (blocks) when the plan's estimated cost exceeds `maxCostOfDriftRemovedBps` of the drift it removes. */
export function costGate(plan: Plan, policy: Policy): DecisionReason {
  const limit = policy.maxCostOfDriftRemovedBps;
  const cost = plan.estimatedCost.totalUsd;
  if (limit === undefined)
    return {
      rule: "cost-gate",
      effect: "block",
      fired: false,
      detail: `no cost gate (estimated cost ${usd(cost)})`,
    };
  const removed = plan.driftRemovedUsd;
  // A plan that costs something and removes no drift (removed ≤ 0; the limit is ≥ 0) always blocks; a free one never.
  const fired = cost > 0n && cost * 10_000n > removed * BigInt(limit);
  const share = removed > 0n ? `${Number((cost * 1_000_000n) / removed) / 100} bps` : "∞";
  return {
    rule: "cost-gate",
    effect: "block",
    fired,
    detail: `estimated cost ${usd(cost)} is ${share} of the drift removed (${usd(removed)}); limit ${limit} bps`,
  };
}

/** The value-loss limit: fires (blocks) when fees + slippage + bridge costs exceed `maxValueLossBps` of NAV. */
export function valueLossGate(plan: Plan): DecisionReason {
  const loss = plan.estimatedCost.feesUsd + plan.estimatedCost.slippageUsd + plan.estimatedCost.bridgeUsd;
  const limit = plan.guards.maxValueLossUsd;
  return {
    rule: "value-loss",
    effect: "block",
    fired: loss > limit,
    detail: `estimated value loss ${usd(loss)}, limit ${usd(limit)}`,
  };
}

/** Completes a pre-plan decision with the plan's verdicts: empty plan, cost gate and value-loss limit. */
export function gateDecision(decision: Decision, plan: Plan, policy: Policy): Decision {
  const empty = isEmptyPlan(plan);
  return combine([
    ...decision.reasons,
    {
      rule: "empty-plan",
      effect: "block",
      fired: empty,
      detail: empty ? "the plan has no leg (every move is below the minimum trade)" : "the plan has legs",
    },
    costGate(plan, policy),
    valueLossGate(plan),
  ]);
}

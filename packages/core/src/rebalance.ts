import type { CostModel } from "./cost.ts";
import type { PriceBook, Snapshot } from "./model.ts";
import type { Plan, PlanOptions } from "./plan.ts";
import { plan } from "./planner.ts";
import type { Policy } from "./policy.ts";
import { type PortfolioState, portfolioState } from "./state.ts";
import { type Decision, decide, gateDecision } from "./triggers.ts";

/** Inputs of {@link rebalance}: everything a cycle's pure part needs. */
export type RebalanceParameters = PlanOptions & {
  readonly snapshot: Snapshot;
  readonly policy: Policy;
  readonly costModel: CostModel;
  /** Unix seconds. */
  readonly now: number;
  /** Unix seconds of the last executed rebalance; absent = never. */
  readonly lastRebalanceAt?: number | undefined;
  /** The price book to value with, when it is not the snapshot's own (e.g. merged across chains). */
  readonly prices?: PriceBook | undefined;
  /** Plan (and gate) even when no trigger fires, e.g. for a dry run on demand. */
  readonly force?: boolean | undefined;
};

/** What one pure cycle produced: the valued state, the final decision and, when the triggers fired, the plan. */
export type RebalanceResult = {
  readonly state: PortfolioState;
  /** Pre-plan verdicts, plus the plan's (empty plan, cost gate, value loss) when a plan was made. */
  readonly decision: Decision;
  /** Present when the pre-plan triggers fired (or `force`); execute it only when `decision.fire`. */
  readonly plan?: Plan;
};

/**
 * One cycle's pure part: value the snapshot, decide, and when the triggers fire, plan and gate the plan.
 * Equivalent to `portfolioState` → `decide` → `plan` → `gateDecision`.
 */
export function rebalance(params: RebalanceParameters): RebalanceResult {
  const { snapshot, policy, costModel, now, lastRebalanceAt, prices, force, ...options } = params;
  const state = portfolioState(snapshot, policy, prices ? { prices } : {});
  const pre = decide(state, policy, { now, lastRebalanceAt });
  if (!pre.fire && !force) return { state, decision: pre };
  const p = plan(state, costModel, { now, ...options });
  return { state, decision: gateDecision(pre, p, policy), plan: p };
}

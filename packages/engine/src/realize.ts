import type {
  ChainPlan,
  Leg,
  Plan,
  Policy,
  PortfolioState,
  SleeveLeg,
  SwapLeg,
  Transfer,
} from "@ballast/core";
import { asBallastError, LegRealizationError } from "./errors.ts";
import type { SleeveSlot } from "./policy.ts";
import { emptyBatch, type Run } from "./realize/batch.ts";
import { realizeBridges } from "./realize/bridges.ts";
import { realizeEntries } from "./realize/entries.ts";
import { realizeExits } from "./realize/exits.ts";
import { batchGuards } from "./realize/guards.ts";
import { awaitingOrders } from "./realize/orders.ts";
import { realizeSwaps } from "./realize/swaps.ts";
import type { ChainError, ChainFetch, ChainSetup, RealizedChain } from "./types.ts";

export { type BatchGuardsParameters, batchGuards } from "./realize/guards.ts";
export { quoteSwap } from "./realize/swaps.ts";

/** Seconds after the snapshot's block timestamp that swaps and LP actions stay valid, by default. */
export const DEFAULT_DEADLINE_SECONDS = 1_800;

/** Inputs of {@link realizeChainPlan}. */
export type RealizeChainPlanParameters = {
  readonly setup: ChainSetup;
  readonly fetch: ChainFetch;
  readonly chainPlan: ChainPlan;
  readonly state: PortfolioState;
  readonly policy: Policy;
  /** The resolved sleeves (what each leg's sleeve names). */
  readonly slots: readonly SleeveSlot[];
  /** The plan's value-loss limit (USD wad), before the adjustment for value moved into or out of unpriced positions. */
  readonly maxValueLossUsd: bigint;
  /** Unix seconds; default the chain's snapshot timestamp + {@link DEFAULT_DEADLINE_SECONDS}. */
  readonly deadline?: bigint | undefined;
  /** The plan's transfers out of this chain: their deposits end the batch, through `setup.bridge`. */
  readonly transfers?: readonly Transfer[];
};

const sleeveLegs = (legs: readonly Leg[], type: SleeveLeg["type"]) =>
  legs.filter((l): l is SleeveLeg => l.type === type);

/**
 * Turns one chain's legs into calls, in leg order (exits → swaps → entries → bridge deposits), and the guards its
 * simulation checks. Each phase (`realize/`) takes the batch so far and returns it with its legs (`Batch`, one
 * `LegOutcome` per leg):
 * 1. exits (pure): each leg by the protocol it names (`sell` needs no call);
 * 2. swaps (async): inputs capped at what is guaranteed, quoted through the chain's venues in order with
 *    `minAmountOut` = the leg's minOut (the first quote that meets it is used; none → {@link NoSwapVenueError}), or
 *    placed as orders above the order route's threshold (entries needing an order's output wait for a later cycle);
 * 3. entries (pure), against the protocols' states as the swaps leave them (`afterSwaps`: pool prices): every
 *    consumer of an asset scaled by available / needed when short; `buy-hold` needs no call;
 * 4. bridge deposits (async): each transfer out of the chain, capped at what is guaranteed, quoted by the chain's
 *    bridge with the plan's expected arrival less the slippage limit as the minimum.
 * Funding: exits give their expected amounts, swaps their encoded `minAmountOut`, and entries may also spend a swap's
 * quoted output above it as far as the wallet's own balance covers a swap that pays only its minOut; the rest stays
 * idle, reported. Throws {@link NoSwapVenueError} or {@link LegRealizationError}.
 */
export async function realizeChainPlan(params: RealizeChainPlanParameters): Promise<RealizedChain> {
  const { setup, fetch, policy } = params;
  const { legs } = params.chainPlan;
  const run: Run = {
    setup,
    fetch,
    state: params.state,
    slots: params.slots,
    slippageBps: policy.maxSlippageBps,
    healthFactorFloorWad: policy.healthFactor?.floorWad,
    deadline: params.deadline ?? fetch.snapshot.timestamp + BigInt(DEFAULT_DEADLINE_SECONDS),
  };
  const exited = realizeExits(run, emptyBatch(fetch), sleeveLegs(legs, "exit"));
  const swaps = legs.filter((l): l is SwapLeg => l.type === "swap");
  const swapped = await realizeSwaps(run, exited, swaps);
  const { batch: waiting, ready } = awaitingOrders(swapped, sleeveLegs(legs, "entry"));
  const entered = realizeEntries(run, waiting, ready);
  const batch = await realizeBridges(run, entered, params.transfers ?? [], legs.length);
  const guards = batchGuards({
    setup,
    fetch,
    state: params.state,
    delta: batch.min,
    touched: batch.touched,
    maxValueLossUsd: params.maxValueLossUsd + batch.unpricedUsd,
    floors: [...batch.floors.values()],
  });
  const { realized, quotes, bridges, orders, warnings } = batch;
  const calls = realized.flatMap((r) => r.calls);
  return {
    chainId: setup.chainId,
    key: setup.key,
    calls,
    legs,
    realized,
    quotes,
    bridges,
    orders,
    guards,
    warnings,
  };
}

/** Inputs of {@link realizePlan}. */
export type RealizePlanParameters = {
  readonly plan: Plan;
  readonly state: PortfolioState;
  readonly policy: Policy;
  readonly slots: readonly SleeveSlot[];
  readonly chains: readonly { readonly setup: ChainSetup; readonly fetch: ChainFetch }[];
  readonly deadlineSeconds?: number | undefined;
};

/**
 * Realizes every chain of a plan (in parallel; one chain's failure does not stop the others). A chain that receives a
 * transfer gets no batch this cycle: its legs need what is on its way, and run in a later cycle once it has arrived
 * (two-cycle settlement; a chain that both sends and receives waits too). A sending chain's batch ends with its
 * deposits. Chains whose legs need no call and that send nothing get no batch.
 */
export async function realizePlan(
  params: RealizePlanParameters,
): Promise<{ realized: RealizedChain[]; errors: ChainError[]; warnings: string[] }> {
  const warnings: string[] = [];
  const receiving = new Set(params.plan.transfers.map((t) => t.toChainId));
  const jobs = params.plan.chains.map(async (chainPlan) => {
    const c = params.chains.find((x) => x.setup.chainId === chainPlan.chainId);
    if (!c) return undefined;
    if (receiving.has(chainPlan.chainId) || chainPlan.awaitsTransfers) {
      warnings.push(
        `chain "${c.setup.key}" (${chainPlan.chainId}) awaits a cross-chain transfer: its ${chainPlan.legs.length} legs run in a later cycle, once it has arrived`,
      );
      return undefined;
    }
    const transfers = params.plan.transfers.filter((t) => t.fromChainId === chainPlan.chainId);
    if (transfers.length === 0 && !chainPlan.legs.some((l) => l.type === "swap" || l.needsCall))
      return undefined;
    const deadline = c.fetch.snapshot.timestamp + BigInt(params.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS);
    return realizeOrError({
      setup: c.setup,
      fetch: c.fetch,
      chainPlan,
      state: params.state,
      policy: params.policy,
      slots: params.slots,
      maxValueLossUsd: params.plan.guards.maxValueLossUsd,
      deadline,
      transfers,
    });
  });
  const out = await Promise.all(jobs);
  const realized: RealizedChain[] = [];
  const errors: ChainError[] = [];
  for (const o of out) {
    if (!o) continue;
    if ("ok" in o) realized.push(o.ok);
    else errors.push(o.error);
  }
  return { realized, errors, warnings };
}

/** One chain's realization, or its failure as the chain's error. */
async function realizeOrError(
  params: RealizeChainPlanParameters,
): Promise<{ readonly ok: RealizedChain } | { readonly error: ChainError }> {
  const { key, chainId } = params.setup;
  try {
    return { ok: await realizeChainPlan(params) };
  } catch (err) {
    const wrap = (cause: unknown) =>
      new LegRealizationError(key, chainId, 0, "realize", "unexpected failure", cause);
    return { error: { chainId, key, error: asBallastError(err, wrap) } };
  }
}

import { findChainMismatchError, type InFlightItem } from "@ballast/chain";
import {
  type Asset,
  type AssetId,
  assetId,
  type BallastError,
  type ChainSnapshot,
  type Decision,
  decide,
  type Plan,
  type Policy,
  type PortfolioState,
  type PriceBook,
  portfolioState,
  type RebalanceResult,
  rebalance,
  type Snapshot,
  slotKey,
} from "@ballast/core";
import { holdOnQuotedBridges } from "./bridge-gate.ts";
import { bridgeRoutes, defaultCostModel } from "./cost.ts";
import { asBallastError, ChainFetchError, CycleStepError, InvalidCycleConfigError } from "./errors.ts";
import { fetchChainSnapshot } from "./fetch.ts";
import {
  buildPolicy,
  IN_TRANSIT,
  resolveSleeveSlots,
  type SleeveSlot,
  sleevesByChain,
  withLandingSleeves,
} from "./policy.ts";
import { holdOnPrices } from "./price-guard.ts";
import { isPriced, mergePrices } from "./prices.ts";
import { realizePlan } from "./realize.ts";
import { simulateBatch } from "./simulate.ts";
import type {
  ChainBatch,
  ChainError,
  ChainFetch,
  ChainSetup,
  CycleParams,
  CycleReads,
  CycleResult,
  InTransit,
  ProtocolHints,
} from "./types.ts";

/** Checks the chain setups against each other and their executors; throws {@link InvalidCycleConfigError}. */
export function validateChainSetups(chains: readonly ChainSetup[]): void {
  const keys = new Set<string>();
  const ids = new Set<number>();
  chains.forEach((c, i) => {
    const f = `chains[${i}]`;
    if (!c.key) throw new InvalidCycleConfigError(`${f}.key`, "a non-empty name");
    if (keys.has(c.key)) throw new InvalidCycleConfigError(`${f}.key`, `"${c.key}" appears twice`);
    if (ids.has(c.chainId)) throw new InvalidCycleConfigError(`${f}.chainId`, `${c.chainId} appears twice`);
    keys.add(c.key);
    ids.add(c.chainId);
    if (c.executor.chainId !== c.chainId)
      throw new InvalidCycleConfigError(`${f}.executor`, `the executor is on chain ${c.executor.chainId}`);
    if (c.executor.account.toLowerCase() !== c.account.toLowerCase())
      throw new InvalidCycleConfigError(
        `${f}.executor`,
        `the executor moves ${c.executor.account}, the portfolio account is ${c.account}`,
      );
    c.tokens.forEach((t, j) => {
      if (t.chainId !== c.chainId || t.id !== assetId(c.chainId, t.address))
        throw new InvalidCycleConfigError(
          `${f}.tokens[${j}]`,
          `asset ${t.id} is not ${c.chainId}:${t.address}`,
        );
    });
  });
}

/** Every chain read in parallel; a chain that fails is valued from its previous read when there is one. */
type Reads = {
  readonly fetched: { setup: ChainSetup; fetch: ChainFetch }[];
  /** Chains that failed without a previous read: NAV cannot be formed. */
  readonly missing: ChainError[];
  readonly reads: Omit<CycleReads, "snapshot" | "batches" | "transfers" | "warnings">;
};

async function readChains(
  params: CycleParams,
  slots: readonly SleeveSlot[],
  warnings: string[],
): Promise<Reads> {
  const byChain = sleevesByChain(slots);
  const outcomes = await Promise.all(
    params.chains.map(async (setup) => {
      try {
        const fetch = await fetchChainSnapshot(setup, {
          blockNumber: params.blockNumbers?.[setup.chainId],
          sleeves: byChain.get(setup.chainId) ?? [],
          priceMoves: params.whatIf?.priceMoves,
        });
        return { setup, fetch };
      } catch (err) {
        return {
          setup,
          // A pool stopped by a URL that reconnected to another chain says so, URL and ids, whatever read hit it.
          error:
            findChainMismatchError(err) ??
            asBallastError(err, (cause) => new ChainFetchError(setup.key, setup.chainId, cause)),
        };
      }
    }),
  );
  const fetched: Reads["fetched"] = [];
  const fetches: Record<number, ChainFetch> = {};
  const staleChains: number[] = [];
  const missing: ChainError[] = [];
  const chainErrors: ChainError[] = [];
  const hints: Record<number, ProtocolHints> = {};
  for (const o of outcomes) {
    const { setup } = o;
    if (o.fetch) {
      fetched.push({ setup, fetch: o.fetch });
      fetches[setup.chainId] = o.fetch;
      hints[setup.chainId] = o.fetch.hints;
      warnings.push(...o.fetch.warnings);
      continue;
    }
    const failure = { chainId: setup.chainId, key: setup.key, error: o.error as BallastError };
    chainErrors.push(failure);
    hints[setup.chainId] = setup.hints ?? {};
    const previous = params.previousFetches?.[setup.chainId];
    if (!previous) {
      missing.push(failure);
      continue;
    }
    fetched.push({ setup, fetch: previous });
    staleChains.push(setup.chainId);
    warnings.push(
      `chain "${setup.key}" (${setup.chainId}) could not be read: valued from its read at block ${previous.snapshot.blockNumber}; it gets no batch this cycle`,
    );
  }
  return { fetched, missing, reads: { hints, fetches, staleChains, chainErrors } };
}

/**
 * One rebalancing cycle as a function (no fs, env or timers):
 * 1. fetch every chain in parallel, ONE eth_call each ({@link fetchChainSnapshot}); a chain that fails is reported in
 *    `chainErrors` and valued from its previous read, or, without one, nothing is valued (`read-failed`);
 * 2. value: sleeves resolved from the specs ({@link buildPolicy}), prices merged (oracle, pools, same symbol on
 *    another chain), unmanaged holdings without a price dropped (with a warning);
 * 3. core's `rebalance`: value, decide (bands, calendar, health factor, cooldown, min trade) and, when it fires (or
 *    `force`), plan and gate (empty plan, cost gate, value loss); chains with something in flight hold;
 * 4. realize each chain's legs into calls ({@link realizePlan}) and simulate each batch with its guards
 *    ({@link simulateBatch}). A sending chain's batch ends with its bridge deposits; a receiving chain gets no batch
 *    until what it awaits has arrived (a later cycle: two-cycle settlement).
 *
 * Throws only {@link InvalidCycleConfigError} (inconsistent static inputs); everything else is in the result, a union
 * on the stage reached ({@link CycleResult}).
 *
 * @example
 * const r = await runCycle({ chains, sleeves, rules, now: Math.floor(Date.now() / 1000) });
 * if (r.stage === "simulated")
 *   for (const b of r.batches) if (b.ok) await executors[b.chainId].execute(b.calls, { planId: r.plan.id, guards: b.guards });
 */
export async function runCycle(params: CycleParams): Promise<CycleResult> {
  validateChainSetups(params.chains);
  const slots = resolveSleeveSlots(params.sleeves, params.chains);
  const warnings: string[] = [];
  const { fetched, missing, reads } = await readChains(params, slots, warnings);
  const assets = new Map<AssetId, Asset>();
  for (const { fetch } of fetched) for (const a of fetch.assets) if (!assets.has(a.id)) assets.set(a.id, a);
  const raw: Snapshot = {
    assets,
    chains: fetched.map((f) => withInTransit(f.fetch.snapshot, params.inTransit ?? [])),
  };
  const common = { ...reads, warnings, batches: [], transfers: [] };
  const none = { state: null, policy: null, decision: null, plan: null } as const;
  if (missing.length > 0) {
    warnings.push(
      `no plan this cycle: chain(s) ${missing.map((e) => `"${e.key}"`).join(", ")} could not be read and NAV needs every chain`,
    );
    return { ...common, ...none, snapshot: raw, stage: "read-failed", error: null };
  }
  const valued = valuePortfolio(params, slots, raw, fetched, warnings);
  if ("error" in valued)
    return { ...common, ...none, snapshot: valued.snapshot, stage: "failed", error: valued.error };
  const { snapshot, policy, prices } = valued;
  let r: RebalanceResult;
  try {
    r = rebalance({
      snapshot,
      policy,
      prices,
      costModel: params.costModel ?? defaultCostModel({ slots, bridges: bridgeRoutes(params.chains) }),
      now: params.now,
      lastRebalanceAt: params.lastRebalanceAt,
      force: params.force,
      ...(params.planOptions ?? { onNoBridge: "per-chain" }),
    });
  } catch (err) {
    const error = asBallastError(err, (c) => new CycleStepError("rebalance", c));
    return {
      ...common,
      ...none,
      ...progressBefore(params, snapshot, policy, prices),
      stage: "failed",
      error,
    };
  }
  const inFlight = params.inFlight ?? [];
  const decision = holdInFlight(r.decision, params.chains, inFlight, r.plan);
  const { state, plan } = r;
  if (!plan) return { ...common, snapshot, state, policy, decision, plan: null, stage: "hold", error: null };
  warnings.push(...plan.warnings);
  const planned = {
    ...common,
    snapshot,
    state,
    policy,
    decision,
    plan,
    transfers: plan.transfers,
    error: null,
  };
  if (!decision.fire && !params.force) return { ...planned, stage: "gated" };
  if (params.whatIf) return { ...planned, stage: "planned" };
  const fresh = fetched.filter((f) => !reads.staleChains.includes(f.setup.chainId));
  const busy = heldChains(inFlight);
  const live = fresh.filter((f) => !busy.has(f.setup.chainId));
  const { held, batches, errors } = await realizeAndSimulate(
    params,
    { plan, state, policy, slots, chains: live },
    { fresh, decision, warnings },
  );
  const chainErrors = [...reads.chainErrors, ...errors];
  if (held?.error) return { ...planned, plan: null, chainErrors, stage: "failed", error: held.error };
  if (held) return { ...planned, decision: held.decision, chainErrors, stage: "gated" };
  if (batches.length === 0) return { ...planned, chainErrors, stage: "planned" };
  return {
    ...planned,
    chainErrors,
    batches: batches.sort((a, b) => a.chainId - b.chainId),
    stage: "simulated",
  };
}

/**
 * Realizes each live chain's legs ({@link realizePlan}), gates again with the bridge fees quoted
 * ({@link holdOnQuotedBridges}), checks prices against the realized quotes ({@link holdOnPrices}: a fault holds the
 * cycle before anything is simulated), then simulates each batch
 * ({@link simulateBatch}).
 */
async function realizeAndSimulate(
  params: CycleParams,
  inputs: Omit<Parameters<typeof realizePlan>[0], "deadlineSeconds">,
  cycle: { fresh: Parameters<typeof holdOnPrices>[1]; decision: Decision; warnings: string[] },
): Promise<{
  held: Awaited<ReturnType<typeof holdOnPrices>>;
  batches: ChainBatch[];
  errors: ChainError[];
}> {
  const realized = await realizePlan({ ...inputs, deadlineSeconds: params.deadlineSeconds });
  cycle.warnings.push(...realized.warnings);
  const dear = params.force
    ? undefined
    : holdOnQuotedBridges(
        inputs.plan,
        inputs.policy,
        { prices: inputs.state.prices, assets: inputs.state.snapshot.assets },
        realized.realized,
        cycle.decision,
      );
  if (dear) return { held: { decision: dear }, batches: [], errors: realized.errors };
  const held = await holdOnPrices(params, cycle.fresh, realized.realized, cycle.decision);
  if (held) return { held, batches: [], errors: realized.errors };
  const batches = await Promise.all(
    realized.realized.map((rc) =>
      simulateBatch(params.chains.find((c) => c.chainId === rc.chainId) as ChainSetup, rc),
    ),
  );
  return { held, batches, errors: realized.errors };
}

/**
 * What a failed `rebalance` had established before its failure (the valuation and the pre-plan decision, when they
 * succeed on their own), so a planner failure is still reported with the state and decision it concerns.
 */
function progressBefore(
  params: CycleParams,
  snapshot: Snapshot,
  policy: Policy,
  prices: PriceBook,
): { snapshot: Snapshot; policy: Policy; state: PortfolioState | null; decision: Decision | null } {
  try {
    const state = portfolioState(snapshot, policy, { prices });
    try {
      const clock = { now: params.now, lastRebalanceAt: params.lastRebalanceAt };
      return { snapshot, policy, state, decision: decide(state, policy, clock) };
    } catch {
      return { snapshot, policy, state, decision: null };
    }
  } catch {
    return { snapshot, policy, state: null, decision: null };
  }
}

/** Resolves the sleeves against the reads and merges prices: the policy and what it is valued with. */
function valuePortfolio(
  params: CycleParams,
  slots: readonly SleeveSlot[],
  raw: Snapshot,
  fetched: readonly { fetch: ChainFetch }[],
  warnings: string[],
): { snapshot: Snapshot; policy: Policy; prices: PriceBook } | { snapshot: Snapshot; error: BallastError } {
  let snapshot = raw;
  try {
    const { prices, bySymbol } = mergePrices(raw);
    if (bySymbol.length > 0) warnings.push(`priced by symbol from another chain: ${bySymbol.join(", ")}`);
    snapshot = dropUnpriced(raw, slots, prices, warnings);
    const built = buildPolicy({
      specs: params.sleeves,
      chains: params.chains,
      fetched: fetched.map((f) => f.fetch),
      prices,
      rules: params.rules,
      slots,
    });
    const policy = withLandingSleeves(built, snapshot, prices, params.chains, bridgeRoutes(params.chains));
    return { snapshot, policy, prices };
  } catch (err) {
    return { snapshot, error: asBallastError(err, (c) => new CycleStepError("value", c)) };
  }
}

/** The chains something in flight holds: where each was sent, and a bridge transfer's destination too. */
export const heldChains = (inFlight: readonly InFlightItem[]): Set<number> =>
  new Set(inFlight.flatMap((i) => (i.toChainId === undefined ? [i.chainId] : [i.chainId, i.toChainId])));

/**
 * Adds the `in-flight` reason: chains with something sent and not final get no new batch — a bridge transfer holds
 * its origin and its destination (no plan there re-sends the move or sells what is about to arrive). It fires (and
 * holds the whole decision) when no chain with legs in the plan is free, or when there is no plan. The keeper checks
 * that no transfer moved while the chains were read before a free chain sends (`movedTransfer`, ARCHITECTURE.md).
 */
export function holdInFlight(
  decision: Decision,
  chains: readonly ChainSetup[],
  inFlight: readonly InFlightItem[],
  plan?: Plan,
): Decision {
  if (inFlight.length === 0) return decision;
  const held = heldChains(inFlight);
  const keyOf = (id: number) => chains.find((c) => c.chainId === id)?.key ?? String(id);
  const planned = plan?.chains.filter((c) => c.legs.length > 0).map((c) => c.chainId);
  const free = planned?.filter((id) => !held.has(id)) ?? [];
  const detail = `hold: in flight on ${inFlight.map((i) => `${keyOf(i.chainId)}${i.toChainId === undefined ? "" : ` → ${keyOf(i.toChainId)}`} (${i.detail}, plan ${i.planId.slice(0, 12)})`).join(", ")}; no new batch there until it is final`;
  return {
    fire: decision.fire && free.length > 0,
    reasons: [...decision.reasons, { rule: "in-flight", effect: "block", fired: free.length === 0, detail }],
  };
}

/** The chain's snapshot with what is in transit to it as wallet holdings of the arriving token (ids `in-transit:…`). */
export function withInTransit(chain: ChainSnapshot, inTransit: readonly InTransit[]): ChainSnapshot {
  const mine = inTransit.filter((t) => t.chainId === chain.chainId && t.amount > 0n);
  if (mine.length === 0) return chain;
  const holdings = mine.map((t) => {
    const asset = assetId(t.chainId, t.token);
    return {
      id: `${IN_TRANSIT}${t.id}`,
      chainId: t.chainId,
      protocol: "wallet",
      kind: "token" as const,
      ref: asset,
      exposures: [{ asset, amount: t.amount }],
    };
  });
  return { ...chain, holdings: [...chain.holdings, ...holdings] };
}

/** Drops holdings that no sleeve claims and that hold an unpriced asset (they cannot be valued, and are never traded). */
function dropUnpriced(
  snapshot: Snapshot,
  slots: readonly SleeveSlot[],
  prices: ReadonlyMap<AssetId, bigint>,
  warnings: string[],
): Snapshot {
  const claimed = new Set(slots.map((s) => slotKey(s)));
  const chains = snapshot.chains.map((c): ChainSnapshot => {
    const holdings = c.holdings.filter((h) => {
      if (claimed.has(slotKey(h)) || isPriced(h.exposures, prices)) return true;
      warnings.push(`unmanaged holding ${h.id} has no price: left out of the valuation`);
      return false;
    });
    return holdings.length === c.holdings.length ? c : { ...c, holdings };
  });
  return { assets: snapshot.assets, chains };
}

import type { InFlightItem } from "@ballast/chain";
import {
  type Asset,
  type AssetId,
  assetId,
  type BallastError,
  type ChainSnapshot,
  type Decision,
  decide,
  gateDecision,
  type Plan,
  type Policy,
  type PortfolioState,
  plan as planPortfolio,
  portfolioState,
  type Snapshot,
  slotKey,
} from "@ballast/core";
import { defaultCostModel } from "./cost.ts";
import { asBallastError, ChainFetchError, CycleStepError, InvalidCycleConfigError } from "./errors.ts";
import { fetchChainSnapshot } from "./fetch.ts";
import { buildPolicy, resolveSleeveSlots, type SleeveSlot, sleevesByChain } from "./policy.ts";
import { isPriced, mergePrices } from "./prices.ts";
import { realizePlan } from "./realize.ts";
import { simulateBatch } from "./simulate.ts";
import type {
  ChainBatch,
  ChainError,
  ChainFetch,
  ChainSetup,
  CycleParams,
  CycleResult,
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

/**
 * One rebalancing cycle as a function (no fs, env or timers):
 * 1. fetch every chain in parallel, ONE eth_call each ({@link fetchChainSnapshot}); a chain that fails is reported in
 *    `chainErrors` and, since NAV needs every chain, nothing is valued or planned this cycle;
 * 2. value: sleeves resolved from the specs ({@link buildPolicy}), prices merged (oracle, pools, same symbol on
 *    another chain), unmanaged holdings without a price dropped (with a warning), core `portfolioState`;
 * 3. decide (bands, calendar, health factor, cooldown, min trade);
 * 4. plan when it fires (or `force`), then gate it (empty plan, cost gate, value loss);
 * 5. realize each chain's legs into calls ({@link realizePlan}) and simulate each batch with its guards
 *    ({@link simulateBatch}). Transfers are reported, never executed.
 *
 * Throws only {@link InvalidCycleConfigError} (inconsistent static inputs); everything else is in the result.
 *
 * @example
 * const r = await runCycle({ chains, sleeves, rules, now: Math.floor(Date.now() / 1000) });
 * for (const b of r.batches) if (b.ok) await executors[b.chainId].execute(b.calls, { planId: r.plan!.id, guards: b.guards });
 */
export async function runCycle(params: CycleParams): Promise<CycleResult> {
  validateChainSetups(params.chains);
  const slots = resolveSleeveSlots(params.sleeves, params.chains);
  const slotsByChain = sleevesByChain(slots);
  const warnings: string[] = [];

  const outcomes = await Promise.all(
    params.chains.map(async (setup) => {
      try {
        const fetch = await fetchChainSnapshot(setup, {
          blockNumber: params.blockNumbers?.[setup.chainId],
          sleeves: slotsByChain.get(setup.chainId) ?? [],
        });
        return { setup, fetch };
      } catch (err) {
        return {
          setup,
          error: asBallastError(err, (cause) => new ChainFetchError(setup.key, setup.chainId, cause)),
        };
      }
    }),
  );
  const fetched: { setup: ChainSetup; fetch: ChainFetch }[] = [];
  const fetches: Record<number, ChainFetch> = {};
  const staleChains: number[] = [];
  const missing: ChainError[] = [];
  const chainErrors: ChainError[] = [];
  const hints: Record<number, ProtocolHints> = {};
  for (const o of outcomes) {
    if (o.fetch) {
      fetched.push({ setup: o.setup, fetch: o.fetch });
      fetches[o.setup.chainId] = o.fetch;
      hints[o.setup.chainId] = o.fetch.hints;
      warnings.push(...o.fetch.warnings);
    } else {
      const failure = { chainId: o.setup.chainId, key: o.setup.key, error: o.error as BallastError };
      chainErrors.push(failure);
      const previous = params.previousFetches?.[o.setup.chainId];
      if (previous) {
        fetched.push({ setup: o.setup, fetch: previous });
        staleChains.push(o.setup.chainId);
        warnings.push(
          `chain "${o.setup.key}" (${o.setup.chainId}) could not be read: valued from its read at block ${previous.snapshot.blockNumber}; it gets no batch this cycle`,
        );
      } else missing.push(failure);
      hints[o.setup.chainId] = o.setup.hints ?? {};
    }
  }

  const assets = new Map<AssetId, Asset>();
  for (const { fetch } of fetched) for (const a of fetch.assets) if (!assets.has(a.id)) assets.set(a.id, a);
  const raw: Snapshot = { assets, chains: fetched.map((f) => f.fetch.snapshot) };
  const base = {
    hints,
    fetches,
    staleChains,
    chainErrors,
    batches: [] as ChainBatch[],
    transfers: [],
  };
  const empty = (
    snapshot: Snapshot,
    extra: {
      state?: PortfolioState;
      policy?: Policy;
      decision?: Decision;
      plan?: Plan;
      error?: BallastError;
    },
  ): CycleResult => ({
    ...base,
    snapshot,
    state: extra.state ?? null,
    policy: extra.policy ?? null,
    decision: extra.decision ?? null,
    plan: extra.plan ?? null,
    error: extra.error ?? null,
    warnings,
  });
  if (missing.length > 0) {
    warnings.push(
      `no plan this cycle: chain(s) ${missing.map((e) => `"${e.key}"`).join(", ")} could not be read and NAV needs every chain`,
    );
    return empty(raw, {});
  }

  // Value.
  let snapshot = raw;
  let policy: Policy;
  let state: PortfolioState;
  try {
    const { prices, bySymbol } = mergePrices(raw);
    if (bySymbol.length > 0) warnings.push(`priced by symbol from another chain: ${bySymbol.join(", ")}`);
    snapshot = dropUnpriced(raw, slots, prices, warnings);
    policy = buildPolicy({
      specs: params.sleeves,
      chains: params.chains,
      fetched: fetched.map((f) => f.fetch),
      prices,
      rules: params.rules,
      slots,
    });
    state = portfolioState(snapshot, policy, { prices });
  } catch (err) {
    return empty(snapshot, { error: asBallastError(err, (c) => new CycleStepError("value", c)) });
  }

  // Decide.
  let decision: Decision;
  try {
    decision = decide(state, policy, {
      now: params.now,
      ...(params.lastRebalanceAt === undefined ? {} : { lastRebalanceAt: params.lastRebalanceAt }),
    });
  } catch (err) {
    return empty(snapshot, {
      state,
      policy,
      error: asBallastError(err, (c) => new CycleStepError("decide", c)),
    });
  }
  const inFlight = params.inFlight ?? [];
  if (!decision.fire && !params.force)
    return empty(snapshot, { state, policy, decision: holdInFlight(decision, params.chains, inFlight) });

  // Plan.
  let plan: Plan;
  try {
    plan = planPortfolio(state, params.costModel ?? defaultCostModel({ slots }), {
      now: params.now,
      ...(params.planOptions ?? { onNoBridge: "per-chain" }),
    });
  } catch (err) {
    return empty(snapshot, {
      state,
      policy,
      decision,
      error: asBallastError(err, (c) => new CycleStepError("plan", c)),
    });
  }
  decision = holdInFlight(gateDecision(decision, plan, policy), params.chains, inFlight, plan);
  warnings.push(...plan.warnings);
  if (plan.transfers.length > 0)
    warnings.push(`the plan has ${plan.transfers.length} cross-chain transfer(s): reported, not executed`);
  if (!decision.fire && !params.force)
    return { ...empty(snapshot, { state, policy, decision, plan }), transfers: plan.transfers };

  // Realize and simulate.
  const r = await realizePlan({
    plan,
    state,
    policy,
    slots,
    chains: fetched.filter(
      (f) => !staleChains.includes(f.setup.chainId) && !inFlight.some((i) => i.chainId === f.setup.chainId),
    ),
    deadlineSeconds: params.deadlineSeconds,
  });
  warnings.push(...r.warnings);
  const batches = await Promise.all(
    r.realized.map((rc) => {
      const setup = params.chains.find((c) => c.chainId === rc.chainId) as ChainSetup;
      return simulateBatch(setup, rc);
    }),
  );
  return {
    ...empty(snapshot, { state, policy, decision, plan }),
    batches: batches.sort((a, b) => a.chainId - b.chainId),
    transfers: plan.transfers,
    chainErrors: [...chainErrors, ...r.errors],
  };
}

/**
 * Adds the `in-flight` reason: chains with something sent and not final get no new batch. It fires (and holds the
 * whole decision) when no chain with legs in the plan is free, or when there is no plan.
 */
export function holdInFlight(
  decision: Decision,
  chains: readonly ChainSetup[],
  inFlight: readonly InFlightItem[],
  plan?: Plan,
): Decision {
  if (inFlight.length === 0) return decision;
  const held = new Set(inFlight.map((i) => i.chainId));
  const keyOf = (id: number) => chains.find((c) => c.chainId === id)?.key ?? String(id);
  const planned = plan?.chains.filter((c) => c.legs.length > 0).map((c) => c.chainId);
  const free = planned?.filter((id) => !held.has(id)) ?? [];
  const detail = `hold: in flight on ${inFlight.map((i) => `${keyOf(i.chainId)} (${i.detail}, plan ${i.planId.slice(0, 12)})`).join(", ")}; no new batch there until it is final`;
  return {
    fire: decision.fire && free.length > 0,
    reasons: [...decision.reasons, { rule: "in-flight", effect: "block", fired: free.length === 0, detail }],
  };
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

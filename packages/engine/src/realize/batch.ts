import type {
  Asset,
  AssetAmount,
  AssetId,
  BridgeQuote,
  FloorGuard,
  Leg,
  LegEffect,
  PortfolioState,
  SwapQuote,
} from "@ballast/core";
import { LegRealizationError } from "../errors.ts";
import type { SleeveSlot } from "../policy.ts";
import type { ChainFetch, ChainSetup, RealizedLeg, SwapOrder } from "../types.ts";

/** What every phase of a chain's realization reads: the chain, its read, the valuation and the policy's limits. */
export type Run = {
  readonly setup: ChainSetup;
  readonly fetch: ChainFetch;
  readonly state: PortfolioState;
  readonly slots: readonly SleeveSlot[];
  readonly slippageBps: number;
  readonly healthFactorFloorWad: bigint | undefined;
  readonly deadline: bigint;
};

/**
 * A chain's batch as realized so far, passed from phase to phase and leg to leg (never changed in place: each leg's
 * {@link LegOutcome} gives a new one, see {@link withOutcome}): what later legs may spend, the lower bound of each
 * balance change (the guards), the protocols' projected states and what was realized.
 */
export type Batch = {
  /** Guaranteed amount available to later legs, per asset. */
  readonly funds: ReadonlyMap<AssetId, bigint>;
  /** Lower bound of the account's balance change over the batch, per asset. */
  readonly min: ReadonlyMap<AssetId, bigint>;
  readonly touched: ReadonlySet<AssetId>;
  /** Each protocol's state as projected past the legs so far, by name. */
  readonly states: ReadonlyMap<string, unknown>;
  /** What the swaps are quoted to return above their encoded minOut, per asset (entries may use it: `cushion`). */
  readonly surplus: ReadonlyMap<AssetId, bigint>;
  /** What `sell` exits release from the wallet's own balance, per asset (already counted in `funds`). */
  readonly sold: ReadonlyMap<AssetId, bigint>;
  readonly realized: readonly RealizedLeg[];
  readonly quotes: readonly SwapQuote[];
  readonly bridges: readonly BridgeQuote[];
  readonly orders: readonly SwapOrder[];
  readonly warnings: readonly string[];
  /** USD moved into (+) or out of (−) positions the value-loss guard cannot price. */
  readonly unpricedUsd: bigint;
  /** The floors the legs' protocols contributed (a lending market's health factor), by kind and contract. */
  readonly floors: ReadonlyMap<string, FloorGuard>;
};

/** What one leg adds to the {@link Batch} (a phase's own notes: `warnings` alone). */
export type LegOutcome = {
  readonly realized?: RealizedLeg;
  readonly warnings?: readonly string[];
  /** Balance changes: each asset is touched (guarded), its lower bound moves by `min`, later legs' funds by `funds`. */
  readonly effects?: readonly LegEffect[];
  /** Idle funds a `sell` exit releases: funds for later legs, no balance change (see {@link Batch.sold}). */
  readonly sold?: readonly AssetAmount[];
  /** A swap's quoted output above its minOut. */
  readonly surplus?: AssetAmount;
  /** The protocol's state after the leg. */
  readonly state?: { readonly protocol: string; readonly state: unknown };
  readonly unpricedUsd?: bigint;
  readonly floors?: readonly FloorGuard[];
  readonly quote?: SwapQuote;
  readonly bridge?: BridgeQuote;
  readonly order?: SwapOrder;
};

/** The batch before any leg: nothing spendable, nothing touched, each protocol's state as read. */
export const emptyBatch = (fetch: ChainFetch): Batch => ({
  funds: new Map(),
  min: new Map(),
  touched: new Set(),
  states: new Map(Object.entries(fetch.reads).map(([name, read]) => [name, read.state])),
  surplus: new Map(),
  sold: new Map(),
  realized: [],
  quotes: [],
  bridges: [],
  orders: [],
  warnings: [],
  unpricedUsd: 0n,
  floors: new Map(),
});

/** `m` with each amount added to its asset's. */
const plus = (m: ReadonlyMap<AssetId, bigint>, adds: readonly (readonly [AssetId, bigint])[]) => {
  const out = new Map(m);
  for (const [a, x] of adds) out.set(a, (out.get(a) ?? 0n) + x);
  return out;
};

/** The batch after a leg's outcome (pure). */
export function withOutcome(b: Batch, o: LegOutcome): Batch {
  const effects = o.effects ?? [];
  const sold = (o.sold ?? []).map((a) => [a.asset, a.amount] as const);
  const states = o.state ? new Map(b.states).set(o.state.protocol, o.state.state) : b.states;
  const floors = new Map(b.floors);
  for (const f of o.floors ?? []) floors.set(`${f.kind}:${f.read.address.toLowerCase()}`, f);
  return {
    funds: plus(b.funds, [...effects.map((e) => [e.asset, e.funds] as const), ...sold]),
    min: plus(
      b.min,
      effects.map((e) => [e.asset, e.min] as const),
    ),
    touched: new Set([...b.touched, ...effects.map((e) => e.asset)]),
    states,
    surplus: o.surplus ? plus(b.surplus, [[o.surplus.asset, o.surplus.amount]]) : b.surplus,
    sold: plus(b.sold, sold),
    realized: o.realized ? [...b.realized, o.realized] : b.realized,
    quotes: o.quote ? [...b.quotes, o.quote] : b.quotes,
    bridges: o.bridge ? [...b.bridges, o.bridge] : b.bridges,
    orders: o.order ? [...b.orders, o.order] : b.orders,
    warnings: o.warnings?.length ? [...b.warnings, ...o.warnings] : b.warnings,
    unpricedUsd: b.unpricedUsd + (o.unpricedUsd ?? 0n),
    floors,
  };
}

/** A leg's failure, as the error of its step. */
export const failure = (run: Run, leg: Leg, reason: string, cause?: unknown) =>
  new LegRealizationError(
    run.setup.key,
    run.setup.chainId,
    leg.step,
    leg.type === "swap" ? "swap" : leg.action,
    reason,
    cause,
  );

/** A registered asset of the run, or the leg's failure. */
export function tokenOf(run: Run, leg: Leg, id: AssetId): Asset {
  const a = run.state.snapshot.assets.get(id);
  if (!a) throw failure(run, leg, `asset ${id} is not registered`);
  return a;
}

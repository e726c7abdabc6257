import { MissingPriceError, NonPositiveNavError } from "./errors.ts";
import { abs, bpsToWad, isqrt, mulDiv, WAD, wadToBpsNumber } from "./math.ts";
import type { AssetId, Holding, PriceBook, Snapshot } from "./model.ts";
import { bandWad, type Policy, type Sleeve, slotLookup, validatePolicy } from "./policy.ts";
import { exposureUsd, holdingField, holdingUsd, priceBookOf, validateSnapshot } from "./valuation.ts";

/** One sleeve valued: its holdings, aggregated units per asset, USD value and weight against its target and band. */
export type SleeveState = {
  readonly sleeve: Sleeve;
  /** Position of the sleeve in `policy.sleeves`. */
  readonly index: number;
  readonly holdings: readonly Holding[];
  /** Signed base units per asset, summed over the sleeve's holdings. */
  readonly units: ReadonlyMap<AssetId, bigint>;
  /** Signed USD value (wad); negative for debt. */
  readonly valueUsd: bigint;
  /** Current weight, wad fraction of NAV (signed). */
  readonly weightWad: bigint;
  /** Target weight, wad fraction of NAV (signed). */
  readonly targetWad: bigint;
  /** weight − target, wad fraction of NAV. */
  readonly driftWad: bigint;
  /** Band half-width, wad fraction of NAV. */
  readonly bandWad: bigint;
  /** |drift| > band. */
  readonly outOfBand: boolean;
};

/** The portfolio valued against a policy: NAV of the managed sleeves, per-sleeve weights and drift. */
export type PortfolioState = {
  readonly snapshot: Snapshot;
  readonly policy: Policy;
  /** The merged price book used (USD wad per whole token). */
  readonly prices: PriceBook;
  /** Net asset value of the managed sleeves (assets − debts), USD wad. */
  readonly navUsd: bigint;
  readonly sleeves: readonly SleeveState[];
  /** Holdings no sleeve claims; never traded, excluded from NAV. */
  readonly unmanaged: readonly Holding[];
  readonly unmanagedUsd: bigint;
  /** Largest |drift| over sleeves, wad. */
  readonly maxDriftWad: bigint;
  /** sqrt(Σ drift²) over sleeves, wad. */
  readonly trackingErrorWad: bigint;
};

/** Options of {@link portfolioState}. */
export type PortfolioStateOptions = {
  /** Price book to value with; default: the snapshot's per-chain prices merged by {@link priceBookOf}. */
  readonly prices?: PriceBook;
};

/** Sums exposures per asset. */
export function unitsOf(holdings: readonly Holding[]): Map<AssetId, bigint> {
  const m = new Map<AssetId, bigint>();
  for (const h of holdings) for (const e of h.exposures) m.set(e.asset, (m.get(e.asset) ?? 0n) + e.amount);
  return m;
}

/** Every holding in the sleeve of its slot (with its field, for errors), or unmanaged (valued apart). */
function assignHoldings(snapshot: Snapshot, policy: Policy, prices: PriceBook) {
  const sleeveOf = slotLookup(policy.sleeves);
  const held: Holding[][] = policy.sleeves.map(() => []);
  const unmanaged: Holding[] = [];
  let unmanagedUsd = 0n;
  snapshot.chains.forEach((chain, ci) => {
    chain.holdings.forEach((h, hi) => {
      const i = sleeveOf(h);
      if (i === undefined) {
        unmanaged.push(h);
        unmanagedUsd += holdingUsd(h, snapshot.assets, prices, `snapshot.chains[${ci}].holdings[${hi}]`);
      } else (held[i] as Holding[]).push(h);
    });
  });
  return { held, unmanaged, unmanagedUsd };
}

/**
 * A sleeve's units per asset and its value. The aggregate is valued per asset (the planner values post-states the
 * same way), but every exposure's price is checked first so a missing one is reported at the holding's field.
 */
function sleeveValue(
  hs: readonly Holding[],
  i: number,
  snapshot: Snapshot,
  prices: PriceBook,
): { units: Map<AssetId, bigint>; value: bigint } {
  const units = unitsOf(hs);
  for (const h of hs)
    h.exposures.forEach((e, j) => {
      if (e.amount !== 0n && !prices.has(e.asset))
        throw new MissingPriceError(e.asset, `${holdingField(snapshot, h)}.exposures[${j}].asset`);
    });
  let value = 0n;
  for (const [asset, amount] of units)
    value += exposureUsd({ asset, amount }, snapshot.assets, prices, `policy.sleeves[${i}]`);
  return { units, value };
}

/**
 * Validates snapshot and policy, assigns every holding to its sleeve (or to "unmanaged"), and values the portfolio.
 * Throws typed errors for bad input (see {@link validateSnapshot}, {@link validatePolicy}), a {@link MissingPriceError}
 * for a held asset without a price, and {@link NonPositiveNavError} when the managed NAV is not positive.
 */
export function portfolioState(
  snapshot: Snapshot,
  policy: Policy,
  options: PortfolioStateOptions = {},
): PortfolioState {
  validateSnapshot(snapshot);
  validatePolicy(policy, { snapshot });
  const prices = options.prices ?? priceBookOf(snapshot);
  const { held, unmanaged, unmanagedUsd } = assignHoldings(snapshot, policy, prices);
  const values = policy.sleeves.map((_, i) => sleeveValue(held[i] as Holding[], i, snapshot, prices));
  const nav = values.reduce((a, x) => a + x.value, 0n);
  if (nav <= 0n) throw new NonPositiveNavError(nav);
  let maxDrift = 0n;
  let sq = 0n;
  const sleeves = policy.sleeves.map((sleeve, i): SleeveState => {
    const { units, value } = values[i] as { units: Map<AssetId, bigint>; value: bigint };
    const weightWad = mulDiv(value, WAD, nav);
    const targetWad = bpsToWad(sleeve.targetBps);
    const driftWad = weightWad - targetWad;
    const band = bandWad(sleeve, policy.bands);
    if (abs(driftWad) > maxDrift) maxDrift = abs(driftWad);
    sq += driftWad * driftWad;
    return {
      sleeve,
      index: i,
      holdings: held[i] as Holding[],
      units,
      valueUsd: value,
      weightWad,
      targetWad,
      driftWad,
      bandWad: band,
      outOfBand: abs(driftWad) > band,
    };
  });
  return {
    snapshot,
    policy,
    prices,
    navUsd: nav,
    sleeves,
    unmanaged,
    unmanagedUsd,
    maxDriftWad: maxDrift,
    trackingErrorWad: isqrt(sq),
  };
}

/**
 * Everything the account holds that has a price: the sleeves' NAV plus the holdings outside every sleeve. What a
 * rebalance costs is this before minus this after, at the same prices: value a plan leaves outside the sleeves (a swap
 * paying more than its minimum, an LP exit's leftovers) is still the account's, not a cost.
 */
export const accountValueUsd = (state: PortfolioState): bigint => state.navUsd + state.unmanagedUsd;

/** Drift per sleeve in bps (weight − target; two decimals), in policy order. */
export const driftBps = (state: PortfolioState): { sleeveId: string; driftBps: number }[] =>
  state.sleeves.map((s) => ({ sleeveId: s.sleeve.id, driftBps: wadToBpsNumber(s.driftWad) }));

/** The largest |drift| over sleeves, in bps. */
export const maxDriftBps = (state: PortfolioState): number => wadToBpsNumber(state.maxDriftWad);

/** Tracking error: sqrt(Σ drift²) over sleeves, in bps. */
export const trackingErrorBps = (state: PortfolioState): number => wadToBpsNumber(state.trackingErrorWad);

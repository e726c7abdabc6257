import {
  DuplicateSleeveError,
  HoldingClaimedTwiceError,
  InvalidAmountError,
  InvalidCompositionError,
  InvalidPolicyError,
  PolicyWeightSumError,
  UnknownAssetError,
} from "./errors.ts";
import { bpsToWad, WAD } from "./math.ts";
import type { AssetId, Composition, HoldingKind, Snapshot } from "./model.ts";
import type { AssetRegistry } from "./valuation.ts";

/**
 * A target slot of the portfolio. A holding belongs to the sleeve with the same chainId, protocol, kind and ref.
 * `ref` is the asset id for token/supply/debt sleeves and the pool id for LP sleeves.
 */
export type Sleeve = {
  readonly id: string;
  readonly chainId: number;
  /** "wallet", "aave-v3", "uniswap-v3", … */
  readonly protocol: string;
  readonly kind: HoldingKind;
  readonly ref: string;
  /** Signed target weight in bps of net asset value; debt sleeves are negative. All sleeves sum to 10,000. */
  readonly targetBps: number;
  /**
   * What one dollar of the sleeve holds (from the adapters; e.g. an LP at the current price and range).
   * Optional for token/supply/debt sleeves, where it is 100% of `ref`; required for LP sleeves.
   */
  readonly composition?: Composition;
};

/** Rebalancing bands: a sleeve is out of band when |drift| exceeds min(absolute, relative × |target|). */
export type Bands = {
  /** Absolute band in bps of NAV (the "5" of the 5/25 rule: 500). */
  readonly absoluteBps?: number;
  /** Relative band in bps of the sleeve's |target| (the "25" of the 5/25 rule: 2500). */
  readonly relativeBps?: number;
};

/** Which rules can trigger a rebalance: bands only, the calendar only, or either (hybrid). */
export type TriggerMode = "band" | "calendar" | "hybrid";

/** Where a rebalance takes out-of-band sleeves: all the way to target, or just inside the band edge. */
export type RebalanceTo = "target" | "band-edge";

/** Health-factor inputs: the floor and, per collateral asset id, Aave's liquidation threshold in bps. */
export type HealthFactorPolicy = {
  /** The least projected health factor a plan may leave (wad, e.g. 1.8e18). */
  readonly floorWad: bigint;
  /** Liquidation threshold (bps) per collateral asset id, as the market reports it (e.g. WETH 8250). */
  readonly liquidationThresholdBps: Readonly<Record<string, number>>;
};

/**
 * How the planner weighs a bridge against swaps. `"cost"` (default): the cheapest plan, where a bridge costs its fee,
 * its fixed cost per transfer and `premiumBps` of what it moves (the price of the bridge's delay and risk; the plan's
 * estimated cost counts only the real fee and fixed cost). `"least-bridging"`: the least value crosses chains —
 * only where per-chain totals must change — and, at that volume, the cheapest plan.
 */
export type BridgePolicy = {
  /** What a cross-chain move must save, in bps of the value it moves, before it replaces swaps. Default 10. */
  readonly premiumBps?: number;
  readonly objective?: "cost" | "least-bridging";
};

/** The premium (bps of the value moved) a bridge is charged for its delay and risk when the policy sets none. */
export const DEFAULT_BRIDGE_PREMIUM_BPS = 10;

/** The allocation policy: sleeves and the rules that decide and shape a rebalance. */
export type Policy = {
  readonly sleeves: readonly Sleeve[];
  readonly bands: Bands;
  /** Default: "hybrid" when `calendarSeconds` is set, else "band". */
  readonly trigger?: TriggerMode;
  /** Rebalance at least this often (seconds). */
  readonly calendarSeconds?: number;
  /** Never rebalance twice within this many seconds. */
  readonly cooldownSeconds?: number;
  readonly rebalanceTo: RebalanceTo;
  /** Legs (and swaps, transfers) worth less than this (USD wad) are dropped. */
  readonly minTradeUsd: bigint;
  /** Slippage tolerance on each swap: `minOut = mid × (1 − fee) × (1 − maxSlippage)`. */
  readonly maxSlippageBps: number;
  /** Most value (bps of NAV) a rebalance may lose to fees, slippage and bridges; checked in simulation too. */
  readonly maxValueLossBps: number;
  /** Cost gate: the plan's estimated cost may be at most this share (bps) of the drift it removes (USD). */
  readonly maxCostOfDriftRemovedBps?: number;
  /** Per-run cap on turnover (USD wad): a larger move is scaled down toward the target. */
  readonly maxTurnoverUsd?: bigint;
  /** Required when any sleeve is a debt sleeve. */
  readonly healthFactor?: HealthFactorPolicy;
  /** How bridges compete with swaps; default `{ premiumBps: 10, objective: "cost" }`. */
  readonly bridge?: BridgePolicy;
};

const KINDS: readonly HoldingKind[] = ["token", "supply", "debt", "lp"];

/** The slot key a sleeve fills and a holding belongs to: `chainId|protocol|kind|ref`. */
export const slotKey = (x: { chainId: number; protocol: string; kind: HoldingKind; ref: string }): string =>
  `${x.chainId}|${x.protocol}|${x.kind}|${x.ref}`;

type Slot = {
  readonly chainId: number;
  readonly protocol: string;
  readonly kind: HoldingKind;
  readonly ref: string;
};

const sameSlot = (a: Slot, b: Slot): boolean =>
  a.chainId === b.chainId && a.protocol === b.protocol && a.kind === b.kind && a.ref === b.ref;

/** Adds sleeve `i` to the sleeves of its ref (slots are found among the few sharing a ref: no key string is built). */
const addByRef = (refs: Map<string, number[]>, ref: string, i: number): void => {
  const list = refs.get(ref);
  if (list) list.push(i);
  else refs.set(ref, [i]);
};

/**
 * A lookup of the sleeve whose slot `x` fills (index into `sleeves`, or undefined), with no key string built per
 * lookup (it runs for every holding of every cycle). Assumes no slot is taken twice ({@link validatePolicy} refuses it).
 */
export function slotLookup(sleeves: readonly Sleeve[]): (x: Slot) => number | undefined {
  const refs = new Map<string, number[]>();
  sleeves.forEach((s, i) => {
    addByRef(refs, s.ref, i);
  });
  return (x) => refs.get(x.ref)?.find((i) => sameSlot(sleeves[i] as Sleeve, x));
}

/** The composition a sleeve uses: its own, or 100% of `ref` for token/supply/debt sleeves. */
export function compositionOf(sleeve: Sleeve): Composition {
  if (sleeve.composition) return sleeve.composition;
  return [{ asset: sleeve.ref as AssetId, shareWad: WAD }];
}

/** The trigger mode a policy uses once defaults are applied. */
export const triggerModeOf = (policy: Policy): TriggerMode =>
  policy.trigger ?? (policy.calendarSeconds !== undefined ? "hybrid" : "band");

/** Half-width of a sleeve's band as a wad fraction of NAV: min(absolute, relative × |target|), 0 when no band is set. */
export function bandWad(sleeve: Pick<Sleeve, "targetBps">, bands: Bands): bigint {
  const abs = bands.absoluteBps === undefined ? undefined : bpsToWad(bands.absoluteBps);
  const rel =
    bands.relativeBps === undefined
      ? undefined
      : (BigInt(Math.abs(sleeve.targetBps)) * BigInt(bands.relativeBps) * WAD) / 100_000_000n;
  if (abs !== undefined && rel !== undefined) return abs < rel ? abs : rel;
  return abs ?? rel ?? 0n;
}

const isInt = (x: unknown): x is number => Number.isSafeInteger(x);

function intField(value: unknown, field: string, lo: number, hi: number): void {
  if (!isInt(value) || value < lo || value > hi)
    throw new InvalidPolicyError(field, value, `an integer in [${lo}, ${hi}]`);
}

/**
 * Validates a policy; with `assets`, also that every asset it names is registered; with a snapshot, also that no holding
 * is claimed by two sleeves. Throws one typed error naming the field: {@link PolicyWeightSumError},
 * {@link DuplicateSleeveError}, {@link HoldingClaimedTwiceError}, {@link UnknownAssetError},
 * {@link InvalidCompositionError}, {@link InvalidPolicyError} or {@link InvalidAmountError}.
 */
export function validatePolicy(
  policy: Policy,
  context: { assets?: AssetRegistry; snapshot?: Snapshot } = {},
): void {
  const assets = context.assets ?? context.snapshot?.assets;
  if (!Array.isArray(policy.sleeves) || policy.sleeves.length === 0)
    throw new InvalidPolicyError("policy.sleeves", policy.sleeves, "at least one sleeve");
  const slots = new Map<string, number[]>();
  const ids = new Map<string, number>();
  let sum = 0;
  policy.sleeves.forEach((s, i) => {
    const f = `policy.sleeves[${i}]`;
    const firstId = ids.get(s.id);
    if (firstId !== undefined)
      throw new DuplicateSleeveError(`${f}.id`, s.id, `policy.sleeves[${firstId}].id`, "id");
    validateSleeve(s, f);
    ids.set(s.id, i);
    sum += s.targetBps;
    validateComposition(s, f, assets);
    const first = slots.get(s.ref)?.find((j) => sameSlot(policy.sleeves[j] as Sleeve, s));
    if (first !== undefined) slotTakenTwice(policy.sleeves[first] as Sleeve, first, s, f, context.snapshot);
    addByRef(slots, s.ref, i);
  });
  if (sum !== 10_000) throw new PolicyWeightSumError(sum);
  validateRules(policy);
  validateBridge(policy.bridge);
  validateHealthFactor(
    policy.healthFactor,
    policy.sleeves.some((s) => s.kind === "debt"),
    assets,
  );
}

/** One sleeve's own fields: id, chain, protocol, kind, ref, and a target whose sign fits the kind. */
function validateSleeve(s: Sleeve, f: string): void {
  if (typeof s.id !== "string" || s.id === "")
    throw new InvalidPolicyError(`${f}.id`, s.id, "a non-empty string");
  if (!isInt(s.chainId) || s.chainId <= 0)
    throw new InvalidPolicyError(`${f}.chainId`, s.chainId, "a positive integer");
  if (typeof s.protocol !== "string" || s.protocol === "")
    throw new InvalidPolicyError(
      `${f}.protocol`,
      s.protocol,
      'a protocol name such as "wallet" or "aave-v3"',
    );
  if (!KINDS.includes(s.kind))
    throw new InvalidPolicyError(`${f}.kind`, s.kind, `one of ${KINDS.join(", ")}`);
  if (typeof s.ref !== "string" || s.ref === "")
    throw new InvalidPolicyError(`${f}.ref`, s.ref, "a non-empty ref");
  if (!isInt(s.targetBps))
    throw new InvalidPolicyError(`${f}.targetBps`, s.targetBps, "an integer number of bps");
  if (s.kind === "debt" ? s.targetBps > 0 : s.targetBps < 0)
    throw new InvalidPolicyError(
      `${f}.targetBps`,
      s.targetBps,
      s.kind === "debt" ? "≤ 0 for a debt sleeve" : `≥ 0 for a ${s.kind} sleeve`,
    );
}

/** Two sleeves fill one slot: a holding of the snapshot claimed twice, or a duplicate sleeve. */
function slotTakenTwice(
  other: Sleeve,
  first: number,
  s: Sleeve,
  f: string,
  snapshot: Snapshot | undefined,
): never {
  const key = slotKey(s);
  const holding = snapshot?.chains
    .flatMap((c, ci) => c.holdings.map((h, hi) => ({ h, field: `snapshot.chains[${ci}].holdings[${hi}]` })))
    .find(({ h }) => slotKey(h) === key);
  if (holding) throw new HoldingClaimedTwiceError(holding.h.id, holding.field, [other.id, s.id]);
  throw new DuplicateSleeveError(f, s.id, `policy.sleeves[${first}] ("${other.id}")`, "slot");
}

/** The rules that decide and shape a rebalance: bands, mode, trigger and calendar, minimum trade, limits. */
function validateRules(policy: Policy): void {
  const b = policy.bands as Bands | undefined;
  if (!b || typeof b !== "object")
    throw new InvalidPolicyError("policy.bands", b, "{ absoluteBps?, relativeBps? }");
  if (b.absoluteBps !== undefined) intField(b.absoluteBps, "policy.bands.absoluteBps", 0, 10_000);
  if (b.relativeBps !== undefined) intField(b.relativeBps, "policy.bands.relativeBps", 0, 1_000_000);
  if (policy.rebalanceTo !== "target" && policy.rebalanceTo !== "band-edge")
    throw new InvalidPolicyError("policy.rebalanceTo", policy.rebalanceTo, '"target" or "band-edge"');
  if (policy.trigger !== undefined && !["band", "calendar", "hybrid"].includes(policy.trigger))
    throw new InvalidPolicyError("policy.trigger", policy.trigger, '"band", "calendar" or "hybrid"');
  if (policy.calendarSeconds !== undefined)
    intField(policy.calendarSeconds, "policy.calendarSeconds", 1, 2 ** 40);
  if (policy.trigger !== undefined && policy.trigger !== "band" && policy.calendarSeconds === undefined)
    throw new InvalidPolicyError(
      "policy.calendarSeconds",
      undefined,
      `a period for trigger "${policy.trigger}"`,
    );
  if (policy.cooldownSeconds !== undefined)
    intField(policy.cooldownSeconds, "policy.cooldownSeconds", 0, 2 ** 40);
  if (typeof policy.minTradeUsd !== "bigint" || policy.minTradeUsd < 0n)
    throw new InvalidAmountError("policy.minTradeUsd", policy.minTradeUsd, "a USD wad ≥ 0");
  intField(policy.maxSlippageBps, "policy.maxSlippageBps", 0, 9_999);
  intField(policy.maxValueLossBps, "policy.maxValueLossBps", 0, 10_000);
  if (policy.maxCostOfDriftRemovedBps !== undefined)
    intField(policy.maxCostOfDriftRemovedBps, "policy.maxCostOfDriftRemovedBps", 0, 1_000_000);
  if (
    policy.maxTurnoverUsd !== undefined &&
    (typeof policy.maxTurnoverUsd !== "bigint" || policy.maxTurnoverUsd <= 0n)
  )
    throw new InvalidAmountError("policy.maxTurnoverUsd", policy.maxTurnoverUsd, "a USD wad > 0");
}

function validateHealthFactor(
  hf: HealthFactorPolicy | undefined,
  hasDebt: boolean,
  assets: AssetRegistry | undefined,
): void {
  if (hasDebt && !hf)
    throw new InvalidPolicyError(
      "policy.healthFactor",
      undefined,
      "{ floorWad, liquidationThresholdBps } when the policy has a debt sleeve",
    );
  if (!hf) return;
  if (typeof hf.floorWad !== "bigint" || hf.floorWad < WAD)
    throw new InvalidPolicyError(
      "policy.healthFactor.floorWad",
      hf.floorWad,
      "a wad ≥ 1e18 (health factor ≥ 1)",
    );
  for (const [id, lt] of Object.entries(hf.liquidationThresholdBps ?? {})) {
    const f = `policy.healthFactor.liquidationThresholdBps["${id}"]`;
    intField(lt, f, 0, 10_000);
    if (assets && !assets.has(id as AssetId)) throw new UnknownAssetError(id, f);
  }
}

function validateBridge(b: BridgePolicy | undefined): void {
  if (b === undefined) return;
  if (!b || typeof b !== "object")
    throw new InvalidPolicyError("policy.bridge", b, "{ premiumBps?, objective? }");
  if (b.premiumBps !== undefined) intField(b.premiumBps, "policy.bridge.premiumBps", 0, 10_000);
  if (b.objective !== undefined && b.objective !== "cost" && b.objective !== "least-bridging")
    throw new InvalidPolicyError("policy.bridge.objective", b.objective, '"cost" or "least-bridging"');
}

function validateComposition(s: Sleeve, f: string, assets: AssetRegistry | undefined): void {
  if (s.kind !== "lp") {
    if (assets) {
      const a = assets.get(s.ref as AssetId);
      if (!a) throw new UnknownAssetError(s.ref, `${f}.ref`);
      if (a.chainId !== s.chainId)
        throw new InvalidPolicyError(`${f}.ref`, s.ref, `an asset on the sleeve's chain ${s.chainId}`);
    }
    if (s.composition !== undefined) {
      const c = s.composition;
      if (c.length !== 1 || c[0]?.asset !== s.ref || c[0]?.shareWad !== WAD)
        throw new InvalidCompositionError(
          `${f}.composition`,
          `a ${s.kind} sleeve holds 100% of its ref ${s.ref}`,
        );
    }
    return;
  }
  const c = s.composition;
  if (!c || c.length === 0)
    throw new InvalidCompositionError(`${f}.composition`, "an LP sleeve needs a composition");
  let total = 0n;
  const seen = new Set<string>();
  c.forEach((e, j) => {
    const ef = `${f}.composition[${j}]`;
    if (typeof e.shareWad !== "bigint" || e.shareWad <= 0n)
      throw new InvalidCompositionError(
        `${ef}.shareWad`,
        `expected a positive wad, got ${String(e.shareWad)}`,
      );
    if (seen.has(e.asset)) throw new InvalidCompositionError(`${ef}.asset`, `asset ${e.asset} appears twice`);
    seen.add(e.asset);
    if (assets && !assets.has(e.asset)) throw new UnknownAssetError(e.asset, `${ef}.asset`);
    if (!e.asset.startsWith(`${s.chainId}:`))
      throw new InvalidCompositionError(
        `${ef}.asset`,
        `asset ${e.asset} is not on the sleeve's chain ${s.chainId}`,
      );
    total += e.shareWad;
  });
  if (total !== WAD)
    throw new InvalidCompositionError(`${f}.composition`, `shares sum to ${total}, expected 1e18 (100%)`);
}

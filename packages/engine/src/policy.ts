import { aaveLiquidationThresholds } from "@ballast/aave-v3";
import {
  type Address,
  type Asset,
  type AssetId,
  type Composition,
  type HoldingKind,
  MissingPriceError,
  type Policy,
  type PriceBook,
  type Sleeve,
} from "@ballast/core";
import {
  computePoolAddress,
  type LpPosition,
  lpComposition,
  lpPoolRef,
  rangeAround,
  sortTokens,
  type TickRange,
} from "@ballast/uniswap-v3";
import { InvalidCycleConfigError } from "./errors.ts";
import type { ChainFetch, ChainStatics, PolicyRules, PoolSnapshot, SleeveSpec } from "./types.ts";

/** The LP range half-width new positions get when a sleeve does not say (±10%). */
export const DEFAULT_RANGE_BPS = 1_000;

/** A sleeve spec resolved against the chain setups: its slot (chain, protocol, kind, ref) and what it names. */
export type SleeveSlot = {
  readonly spec: SleeveSpec;
  readonly index: number;
  readonly setup: ChainStatics;
  readonly chainId: number;
  readonly protocol: "wallet" | "aave-v3" | "uniswap-v3";
  readonly kind: HoldingKind;
  readonly ref: string;
  /** token / supply / debt sleeves. */
  readonly asset?: Asset;
  /** LP sleeves. */
  readonly pool?: {
    readonly address: Address;
    readonly token0: Asset;
    readonly token1: Asset;
    readonly fee: number;
    readonly rangeBps: number;
  };
};

/** Parses `"WETH/USDC/500"` (or the object form) into two symbols and a fee. */
export function parsePoolSpec(
  pool: NonNullable<SleeveSpec["pool"]>,
  field = "pool",
): { symbol0: string; symbol1: string; fee: number } {
  if (typeof pool !== "string") return pool;
  const parts = pool.split("/").map((s) => s.trim());
  const [a, b, f] = parts;
  const fee = Number(f);
  if (parts.length !== 3 || !a || !b || !Number.isInteger(fee) || fee <= 0)
    throw new InvalidCycleConfigError(
      field,
      `expected "SYMBOL/SYMBOL/FEE" such as "WETH/USDC/500", got "${pool}"`,
    );
  return { symbol0: a, symbol1: b, fee };
}

/** Finds a configured token by symbol (exact first, then case-insensitive); throws when unknown or ambiguous. */
export function tokenBySymbol(setup: ChainStatics, symbol: string, field: string): Asset {
  const exact = setup.tokens.filter((t) => t.symbol === symbol);
  const found =
    exact.length > 0 ? exact : setup.tokens.filter((t) => t.symbol.toLowerCase() === symbol.toLowerCase());
  if (found.length === 0)
    throw new InvalidCycleConfigError(
      field,
      `chain "${setup.key}" has no token "${symbol}" (tokens: ${setup.tokens.map((t) => t.symbol).join(", ") || "none"})`,
    );
  if (found.length > 1)
    throw new InvalidCycleConfigError(
      field,
      `symbol "${symbol}" names several tokens on chain "${setup.key}"`,
    );
  return found[0] as Asset;
}

/**
 * Resolves sleeve specs against the chain setups, statically (no reads): chain key → chain, symbols → tokens,
 * pool specs → pool addresses (CREATE2 from the factory). Throws {@link InvalidCycleConfigError} naming the field.
 */
export function resolveSleeveSlots(
  specs: readonly SleeveSpec[],
  chains: readonly ChainStatics[],
): SleeveSlot[] {
  const byKey = new Map(chains.map((c) => [c.key, c]));
  return specs.map((spec, index): SleeveSlot => {
    const f = `sleeves[${index}]`;
    const setup = byKey.get(spec.chain);
    if (!setup)
      throw new InvalidCycleConfigError(
        `${f}.chain`,
        `unknown chain "${spec.chain}" (chains: ${chains.map((c) => c.key).join(", ")})`,
      );
    const chainId = setup.chainId;
    const asset = () => {
      if (!spec.asset)
        throw new InvalidCycleConfigError(`${f}.asset`, `a ${spec.kind} sleeve names its asset`);
      return tokenBySymbol(setup, spec.asset, `${f}.asset`);
    };
    switch (spec.kind) {
      case "token": {
        const a = asset();
        return { spec, index, setup, chainId, protocol: "wallet", kind: "token", ref: a.id, asset: a };
      }
      case "aave-supply":
      case "aave-borrow": {
        if (!setup.aave)
          throw new InvalidCycleConfigError(
            `${f}.kind`,
            `chain "${setup.key}" has no Aave market configured`,
          );
        const a = asset();
        const kind = spec.kind === "aave-supply" ? "supply" : "debt";
        return { spec, index, setup, chainId, protocol: "aave-v3", kind, ref: a.id, asset: a };
      }
      case "uniswap-v3-lp": {
        if (!setup.uniswap)
          throw new InvalidCycleConfigError(`${f}.kind`, `chain "${setup.key}" has no Uniswap V3 configured`);
        if (!spec.pool) throw new InvalidCycleConfigError(`${f}.pool`, "an LP sleeve names its pool");
        const p = parsePoolSpec(spec.pool, `${f}.pool`);
        const a = tokenBySymbol(setup, p.symbol0, `${f}.pool`);
        const b = tokenBySymbol(setup, p.symbol1, `${f}.pool`);
        if (a.id === b.id)
          throw new InvalidCycleConfigError(`${f}.pool`, "a pool joins two different tokens");
        const [t0] = sortTokens(a.address, b.address);
        const [token0, token1] = t0.toLowerCase() === a.address.toLowerCase() ? [a, b] : [b, a];
        const address = computePoolAddress({
          factory: setup.uniswap.factory,
          tokenA: token0.address,
          tokenB: token1.address,
          fee: p.fee,
          ...(setup.uniswap.initCodeHash ? { initCodeHash: setup.uniswap.initCodeHash } : {}),
        });
        const rangeBps = spec.rangeBps ?? DEFAULT_RANGE_BPS;
        if (!Number.isInteger(rangeBps) || rangeBps <= 0 || rangeBps >= 10_000)
          throw new InvalidCycleConfigError(
            `${f}.rangeBps`,
            `expected an integer in (0, 10000), got ${rangeBps}`,
          );
        return {
          spec,
          index,
          setup,
          chainId,
          protocol: "uniswap-v3",
          kind: "lp",
          ref: lpPoolRef(chainId, address),
          pool: { address, token0, token1, fee: p.fee, rangeBps },
        };
      }
      default: {
        const never: never = spec.kind;
        throw new InvalidCycleConfigError(
          `${f}.kind`,
          `unknown kind "${String(never)}" (token, aave-supply, aave-borrow, uniswap-v3-lp)`,
        );
      }
    }
  });
}

/** The pools each chain must read for its LP sleeves, by chain id. */
export function sleevePools(slots: readonly SleeveSlot[]): Map<number, Address[]> {
  const out = new Map<number, Address[]>();
  for (const s of slots) {
    if (!s.pool) continue;
    const list = out.get(s.chainId) ?? [];
    if (!list.some((a) => a.toLowerCase() === s.pool?.address.toLowerCase())) list.push(s.pool.address);
    out.set(s.chainId, list);
  }
  return out;
}

/** The account's positions in `pool`, in snapshot order (the order core's planner sees the sleeve's holdings in). */
export const poolPositions = (fetch: ChainFetch, pool: Address): LpPosition[] =>
  fetch.lpPositions.filter((p) => p.pool.toLowerCase() === pool.toLowerCase());

/**
 * The range an LP sleeve's new money goes into: the range of its first position when that one holds the current
 * tick (so an "increase" tops it up at its own ratio), else a new range of ±`rangeBps` around the current tick,
 * aligned to the tick spacing.
 */
export function lpEntryRange(
  pool: PoolSnapshot,
  positions: readonly LpPosition[],
  rangeBps: number,
): TickRange & { readonly tokenId?: bigint } {
  const first = positions[0];
  if (first && pool.tick >= first.tickLower && pool.tick < first.tickUpper)
    return { tickLower: first.tickLower, tickUpper: first.tickUpper, tokenId: first.tokenId };
  return rangeAround({ tick: pool.tick, tickSpacing: pool.tickSpacing, widthBps: rangeBps });
}

/** What one dollar of an LP sleeve holds at the pool's current price in its entry range (zero shares dropped). */
export function lpSleeveComposition(params: {
  readonly chainId: number;
  readonly pool: PoolSnapshot;
  readonly range: TickRange;
  readonly token0: Asset;
  readonly token1: Asset;
  readonly prices: PriceBook;
  readonly field: string;
}): Composition {
  const { token0, token1, prices } = params;
  const p0 = prices.get(token0.id);
  const p1 = prices.get(token1.id);
  if (p0 === undefined) throw new MissingPriceError(token0.id, params.field);
  if (p1 === undefined) throw new MissingPriceError(token1.id, params.field);
  return lpComposition({
    chainId: params.chainId,
    token0: token0.address,
    token1: token1.address,
    sqrtPriceX96: params.pool.sqrtPriceX96,
    tickLower: params.range.tickLower,
    tickUpper: params.range.tickUpper,
    prices: { token0: p0, token1: p1 },
    decimals: { token0: token0.decimals, token1: token1.decimals },
  }).filter((c) => c.shareWad > 0n);
}

/** Inputs of {@link resolveSleeves} and {@link buildPolicy}. */
export type ResolveSleevesParameters = {
  readonly specs: readonly SleeveSpec[];
  readonly chains: readonly ChainStatics[];
  /** The fetched chains (every chain a sleeve names must be there). */
  readonly fetched: readonly ChainFetch[];
  /** The cycle's price book (LP compositions need both tokens' prices). */
  readonly prices: PriceBook;
  /** The specs already resolved by {@link resolveSleeveSlots} (saves resolving them again). */
  readonly slots?: readonly SleeveSlot[];
};

/**
 * SleeveSpec[] + fetched chains → core Sleeves, in spec order: slots from {@link resolveSleeveSlots}, LP compositions
 * from the pool's current price and the sleeve's entry range ({@link lpEntryRange}).
 */
export function resolveSleeves(params: ResolveSleevesParameters): Sleeve[] {
  const slots = params.slots ?? resolveSleeveSlots(params.specs, params.chains);
  const byChain = new Map(params.fetched.map((f) => [f.chainId, f]));
  return slots.map((slot): Sleeve => {
    const base = {
      id: slot.spec.id,
      chainId: slot.chainId,
      protocol: slot.protocol,
      kind: slot.kind,
      ref: slot.ref,
      targetBps: slot.spec.weightBps,
    };
    if (!slot.pool) return base;
    const f = `sleeves[${slot.index}].pool`;
    const fetch = byChain.get(slot.chainId);
    const pool = fetch?.pools.get(slot.pool.address.toLowerCase());
    if (!fetch || !pool)
      throw new InvalidCycleConfigError(
        f,
        `pool ${slot.pool.address} was not read on chain "${slot.setup.key}"`,
      );
    const range = lpEntryRange(pool, poolPositions(fetch, slot.pool.address), slot.pool.rangeBps);
    return {
      ...base,
      composition: lpSleeveComposition({
        chainId: slot.chainId,
        pool,
        range,
        token0: slot.pool.token0,
        token1: slot.pool.token1,
        prices: params.prices,
        field: f,
      }),
    };
  });
}

/** Liquidation thresholds (bps) of the registered assets on every fetched Aave market, by asset id. */
export function liquidationThresholds(fetched: readonly ChainFetch[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of [...fetched].sort((a, b) => a.chainId - b.chainId)) {
    if (!f.aave) continue;
    const registered = new Set<AssetId>(f.assets.map((a) => a.id));
    for (const [id, lt] of aaveLiquidationThresholds(f.aave)) if (registered.has(id)) out[id] = Number(lt);
  }
  return out;
}

/**
 * The core Policy of a cycle: the rules, the resolved sleeves and, when `rules.healthFactorFloorWad` is set, the
 * health-factor inputs (the floor and Aave's liquidation thresholds, e-mode aware, as read).
 */
export function buildPolicy(params: ResolveSleevesParameters & { readonly rules: PolicyRules }): Policy {
  const { healthFactorFloorWad, ...rules } = params.rules;
  const sleeves = resolveSleeves(params);
  return {
    ...rules,
    sleeves,
    ...(healthFactorFloorWad === undefined
      ? {}
      : {
          healthFactor: {
            floorWad: healthFactorFloorWad,
            liquidationThresholdBps: liquidationThresholds(params.fetched),
          },
        }),
  };
}

import { InvalidCostModelError } from "./errors.ts";
import type { AssetId } from "./model.ts";
import type { AssetRegistry } from "./valuation.ts";

/** Estimated cost of a swap: venue/pool fee and price impact, both in bps of the amount in (two decimals allowed). */
export type SwapCost = { readonly feeBps: number; readonly slippageBps: number };

/** A swap cost for one chain (overrides the model's default there). */
export type ChainSwapCost = SwapCost & { readonly chainId: number };

/** A swap cost for one directed pair on one chain (overrides the chain's cost for that pair). */
export type PairSwapCost = SwapCost & {
  readonly chainId: number;
  readonly assetIn: AssetId;
  readonly assetOut: AssetId;
};

/** The leg types that can cost gas: every leg action, plus swaps and bridge transfers. */
export type GasLegType =
  | "sell"
  | "withdraw"
  | "borrow"
  | "decrease"
  | "buy-hold"
  | "supply"
  | "repay"
  | "mint"
  | "increase"
  | "swap"
  | "transfer";

/** Gas cost (USD wad) per leg type; absent types cost nothing (e.g. "sell"/"buy-hold" need no call). */
export type GasTable = Partial<Record<GasLegType, bigint>>;

/** A bridge for the economic asset `symbol` from one chain to another: proportional fee plus a fixed USD cost. */
export type BridgeRoute = {
  readonly symbol: string;
  readonly fromChainId: number;
  readonly toChainId: number;
  readonly feeBps: number;
  /** Fixed cost per transfer (USD wad): relayer fee, destination gas. */
  readonly fixedUsd: bigint;
};

/**
 * What the planner believes trades cost. Swaps: a default, per-chain and per-pair overrides. Gas: USD per leg type,
 * default and per chain. Bridges: the routes that exist; none means per-chain totals cannot change.
 */
export type CostModel = {
  readonly swap: {
    readonly default: SwapCost;
    readonly chains?: readonly ChainSwapCost[];
    readonly pairs?: readonly PairSwapCost[];
  };
  readonly gasUsd?: {
    readonly default?: GasTable;
    readonly chains?: readonly { readonly chainId: number; readonly gas: GasTable }[];
  };
  readonly bridges?: readonly BridgeRoute[];
};

/** A cost model where nothing costs anything and no bridge exists. */
export const zeroCostModel: CostModel = { swap: { default: { feeBps: 0, slippageBps: 0 } } };

/** Cost rates in centi-bps (1,000,000 = 100%), integers so path costs add exactly. */
export const CBPS = 1_000_000n;

/** A bridge route resolved against the asset registry: the token that leaves and the token that arrives. */
export type ResolvedRoute = BridgeRoute & {
  readonly index: number;
  readonly fromAsset: AssetId;
  readonly toAsset: AssetId;
  readonly feeCbps: number;
};

/** A cost model prepared for fast lookups during planning. */
export type CompiledCosts = {
  /** Fee and slippage (centi-bps) of swapping `assetIn` for `assetOut` on `chainId`. */
  swap(chainId: number, assetIn: AssetId, assetOut: AssetId): { feeCbps: number; slippageCbps: number };
  /** The chain's default swap cost (fee + slippage, centi-bps). */
  chainSwapCbps(chainId: number): number;
  /** The cheapest swap (fee + slippage, centi-bps) on the chain: its default or its cheapest pair. */
  minSwapCbps(chainId: number): number;
  /** Whether any pair on the chain has its own cost. */
  hasPairs(chainId: number): boolean;
  /** Gas (USD wad) of one leg of `type` on `chainId`. */
  gasUsd(chainId: number, type: GasLegType): bigint;
  /** Routes whose tokens exist on both chains. */
  readonly routes: readonly ResolvedRoute[];
};

/** `bps` in centi-bps; `field` names it in the error (built only then: a model is compiled on every plan). */
const toCbps = (bps: number, field: () => string): number => {
  if (typeof bps !== "number" || !Number.isFinite(bps) || bps < 0 || bps >= 10_000)
    throw new InvalidCostModelError(field(), `expected bps in [0, 10000), got ${String(bps)}`);
  const c = Math.round(bps * 100);
  if (Math.abs(c - bps * 100) > 1e-6)
    throw new InvalidCostModelError(field(), `at most two decimals of bps, got ${bps}`);
  return c;
};

function checkSwapCost(c: SwapCost | undefined, field: string): { feeCbps: number; slippageCbps: number } {
  if (!c || typeof c !== "object") throw new InvalidCostModelError(field, "expected { feeBps, slippageBps }");
  const feeCbps = toCbps(c.feeBps, () => `${field}.feeBps`);
  const slippageCbps = toCbps(c.slippageBps, () => `${field}.slippageBps`);
  if (feeCbps + slippageCbps >= 1_000_000)
    throw new InvalidCostModelError(field, "fee + slippage must stay below 100%");
  return { feeCbps, slippageCbps };
}

function checkGas(t: GasTable | undefined, field: string): void {
  for (const [k, v] of Object.entries(t ?? {}))
    if (typeof v !== "bigint" || v < 0n)
      throw new InvalidCostModelError(`${field}.${k}`, "expected a USD wad ≥ 0");
}

type Cbps = { feeCbps: number; slippageCbps: number };

/** The swap costs of a model, checked: the default, per chain, per directed pair, and each chain's cheapest pair. */
function compileSwaps(model: CostModel, assets: AssetRegistry) {
  const def = checkSwapCost(model.swap.default, "costModel.swap.default");
  const chains = new Map<number, Cbps>();
  (model.swap.chains ?? []).forEach((c, i) => {
    const f = `costModel.swap.chains[${i}]`;
    if (chains.has(c.chainId))
      throw new InvalidCostModelError(`${f}.chainId`, `chain ${c.chainId} appears twice`);
    chains.set(c.chainId, checkSwapCost(c, f));
  });
  // By asset in, then asset out: a lookup builds no key (it runs for every candidate swap of every pass).
  const pairs = new Map<AssetId, Map<AssetId, Cbps>>();
  const cheapest = new Map<number, number>();
  (model.swap.pairs ?? []).forEach((p, i) => {
    const f = `costModel.swap.pairs[${i}]`;
    for (const k of ["assetIn", "assetOut"] as const) {
      const a = assets.get(p[k]);
      if (a && a.chainId !== p.chainId)
        throw new InvalidCostModelError(`${f}.${k}`, `asset ${p[k]} is not on chain ${p.chainId}`);
    }
    let byOut = pairs.get(p.assetIn);
    if (!byOut) {
      byOut = new Map();
      pairs.set(p.assetIn, byOut);
    }
    if (byOut.has(p.assetOut))
      throw new InvalidCostModelError(f, `pair ${p.assetIn}>${p.assetOut} appears twice`);
    const c = checkSwapCost(p, f);
    byOut.set(p.assetOut, c);
    const total = c.feeCbps + c.slippageCbps;
    if (total < (cheapest.get(p.chainId) ?? Number.POSITIVE_INFINITY)) cheapest.set(p.chainId, total);
  });
  return { def, chains, pairs, cheapest };
}

/** The model's bridge routes, checked, resolved to the token that leaves and the one that arrives (both registered). */
function resolveRoutes(model: CostModel, assets: AssetRegistry): ResolvedRoute[] {
  // Tokens by chain, then symbol; routes seen by symbol, then chain from, then chain to (no key strings per route).
  const bySymbol = new Map<number, Map<string, AssetId[]>>();
  for (const a of assets.values()) {
    let onChain = bySymbol.get(a.chainId);
    if (!onChain) {
      onChain = new Map();
      bySymbol.set(a.chainId, onChain);
    }
    const list = onChain.get(a.symbol);
    if (list) list.push(a.id);
    else onChain.set(a.symbol, [a.id]);
  }
  const routes: ResolvedRoute[] = [];
  const seen = new Map<string, Map<number, Set<number>>>();
  (model.bridges ?? []).forEach((r, index) => {
    const f = () => `costModel.bridges[${index}]`;
    const feeCbps = toCbps(r.feeBps, () => `${f()}.feeBps`);
    if (typeof r.fixedUsd !== "bigint" || r.fixedUsd < 0n)
      throw new InvalidCostModelError(`${f()}.fixedUsd`, "expected a USD wad ≥ 0");
    if (r.fromChainId === r.toChainId)
      throw new InvalidCostModelError(`${f()}.toChainId`, "a route joins two chains");
    let bySource = seen.get(r.symbol);
    if (!bySource) {
      bySource = new Map();
      seen.set(r.symbol, bySource);
    }
    let to = bySource.get(r.fromChainId);
    if (!to) {
      to = new Set();
      bySource.set(r.fromChainId, to);
    }
    if (to.has(r.toChainId))
      throw new InvalidCostModelError(f(), `route ${r.symbol}|${r.fromChainId}|${r.toChainId} appears twice`);
    to.add(r.toChainId);
    const fromTokens = bySymbol.get(r.fromChainId)?.get(r.symbol);
    const toTokens = bySymbol.get(r.toChainId)?.get(r.symbol);
    if ((fromTokens?.length ?? 0) > 1 || (toTokens?.length ?? 0) > 1)
      throw new InvalidCostModelError(
        `${f()}.symbol`,
        `symbol ${r.symbol} names several tokens on one chain`,
      );
    const fromAsset = fromTokens?.[0];
    const toAsset = toTokens?.[0];
    // Object.assign, not `{ ...r, index, … }`: a spread followed by properties takes V8's slow path (~10 µs a route on
    // Node 20), and the model is compiled on every plan.
    if (fromAsset && toAsset) routes.push(Object.assign({}, r, { index, fromAsset, toAsset, feeCbps }));
  });
  return routes;
}

/** Validates a cost model and resolves bridge routes against `assets`; throws {@link InvalidCostModelError}. */
export function compileCostModel(model: CostModel, assets: AssetRegistry): CompiledCosts {
  if (!model || typeof model !== "object" || !model.swap)
    throw new InvalidCostModelError("costModel.swap", "missing");
  const { def, chains, pairs, cheapest } = compileSwaps(model, assets);
  checkGas(model.gasUsd?.default, "costModel.gasUsd.default");
  const gasChains = new Map<number, GasTable>();
  (model.gasUsd?.chains ?? []).forEach((c, i) => {
    checkGas(c.gas, `costModel.gasUsd.chains[${i}].gas`);
    gasChains.set(c.chainId, c.gas);
  });
  const routes = resolveRoutes(model, assets);
  return {
    swap(chainId, assetIn, assetOut) {
      return pairs.get(assetIn)?.get(assetOut) ?? chains.get(chainId) ?? def;
    },
    chainSwapCbps(chainId) {
      const c = chains.get(chainId) ?? def;
      return c.feeCbps + c.slippageCbps;
    },
    minSwapCbps(chainId) {
      const c = chains.get(chainId) ?? def;
      return Math.min(c.feeCbps + c.slippageCbps, cheapest.get(chainId) ?? Number.POSITIVE_INFINITY);
    },
    hasPairs: (chainId) => cheapest.has(chainId),
    gasUsd(chainId, type) {
      return gasChains.get(chainId)?.[type] ?? model.gasUsd?.default?.[type] ?? 0n;
    },
    routes,
  };
}

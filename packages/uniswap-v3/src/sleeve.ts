import {
  type Address,
  type Asset,
  type Composition,
  MissingPriceError,
  type PriceBook,
  type ProtocolChain,
  parsePoolSpec,
  type SleeveSpec,
  SleeveSpecError,
  type SleeveTarget,
  tokenBySymbol,
} from "@ballast/core";
import { lpComposition } from "./composition.ts";
import { computePoolAddress, sortTokens } from "./poolAddress.ts";
import { type LpPosition, lpPoolRef, type PoolState } from "./position.ts";
import { rangeAround, type TickRange } from "./range.ts";

/** The LP range half-width new positions get when a sleeve does not say (±10%). */
export const DEFAULT_RANGE_BPS = 1_000;

/** A pool's price state at the read block (what sleeves and prices need; a position's `PoolState` is one). */
export type PoolSnapshot = Omit<PoolState, "feeGrowthGlobal0X128" | "feeGrowthGlobal1X128">;

/**
 * Resolves a `uniswap-v3-lp` sleeve statically: symbols → tokens in the pool's order, the pool's address (CREATE2 from
 * the factory) and the range of new positions. Throws `SleeveSpecError` on "pool" or "rangeBps".
 */
export function resolveLpSleeve(
  spec: SleeveSpec,
  chain: Pick<ProtocolChain, "key" | "chainId" | "tokens">,
  deployment: { readonly factory: Address; readonly initCodeHash?: `0x${string}` | undefined },
): SleeveTarget {
  if (!spec.pool) throw new SleeveSpecError("pool", "an LP sleeve names its pool");
  const p = parsePoolSpec(spec.pool);
  const a = tokenBySymbol(chain, p.symbol0, "pool");
  const b = tokenBySymbol(chain, p.symbol1, "pool");
  if (a.id === b.id) throw new SleeveSpecError("pool", "a pool joins two different tokens");
  const [t0] = sortTokens(a.address, b.address);
  const [token0, token1] = t0.toLowerCase() === a.address.toLowerCase() ? [a, b] : [b, a];
  const address = computePoolAddress({
    factory: deployment.factory,
    tokenA: token0.address,
    tokenB: token1.address,
    fee: p.fee,
    ...(deployment.initCodeHash ? { initCodeHash: deployment.initCodeHash } : {}),
  });
  const rangeBps = spec.rangeBps ?? DEFAULT_RANGE_BPS;
  if (!Number.isInteger(rangeBps) || rangeBps <= 0 || rangeBps >= 10_000)
    throw new SleeveSpecError("rangeBps", `expected an integer in (0, 10000), got ${rangeBps}`);
  return {
    protocol: "uniswap-v3",
    kind: "lp",
    ref: lpPoolRef(chain.chainId, address),
    pool: { address, token0, token1, fee: p.fee, rangeBps },
  };
}

/** The account's positions in `pool`, in read order (the order core's planner sees the sleeve's holdings in). */
export const poolPositions = (positions: readonly LpPosition[], pool: Address): LpPosition[] =>
  positions.filter((p) => p.pool.toLowerCase() === pool.toLowerCase());

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

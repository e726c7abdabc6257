import {
  type Address,
  type Asset,
  type AssetId,
  type ChainSnapshot,
  type Holding,
  netAssetValue,
  type Snapshot,
} from "@ballast/core";
import {
  type ChainFetch,
  type ChainStatics,
  resolveSleeveSlots,
  type SleeveSlot,
  type SleeveSpec,
} from "@ballast/engine";
import {
  getTickAtSqrtRatio,
  type LpPosition,
  lpHolding,
  type PoolSnapshot,
  sqrtPriceX96AtPrices,
  tickSpacingOfFee,
  type UniswapV3Config,
  type UniswapV3State,
} from "@ballast/uniswap-v3";
import { BacktestInputError } from "./errors.ts";
import type { PriceHistory } from "./history.ts";

/** The static world of a backtest: chains, resolved sleeves, the asset registry and where each asset's price is. */
export type World = {
  readonly chains: readonly ChainStatics[];
  readonly specs: readonly SleeveSpec[];
  readonly slots: readonly SleeveSlot[];
  readonly assets: ReadonlyMap<AssetId, Asset>;
  /** Column of each priced asset in the history (by its symbol). */
  readonly column: ReadonlyMap<AssetId, number>;
  readonly history: PriceHistory;
  /** The market at each step of the history. */
  readonly markets: readonly Market[];
};

/** The market at one step: time, USD prices by asset id and the state of every LP sleeve's pool. */
export type Market = {
  readonly step: number;
  readonly now: number;
  readonly prices: ReadonlyMap<AssetId, bigint>;
  /** By lower-cased pool address. */
  readonly pools: ReadonlyMap<string, PoolSnapshot>;
};

/** The simulated account: wallet balances, Aave supply and debt (base units by asset id), LP positions. */
export type Book = {
  readonly wallet: Map<AssetId, bigint>;
  readonly supply: Map<AssetId, bigint>;
  readonly debt: Map<AssetId, bigint>;
  lp: LpPosition[];
  nextTokenId: bigint;
};

/** A position manager address for positions on a chain without a configured Uniswap (never the case for LP sleeves). */
const NO_MANAGER: Address = "0x0000000000000000000000000000000000000000";

/** Resolves the sleeves with the engine's own resolver and checks the history prices every asset a sleeve holds. */
export function buildWorld(
  chains: readonly ChainStatics[],
  specs: readonly SleeveSpec[],
  history: PriceHistory,
): World {
  const slots = resolveSleeveSlots(specs, chains);
  const assets = new Map<AssetId, Asset>();
  for (const c of chains) for (const t of c.tokens) assets.set(t.id, t);
  const column = new Map<AssetId, number>();
  for (const a of assets.values()) {
    const j = history.symbols.indexOf(a.symbol);
    if (j >= 0) column.set(a.id, j);
  }
  slots.forEach((s) => {
    for (const a of s.pool ? [s.pool.token0, s.pool.token1] : s.asset ? [s.asset] : [])
      if (!column.has(a.id))
        throw new BacktestInputError(
          `sleeves[${s.index}]`,
          `the price history has no column "${a.symbol}" (columns: ${history.symbols.join(", ")})`,
        );
  });
  const base = { chains, specs, slots, assets, column, history };
  return { ...base, markets: history.rows.map((_, i) => marketAt(base, i)) };
}

/** The market at step `i` of the history: prices by asset id and each LP sleeve's pool priced at the two tokens' ratio. */
export function marketAt(world: Omit<World, "markets">, i: number): Market {
  const row = world.history.rows[i] as readonly bigint[];
  const prices = new Map<AssetId, bigint>();
  for (const [id, j] of world.column) prices.set(id, row[j] as bigint);
  const pools = new Map<string, PoolSnapshot>();
  for (const s of world.slots) {
    if (!s.pool) continue;
    const { token0, token1, fee, address } = s.pool;
    const sqrtPriceX96 = sqrtPriceX96AtPrices({
      price0: prices.get(token0.id) as bigint,
      decimals0: token0.decimals,
      price1: prices.get(token1.id) as bigint,
      decimals1: token1.decimals,
    });
    pools.set(address.toLowerCase(), {
      address,
      token0: token0.address,
      token1: token1.address,
      fee,
      tickSpacing: tickSpacingOfFee(fee),
      sqrtPriceX96,
      tick: getTickAtSqrtRatio(sqrtPriceX96),
      liquidity: 0n,
    });
  }
  return { step: i, now: world.history.times[i] as number, prices, pools };
}

/** An empty account. */
export const emptyBook = (): Book => ({
  wallet: new Map(),
  supply: new Map(),
  debt: new Map(),
  lp: [],
  nextTokenId: 1n,
});

/** The position manager of a chain (for LP holding ids). */
export const positionManagerOf = (world: World, chainId: number): Address =>
  (
    world.chains.find((c) => c.chainId === chainId)?.protocols.find((p) => p.name === "uniswap-v3") as
      | { readonly config?: UniswapV3Config }
      | undefined
  )?.config?.positionManager ?? NO_MANAGER;

/** A new LP position record in `pool` (fee growth is modelled as `tokensOwed`, so the growth fields stay zero). */
export function newPosition(
  world: World,
  chainId: number,
  pool: PoolSnapshot,
  range: { tickLower: number; tickUpper: number },
  liquidity: bigint,
  tokenId: bigint,
): LpPosition {
  const tick = {
    liquidityGross: 0n,
    feeGrowthOutside0X128: 0n,
    feeGrowthOutside1X128: 0n,
    initialized: true,
  };
  return {
    tokenId,
    pool: pool.address,
    token0: pool.token0,
    token1: pool.token1,
    fee: pool.fee,
    tickLower: range.tickLower,
    tickUpper: range.tickUpper,
    positionManager: positionManagerOf(world, chainId),
    liquidity,
    feeGrowthInside0LastX128: 0n,
    feeGrowthInside1LastX128: 0n,
    tokensOwed0: 0n,
    tokensOwed1: 0n,
    poolState: { ...pool, feeGrowthGlobal0X128: 0n, feeGrowthGlobal1X128: 0n },
    lowerTick: tick,
    upperTick: tick,
  };
}

const chainOfPool = (world: World, pool: Address): number =>
  (world.slots.find((s) => s.pool?.address.toLowerCase() === pool.toLowerCase()) as SleeveSlot).chainId;

/** Moves every LP position to the market's pool price (its amounts follow from the position maths). */
export function repricePositions(book: Book, market: Market): void {
  book.lp = book.lp.map((p) => {
    const pool = market.pools.get(p.pool.toLowerCase()) as PoolSnapshot;
    return { ...p, poolState: { ...p.poolState, sqrtPriceX96: pool.sqrtPriceX96, tick: pool.tick } };
  });
}

function chainHoldings(world: World, book: Book, chainId: number): Holding[] {
  const holdings: Holding[] = [];
  const onChain = (a: AssetId) => a.startsWith(`${chainId}:`);
  for (const [asset, amount] of book.wallet)
    if (amount > 0n && onChain(asset))
      holdings.push({
        id: `wallet:${asset}`,
        chainId,
        protocol: "wallet",
        kind: "token",
        ref: asset,
        exposures: [{ asset, amount }],
      });
  for (const [asset, amount] of book.supply)
    if (amount > 0n && onChain(asset))
      holdings.push({
        id: `aave-v3:supply:${asset}`,
        chainId,
        protocol: "aave-v3",
        kind: "supply",
        ref: asset,
        exposures: [{ asset, amount }],
      });
  for (const [asset, amount] of book.debt)
    if (amount > 0n && onChain(asset))
      holdings.push({
        id: `aave-v3:debt:${asset}`,
        chainId,
        protocol: "aave-v3",
        kind: "debt",
        ref: asset,
        exposures: [{ asset, amount: -amount }],
      });
  for (const p of book.lp) if (chainOfPool(world, p.pool) === chainId) holdings.push(lpHolding(chainId, p));
  return holdings;
}

/**
 * The account as the engine would read it: a core snapshot, and per chain the `ChainFetch` the engine's
 * `buildPolicy` takes (the Uniswap read: pools and LP positions; Aave's thresholds come from the backtest's market
 * rates instead).
 */
export function readBook(
  world: World,
  book: Book,
  market: Market,
): { snapshot: Snapshot; fetched: ChainFetch[] } {
  const fetched = world.chains.map((c): ChainFetch => {
    const prices = new Map<AssetId, bigint>();
    for (const t of c.tokens) {
      const p = market.prices.get(t.id);
      if (p !== undefined) prices.set(t.id, p);
    }
    const snapshot: ChainSnapshot = {
      chainId: c.chainId,
      blockNumber: BigInt(market.step),
      timestamp: BigInt(market.now),
      holdings: chainHoldings(world, book, c.chainId),
      prices,
    };
    const pools = new Map<string, PoolSnapshot>();
    for (const [k, pool] of market.pools)
      if (world.slots.some((s) => s.chainId === c.chainId && s.pool?.address.toLowerCase() === k))
        pools.set(k, pool);
    const lp: UniswapV3State = {
      chainId: c.chainId,
      positions: book.lp.filter((p) => chainOfPool(world, p.pool) === c.chainId),
      pools,
      keys: [],
    };
    return {
      chainId: c.chainId,
      key: c.key,
      snapshot,
      assets: c.tokens,
      reads: { "uniswap-v3": { holdings: [], assets: [], prices: new Map(), state: lp } },
      hints: {},
      ethCalls: 0,
      warnings: [],
    };
  });
  return { snapshot: { assets: world.assets, chains: fetched.map((f) => f.snapshot) }, fetched };
}

/** The holding id core sees for an LP position (what a plan's `holdingIds` name). */
export const lpHoldingId = (chainId: number, p: LpPosition): string => lpHolding(chainId, p).id;

/** The account's net value (assets − debts, USD wad) at the market's prices, without a policy: for the references. */
export const bookNav = (world: World, book: Book, market: Market): bigint =>
  world.chains.reduce(
    (a, c) => a + netAssetValue(chainHoldings(world, book, c.chainId), world.assets, market.prices),
    0n,
  );

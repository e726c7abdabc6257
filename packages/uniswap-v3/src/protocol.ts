import {
  type Address,
  type AssetId,
  assetId,
  type Call,
  type ContractRead,
  type EncodeContext,
  type LegEffect,
  LegEncodeError,
  type LegEncoding,
  type MarketPrice,
  mulDiv,
  type Protocol,
  type ProtocolRead,
  type ReadRequest,
  type ReadResult,
  type ReadStep,
  type SleeveLeg,
  SleeveSpecError,
  type SwapQuote,
  usdValue,
  WAD,
} from "@ballast/core";
import { type Abi, getAddress } from "viem";
import { poolAbi, positionManagerAbi, swapRouterAbi } from "./abi.ts";
import { lpSleeveSpecOf } from "./discover.ts";
import { depositAmounts, encodeDecrease, encodeIncrease, encodeMint } from "./encode.ts";
import { UniswapReadError } from "./errors.ts";
import { getTickAtSqrtRatio } from "./math/tickMath.ts";
import { fillPoolPrices, priceFromPool } from "./pool-prices.ts";
import { type LpPosition, type LpPositionKey, lpHolding } from "./position.ts";
import { decodeLpReads, type LpReadsParameters, lpReads } from "./reads.ts";
import {
  lpEntryRange,
  lpSleeveComposition,
  type PoolSnapshot,
  poolPositions,
  resolveLpSleeve,
} from "./sleeve.ts";
import { lpReadAtPrices } from "./what-if.ts";

/** The Uniswap V3 deployment of a chain. `feeTiers` are the tiers swaps are routed through. */
export type UniswapV3Config = {
  readonly factory: Address;
  readonly positionManager: Address;
  readonly quoter: Address;
  readonly router: Address;
  readonly feeTiers: readonly number[];
  /** Pool init code hash override (Uniswap V3 forks). */
  readonly initCodeHash?: `0x${string}` | undefined;
};

/** What the protocol read on a chain: the account's LP positions and the state of every pool they or the sleeves use. */
export type UniswapV3State = {
  readonly chainId: number;
  /** By token id. */
  readonly positions: readonly LpPosition[];
  /** By lower-cased address. */
  readonly pools: ReadonlyMap<string, PoolSnapshot>;
  /** Every id's immutable facts (for the next read). */
  readonly keys: readonly LpPositionKey[];
};

/** The hint the protocol leaves for its next read (JSON-safe): the LP ids and their immutable facts. */
export type UniswapV3Hint = { readonly tokenIds?: readonly string[]; readonly keys?: readonly LpKeyJson[] };
type LpKeyJson = Record<string, string | number>;

const POOL_FIELDS = ["slot0", "tickSpacing", "liquidity", "token0", "token1", "fee"] as const;
const MAX_LP_ROUNDS = 4;

/**
 * Uniswap V3 LP positions as a {@link Protocol}: sleeves `uniswap-v3-lp`; reads the sleeves' pools and the account's
 * NFTs, positions and their pools in the chain's one multicall (one more round per never-seen id unless the previous
 * read's hint is passed back); compositions at the pool's price and the entry range; realizes `decrease` (with
 * collect and burn, separate calls), `mint` and `increase`. Swaps are the venue's job
 * ({@link uniswapV3Venue}).
 */
export function uniswapV3Protocol(
  config: UniswapV3Config,
): Protocol<UniswapV3State> & { readonly config: UniswapV3Config } {
  return {
    name: "uniswap-v3",
    config,
    sleeveKinds: { "uniswap-v3-lp": "lp" },
    resolveSleeve: (spec, chain) => resolveLpSleeve(spec, chain, config),
    read: (request) => lpReadStep(config, request),
    composition(target, state, prices, field) {
      if (!target.pool) return undefined;
      const pool = state.pools.get(target.pool.address.toLowerCase());
      if (!pool) throw new SleeveSpecError("pool", `pool ${target.pool.address} was not read`);
      const range = lpEntryRange(
        pool,
        poolPositions(state.positions, target.pool.address),
        target.pool.rangeBps,
      );
      const { token0, token1 } = target.pool;
      return lpSleeveComposition({ chainId: state.chainId, pool, range, token0, token1, prices, field });
    },
    atPrices: lpReadAtPrices,
    sleeveSpecOf: (holding, state, assets) => lpSleeveSpecOf(holding, state, assets),
    derivePrices: (state, prices, assets) =>
      fillPoolPrices(prices, state.pools.values(), assets, state.chainId),
    afterSwaps: poolsAfterSwaps,
    encode(leg, ctx) {
      if (leg.action === "decrease") return encodeLpExit(leg, ctx);
      if (leg.action === "mint" || leg.action === "increase") return encodeLpEntry(config, leg, ctx);
      throw new LegEncodeError(`Uniswap V3 cannot "${leg.action}"`);
    },
    priceSources: (state) => ({ markets: [...state.pools.values()].map(poolMarketPrice) }),
    abis: [positionManagerAbi, swapRouterAbi],
  };
}

/**
 * The pools as the batch's swaps leave them: each pool a quote trades through takes the price the quote reports after
 * it (and the tick of that price), so an LP entry after the swaps is sized at the price it meets, not the read one.
 * Quotes are taken against the read state, so when two swaps trade through one pool the last one's price is kept.
 */
export function poolsAfterSwaps(state: UniswapV3State, quotes: readonly SwapQuote[]): UniswapV3State {
  const moved = quotes.flatMap((q) => q.poolsAfter ?? []);
  if (moved.length === 0) return state;
  const same = (a: Address, b: Address) => a.toLowerCase() === b.toLowerCase();
  const pools = new Map(state.pools);
  for (const [key, pool] of state.pools) {
    const after = moved.findLast(
      (m) =>
        m.fee === pool.fee &&
        ((same(m.tokenA, pool.token0) && same(m.tokenB, pool.token1)) ||
          (same(m.tokenA, pool.token1) && same(m.tokenB, pool.token0))),
    );
    if (after && after.sqrtPriceX96 !== pool.sqrtPriceX96)
      pools.set(key, {
        ...pool,
        sqrtPriceX96: after.sqrtPriceX96,
        tick: getTickAtSqrtRatio(after.sqrtPriceX96),
      });
  }
  return { ...state, pools };
}

/** A pool's mid price of token0 in USD through token1's oracle price, for the price guard. */
const poolMarketPrice = (pool: PoolSnapshot): MarketPrice => ({
  base: pool.token0,
  quote: pool.token1,
  observe: (a0, a1, p1) => ({
    source: `pool ${a0.symbol}/${a1.symbol}/${pool.fee}`,
    priceUsdWad: priceFromPool({
      sqrtPriceX96: pool.sqrtPriceX96,
      decimals0: a0.decimals,
      decimals1: a1.decimals,
      known: { side: 1, priceUsdWad: p1 },
    }),
  }),
});

/** A hint for {@link uniswapV3Protocol}'s read: ids to look for, and keys that save the extra rounds. */
export function uniswapV3Hint(p: {
  readonly tokenIds?: readonly bigint[];
  readonly keys?: readonly LpPositionKey[];
}): UniswapV3Hint {
  return {
    ...(p.tokenIds ? { tokenIds: p.tokenIds.map(String) } : {}),
    ...(p.keys ? { keys: lpKeysToJson(p.keys) } : {}),
  };
}

/** Reads a hint back (anything malformed is dropped: the read then finds those ids again). */
export function uniswapV3HintOf(hint: unknown): { tokenIds: bigint[]; keys: LpPositionKey[] } {
  const h = (hint && typeof hint === "object" ? hint : {}) as Record<string, unknown>;
  const keys = lpKeysFromJson(h.keys);
  const ids = Array.isArray(h.tokenIds)
    ? h.tokenIds.filter((x) => typeof x === "string" && /^\d+$/.test(x))
    : [];
  const tokenIds = ids.length > 0 ? ids.map((x) => BigInt(x as string)) : keys.map((k) => k.tokenId);
  return { tokenIds, keys };
}

function lpReadStep(
  config: UniswapV3Config,
  { chain, sleeves, hint }: ReadRequest,
): ReadStep<ProtocolRead<UniswapV3State>> {
  const known = uniswapV3HintOf(hint);
  const params: LpReadsParameters = {
    positionManager: config.positionManager,
    factory: config.factory,
    owner: chain.account,
    tokenIds: known.tokenIds,
    keys: known.keys,
    ...(config.initCodeHash ? { initCodeHash: config.initCodeHash } : {}),
  };
  const pools = [
    ...new Map(
      sleeves.flatMap((s) => (s.pool ? [[s.pool.address.toLowerCase(), s.pool.address] as const] : [])),
    ).values(),
  ];
  const poolCalls: ContractRead[] = pools.flatMap((address) =>
    POOL_FIELDS.map((functionName) => ({ address, abi: poolAbi as Abi, functionName, args: [] })),
  );
  const first = lpReads(params);
  return {
    calls: [...poolCalls, ...first],
    decode(results) {
      const states = decodePools(pools, results.slice(0, poolCalls.length));
      return positionsRound(chain.chainId, params, states, 1).decode(results.slice(poolCalls.length));
    },
  };
}

/** One round of LP reads; an incomplete one asks for the next at the same block. */
function positionsRound(
  chainId: number,
  params: LpReadsParameters,
  pools: Map<string, PoolSnapshot>,
  round: number,
): ReadStep<ProtocolRead<UniswapV3State>> {
  return {
    calls: lpReads(params),
    decode(results) {
      const decoded = decodeLpReads(params, results);
      if (!decoded.complete) {
        if (round >= MAX_LP_ROUNDS)
          throw new UniswapReadError(`LP positions still incomplete after ${MAX_LP_ROUNDS} eth_calls`);
        return { next: positionsRound(chainId, decoded.next, pools, round + 1) };
      }
      const positions = [...decoded.positions].sort((a, b) =>
        a.tokenId < b.tokenId ? -1 : a.tokenId > b.tokenId ? 1 : 0,
      );
      for (const p of positions)
        if (!pools.has(p.pool.toLowerCase())) pools.set(p.pool.toLowerCase(), p.poolState);
      const keys = [...decoded.keys];
      return {
        done: {
          holdings: positions.map((p) => lpHolding(chainId, p)),
          assets: [],
          prices: new Map(),
          hint: uniswapV3Hint({ keys }),
          state: { chainId, positions, pools, keys },
        },
      };
    },
  };
}

function must(r: ReadResult | undefined, what: string): unknown {
  if (!r) throw new UniswapReadError(`no result for ${what}`);
  if (r.status === "failure") throw new UniswapReadError(`the read ${what} failed`, r.error);
  return r.result;
}

function decodePools(pools: readonly Address[], results: readonly ReadResult[]): Map<string, PoolSnapshot> {
  const out = new Map<string, PoolSnapshot>();
  pools.forEach((address, k) => {
    const rs = results.slice(k * POOL_FIELDS.length, (k + 1) * POOL_FIELDS.length);
    const [slot0, tickSpacing, liquidity, token0, token1, fee] = POOL_FIELDS.map((f, j) =>
      must(rs[j], `pool ${address}.${f}()`),
    );
    const s0 = slot0 as readonly [bigint, number];
    out.set(address.toLowerCase(), {
      address,
      token0: getAddress(token0 as string),
      token1: getAddress(token1 as string),
      fee: Number(fee),
      tickSpacing: Number(tickSpacing),
      sqrtPriceX96: s0[0],
      tick: Number(s0[1]),
      liquidity: liquidity as bigint,
    });
  });
  return out;
}

const usdOf = (ctx: EncodeContext<UniswapV3State>, id: AssetId, amount: bigint): bigint => {
  const a = ctx.assets.get(id);
  const p = ctx.prices.get(id);
  return a && p !== undefined && amount > 0n ? usdValue(amount, a.decimals, p) : 0n;
};

/**
 * `decrease`: `fractionWad` of each position's liquidity with mins from the slippage limit, `collect` of everything
 * owed, `burn` when the whole position goes, each its own call of the batch: the batch is atomic already (MultiSend or
 * the 7702 executor), and a Zodiac Roles modifier checks each call on its own, which it cannot do inside a position
 * manager `multicall` (see the keeper's `safe-permissions`). Guards count the guaranteed payout
 * (mins + fees); later legs are funded with the expected one (the principal at the read price, exact unless the pool
 * trades before the batch: then the batch reverts).
 */
function encodeLpExit(leg: SleeveLeg, ctx: EncodeContext<UniswapV3State>): LegEncoding<UniswapV3State> {
  const { chainId, account } = ctx.chain;
  const byId = new Map(ctx.state.positions.map((p) => [lpHolding(chainId, p).id, p]));
  const calls: Call[] = [];
  const effects: LegEffect[] = [];
  const flows: { token: Address; amount: bigint }[] = [];
  let unpricedUsd = 0n;
  const full = leg.fractionWad >= WAD;
  for (const hid of leg.holdingIds) {
    const position = byId.get(hid);
    if (!position) throw new LegEncodeError(`LP holding ${hid} was not read`);
    const liquidity = full ? position.liquidity : mulDiv(position.liquidity, leg.fractionWad, WAD);
    if (!full && liquidity === 0n) continue;
    let out: ReturnType<typeof encodeDecrease>;
    try {
      out = encodeDecrease({
        position,
        liquidity,
        slippageBps: ctx.slippageBps,
        deadline: ctx.deadline,
        recipient: account,
      });
    } catch (err) {
      throw new LegEncodeError(`the Uniswap adapter refused to decrease #${position.tokenId}`, err);
    }
    calls.push(...out.calls);
    const { guaranteed, principal, fees } = out.withdrawal;
    const id0 = assetId(chainId, position.token0);
    const id1 = assetId(chainId, position.token1);
    const expected0 = principal.amount0 + fees.amount0;
    const expected1 = principal.amount1 + fees.amount1;
    effects.push(
      { asset: id0, min: guaranteed.amount0, funds: expected0 },
      { asset: id1, min: guaranteed.amount1, funds: expected1 },
    );
    flows.push(
      { token: position.token0, amount: guaranteed.amount0 },
      { token: position.token1, amount: guaranteed.amount1 },
    );
    unpricedUsd -= usdOf(ctx, id0, expected0) + usdOf(ctx, id1, expected1);
  }
  return { calls, effects, flows, unpricedUsd };
}

/**
 * `mint` / `increase`: desired amounts = what the entry range takes of the funded amounts at the current price, mins
 * from the slippage limit; `increase` tops up the sleeve's first position when it holds the current tick, else a new
 * position of ±rangeBps is minted.
 */
function encodeLpEntry(
  config: UniswapV3Config,
  leg: SleeveLeg,
  ctx: EncodeContext<UniswapV3State>,
): LegEncoding<UniswapV3State> {
  const sleeve = ctx.target?.pool;
  const pool = sleeve ? ctx.state.pools.get(sleeve.address.toLowerCase()) : undefined;
  if (!sleeve || !pool) throw new LegEncodeError(`the pool of LP sleeve "${leg.sleeveId}" was not read`);
  const { token0, token1 } = sleeve;
  const range = lpEntryRange(pool, poolPositions(ctx.state.positions, sleeve.address), sleeve.rangeBps);
  const target =
    range.tokenId === undefined ? undefined : ctx.state.positions.find((p) => p.tokenId === range.tokenId);
  const use = depositAmounts({
    sqrtPriceX96: pool.sqrtPriceX96,
    tickLower: range.tickLower,
    tickUpper: range.tickUpper,
    amount0Desired: ctx.funded.get(token0.id) ?? 0n,
    amount1Desired: ctx.funded.get(token1.id) ?? 0n,
  });
  if (use.liquidity === 0n || (use.amount0 === 0n && use.amount1 === 0n))
    return {
      calls: [],
      effects: [],
      flows: [],
      skipped: `LP entry of "${leg.sleeveId}" skipped, the funds mint no liquidity`,
    };
  const common = {
    positionManager: config.positionManager,
    sqrtPriceX96: pool.sqrtPriceX96,
    amount0Desired: use.amount0,
    amount1Desired: use.amount1,
    slippageBps: ctx.slippageBps,
    deadline: ctx.deadline,
  };
  let calls: Call[];
  try {
    calls = target
      ? encodeIncrease({ ...common, position: target }).calls
      : encodeMint({
          ...common,
          token0: token0.address,
          token1: token1.address,
          fee: sleeve.fee,
          tickLower: range.tickLower,
          tickUpper: range.tickUpper,
          tickSpacing: pool.tickSpacing,
          recipient: ctx.chain.account,
        }).calls;
  } catch (err) {
    throw new LegEncodeError("the Uniswap adapter refused the LP entry", err);
  }
  return {
    calls,
    effects: [
      { asset: token0.id, min: -use.amount0, funds: -use.amount0 },
      { asset: token1.id, min: -use.amount1, funds: -use.amount1 },
    ],
    flows: [
      { token: token0.address, amount: -use.amount0 },
      { token: token1.address, amount: -use.amount1 },
    ],
    action: target ? "increase" : "mint",
    unpricedUsd: usdOf(ctx, token0.id, use.amount0) + usdOf(ctx, token1.id, use.amount1),
    ...(leg.action === "increase" && !target
      ? {
          note: `minted a new ±${sleeve.rangeBps} bps range: the first position does not hold the current tick`,
        }
      : {}),
  };
}

/** LP keys as plain JSON (token ids as decimal strings), for a journal or Gelato storage. */
export function lpKeysToJson(keys: readonly LpPositionKey[]): Record<string, string | number>[] {
  return keys.map((k) => ({
    tokenId: k.tokenId.toString(),
    pool: k.pool,
    token0: k.token0,
    token1: k.token1,
    fee: k.fee,
    tickLower: k.tickLower,
    tickUpper: k.tickUpper,
  }));
}

/** Parses {@link lpKeysToJson}'s output; anything malformed is dropped (the read then re-reads those ids). */
export function lpKeysFromJson(value: unknown): LpPositionKey[] {
  if (!Array.isArray(value)) return [];
  const hex = (x: unknown): x is Address => typeof x === "string" && /^0x[0-9a-fA-F]{40}$/.test(x);
  const int = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x);
  const out: LpPositionKey[] = [];
  for (const v of value as Record<string, unknown>[]) {
    if (!v || typeof v !== "object") continue;
    if (typeof v.tokenId !== "string" || !/^\d+$/.test(v.tokenId)) continue;
    if (!hex(v.pool) || !hex(v.token0) || !hex(v.token1)) continue;
    if (!int(v.fee) || !int(v.tickLower) || !int(v.tickUpper)) continue;
    out.push({
      tokenId: BigInt(v.tokenId),
      pool: v.pool,
      token0: v.token0,
      token1: v.token1,
      fee: v.fee,
      tickLower: v.tickLower,
      tickUpper: v.tickUpper,
    });
  }
  return out;
}

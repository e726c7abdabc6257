import {
  type AaveMarket,
  type AavePositions,
  aaveHoldings,
  aavePriceBook,
  aaveReads,
  decodeAaveReads,
} from "@ballast/aave-v3";
import {
  type Address,
  type Asset,
  type AssetId,
  assetId,
  BallastError,
  type ChainSnapshot,
  type Holding,
} from "@ballast/core";
import {
  aggregateReads,
  type ContractRead,
  decodeLpReads,
  type LpPosition,
  type LpPositionKey,
  type LpReadsParameters,
  lpHolding,
  lpReads,
  MULTICALL3_ADDRESS,
  multicall3Abi,
  poolAbi,
  type ReadResult,
} from "@ballast/uniswap-v3";
import { type Abi, erc20Abi, getAddress } from "viem";
import { ChainFetchError } from "./errors.ts";
import { fillPoolPrices } from "./prices.ts";
import type { ChainFetch, ChainSetup, PoolSnapshot } from "./types.ts";

/** Options of {@link fetchChainSnapshot}. */
export type FetchChainSnapshotOptions = {
  /** Read at this block (default: latest; the block number is read inside the same call). */
  readonly blockNumber?: bigint | undefined;
  /** Pools whose state to read too (e.g. the LP sleeves' pools, which may hold no position yet). */
  readonly pools?: readonly Address[] | undefined;
};

/** The Aave market of a chain setup, in the adapter's shape. */
export function aaveMarketOf(setup: ChainSetup): AaveMarket | undefined {
  if (!setup.aave) return undefined;
  return {
    chainId: setup.chainId,
    name: setup.key,
    pool: setup.aave.pool,
    poolAddressesProvider: setup.aave.poolAddressesProvider,
    uiPoolDataProvider: setup.aave.uiPoolDataProvider,
    version: setup.aave.version ?? "latest",
  };
}

/** The holding id of an idle token balance. */
export const walletHoldingId = (chainId: number, token: Address): string =>
  `wallet:${chainId}:${token.toLowerCase()}`;

const POOL_FIELDS = ["slot0", "tickSpacing", "liquidity", "token0", "token1", "fee"] as const;
const MAX_LP_ROUNDS = 4;

function must(r: ReadResult | undefined, what: string): unknown {
  if (!r) throw new BallastError(`No result for ${what}.`);
  if (r.status === "failure") throw new BallastError(`The read ${what} failed.`, { cause: r.error });
  return r.result;
}

/**
 * Reads one chain in ONE `eth_call` (Multicall3 `aggregate3`, pinned to `blockNumber` or latest): the block number
 * and timestamp, the account's balance of every token, the Aave reads (reserves, oracle prices, user reserves,
 * account data), the LP reads (the account's NFTs enumerated, known positions with their pools and ticks) and the
 * requested pools' state. Only when an LP id is new (or its key was not passed) do more rounds follow, pinned to the
 * same block. Returns holdings and prices as core data plus the adapters' raw positions.
 * Throws {@link ChainFetchError}.
 *
 * @example
 * const f = await fetchChainSnapshot(setup, { pools: [wethUsdcPool] });
 * console.log(f.snapshot.holdings, f.ethCalls); // 1 in the steady state
 */
export async function fetchChainSnapshot(
  setup: ChainSetup,
  opts: FetchChainSnapshotOptions = {},
): Promise<ChainFetch> {
  try {
    return await fetchInner(setup, opts);
  } catch (err) {
    throw err instanceof ChainFetchError ? err : new ChainFetchError(setup.key, setup.chainId, err);
  }
}

async function fetchInner(setup: ChainSetup, opts: FetchChainSnapshotOptions): Promise<ChainFetch> {
  const { chainId, account } = setup;
  const mc = setup.multicall3 ?? MULTICALL3_ADDRESS;
  const market = aaveMarketOf(setup);
  const lpParams: LpReadsParameters | undefined = setup.uniswap
    ? {
        positionManager: setup.uniswap.positionManager,
        factory: setup.uniswap.factory,
        owner: account,
        tokenIds: [...(setup.lpTokenIds ?? [])],
        keys: [...(setup.lpKeys ?? [])],
        ...(setup.uniswap.initCodeHash ? { initCodeHash: setup.uniswap.initCodeHash } : {}),
      }
    : undefined;
  const poolAddrs = [...new Map((opts.pools ?? []).map((p) => [p.toLowerCase(), getAddress(p)])).values()];

  const reads: ContractRead[] = [];
  const section = (rs: readonly ContractRead[]): [number, number] => {
    const start = reads.length;
    reads.push(...rs);
    return [start, reads.length];
  };
  const mcAbi = multicall3Abi as Abi;
  const head = section([
    { address: mc, abi: mcAbi, functionName: "getBlockNumber", args: [] },
    { address: mc, abi: mcAbi, functionName: "getCurrentBlockTimestamp", args: [] },
  ]);
  const balances = section(
    setup.tokens.map((t) => ({
      address: t.address,
      abi: erc20Abi as Abi,
      functionName: "balanceOf",
      args: [account],
    })),
  );
  const aave = section(
    market ? (aaveReads({ market, user: account, multicall3: mc }) as unknown as ContractRead[]) : [],
  );
  const lp = section(lpParams ? lpReads(lpParams) : []);
  const pools = section(
    poolAddrs.flatMap((address) =>
      POOL_FIELDS.map((functionName) => ({ address, abi: poolAbi as Abi, functionName, args: [] })),
    ),
  );

  const results = await aggregateReads(setup.client, {
    reads,
    multicallAddress: mc,
    ...(opts.blockNumber !== undefined ? { blockNumber: opts.blockNumber } : {}),
  });
  let ethCalls = 1;
  const slice = ([a, b]: [number, number]) => results.slice(a, b);

  const [bnRes, tsRes] = slice(head);
  const blockNumber = opts.blockNumber ?? (must(bnRes, "Multicall3.getBlockNumber()") as bigint);
  const timestamp = must(tsRes, "Multicall3.getCurrentBlockTimestamp()") as bigint;
  const warnings: string[] = [];

  // Registry: the configured tokens first.
  const assets = new Map<AssetId, Asset>();
  for (const t of setup.tokens) assets.set(t.id, t);

  const holdings: Holding[] = [];
  slice(balances).forEach((r, i) => {
    const token = setup.tokens[i] as Asset;
    const amount = must(r, `${token.symbol}.balanceOf(account)`) as bigint;
    if (amount > 0n)
      holdings.push({
        id: walletHoldingId(chainId, token.address),
        chainId,
        protocol: "wallet",
        kind: "token",
        ref: token.id,
        exposures: [{ asset: token.id, amount }],
      });
  });

  let positions: AavePositions | undefined;
  const prices = new Map<AssetId, bigint>();
  if (market) {
    positions = decodeAaveReads({ market, user: account, multicall3: mc, results: slice(aave) });
    for (const u of positions.userReserves) {
      if (u.supplied === 0n && u.debt === 0n) continue;
      if (assets.has(u.assetId)) continue;
      const r = positions.reserves[u.index];
      if (!r) continue;
      assets.set(u.assetId, {
        id: u.assetId,
        chainId,
        address: r.asset,
        symbol: r.symbol,
        decimals: r.decimals,
      });
    }
    holdings.push(...aaveHoldings(positions));
    for (const [id, p] of aavePriceBook(positions)) if (assets.has(id) && p > 0n) prices.set(id, p);
  }

  const poolStates = new Map<string, PoolSnapshot>();
  poolAddrs.forEach((address, k) => {
    const rs = slice(pools).slice(k * POOL_FIELDS.length, (k + 1) * POOL_FIELDS.length);
    const [slot0, tickSpacing, liquidity, token0, token1, fee] = POOL_FIELDS.map((f, j) =>
      must(rs[j], `pool ${address}.${f}()`),
    );
    const s0 = slot0 as readonly [bigint, number];
    poolStates.set(address.toLowerCase(), {
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

  let lpPositions: LpPosition[] = [];
  let lpKeys: LpPositionKey[] = [];
  if (lpParams) {
    let current = lpParams;
    let decoded = decodeLpReads(current, slice(lp));
    for (let round = 1; !decoded.complete; round++) {
      if (round >= MAX_LP_ROUNDS)
        throw new BallastError(`LP positions still incomplete after ${MAX_LP_ROUNDS} eth_calls.`);
      current = decoded.next;
      const more = await aggregateReads(setup.client, {
        reads: lpReads(current),
        multicallAddress: mc,
        blockNumber,
      });
      ethCalls++;
      decoded = decodeLpReads(current, more);
    }
    lpKeys = [...decoded.keys];
    for (const p of decoded.positions) {
      const id0 = assetId(chainId, p.token0);
      const id1 = assetId(chainId, p.token1);
      if (!assets.has(id0) || !assets.has(id1)) {
        warnings.push(
          `LP #${p.tokenId} on "${setup.key}" holds a token that is not configured (${p.token0}/${p.token1}): ignored`,
        );
        continue;
      }
      lpPositions.push(p);
      if (!poolStates.has(p.pool.toLowerCase())) {
        const s = p.poolState;
        poolStates.set(p.pool.toLowerCase(), {
          address: getAddress(s.address),
          token0: s.token0,
          token1: s.token1,
          fee: s.fee,
          tickSpacing: s.tickSpacing,
          sqrtPriceX96: s.sqrtPriceX96,
          tick: s.tick,
          liquidity: s.liquidity,
        });
      }
    }
    lpPositions = lpPositions.sort((a, b) => (a.tokenId < b.tokenId ? -1 : a.tokenId > b.tokenId ? 1 : 0));
    holdings.push(...lpPositions.map((p) => lpHolding(chainId, p)));
  }

  const derived = fillPoolPrices(prices, poolStates.values(), assets, chainId);
  if (derived.length > 0 && market)
    warnings.push(`priced from pools on "${setup.key}" (no Aave oracle price): ${derived.join(", ")}`);

  const snapshot: ChainSnapshot = { chainId, blockNumber, timestamp, holdings, prices };
  return {
    chainId,
    key: setup.key,
    snapshot,
    assets: [...assets.values()],
    ...(positions ? { aave: positions } : {}),
    lpPositions,
    pools: poolStates,
    lpTokenIds: lpKeys.map((k) => k.tokenId),
    lpKeys,
    ethCalls,
    warnings,
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

/** Parses {@link lpKeysToJson}'s output; anything malformed is dropped (the fetch then re-reads those ids). */
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

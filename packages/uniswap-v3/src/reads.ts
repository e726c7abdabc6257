import type { Address, ContractRead, Hex, ReadResult } from "@ballast/core";
import type { Abi } from "viem";
import { poolAbi, positionManagerAbi } from "./abi.ts";
import { PositionNotFoundError, UniswapReadError } from "./errors.ts";
import { computePoolAddress } from "./poolAddress.ts";
import type { LpPosition, LpPositionKey, PoolState, TickState } from "./position.ts";

/**
 * What to read. The result set is the owner's NFTs when `owner` is given, else exactly `tokenIds` ∪ `keys`.
 * `keys` (from a previous result) let the pool state be read in the same call: pass them to get ONE eth_call.
 */
export type LpReadsParameters = {
  readonly positionManager: Address;
  /** The Uniswap V3 factory, to derive pool addresses locally. Absent: `factory()` is read from the position manager. */
  readonly factory?: Address;
  /** Enumerate this account's position NFTs (balanceOf + tokenOfOwnerByIndex). */
  readonly owner?: Address;
  /** Token ids to read (without `owner`: the ids to return; with it: hints for the owner's ids). */
  readonly tokenIds?: readonly bigint[];
  /** Immutable facts of ids seen before ({@link LpReadsResult.keys}); their pools and ticks are read in this call. */
  readonly keys?: readonly LpPositionKey[];
  /** How many `tokenOfOwnerByIndex` slots to read; default: known ids + 2, at least 8 (slots past the balance fail harmlessly). */
  readonly scan?: number;
  /** Pool init code hash override (forks of Uniswap V3). */
  readonly initCodeHash?: Hex;
};

/** What {@link decodeLpReads} learned from one round. */
export type LpReadsResult = {
  /** Fully read positions, in the owner's enumeration order (or the order of the ids asked). */
  readonly positions: readonly LpPosition[];
  /** The immutable facts of every id in the result set: cache them and pass them as `keys` next time. */
  readonly keys: readonly LpPositionKey[];
  /** The owner's NFT count (when `owner` was given). */
  readonly balance?: bigint;
  /** False when a dependent read is still missing (new ids, unknown keys, more NFTs than `scan`). */
  readonly complete: boolean;
  /** The parameters of the next round when not complete (same block!); equal to the input otherwise. */
  readonly next: LpReadsParameters;
};

type Slot =
  | { kind: "balance" }
  | { kind: "enumerate"; index: number }
  | { kind: "factory" }
  | { kind: "position"; tokenId: bigint }
  | { kind: "pool"; pool: Address; field: "slot0" | "liquidity" | "fg0" | "fg1" | "tickSpacing" }
  | { kind: "tick"; pool: Address; tick: number };

const poolFields = [
  ["slot0", "slot0"],
  ["liquidity", "liquidity"],
  ["fg0", "feeGrowthGlobal0X128"],
  ["fg1", "feeGrowthGlobal1X128"],
  ["tickSpacing", "tickSpacing"],
] as const;

const lc = (a: Address): string => a.toLowerCase();

function dedupeIds(params: LpReadsParameters): bigint[] {
  const seen = new Set<bigint>();
  for (const id of [...(params.tokenIds ?? []), ...(params.keys ?? []).map((k) => k.tokenId)]) seen.add(id);
  return [...seen];
}

const defaultScan = (params: LpReadsParameters): number =>
  params.scan ?? Math.max(dedupeIds(params).length + 2, 8);

function layout(params: LpReadsParameters): { reads: ContractRead[]; slots: Slot[] } {
  const npm = params.positionManager;
  const npmAbi = positionManagerAbi as Abi;
  const reads: ContractRead[] = [];
  const slots: Slot[] = [];
  const push = (slot: Slot, read: ContractRead) => {
    slots.push(slot);
    reads.push(read);
  };
  const ids = dedupeIds(params);
  const keyById = new Map((params.keys ?? []).map((k) => [k.tokenId, k]));
  if (params.owner) {
    push({ kind: "balance" }, { address: npm, abi: npmAbi, functionName: "balanceOf", args: [params.owner] });
    const scan = defaultScan(params);
    for (let i = 0; i < scan; i++) {
      push(
        { kind: "enumerate", index: i },
        { address: npm, abi: npmAbi, functionName: "tokenOfOwnerByIndex", args: [params.owner, BigInt(i)] },
      );
    }
  }
  if (!params.factory && ids.some((id) => !keyById.has(id))) {
    push({ kind: "factory" }, { address: npm, abi: npmAbi, functionName: "factory", args: [] });
  }
  for (const tokenId of ids) {
    push(
      { kind: "position", tokenId },
      { address: npm, abi: npmAbi, functionName: "positions", args: [tokenId] },
    );
  }
  const pools = new Map<string, Address>();
  const ticks = new Map<string, { pool: Address; tick: number }>();
  for (const k of params.keys ?? []) {
    pools.set(lc(k.pool), k.pool);
    for (const tick of [k.tickLower, k.tickUpper]) ticks.set(`${lc(k.pool)}:${tick}`, { pool: k.pool, tick });
  }
  for (const pool of pools.values()) {
    for (const [field, functionName] of poolFields) {
      push({ kind: "pool", pool, field }, { address: pool, abi: poolAbi as Abi, functionName, args: [] });
    }
  }
  for (const { pool, tick } of ticks.values()) {
    push(
      { kind: "tick", pool, tick },
      { address: pool, abi: poolAbi as Abi, functionName: "ticks", args: [tick] },
    );
  }
  return { reads, slots };
}

/**
 * The reads of one round, viem-style `{address, abi, functionName, args}[]`, to run alone or inside a larger
 * Multicall3 batch (with failures allowed). Decode the matching results with {@link decodeLpReads}.
 */
export function lpReads(params: LpReadsParameters): ContractRead[] {
  return layout(params).reads;
}

type RawPosition = readonly [
  bigint,
  Address,
  Address,
  Address,
  number,
  number,
  number,
  bigint,
  bigint,
  bigint,
  bigint,
  bigint,
];
type RawSlot0 = readonly [bigint, number, number, number, number, number, boolean];
type RawTick = readonly [bigint, bigint, bigint, bigint, bigint, bigint, number, boolean];

const must = (r: ReadResult | undefined, what: string): unknown => {
  if (!r) throw new UniswapReadError(`missing result for ${what}`);
  if (r.status === "failure") throw new UniswapReadError(what, r.error);
  return r.result;
};

/**
 * Decodes the results of {@link lpReads} (same parameters, same order; viem `allowFailure: true` shape) into
 * positions, the keys to cache, and whether another round is needed (then `next` says what to read).
 */
export function decodeLpReads(params: LpReadsParameters, results: readonly ReadResult[]): LpReadsResult {
  const { slots } = layout(params);
  if (results.length !== slots.length) {
    throw new UniswapReadError(`expected ${slots.length} results, got ${results.length}`);
  }
  const keyById = new Map((params.keys ?? []).map((k) => [k.tokenId, k]));
  let balance: bigint | undefined;
  let factory = params.factory;
  const enumerated: bigint[] = [];
  const positionResults = new Map<bigint, ReadResult>();
  const poolParts = new Map<string, Partial<Record<(typeof poolFields)[number][0], unknown>>>();
  const tickStates = new Map<string, TickState>();
  slots.forEach((slot, i) => {
    const r = results[i]!;
    switch (slot.kind) {
      case "balance":
        balance = must(r, "balanceOf(owner)") as bigint;
        break;
      case "enumerate":
        // Slots past the balance revert by design; the rest are checked against the balance below.
        if (r.status === "success") enumerated[slot.index] = r.result as bigint;
        break;
      case "factory":
        factory = must(r, "positionManager.factory()") as Address;
        break;
      case "position":
        positionResults.set(slot.tokenId, r);
        break;
      case "pool": {
        const parts = poolParts.get(lc(slot.pool)) ?? {};
        parts[slot.field] = must(r, `pool ${slot.pool} ${slot.field}`);
        poolParts.set(lc(slot.pool), parts);
        break;
      }
      case "tick": {
        const t = must(r, `pool ${slot.pool} ticks(${slot.tick})`) as RawTick;
        tickStates.set(`${lc(slot.pool)}:${slot.tick}`, {
          liquidityGross: t[0],
          feeGrowthOutside0X128: t[2],
          feeGrowthOutside1X128: t[3],
          initialized: t[7],
        });
        break;
      }
      default: {
        const never: never = slot;
        throw new UniswapReadError(`unknown slot ${String(never)}`);
      }
    }
  });

  // The result set.
  let targets: bigint[];
  let scanShort = false;
  if (params.owner) {
    const b = balance ?? 0n;
    const scan = defaultScan(params);
    const visible = Number(b < BigInt(scan) ? b : BigInt(scan));
    targets = [];
    for (let i = 0; i < visible; i++) {
      const id = enumerated[i];
      if (id === undefined)
        throw new UniswapReadError(`tokenOfOwnerByIndex(${i}) failed below the balance ${b}`);
      targets.push(id);
    }
    scanShort = b > BigInt(scan);
  } else {
    targets = dedupeIds(params);
  }

  const positions: LpPosition[] = [];
  const keys: LpPositionKey[] = [];
  let complete = !scanShort;
  for (const tokenId of targets) {
    const r = positionResults.get(tokenId);
    if (!r) {
      complete = false; // an id the owner holds that this round did not read
      continue;
    }
    if (r.status === "failure") throw new PositionNotFoundError(tokenId, params.positionManager, r.error);
    const p = r.result as RawPosition;
    const read = { token0: p[2], token1: p[3], fee: p[4], tickLower: p[5], tickUpper: p[6] };
    const cached = keyById.get(tokenId);
    const cachedMatches =
      cached &&
      lc(cached.token0) === lc(read.token0) &&
      lc(cached.token1) === lc(read.token1) &&
      cached.fee === read.fee &&
      cached.tickLower === read.tickLower &&
      cached.tickUpper === read.tickUpper;
    let key: LpPositionKey | undefined = cachedMatches ? cached : undefined;
    if (!key && factory) {
      const pool = computePoolAddress({
        factory,
        tokenA: read.token0,
        tokenB: read.token1,
        fee: read.fee,
        ...(params.initCodeHash ? { initCodeHash: params.initCodeHash } : {}),
      });
      key = { tokenId, pool, ...read };
    }
    if (!key) {
      complete = false;
      continue;
    }
    keys.push(key);
    const parts = poolParts.get(lc(key.pool));
    const lower = tickStates.get(`${lc(key.pool)}:${key.tickLower}`);
    const upper = tickStates.get(`${lc(key.pool)}:${key.tickUpper}`);
    if (!parts || !lower || !upper || !cachedMatches) {
      complete = false;
      continue;
    }
    const slot0 = parts.slot0 as RawSlot0;
    const poolState: PoolState = {
      address: key.pool,
      token0: key.token0,
      token1: key.token1,
      fee: key.fee,
      tickSpacing: parts.tickSpacing as number,
      sqrtPriceX96: slot0[0],
      tick: slot0[1],
      liquidity: parts.liquidity as bigint,
      feeGrowthGlobal0X128: parts.fg0 as bigint,
      feeGrowthGlobal1X128: parts.fg1 as bigint,
    };
    positions.push({
      ...key,
      positionManager: params.positionManager,
      ...(params.owner ? { owner: params.owner } : {}),
      liquidity: p[7],
      feeGrowthInside0LastX128: p[8],
      feeGrowthInside1LastX128: p[9],
      tokensOwed0: p[10],
      tokensOwed1: p[11],
      poolState,
      lowerTick: lower,
      upperTick: upper,
    });
  }

  const next: LpReadsParameters = complete
    ? params
    : {
        ...params,
        ...(factory ? { factory } : {}),
        tokenIds: targets,
        keys,
        ...(params.owner && balance !== undefined
          ? { scan: Math.max(Number(balance) + 2, params.scan ?? 0) }
          : {}),
      };
  return { positions, keys, ...(balance !== undefined ? { balance } : {}), complete, next };
}

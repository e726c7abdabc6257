import { aggregateReads, MULTICALL3_ADDRESS, multicall3Abi } from "@ballast/chain";
import {
  type Asset,
  type AssetId,
  BallastError,
  type ChainSnapshot,
  type ContractRead,
  type Holding,
  type PriceMoves,
  type Protocol,
  type ProtocolChain,
  type ProtocolRead,
  type ReadResult,
  type ReadStep,
  type SleeveTarget,
} from "@ballast/core";
import { erc20Abi } from "viem";
import { ChainFetchError } from "./errors.ts";
import type { ChainFetch, ChainSetup } from "./types.ts";

/** Options of {@link fetchChainSnapshot}. */
export type FetchChainSnapshotOptions = {
  /** Read at this block (default: latest; the block number is read inside the same call). */
  readonly blockNumber?: bigint | undefined;
  /** The chain's resolved sleeves: each protocol reads what its own need (e.g. a pool with no position yet). */
  readonly sleeves?: readonly SleeveTarget[] | undefined;
  /** What-if: USD price moves by token symbol, applied to what was read ({@link readAtPrices}). */
  readonly priceMoves?: SymbolPriceMoves | undefined;
};

/** Hypothetical USD price moves by symbol (upper case): `ETH` moves ETH and WETH, `BTC` moves BTC and WBTC. */
export type SymbolPriceMoves = ReadonlyMap<string, { readonly num: bigint; readonly den: bigint }>;

/** The assets a symbol move applies to: the symbol itself and its wrapped form (W + symbol), case-insensitive. */
export function movesOf(symbols: SymbolPriceMoves, assets: Iterable<Asset>): PriceMoves {
  const out = new Map<AssetId, { num: bigint; den: bigint }>();
  for (const a of assets) {
    const s = a.symbol.toUpperCase();
    const m = symbols.get(s) ?? (s.startsWith("W") ? symbols.get(s.slice(1)) : undefined);
    if (m) out.set(a.id, m);
  }
  return out;
}

/**
 * A protocol's read as if prices had moved: its prices scaled, and what depends on them re-derived by the protocol
 * ({@link Protocol.atPrices}); a protocol without `atPrices` holds nothing whose amounts depend on prices.
 */
export function readAtPrices(protocol: Protocol, read: ProtocolRead, moves: PriceMoves): ProtocolRead {
  const prices = new Map(
    [...read.prices].map(([id, p]) => {
      const m = moves.get(id);
      return [id, m ? (p * m.num) / m.den : p] as const;
    }),
  );
  const moved = { ...read, prices };
  return protocol.atPrices?.(moved, moves) ?? moved;
}

/** The holding id of an idle token balance. */
export const walletHoldingId = (chainId: number, token: `0x${string}`): string =>
  `wallet:${chainId}:${token.toLowerCase()}`;

/** A chain setup as its protocols see it. */
export const protocolChain = (setup: ChainSetup): ProtocolChain => ({
  key: setup.key,
  chainId: setup.chainId,
  account: setup.account,
  tokens: setup.tokens,
  multicall3: setup.multicall3 ?? MULTICALL3_ADDRESS,
});

function must(r: ReadResult | undefined, what: string): unknown {
  if (!r) throw new BallastError(`No result for ${what}.`);
  if (r.status === "failure") throw new BallastError(`The read ${what} failed.`, { cause: r.error });
  return r.result;
}

/**
 * Reads one chain in ONE `eth_call` (Multicall3 `aggregate3`, pinned to `blockNumber` or latest): the block number
 * and timestamp, the account's balance of every token, and every protocol's reads. A protocol that needs another round
 * (an LP NFT seen for the first time, without its hint) gets it at the same block, all such protocols in one call.
 * Returns holdings and prices as core data plus each protocol's read. Throws {@link ChainFetchError}.
 *
 * @example
 * const f = await fetchChainSnapshot(setup, { sleeves });
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
  const chain = protocolChain(setup);
  const mc = chain.multicall3;
  const steps = setup.protocols.map((p) =>
    p.read({
      chain,
      sleeves: (opts.sleeves ?? []).filter((s) => s.protocol === p.name),
      hint: setup.hints?.[p.name],
    }),
  );
  const head: ContractRead[] = [
    { address: mc, abi: multicall3Abi, functionName: "getBlockNumber", args: [] },
    { address: mc, abi: multicall3Abi, functionName: "getCurrentBlockTimestamp", args: [] },
    ...setup.tokens.map((t) => ({
      address: t.address,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [chain.account],
    })),
  ];
  const read = (reads: readonly ContractRead[], blockNumber: bigint | undefined) =>
    aggregateReads(setup.client, { reads, multicallAddress: mc, blockNumber });
  const results = await read([...head, ...steps.flatMap((s) => s.calls)], opts.blockNumber);
  const blockNumber = opts.blockNumber ?? (must(results[0], "Multicall3.getBlockNumber()") as bigint);
  const timestamp = must(results[1], "Multicall3.getCurrentBlockTimestamp()") as bigint;
  const balances = setup.tokens.map(
    (t, i) => must(results[2 + i], `${t.symbol}.balanceOf(account)`) as bigint,
  );
  const decoded = await decodeRounds(steps, results.slice(head.length), (calls) => read(calls, blockNumber));
  const { ethCalls } = decoded;
  const moves = opts.priceMoves
    ? movesOf(opts.priceMoves, [...setup.tokens, ...decoded.reads.flatMap((x) => x.assets)])
    : undefined;
  const reads = moves
    ? decoded.reads.map((x, i) => readAtPrices(setup.protocols[i] as Protocol, x, moves))
    : decoded.reads;
  return chainFetchOf(setup, { blockNumber, timestamp, balances, reads, ethCalls });
}

/** Decodes every protocol's step; those asking for another round get it, all together in one more call per round. */
async function decodeRounds(
  steps: readonly ReadStep<ProtocolRead>[],
  results: readonly ReadResult[],
  more: (calls: readonly ContractRead[]) => Promise<readonly ReadResult[]>,
): Promise<{ reads: ProtocolRead[]; ethCalls: number }> {
  const reads: (ProtocolRead | undefined)[] = steps.map(() => undefined);
  let pending = steps.map((step, i) => ({ i, step }));
  let rs = results;
  let ethCalls = 1;
  for (;;) {
    const next: typeof pending = [];
    let at = 0;
    for (const { i, step } of pending) {
      const out = step.decode(rs.slice(at, at + step.calls.length));
      at += step.calls.length;
      if ("done" in out) reads[i] = out.done;
      else next.push({ i, step: out.next });
    }
    if (next.length === 0) return { reads: reads as ProtocolRead[], ethCalls };
    pending = next;
    rs = await more(next.flatMap((p) => p.step.calls));
    ethCalls++;
  }
}

/**
 * Assembles a chain's read (pure): the asset registry (tokens, then what the protocols found), wallet and protocol
 * holdings (a holding of a token that is not registered is ignored, with a warning), oracle prices of registered
 * assets, then prices derived from the protocols' state (pools) for what no oracle priced.
 */
function chainFetchOf(
  setup: ChainSetup,
  r: {
    blockNumber: bigint;
    timestamp: bigint;
    balances: readonly bigint[];
    reads: readonly ProtocolRead[];
    ethCalls: number;
  },
): ChainFetch {
  const { chainId, key } = setup;
  const warnings: string[] = [];
  const assets = new Map<AssetId, Asset>();
  for (const a of [...setup.tokens, ...r.reads.flatMap((x) => x.assets)])
    if (!assets.has(a.id)) assets.set(a.id, a);
  const holdings: Holding[] = setup.tokens.flatMap((token, i) => {
    const amount = r.balances[i] ?? 0n;
    return amount > 0n
      ? [
          {
            id: walletHoldingId(chainId, token.address),
            chainId,
            protocol: "wallet",
            kind: "token" as const,
            ref: token.id,
            exposures: [{ asset: token.id, amount }],
          },
        ]
      : [];
  });
  for (const h of r.reads.flatMap((x) => x.holdings)) {
    const unknown = h.exposures.filter((e) => !assets.has(e.asset)).map((e) => e.asset);
    if (unknown.length === 0) holdings.push(h);
    else
      warnings.push(
        `${h.id} on "${key}" holds a token that is not configured (${unknown.join(", ")}): ignored`,
      );
  }
  const prices = new Map<AssetId, bigint>();
  for (const x of r.reads)
    for (const [id, p] of x.prices) if (assets.has(id) && p > 0n && !prices.has(id)) prices.set(id, p);
  const derived = setup.protocols.flatMap(
    (p: Protocol, i) => p.derivePrices?.(r.reads[i]?.state, prices, assets) ?? [],
  );
  if (derived.length > 0 && r.reads.some((x) => x.prices.size > 0))
    warnings.push(`priced from pools on "${key}" (no oracle price): ${derived.join(", ")}`);
  for (const x of r.reads) warnings.push(...(x.warnings ?? []));
  const snapshot: ChainSnapshot = {
    chainId,
    blockNumber: r.blockNumber,
    timestamp: r.timestamp,
    holdings,
    prices,
  };
  const byName = (f: (x: ProtocolRead) => unknown) =>
    Object.fromEntries(setup.protocols.map((p, i) => [p.name, f(r.reads[i] as ProtocolRead)]));
  return {
    chainId,
    key,
    snapshot,
    assets: [...assets.values()],
    reads: byName((x) => x) as Record<string, ProtocolRead>,
    hints: Object.fromEntries(Object.entries(byName((x) => x.hint)).filter(([, h]) => h !== undefined)),
    ethCalls: r.ethCalls,
    warnings,
  };
}

import { aggregateReads, MULTICALL3_ADDRESS } from "@ballast/chain";
import type { ContractRead, Protocol, ProtocolChain, SleeveTarget } from "@ballast/core";
import { ChainFetchError } from "./errors.ts";
import { chainFetchOf } from "./fetch/assemble.ts";
import { headReads } from "./fetch/head.ts";
import { decodeRounds } from "./fetch/rounds.ts";
import { movesOf, readAtPrices, type SymbolPriceMoves } from "./price-moves.ts";
import type { ChainFetch, ChainSetup } from "./types.ts";

export { walletHoldingId } from "./fetch/assemble.ts";

/** Options of {@link fetchChainSnapshot}. */
export type FetchChainSnapshotOptions = {
  /** Read at this block (default: latest; the block number is read inside the same call). */
  readonly blockNumber?: bigint | undefined;
  /** The chain's resolved sleeves: each protocol reads what its own need (e.g. a pool with no position yet). */
  readonly sleeves?: readonly SleeveTarget[] | undefined;
  /** What-if: USD price moves by token symbol, applied to what was read ({@link readAtPrices}). */
  readonly priceMoves?: SymbolPriceMoves | undefined;
};

/** A chain setup as its protocols see it. */
export const protocolChain = (setup: ChainSetup): ProtocolChain => ({
  key: setup.key,
  chainId: setup.chainId,
  account: setup.account,
  tokens: setup.tokens,
  multicall3: setup.multicall3 ?? MULTICALL3_ADDRESS,
});

/**
 * Reads one chain in ONE `eth_call` (Multicall3 `aggregate3`, pinned to `blockNumber` or latest): the block number
 * and timestamp, the account's balance of every token ({@link headReads}), and every protocol's reads. A protocol that
 * needs another round (a position seen for the first time, without its hint) gets it at the same block, all such
 * protocols in one call ({@link decodeRounds}). Returns holdings and prices as core data plus each protocol's read
 * ({@link chainFetchOf}). Throws {@link ChainFetchError}.
 *
 * @example
 * const f = await fetchChainSnapshot(setup, { sleeves });
 * console.log(f.snapshot.holdings, f.ethCalls); // 1 in the steady state
 */
export async function fetchChainSnapshot(
  setup: ChainSetup,
  opts: FetchChainSnapshotOptions = {},
): Promise<ChainFetch> {
  const chain = protocolChain(setup);
  const read = (reads: readonly ContractRead[], blockNumber: bigint | undefined) =>
    aggregateReads(setup.client, { reads, multicallAddress: chain.multicall3, blockNumber });
  try {
    const head = headReads(chain);
    const steps = setup.protocols.map((p) =>
      p.read({
        chain,
        sleeves: (opts.sleeves ?? []).filter((s) => s.protocol === p.name),
        hint: setup.hints?.[p.name],
      }),
    );
    const results = await read([...head.calls, ...steps.flatMap((s) => s.calls)], opts.blockNumber);
    const top = head.decode(results.slice(0, head.calls.length), opts.blockNumber);
    const more = (calls: readonly ContractRead[]) => read(calls, top.blockNumber);
    const { reads, ethCalls } = await decodeRounds(steps, results.slice(head.calls.length), more);
    const moves =
      opts.priceMoves && movesOf(opts.priceMoves, [...setup.tokens, ...reads.flatMap((x) => x.assets)]);
    const moved = moves ? reads.map((x, i) => readAtPrices(setup.protocols[i] as Protocol, x, moves)) : reads;
    return chainFetchOf(setup, top, moved, ethCalls);
  } catch (err) {
    throw err instanceof ChainFetchError ? err : new ChainFetchError(setup.key, setup.chainId, err);
  }
}

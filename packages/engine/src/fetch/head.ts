import { multicall3Abi } from "@ballast/chain";
import { BallastError, type ContractRead, type ProtocolChain, type ReadResult } from "@ballast/core";
import { erc20Abi } from "viem";

/** What the reads every chain's call starts with return. */
export type ChainHead = {
  readonly blockNumber: bigint;
  readonly timestamp: bigint;
  /** The account's balance of each of the chain's tokens, in their order. */
  readonly balances: readonly bigint[];
};

/**
 * The reads every chain's call starts with, before the protocols': the block number and timestamp (Multicall3's own
 * getters, so they are of the block read), and the account's balance of every token; `decode` their results (the
 * block number is the `pinned` one when the read was pinned).
 */
export function headReads(chain: ProtocolChain): {
  readonly calls: readonly ContractRead[];
  decode(results: readonly ReadResult[], pinned: bigint | undefined): ChainHead;
} {
  const mc = chain.multicall3;
  return {
    calls: [
      { address: mc, abi: multicall3Abi, functionName: "getBlockNumber", args: [] },
      { address: mc, abi: multicall3Abi, functionName: "getCurrentBlockTimestamp", args: [] },
      ...chain.tokens.map((t) => ({
        address: t.address,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [chain.account],
      })),
    ],
    decode: (results, pinned) => ({
      blockNumber: pinned ?? (must(results[0], "Multicall3.getBlockNumber()") as bigint),
      timestamp: must(results[1], "Multicall3.getCurrentBlockTimestamp()") as bigint,
      balances: chain.tokens.map((t, i) => must(results[2 + i], `${t.symbol}.balanceOf(account)`) as bigint),
    }),
  };
}

function must(r: ReadResult | undefined, what: string): unknown {
  if (!r) throw new BallastError(`No result for ${what}.`);
  if (r.status === "failure") throw new BallastError(`The read ${what} failed.`, { cause: r.error });
  return r.result;
}

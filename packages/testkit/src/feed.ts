import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type Abi, encodeFunctionData, type Hex } from "viem";
import type { TestChain } from "./chain.ts";
import { getToken } from "./deployment.ts";
import { DeploymentError, TestkitError } from "./errors.ts";
import { DEFAULT_CACHE_DIR, withCacheLock, writeAtomic } from "./file-cache.ts";
import { sendAndWait } from "./tx.ts";

const require = createRequire(import.meta.url);

/**
 * A Chainlink-shaped feed (`AggregatorV3Interface`) for tests. Slot 0 holds the answer, as in Aave's
 * MockAggregator, so it replaces one in place (`anvil_setCode`): the Aave oracle keeps its source and `setPrice`
 * keeps working (it moves the answer, not the round's time).
 */
export const ROUND_FEED_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.27;

contract RoundFeed {
  int256 public latestAnswer;
  uint256 public latestTimestamp;
  uint80 public latestRound;
  uint80 public answeredInRound;

  event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

  function decimals() external pure returns (uint8) {
    return 8;
  }

  /// A new round: its answer, its time, and the round it was answered in (0 = this one; lower = incomplete).
  function setRound(int256 answer, uint256 updatedAt, uint80 answeredIn) external {
    latestRound += 1;
    latestAnswer = answer;
    latestTimestamp = updatedAt;
    answeredInRound = answeredIn == 0 ? latestRound : answeredIn;
    emit AnswerUpdated(answer, latestRound, updatedAt);
  }

  function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
    return (latestRound, latestAnswer, latestTimestamp, latestTimestamp, answeredInRound);
  }
}
`;

/** The ABI of {@link ROUND_FEED_SOURCE}'s functions the testkit calls. */
export const roundFeedAbi = [
  {
    type: "function",
    name: "setRound",
    stateMutability: "nonpayable",
    inputs: [
      { name: "answer", type: "int256" },
      { name: "updatedAt", type: "uint256" },
      { name: "answeredIn", type: "uint80" },
    ],
    outputs: [],
  },
  {
    type: "function",
    name: "latestRoundData",
    stateMutability: "view",
    inputs: [],
    outputs: [
      { name: "roundId", type: "uint80" },
      { name: "answer", type: "int256" },
      { name: "startedAt", type: "uint256" },
      { name: "updatedAt", type: "uint256" },
      { name: "answeredInRound", type: "uint80" },
    ],
  },
] as const satisfies Abi;

type SolcOutput = {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { evm?: { deployedBytecode?: { object: string } } }>>;
};

/** Compiles {@link ROUND_FEED_SOURCE} with solc-js and returns its runtime bytecode. */
export function compileRoundFeed(): Hex {
  const solc = require("solc") as { compile: (input: string) => string };
  const input = {
    language: "Solidity",
    sources: { "RoundFeed.sol": { content: ROUND_FEED_SOURCE } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "shanghai",
      outputSelection: { "*": { RoundFeed: ["evm.deployedBytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0)
    throw new DeploymentError("compile RoundFeed", errors.map((e) => e.formattedMessage).join("\n"));
  const code = output.contracts?.["RoundFeed.sol"]?.RoundFeed?.evm?.deployedBytecode?.object;
  if (!code) throw new DeploymentError("compile RoundFeed", "no runtime bytecode");
  return `0x${code}`;
}

let memo: Hex | undefined;

/** The feed's runtime bytecode, compiled once per machine into `<cacheDir>/round-feed-<hash>.hex`. */
export async function ensureRoundFeedCode(cacheDir: string = DEFAULT_CACHE_DIR): Promise<Hex> {
  if (memo) return memo;
  const solcVersion = (require("solc/package.json") as { version: string }).version;
  const key = createHash("sha256").update(`${solcVersion}\n${ROUND_FEED_SOURCE}`).digest("hex").slice(0, 16);
  const path = join(cacheDir, `round-feed-${key}.hex`);
  await withCacheLock({
    cacheDir,
    lockPath: `${path}.lock`,
    isReady: () => existsSync(path),
    build: () => writeAtomic(path, compileRoundFeed()),
  });
  memo = readFileSync(path, "utf8") as Hex;
  return memo;
}

/** A new round for a token's feed: the answer (8 decimals; default the current one) and its time (default: now). */
export type SetFeedRoundParameters = {
  /** Token symbol or address. */
  asset: string;
  answer?: bigint | undefined;
  /** Unix seconds; default the chain's latest block timestamp. */
  updatedAt?: bigint | undefined;
  /** Default: the new round itself (complete). */
  answeredInRound?: bigint | undefined;
};

/**
 * Turns the token's Aave oracle source into a {@link ROUND_FEED_SOURCE} feed (same address, same answer) and
 * starts a round at the chain's current time. From then on {@link setFeedRound} moves its answer and time.
 */
export async function useRoundFeed(chain: TestChain, params: { asset: string }): Promise<void> {
  const feed = chain.deployment.feeds[getToken(chain.deployment, params.asset).symbol];
  await chain.testClient.setCode({ address: feed.address, bytecode: await ensureRoundFeedCode() });
  await setFeedRound(chain, params);
}

/** Starts a new round on a feed installed by {@link useRoundFeed}, through its `setRound` (a real transaction). */
export async function setFeedRound(chain: TestChain, params: SetFeedRoundParameters): Promise<void> {
  const feed = chain.deployment.feeds[getToken(chain.deployment, params.asset).symbol];
  const [, current] = await chain.publicClient.readContract({
    address: feed.address,
    abi: roundFeedAbi,
    functionName: "latestRoundData",
  });
  const answer = params.answer ?? current;
  if (answer === 0n && params.answer === undefined)
    throw new TestkitError(`setFeedRound: the feed of ${params.asset} has no answer to keep.`);
  const updatedAt = params.updatedAt ?? (await chain.publicClient.getBlock({ blockTag: "latest" })).timestamp;
  await sendAndWait(
    chain,
    chain.walletClient(chain.deployment.accounts.whale),
    {
      to: feed.address,
      data: encodeFunctionData({
        abi: roundFeedAbi,
        functionName: "setRound",
        args: [answer, updatedAt, params.answeredInRound ?? 0n],
      }),
    },
    `set ${params.asset} feed round`,
  );
}

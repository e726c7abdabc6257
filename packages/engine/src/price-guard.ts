import { AAVE_V3_PROTOCOL, type AavePositions, aavePriceBook } from "@ballast/aave-v3";
import { aggregateReads } from "@ballast/chain";
import {
  type Asset,
  type BallastError,
  type ContractRead,
  checkFeed,
  checkPriceDeviation,
  DEFAULT_PRICE_GUARD,
  type Decision,
  type FeedRound,
  type PriceBook,
  type PriceFault,
  type PriceGuardPolicy,
  pow10,
  priceSanityReason,
  type SwapQuote,
  usdValue,
} from "@ballast/core";
import { priceFromPool, type UniswapV3State } from "@ballast/uniswap-v3";
import type { Abi } from "viem";
import { asBallastError, ChainFetchError, CycleStepError } from "./errors.ts";
import type { RealizedChain } from "./realize.ts";
import type { ChainFetch, ChainSetup, CycleParams } from "./types.ts";

/**
 * The cycle's one call into the guard, after realize and before simulate: the fresh chains' prices and the realized
 * batches' quotes checked; on any fault the decision holds with the `price-sanity` reason (returned with no batch to
 * simulate), on a read failure the cycle stops with the error. Undefined: every price is trusted.
 */
export async function holdOnPrices(
  params: Pick<CycleParams, "priceGuard">,
  fresh: readonly { readonly setup: ChainSetup; readonly fetch: ChainFetch }[],
  realized: readonly Pick<RealizedChain, "chainId" | "quotes">[],
  decision: Decision,
): Promise<{ decision: Decision; error?: BallastError } | undefined> {
  let faults: PriceFault[];
  try {
    faults = await guardPrices(
      fresh.map((f) => ({
        ...f,
        quotes: realized.find((r) => r.chainId === f.setup.chainId)?.quotes ?? [],
      })),
      params.priceGuard,
    );
  } catch (err) {
    return { decision, error: asBallastError(err, (c) => new CycleStepError("price-guard", c)) };
  }
  if (faults.length === 0) return undefined;
  return { decision: { fire: false, reasons: [...decision.reasons, priceSanityReason(faults)] } };
}

/** Chainlink's `AggregatorV3Interface.latestRoundData`. */
export const latestRoundDataAbi = [
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

/** One chain as {@link guardPrices} sees it: its read, and the swap quotes its batch would use. */
export type PriceGuardChain = {
  readonly setup: ChainSetup;
  readonly fetch: ChainFetch;
  readonly quotes: readonly SwapQuote[];
};

/**
 * Price sanity before any money moves, per chain (nothing here is sent; the caller holds the cycle on any fault):
 * - every registered token's Aave oracle source is read with `latestRoundData` in ONE more `eth_call`, pinned to
 *   the fetch's block, and refused when stale, incomplete or non-positive ({@link checkFeed});
 * - the oracle is cross-checked against the mid price of every pool the fetch read (LP sleeves' pools) and against
 *   every swap quote of the batch (the Uniswap route actually swapped through, or 1inch's answer): a disagreement
 *   beyond `policy.maxDeviationBps` is refused ({@link checkPriceDeviation}). A quote's deviation includes its fee
 *   and price impact. Pairs without an oracle price on both sides are not compared.
 *
 * Throws {@link ChainFetchError} when a chain's feeds cannot be read.
 */
export async function guardPrices(
  chains: readonly PriceGuardChain[],
  policy: PriceGuardPolicy = DEFAULT_PRICE_GUARD,
): Promise<PriceFault[]> {
  const perChain = await Promise.all(
    chains.map(async (c) => {
      const aave = aaveOf(c.fetch);
      if (!aave) return [];
      const oracle = aavePriceBook(aave);
      const assets = new Map(c.fetch.assets.map((a) => [a.address.toLowerCase(), a]));
      return [
        ...(await feedFaults(c, policy)),
        ...poolFaults(c.fetch, oracle, assets, policy),
        ...quoteFaults(c.quotes, c.fetch.chainId, oracle, assets, policy),
      ];
    }),
  );
  return perChain.flat();
}

/** The feeds of the chain's registered tokens, read in one `eth_call` at the fetch's block, each checked. */
async function feedFaults(c: PriceGuardChain, policy: PriceGuardPolicy): Promise<PriceFault[]> {
  const { setup, fetch } = c;
  const registered = new Set(setup.tokens.map((t) => t.address.toLowerCase()));
  const reserves = (aaveOf(fetch)?.reserves ?? []).filter((r) => registered.has(r.asset.toLowerCase()));
  if (reserves.length === 0) return [];
  const reads: ContractRead[] = reserves.map((r) => ({
    address: r.priceOracle,
    abi: latestRoundDataAbi,
    functionName: "latestRoundData",
    args: [],
  }));
  let results: Awaited<ReturnType<typeof aggregateReads>>;
  try {
    results = await aggregateReads(setup.client, {
      reads,
      blockNumber: fetch.snapshot.blockNumber,
      ...(setup.multicall3 ? { multicallAddress: setup.multicall3 } : {}),
    });
  } catch (err) {
    throw new ChainFetchError(setup.key, setup.chainId, err);
  }
  return reserves.flatMap((r, i) => {
    const res = results[i];
    const round = res?.status === "success" ? toRound(res.result) : undefined;
    const fault = checkFeed({
      chainId: setup.chainId,
      asset: r.symbol,
      feed: r.priceOracle,
      round,
      blockTimestamp: fetch.snapshot.timestamp,
      policy,
    });
    return fault ? [fault] : [];
  });
}

function toRound(result: unknown): FeedRound {
  const [roundId, answer, startedAt, updatedAt, answeredInRound] = result as readonly bigint[];
  return {
    roundId: roundId as bigint,
    answer: answer as bigint,
    startedAt: startedAt as bigint,
    updatedAt: updatedAt as bigint,
    answeredInRound: answeredInRound as bigint,
  };
}

/** Each read pool's mid price (token0 in USD through token1's oracle price) against token0's oracle price. */
function poolFaults(
  fetch: ChainFetch,
  oracle: PriceBook,
  assets: ReadonlyMap<string, Asset>,
  policy: PriceGuardPolicy,
): PriceFault[] {
  const pools = (fetch.reads["uniswap-v3"]?.state as UniswapV3State | undefined)?.pools ?? new Map();
  return [...pools.values()].flatMap((pool) => {
    const a0 = assets.get(pool.token0.toLowerCase());
    const a1 = assets.get(pool.token1.toLowerCase());
    const p0 = a0 && oracle.get(a0.id);
    const p1 = a1 && oracle.get(a1.id);
    if (!a0 || !a1 || !p0 || !p1) return [];
    const fault = checkPriceDeviation({
      chainId: fetch.chainId,
      asset: a0.symbol,
      reference: { source: "oracle", priceUsdWad: p0 },
      observed: {
        source: `pool ${a0.symbol}/${a1.symbol}/${pool.fee}`,
        priceUsdWad: priceFromPool({
          sqrtPriceX96: pool.sqrtPriceX96,
          decimals0: a0.decimals,
          decimals1: a1.decimals,
          known: { side: 1, priceUsdWad: p1 },
        }),
      },
      policy,
    });
    return fault ? [fault] : [];
  });
}

/** Each quote's price of its input (its expected output at the oracle price of the output) against the oracle. */
function quoteFaults(
  quotes: readonly SwapQuote[],
  chainId: number,
  oracle: PriceBook,
  assets: ReadonlyMap<string, Asset>,
  policy: PriceGuardPolicy,
): PriceFault[] {
  return quotes.flatMap((q) => {
    const tin = assets.get(q.tokenIn.toLowerCase());
    const tout = assets.get(q.tokenOut.toLowerCase());
    const pin = tin && oracle.get(tin.id);
    const pout = tout && oracle.get(tout.id);
    if (!tin || !tout || !pin || !pout || q.amountIn <= 0n) return [];
    const fault = checkPriceDeviation({
      chainId,
      asset: tin.symbol,
      reference: { source: "oracle", priceUsdWad: pin },
      observed: {
        source: `${q.venue} quote ${tin.symbol}→${tout.symbol}`,
        priceUsdWad: (usdValue(q.amountOut, tout.decimals, pout) * pow10(tin.decimals)) / q.amountIn,
      },
      policy,
    });
    return fault ? [fault] : [];
  });
}

/**
 * The protocol reads the guard checks: the Aave market's reserves (each names its oracle source) and the pools the
 * LP protocol read. The guard's one place that names protocols; it belongs in the protocol interface (a protocol's
 * price sources) once a second lending market or DEX is registered.
 */
function aaveOf(fetch: ChainFetch): AavePositions | undefined {
  return fetch.reads[AAVE_V3_PROTOCOL]?.state as AavePositions | undefined;
}

import { aggregateReads } from "@ballast/chain";
import {
  type Address,
  type Asset,
  type AssetId,
  type BallastError,
  type ContractRead,
  checkFeed,
  checkPriceDeviation,
  DEFAULT_PRICE_GUARD,
  type Decision,
  type FeedRound,
  type MarketPrice,
  type PriceBook,
  type PriceFault,
  type PriceGuardPolicy,
  type Protocol,
  pow10,
  priceSanityReason,
  type SwapQuote,
  usdValue,
} from "@ballast/core";
import type { Abi } from "viem";
import { asBallastError, ChainFetchError, CycleStepError } from "./errors.ts";
import type { ChainFetch, ChainSetup, CycleParams, RealizedChain } from "./types.ts";

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

/** The guard's view of one chain: the oracle its protocols read (the first one wins per asset) and their market prices. */
type ChainSources = {
  readonly oracle: PriceBook;
  readonly feeds: readonly { readonly token: Address; readonly symbol: string; readonly feed: Address }[];
  readonly markets: readonly MarketPrice[];
};

/** Each registered protocol's {@link Protocol.priceSources} of a chain's read, merged; undefined without an oracle. */
function sourcesOf(c: PriceGuardChain): ChainSources | undefined {
  const oracle = new Map<AssetId, bigint>();
  const feeds: ChainSources["feeds"][number][] = [];
  const markets: MarketPrice[] = [];
  for (const protocol of c.setup.protocols) {
    const read = c.fetch.reads[protocol.name];
    const sources = read && protocol.priceSources?.(read.state);
    if (!sources) continue;
    for (const [id, price] of sources.oracle?.prices ?? []) if (!oracle.has(id)) oracle.set(id, price);
    feeds.push(...(sources.oracle?.feeds ?? []));
    markets.push(...(sources.markets ?? []));
  }
  return oracle.size === 0 ? undefined : { oracle, feeds, markets };
}

/**
 * Price sanity before any money moves, per chain (nothing here is sent; the caller holds the cycle on any fault), from
 * what the chain's protocols offer as price sources ({@link Protocol.priceSources}):
 * - every registered token's oracle feed is read with `latestRoundData` in ONE more `eth_call`, pinned to the fetch's
 *   block, and refused when stale, incomplete or non-positive ({@link checkFeed});
 * - the oracle is cross-checked against every market price the protocols read (e.g. the LP sleeves' pools) and
 *   against every swap quote of the batch (the route actually swapped through, or an aggregator's answer): a disagreement
 *   beyond `policy.maxDeviationBps` is refused ({@link checkPriceDeviation}). A quote's deviation includes its fee and
 *   price impact. Pairs without an oracle price on both sides are not compared; a chain without an oracle is not
 *   checked.
 *
 * Throws {@link ChainFetchError} when a chain's feeds cannot be read.
 */
export async function guardPrices(
  chains: readonly PriceGuardChain[],
  policy: PriceGuardPolicy = DEFAULT_PRICE_GUARD,
): Promise<PriceFault[]> {
  const perChain = await Promise.all(
    chains.map(async (c) => {
      const sources = sourcesOf(c);
      if (!sources) return [];
      const assets = new Map(c.fetch.assets.map((a) => [a.address.toLowerCase(), a]));
      return [
        ...(await feedFaults(c, sources, policy)),
        ...marketFaults(c.fetch.chainId, sources, assets, policy),
        ...quoteFaults(c.quotes, c.fetch.chainId, sources.oracle, assets, policy),
      ];
    }),
  );
  return perChain.flat();
}

/** The feeds of the chain's registered tokens, read in one `eth_call` at the fetch's block, each checked. */
async function feedFaults(
  c: PriceGuardChain,
  sources: ChainSources,
  policy: PriceGuardPolicy,
): Promise<PriceFault[]> {
  const { setup, fetch } = c;
  const registered = new Set(setup.tokens.map((t) => t.address.toLowerCase()));
  const feeds = sources.feeds.filter((f) => registered.has(f.token.toLowerCase()));
  if (feeds.length === 0) return [];
  const reads: ContractRead[] = feeds.map((f) => ({
    address: f.feed,
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
  return feeds.flatMap((f, i) => {
    const res = results[i];
    const round = res?.status === "success" ? toRound(res.result) : undefined;
    const fault = checkFeed({
      chainId: setup.chainId,
      asset: f.symbol,
      feed: f.feed,
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

/** Each market's price of its base (through the oracle's price of its quote) against the base's oracle price. */
function marketFaults(
  chainId: number,
  sources: ChainSources,
  assets: ReadonlyMap<string, Asset>,
  policy: PriceGuardPolicy,
): PriceFault[] {
  return sources.markets.flatMap((m) => {
    const base = assets.get(m.base.toLowerCase());
    const quote = assets.get(m.quote.toLowerCase());
    const pBase = base && sources.oracle.get(base.id);
    const pQuote = quote && sources.oracle.get(quote.id);
    if (!base || !quote || !pBase || !pQuote) return [];
    const fault = checkPriceDeviation({
      chainId,
      asset: base.symbol,
      reference: { source: "oracle", priceUsdWad: pBase },
      observed: m.observe(base, quote, pQuote),
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

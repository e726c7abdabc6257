import { abs, BPS, mulDiv } from "./math.ts";
import type { Address } from "./model.ts";
import type { DecisionReason } from "./triggers.ts";

/** A Chainlink-shaped feed's `latestRoundData()`. */
export type FeedRound = {
  readonly roundId: bigint;
  readonly answer: bigint;
  readonly startedAt: bigint;
  readonly updatedAt: bigint;
  readonly answeredInRound: bigint;
};

/** The limits of {@link checkFeed} and {@link checkPriceDeviation}. */
export type PriceGuardPolicy = {
  /** Most two sources may disagree on an asset's price, in bps of the oracle price. */
  readonly maxDeviationBps: number;
  /** Oldest acceptable feed round, in seconds before the chain's block timestamp. */
  readonly maxAgeSeconds: number;
  /**
   * Per chain id, per token symbol: overrides of `maxAgeSeconds` (the feed's heartbeat plus margin; heartbeats differ
   * by chain). A feed listed here must answer `latestRoundData`; others without it (adapters) are not checked for age.
   */
  readonly maxAgeByChain?: Readonly<Record<number, Readonly<Record<string, number>>>>;
};

/**
 * Defaults: 100 bps of disagreement; 25 h of feed age (Chainlink's longest common heartbeat, 24 h, plus an hour).
 * Tighten `maxAgeByChain` for fast feeds (ETH/USD on Ethereum beats hourly).
 */
export const DEFAULT_PRICE_GUARD: PriceGuardPolicy = { maxDeviationBps: 100, maxAgeSeconds: 90_000 };

/** Why a price is not trusted this cycle. `asset` is a symbol; `chainId` the chain it was read on. */
export type PriceFault =
  | {
      readonly kind: "feed-stale";
      readonly chainId: number;
      readonly asset: string;
      readonly feed: Address;
      readonly ageSeconds: number;
      readonly maxAgeSeconds: number;
    }
  | {
      readonly kind: "feed-invalid";
      readonly chainId: number;
      readonly asset: string;
      readonly feed: Address;
      readonly reason: "non-positive answer" | "incomplete round" | "no round data";
    }
  | {
      readonly kind: "deviation";
      readonly chainId: number;
      readonly asset: string;
      /** The two sources compared, the reference first (e.g. `["oracle", "pool WETH/USDC/500"]`). */
      readonly sources: readonly [string, string];
      readonly deviationBps: number;
      readonly maxDeviationBps: number;
    };

/** The age limit of an asset's feed under `policy`. */
export const maxFeedAge = (policy: PriceGuardPolicy, chainId: number, symbol: string): number =>
  policy.maxAgeByChain?.[chainId]?.[symbol] ?? policy.maxAgeSeconds;

/**
 * Checks one feed's latest round at a block: the answer must be positive, the round complete (`updatedAt` set and
 * `answeredInRound ≥ roundId`) and no older than the asset's age limit. `round` undefined: the feed has no
 * `latestRoundData` (an adapter), a fault only when the feed has its own limit in `maxAgeByChain`.
 */
export function checkFeed(params: {
  readonly chainId: number;
  readonly asset: string;
  readonly feed: Address;
  readonly round: FeedRound | undefined;
  /** The timestamp of the block the round was read at. */
  readonly blockTimestamp: bigint;
  readonly policy: PriceGuardPolicy;
}): PriceFault | undefined {
  const { chainId, asset, feed, round, policy } = params;
  const invalid = (reason: "non-positive answer" | "incomplete round" | "no round data"): PriceFault => ({
    kind: "feed-invalid",
    chainId,
    asset,
    feed,
    reason,
  });
  if (!round)
    return policy.maxAgeByChain?.[chainId]?.[asset] === undefined ? undefined : invalid("no round data");
  if (round.answer <= 0n) return invalid("non-positive answer");
  if (round.updatedAt === 0n || round.answeredInRound < round.roundId) return invalid("incomplete round");
  const ageSeconds = Number(params.blockTimestamp - round.updatedAt);
  const maxAgeSeconds = maxFeedAge(policy, chainId, asset);
  return ageSeconds > maxAgeSeconds
    ? { kind: "feed-stale", chainId, asset, feed, ageSeconds, maxAgeSeconds }
    : undefined;
}

/** |observed − reference| in bps of `reference`, rounded up (a positive reference is required). */
export function deviationBps(reference: bigint, observed: bigint): number {
  if (reference <= 0n) throw new RangeError("deviationBps: the reference must be positive");
  return Number(mulDiv(abs(observed - reference), BPS, reference, "up"));
}

/**
 * Compares two USD prices (wads) of one asset: a fault when they differ by more than `policy.maxDeviationBps` of
 * the reference (the oracle). A non-positive observed price is always a fault.
 */
export function checkPriceDeviation(params: {
  readonly chainId: number;
  readonly asset: string;
  readonly reference: { readonly source: string; readonly priceUsdWad: bigint };
  readonly observed: { readonly source: string; readonly priceUsdWad: bigint };
  readonly policy: PriceGuardPolicy;
}): PriceFault | undefined {
  const { reference, observed, policy } = params;
  const bps =
    observed.priceUsdWad <= 0n ? Number(BPS) : deviationBps(reference.priceUsdWad, observed.priceUsdWad);
  return bps > policy.maxDeviationBps
    ? {
        kind: "deviation",
        chainId: params.chainId,
        asset: params.asset,
        sources: [reference.source, observed.source],
        deviationBps: bps,
        maxDeviationBps: policy.maxDeviationBps,
      }
    : undefined;
}

const duration = (s: number): string =>
  s >= 3_600 && s % 3_600 === 0 ? `${s / 3_600}h` : s >= 60 && s % 60 === 0 ? `${s / 60}m` : `${s}s`;

/** One fault in words, e.g. `WETH on chain 1: oracle vs pool WETH/USDC/500 differ by 512 bps (max 100)`. */
export function formatPriceFault(f: PriceFault): string {
  const where = `${f.asset} on chain ${f.chainId}`;
  switch (f.kind) {
    case "feed-stale":
      return `${where}: feed ${f.feed} last updated ${duration(f.ageSeconds)} ago (max ${duration(f.maxAgeSeconds)})`;
    case "feed-invalid":
      return `${where}: feed ${f.feed} has a ${f.reason === "no round data" ? "source without latestRoundData" : f.reason}`;
    case "deviation":
      return `${where}: ${f.sources[0]} vs ${f.sources[1]} differ by ${f.deviationBps} bps (max ${f.maxDeviationBps})`;
  }
}

/**
 * The `price-sanity` block of a decision: fired when any price is not trusted (nothing is sent this cycle; it clears
 * by itself once the sources agree again), with every fault in `faults` and in words in `detail`.
 */
export function priceSanityReason(faults: readonly PriceFault[]): DecisionReason {
  return {
    rule: "price-sanity",
    effect: "block",
    fired: faults.length > 0,
    detail:
      faults.length > 0
        ? `hold: prices not trusted: ${faults.map(formatPriceFault).join("; ")}`
        : "every price source agrees",
    faults,
  };
}

import { describe, expect, it } from "vitest";
import {
  checkFeed,
  checkPriceDeviation,
  DEFAULT_PRICE_GUARD,
  deviationBps,
  type FeedRound,
  formatPriceFault,
  priceSanityReason,
} from "./price-guard.ts";

const FEED = "0x00000000000000000000000000000000000000f1" as const;
const T = 1_700_000_000n;
const round = (over: Partial<FeedRound> = {}): FeedRound => ({
  roundId: 5n,
  answer: 3_000n * 10n ** 8n,
  startedAt: T - 60n,
  updatedAt: T - 60n,
  answeredInRound: 5n,
  ...over,
});
const feed = (r: FeedRound | undefined, policy = DEFAULT_PRICE_GUARD, asset = "WETH") =>
  checkFeed({ chainId: 1, asset, feed: FEED, round: r, blockTimestamp: T, policy });
const WAD = 10n ** 18n;

describe("checkFeed", () => {
  it("accepts a fresh, complete, positive round", () => {
    expect(feed(round())).toBeUndefined();
    expect(feed(round({ updatedAt: T - 90_000n }))).toBeUndefined();
  });

  it("refuses a round older than the limit, with its age and the limit", () => {
    expect(feed(round({ updatedAt: T - 90_001n }))).toEqual({
      kind: "feed-stale",
      chainId: 1,
      asset: "WETH",
      feed: FEED,
      ageSeconds: 90_001,
      maxAgeSeconds: 90_000,
    });
  });

  it("uses the chain's own limit for the symbol over the default", () => {
    const policy = { ...DEFAULT_PRICE_GUARD, maxAgeByChain: { 1: { WETH: 3_600 }, 8453: { USDC: 60 } } };
    expect(feed(round({ updatedAt: T - 3_601n }), policy)?.kind).toBe("feed-stale");
    expect(feed(round({ updatedAt: T - 3_600n }), policy)).toBeUndefined();
    expect(feed(round({ updatedAt: T - 3_601n }), policy, "USDC")).toBeUndefined();
  });

  it("refuses a non-positive answer and an incomplete round", () => {
    expect(feed(round({ answer: 0n }))).toMatchObject({
      kind: "feed-invalid",
      reason: "non-positive answer",
    });
    expect(feed(round({ answer: -1n }))).toMatchObject({ reason: "non-positive answer" });
    expect(feed(round({ updatedAt: 0n }))).toMatchObject({ reason: "incomplete round" });
    expect(feed(round({ answeredInRound: 4n }))).toMatchObject({ reason: "incomplete round" });
  });

  it("a feed without round data is a fault only when the symbol has its own limit", () => {
    expect(feed(undefined)).toBeUndefined();
    expect(feed(undefined, { ...DEFAULT_PRICE_GUARD, maxAgeByChain: { 1: { WETH: 3_600 } } })).toMatchObject({
      kind: "feed-invalid",
      reason: "no round data",
    });
  });
});

describe("checkPriceDeviation", () => {
  const check = (observed: bigint, maxDeviationBps = 100) =>
    checkPriceDeviation({
      chainId: 1,
      asset: "WETH",
      reference: { source: "oracle", priceUsdWad: 3_000n * WAD },
      observed: { source: "pool WETH/USDC/500", priceUsdWad: observed },
      policy: { ...DEFAULT_PRICE_GUARD, maxDeviationBps },
    });

  it("deviation is rounded up, in bps of the reference, both directions", () => {
    expect(deviationBps(3_000n * WAD, 3_030n * WAD)).toBe(100);
    expect(deviationBps(3_000n * WAD, 2_970n * WAD)).toBe(100);
    expect(deviationBps(3_000n * WAD, 3_030n * WAD + 1n)).toBe(101);
    expect(() => deviationBps(0n, 1n)).toThrow(RangeError);
  });

  it("passes at the limit and refuses beyond it, naming the sources", () => {
    expect(check(3_030n * WAD)).toBeUndefined();
    expect(check(3_150n * WAD)).toEqual({
      kind: "deviation",
      chainId: 1,
      asset: "WETH",
      sources: ["oracle", "pool WETH/USDC/500"],
      deviationBps: 500,
      maxDeviationBps: 100,
    });
    expect(check(3_150n * WAD, 500)).toBeUndefined();
  });

  it("a quote 1,000× the oracle, or zero, is refused", () => {
    expect(check(3_000_000n * WAD)?.kind).toBe("deviation");
    expect(check(0n)).toMatchObject({ deviationBps: 10_000 });
  });
});

describe("priceSanityReason", () => {
  it("blocks with every fault in words, and passes quietly without one", () => {
    const stale = feed(round({ updatedAt: T - 7_200n }), { ...DEFAULT_PRICE_GUARD, maxAgeSeconds: 3_600 })!;
    const r = priceSanityReason([stale]);
    expect(r).toMatchObject({ rule: "price-sanity", effect: "block", fired: true, faults: [stale] });
    expect(r.detail).toBe(
      `hold: prices not trusted: WETH on chain 1: feed ${FEED} last updated 2h ago (max 1h)`,
    );
    expect(priceSanityReason([]).fired).toBe(false);
  });

  it("formats deviations and invalid feeds", () => {
    expect(
      formatPriceFault({
        kind: "deviation",
        chainId: 8453,
        asset: "WETH",
        sources: ["oracle", "1inch quote WETH→USDC"],
        deviationBps: 99_900,
        maxDeviationBps: 100,
      }),
    ).toBe("WETH on chain 8453: oracle vs 1inch quote WETH→USDC differ by 99900 bps (max 100)");
    expect(formatPriceFault(feed(round({ answer: 0n }))!)).toBe(
      `WETH on chain 1: feed ${FEED} has a non-positive answer`,
    );
  });
});

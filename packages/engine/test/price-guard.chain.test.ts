import type { PriceFault, PriceGuardPolicy, SwapVenue } from "@ballast/core";
import {
  advanceTime,
  pushPoolPrice,
  roundFeedAbi,
  setFeedRound,
  syncPoolPrice,
  testAccounts,
  useRoundFeed,
} from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { describe, expect, it } from "vitest";
import { type CycleResult, type PolicyRules, runCycle, type SleeveSpec } from "../src/index.ts";
import { balanceOf, give, setupFor, usdc, WAD, weth } from "./helpers.ts";

const chain = useTestChain({ chainId: 1 });
const owner = testAccounts.alice;

const rules: PolicyRules = {
  bands: { absoluteBps: 500, relativeBps: 2500 },
  rebalanceTo: "target",
  minTradeUsd: 100n * WAD,
  maxSlippageBps: 100,
  maxValueLossBps: 100,
};
/** Half WETH, half USDC; the LP sleeve (1%) makes the fetch read the WETH/USDC/500 pool. */
const sleeves: SleeveSpec[] = [
  { id: "eth", chain: "ethereum", kind: "token", asset: "WETH", weightBps: 4950 },
  { id: "usdc", chain: "ethereum", kind: "token", asset: "USDC", weightBps: 4950 },
  { id: "lp", chain: "ethereum", kind: "uniswap-v3-lp", pool: "WETH/USDC/500", weightBps: 100 },
];
const guard = { maxDeviationBps: 100, maxAgeSeconds: 90_000 };
/** WETH's feed beats hourly: with its own limit it must answer `latestRoundData` (the testkit's default does not). */
const hourlyWeth = { ...guard, maxAgeByChain: { 1: { WETH: 3_600 } } };

/** $40k at ETH $3,000, 75% in WETH: the bands fire. */
async function seed() {
  await give(chain, owner.address, "WETH", weth(10));
  await give(chain, owner.address, "USDC", usdc(10_000));
}

const now = async () => Number((await chain.publicClient.getBlock()).timestamp);
const cycle = async (priceGuard: PriceGuardPolicy, venues?: SwapVenue[]) =>
  runCycle({
    chains: [setupFor(chain, "ethereum", owner, venues ? { venues } : {})],
    sleeves,
    rules,
    priceGuard,
    now: await now(),
  });
const faultsOf = (r: CycleResult): readonly PriceFault[] =>
  r.decision?.reasons.find((x) => x.rule === "price-sanity")?.faults ?? [];

/** A held cycle: planned, but the price-sanity block fired and no batch was simulated. */
function expectHeld(r: CycleResult): readonly PriceFault[] {
  expect(r.error).toBeNull();
  expect(r.plan?.chains[0]?.legs.length).toBeGreaterThan(0);
  expect(r.decision?.fire).toBe(false);
  const reason = r.decision?.reasons.find((x) => x.rule === "price-sanity");
  expect(reason).toMatchObject({ effect: "block", fired: true });
  expect(r.batches).toEqual([]);
  return faultsOf(r);
}

/** Executes the cycle's one batch and returns the account's WETH after it. */
async function executeBatch(r: CycleResult): Promise<bigint> {
  expect(r.decision?.fire).toBe(true);
  expect(faultsOf(r)).toEqual([]);
  const b = r.batches[0]!;
  expect(b.ok).toBe(true);
  const setup = setupFor(chain, "ethereum", owner);
  await setup.executor.execute(b.calls, { planId: r.plan!.id, guards: b.guards });
  return balanceOf(chain, chain.deployment.tokens.WETH.address, owner.address);
}

describe("price sanity before any money moves", () => {
  it("a stale WETH feed holds the cycle; a fresh round lets it rebalance", async () => {
    await seed();
    await useRoundFeed(chain, { asset: "WETH" });
    const feed = chain.deployment.feeds.WETH.address;
    expect(faultsOf(await cycle(hourlyWeth))).toEqual([]);
    const head = await advanceTime(chain, { seconds: 3_601 });
    const [, , , updatedAt] = await chain.publicClient.readContract({
      address: feed,
      abi: roundFeedAbi,
      functionName: "latestRoundData",
    });

    const held = expectHeld(await cycle(hourlyWeth));
    const ageSeconds = Number(head - updatedAt);
    expect(ageSeconds).toBeGreaterThan(3_600);
    // USDC's feed has no rounds and no limit of its own: not a fault.
    expect(held).toEqual([
      { kind: "feed-stale", chainId: 1, asset: "WETH", feed, ageSeconds, maxAgeSeconds: 3_600 },
    ]);
    // The default 25 h limit would have let it through.
    expect(faultsOf(await cycle(guard))).toEqual([]);

    await setFeedRound(chain, { asset: "WETH" });
    expect(await executeBatch(await cycle(hourlyWeth))).toBeLessThan(weth(10));
  });

  it("a feed answering an incomplete round holds the cycle", async () => {
    await seed();
    await useRoundFeed(chain, { asset: "WETH" });
    await setFeedRound(chain, { asset: "WETH", answeredInRound: 1n });
    expect(expectHeld(await cycle(guard))).toMatchObject([
      { kind: "feed-invalid", asset: "WETH", reason: "incomplete round" },
    ]);
  });

  it("a per-symbol limit on a feed without round data holds the cycle", async () => {
    await seed();
    expect(expectHeld(await cycle(hourlyWeth))).toMatchObject([
      { kind: "feed-invalid", asset: "WETH", reason: "no round data" },
    ]);
  });

  it("a pool pushed 5% from the oracle by a real swap holds the cycle; back in line, it rebalances", async () => {
    await seed();
    await pushPoolPrice(chain, { pool: "WETH/USDC/500", bps: 500 });

    const faults = expectHeld(await cycle(guard));
    const sources = faults.map((f) => (f.kind === "deviation" ? f.sources[1] : f.kind));
    // The LP sleeve's pool as read, and the Uniswap route the swap would take through it.
    expect(sources).toEqual(["pool WETH/USDC/500", "uniswap-v3 quote WETH→USDC"]);
    const pool = faults[0]!;
    expect(pool.kind === "deviation" && pool.deviationBps).toBeGreaterThanOrEqual(500);
    expect(pool.kind === "deviation" && pool.deviationBps).toBeLessThanOrEqual(510);

    await syncPoolPrice(chain, { pool: "WETH/USDC/500" });
    expect(await executeBatch(await cycle(guard))).toBeLessThan(weth(10));
  });

  it("refuses a swap quote far from the oracle even when its guard matches it (a hostile 1inch answer)", async () => {
    await seed();
    const real = setupFor(chain, "ethereum", owner).venues[0]!;
    // 1,000× the output, with a minimum "consistent" with it: only the oracle can tell.
    const hostile: SwapVenue = {
      name: "1inch",
      quote: async (req) => {
        const q = await real.quote(req);
        return {
          ...q,
          venue: "1inch",
          amountOut: q.amountOut * 1_000n,
          minAmountOut: q.minAmountOut * 1_000n,
        };
      },
    };
    const faults = expectHeld(await cycle(guard, [hostile]));
    expect(faults).toHaveLength(1);
    expect(faults[0]).toMatchObject({
      kind: "deviation",
      asset: "WETH",
      sources: ["oracle", "1inch quote WETH→USDC"],
    });
    expect(faults[0]!.kind === "deviation" && faults[0]!.deviationBps).toBeGreaterThan(9_000_000);
  });
});

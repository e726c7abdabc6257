import { type AssetId, plan, WAD } from "@ballast/core";
import { defaultCostModel, type SleeveSpec } from "@ballast/engine";
import { describe, expect, it } from "vitest";
import { applyPlan, valueBook } from "./account.ts";
import { ethPath, rules, twoChains, zeroRates } from "./fixtures.test-util.ts";
import { backtest, bridgeRoutes } from "./run.ts";
import { buildWorld, emptyBook, type Market } from "./world.ts";

const NAV = 1_000_000n * WAD;
const USD = WAD;
/** Across-like: 5 bps of the value moved and $2 per transfer. */
const bridge = { feeBps: 5, fixedUsd: 2n * USD };
const id = (chainId: number, symbol: string): AssetId =>
  (twoChains.find((c) => c.chainId === chainId)?.tokens.find((t) => t.symbol === symbol)?.id ??
    "") as AssetId;

/** Half the NAV in WETH on Ethereum, half in USDC on Aave on Base: a WETH move shifts value between the chains. */
const split: SleeveSpec[] = [
  { id: "eth-weth", chain: "ethereum", kind: "token", asset: "WETH", weightBps: 5_000 },
  { id: "base-usdc", chain: "base", kind: "aave-supply", asset: "USDC", weightBps: 5_000 },
];

describe("backtest across chains", () => {
  it("lists a route both ways for every symbol two chains hold", () => {
    expect(bridgeRoutes(twoChains, bridge).map((r) => `${r.symbol} ${r.fromChainId}>${r.toChainId}`)).toEqual(
      ["USDC 1>8453", "WETH 1>8453", "USDC 8453>1", "WETH 8453>1"],
    );
  });

  it("restores drift between chains through a bridge, charging its fee and fixed cost; without one the drift stays", () => {
    // WETH +50% at step 10: Ethereum holds 60% of NAV against a 50% target.
    const history = ethPath([
      ...Array.from({ length: 10 }, () => 3_000),
      ...Array.from({ length: 20 }, () => 4_500),
    ]);
    const run = (withBridge: boolean) =>
      backtest({
        chains: twoChains,
        sleeves: split,
        policies: [{ name: "band", rules: rules() }],
        history,
        initialNavUsd: NAV,
        rates: zeroRates,
        ...(withBridge ? { bridge } : {}),
      }).policies[0];

    const alone = run(false);
    expect(alone?.rebalances).toEqual([]);
    expect(alone?.maxDriftWad.at(-1)).toBeGreaterThanOrEqual(WAD / 10n - WAD / 1_000n); // still ~10 points off

    const bridged = run(true);
    const [only, ...more] = bridged?.rebalances ?? [];
    expect(more).toEqual([]);
    expect(only?.step).toBe(10);
    const transfers = only?.plan.transfers ?? [];
    expect(transfers.length).toBeGreaterThan(0);
    for (const t of transfers) expect(t.costUsd).toBe((t.usd * 5n + 9_999n) / 10_000n + 2n * USD);
    const transferLegs = only?.legs.filter((l) => l.action === "transfer") ?? [];
    expect(transferLegs.map((l) => l.bridgeUsd)).toEqual(transfers.map((t) => t.costUsd));
    expect(bridged?.cost.bridgeUsd).toBe(transfers.reduce((a, t) => a + t.costUsd, 0n));
    expect(bridged?.cost.totalUsd).toBe(only?.plan.estimatedCost.totalUsd);
    // Back near target after the step, and the plan is the one plan() makes with the bridged cost model.
    expect(bridged?.maxDriftWad.at(-1)).toBeLessThan(WAD / 100n);
    expect((bridged?.trackingErrorRmsBps ?? 0) * 2).toBeLessThan(alone?.trackingErrorRmsBps ?? 0);
  });

  it("settles a plan whose chains both send and receive: every sleeve lands at the plan's post value", () => {
    // Ethereum holds USDC on Aave but wants WETH; Base holds WETH but wants USDC on Aave. Bridging each asset
    // (5 bps + $2) beats swapping on both chains (40 bps), so both chains send and both await a transfer.
    const sleeves: SleeveSpec[] = [
      { id: "eth-weth", chain: "ethereum", kind: "token", asset: "WETH", weightBps: 2_500 },
      { id: "eth-usdc", chain: "ethereum", kind: "aave-supply", asset: "USDC", weightBps: 2_500 },
      { id: "base-weth", chain: "base", kind: "token", asset: "WETH", weightBps: 2_500 },
      { id: "base-usdc", chain: "base", kind: "aave-supply", asset: "USDC", weightBps: 2_500 },
    ];
    const world = buildWorld(twoChains, sleeves, ethPath([3_000]));
    const market = world.markets[0] as Market;
    const book = emptyBook();
    book.supply.set(id(1, "USDC"), 500_000n * 10n ** 6n);
    book.wallet.set(id(8453, "WETH"), (500_000n * WAD) / 3_000n);
    const { state } = valueBook(world, book, market, rules(), zeroRates);
    const costModel = {
      ...defaultCostModel({ slots: world.slots }),
      bridges: bridgeRoutes(twoChains, bridge),
    };
    const made = plan(state, costModel, { now: market.now, onNoBridge: "per-chain" });
    expect(made.transfers.map((t) => `${t.symbol} ${t.fromChainId}>${t.toChainId}`).sort()).toEqual([
      "USDC 1>8453",
      "WETH 8453>1",
    ]);
    expect(made.chains.every((c) => c.awaitsTransfers)).toBe(true);
    applyPlan(world, book, made, market);
    const after = valueBook(world, book, market, rules(), zeroRates).state;
    made.sleeves.forEach((expected, i) => {
      const got = after.sleeves[i]?.valueUsd ?? 0n;
      const diff = got > expected.postUsd ? got - expected.postUsd : expected.postUsd - got;
      expect(diff * 1_000_000n).toBeLessThanOrEqual(expected.postUsd);
    });
  });
});

import { describe, expect, it } from "vitest";
import {
  BASE,
  chain,
  DAI1,
  debt,
  ETH,
  holding,
  policy,
  realisticCost,
  sleeve,
  snapshot,
  supply,
  token,
  USDC1,
  USDC8453,
  units,
  usd,
  WBTC1,
  WETH1,
  WETH8453,
  zeroCost,
} from "../test/fixtures.ts";
import type { CostModel } from "./cost.ts";
import { HealthFactorFloorError, MissingPriceError, NoBridgeError } from "./errors.ts";
import { formatPlanTable } from "./format.ts";
import { WAD } from "./math.ts";
import type { Composition } from "./model.ts";
import { type Plan, planLegs, planToJSON, type SleeveLeg, type SwapLeg } from "./plan.ts";
import { plan } from "./planner.ts";
import type { Policy, Sleeve } from "./policy.ts";
import { portfolioState } from "./state.ts";

/** The Uniswap V3 LP sleeve "lp" in ETH's one pool, at `targetBps`, holding its assets in `composition`'s shares. */
const lpSleeve = (targetBps: number, composition: Composition): Sleeve => ({
  id: "lp",
  chainId: ETH,
  protocol: "uniswap-v3",
  kind: "lp",
  ref: `${ETH}:0xpool`,
  targetBps,
  composition,
});
const swaps = (p: Plan) => planLegs(p).filter((l): l is SwapLeg => l.type === "swap");
const sleeveLegs = (p: Plan) => planLegs(p).filter((l): l is SleeveLeg => l.type !== "swap");
const outcome = (p: Plan, id: string) => p.sleeves.find((s) => s.sleeveId === id);
const flowLoss = (p: Plan) =>
  p.estimatedCost.feesUsd + p.estimatedCost.slippageUsd + p.estimatedCost.bridgeUsd;
const idleUsd = (p: Plan) =>
  p.residuals.filter((r) => r.sleeveId === undefined).reduce((a, r) => a + r.usd, 0n);
/** NAV − post NAV − idle − flow costs: what rounding lost (should be tiny). */
const leak = (p: Plan) => p.navUsd - p.postNavUsd - idleUsd(p) - flowLoss(p);

describe("worked example 1: three sleeves on one chain", () => {
  // 40% WETH idle, 35% USDC on Aave, 25% DAI idle; WETH ran up: 60/20/20 of $100k.
  const pol = policy([
    sleeve("weth", "token", WETH1, 4000),
    sleeve("usdc", "supply", USDC1, 3500),
    sleeve("dai", "token", DAI1, 2500),
  ]);
  const snap = snapshot([chain(ETH, [token(WETH1, "30"), supply(USDC1, "20000"), token(DAI1, "20000")])]);
  const state = portfolioState(snap, pol);

  it("with a zero-cost model: exact legs, ordered exits → swaps → entries, exactly on target", () => {
    const p = plan(state, zeroCost, { now: 1_700_000_000 });
    expect(p.chains).toHaveLength(1);
    const legs = p.chains[0]?.legs ?? [];
    expect(legs.map((l) => (l.type === "swap" ? "swap" : l.action))).toEqual([
      "sell",
      "swap",
      "swap",
      "supply",
      "buy-hold",
    ]);
    expect(legs.map((l) => l.step)).toEqual([1, 2, 3, 4, 5]);
    const [sell, s1, s2, sup, hold] = legs as [SleeveLeg, SwapLeg, SwapLeg, SleeveLeg, SleeveLeg];
    expect(sell.amounts).toEqual([{ asset: WETH1.id, amount: units(WETH1, "10") }]);
    expect(sell.needsCall).toBe(false);
    expect([s1.assetOut, s1.amountIn, s1.expectedOut]).toEqual([
      USDC1.id,
      units(WETH1, "7.5"),
      units(USDC1, "15000"),
    ]);
    expect([s2.assetOut, s2.amountIn, s2.expectedOut]).toEqual([
      DAI1.id,
      units(WETH1, "2.5"),
      units(DAI1, "5000"),
    ]);
    // minOut at the policy's 50 bps max slippage
    expect(s1.minOut).toBe(units(USDC1, "14925"));
    expect(sup).toMatchObject({
      action: "supply",
      amounts: [{ asset: USDC1.id, amount: units(USDC1, "15000") }],
    });
    expect(hold).toMatchObject({ action: "buy-hold", needsCall: false });
    expect(p.sleeves.map((s) => s.postBps)).toEqual([4000, 3500, 2500]);
    expect(p.estimatedCost.totalUsd).toBe(0n);
    expect(p.turnoverUsd).toBe(usd("20000"));
    expect(p.driftRemovedUsd).toBe(usd("20000"));
    expect(p.postNavUsd).toBe(usd("100000"));
    expect(p.guards.swaps).toHaveLength(2);
  });

  it("with realistic costs: costs estimated, sinks grossed up, post weights within a bps, value conserved", () => {
    const p = plan(state, realisticCost, { now: 1 });
    expect(p.estimatedCost.feesUsd).toBeGreaterThan(usd("9.9"));
    expect(p.estimatedCost.slippageUsd).toBeGreaterThan(usd("19.9"));
    expect(p.estimatedCost.gasUsd).toBe(usd("5.5")); // 2 swaps + 1 supply
    for (const s of p.sleeves) expect(Math.abs(s.postDriftBps)).toBeLessThanOrEqual(1);
    expect(leak(p) >= 0n && leak(p) < usd("0.01")).toBe(true);
    expect(p.warnings).toEqual([]);
  });

  it("prints a readable table", () => {
    const text = formatPlanTable(plan(state, zeroCost, { now: 1 }), snap.assets);
    expect(text).toContain("7.5 WETH → 15,000 USDC");
    expect(text).toContain("supply    usdc");
    expect(text).toMatch(/weth\s+1\s+40\.00%\s+60\.00%\s+40\.00%/);
  });
});

describe("worked example 2: two chains, a same-asset move avoids a swap", () => {
  // USDC supplied on Ethereum is 10 points over, USDC supplied on Base 10 points under; WETH is on target on both.
  const pol = policy([
    sleeve("eth-weth", "token", WETH1, 2000),
    sleeve("eth-usdc", "supply", USDC1, 3000),
    sleeve("base-weth", "token", WETH8453, 2000),
    sleeve("base-usdc", "supply", USDC8453, 3000),
  ]);
  const snap = snapshot([
    chain(ETH, [token(WETH1, "10"), supply(USDC1, "40000")]),
    chain(BASE, [token(WETH8453, "10"), supply(USDC8453, "20000")]),
  ]);
  const state = portfolioState(snap, pol);

  it("withdraws USDC, bridges USDC, supplies USDC: no swap at all", () => {
    const p = plan(state, realisticCost, { now: 1 });
    expect(swaps(p)).toHaveLength(0);
    expect(p.transfers).toHaveLength(1);
    const t = p.transfers[0];
    expect(t).toMatchObject({
      symbol: "USDC",
      fromChainId: ETH,
      toChainId: BASE,
      assetFrom: USDC1.id,
      assetTo: USDC8453.id,
    });
    expect(t?.amount).toBeGreaterThan(units(USDC1, "10000"));
    expect(t?.costUsd).toBeLessThan(usd("6.1"));
    expect(sleeveLegs(p).map((l) => `${l.chainId}:${l.action}:${l.sleeveId}`)).toEqual([
      "1:withdraw:eth-usdc",
      "8453:supply:base-usdc",
    ]);
    expect(p.chains.find((c) => c.chainId === BASE)?.awaitsTransfers).toBe(true);
    expect(p.chains.find((c) => c.chainId === ETH)?.awaitsTransfers).toBe(false);
    for (const s of p.sleeves) expect(Math.abs(s.postDriftBps)).toBeLessThanOrEqual(1);
    expect(p.estimatedCost.bridgeUsd).toBe(p.transfers[0]?.costUsd);
  });

  it("without a bridge: NoBridgeError, or per-chain when asked", () => {
    expect(() => plan(state, zeroCost, { now: 1 })).toThrow(NoBridgeError);
    const p = plan(state, zeroCost, { now: 1, onNoBridge: "per-chain" });
    expect(p.scope).toBe("per-chain");
    expect(p.transfers).toHaveLength(0);
    expect(p.warnings[0]).toMatch(/no bridge route can move \$10,000.00 from chain\(s\) 1 to 8453/);
    // Each chain keeps its total and is rebalanced to 40/60 within itself.
    expect(outcome(p, "eth-weth")?.postUsd).toBe(usd("24000"));
    expect(outcome(p, "base-usdc")?.postUsd).toBe(usd("24000"));
    expect(outcome(p, "base-weth")?.postUsd).toBe(usd("16000"));
  });

  it("nets same-asset flows within a chain: USDC withdrawn from Aave funds the USDC side of an LP", () => {
    const lp = lpSleeve(5000, [
      { asset: WETH1.id, shareWad: WAD / 2n },
      { asset: USDC1.id, shareWad: WAD / 2n },
    ]);
    const pol2 = policy([sleeve("usdc", "supply", USDC1, 2000), sleeve("weth", "token", WETH1, 3000), lp]);
    const snap2 = snapshot([chain(ETH, [supply(USDC1, "50000"), token(WETH1, "25")])]);
    const p = plan(portfolioState(snap2, pol2), zeroCost, { now: 1 });
    // 30k USDC and 20k WETH released; the LP needs 25k of each: only the 5k difference is swapped.
    expect(swaps(p)).toHaveLength(1);
    expect(swaps(p)[0]).toMatchObject({
      assetIn: USDC1.id,
      assetOut: WETH1.id,
      amountIn: units(USDC1, "5000"),
    });
    const mint = sleeveLegs(p).find((l) => l.sleeveId === "lp");
    expect(mint?.action).toBe("mint");
    expect(mint?.amounts).toEqual([
      { asset: WETH1.id, amount: units(WETH1, "12.5") },
      { asset: USDC1.id, amount: units(USDC1, "25000") },
    ]);
  });
});

describe("bridges compete with swaps", () => {
  // Mirror imbalances: Ethereum holds $50k too much WETH and too little USDC, Base the opposite; per-chain totals are
  // right, so least bridging swaps $50k on both chains (30 bps: $300); bridging each asset costs 5 bps + $1 ($26).
  const pol = (bridge?: Policy["bridge"]) =>
    policy(
      [
        sleeve("eth-weth", "token", WETH1, 2500),
        sleeve("eth-usdc", "token", USDC1, 2500),
        sleeve("base-weth", "token", WETH8453, 2500),
        sleeve("base-usdc", "token", USDC8453, 2500),
      ],
      bridge ? { bridge } : {},
    );
  const snap = snapshot([chain(ETH, [token(WETH1, "50")]), chain(BASE, [token(USDC8453, "100000")])]);
  const routes = (symbol: string) => [
    { symbol, fromChainId: ETH, toChainId: BASE, feeBps: 5, fixedUsd: usd("1") },
    { symbol, fromChainId: BASE, toChainId: ETH, feeBps: 5, fixedUsd: usd("1") },
  ];
  const cm: CostModel = {
    swap: { default: { feeBps: 30, slippageBps: 0 } },
    bridges: [...routes("WETH"), ...routes("USDC")],
  };
  const lossOf = (p: Plan) => flowLoss(p);

  it("bridges each asset where that is cheaper: ≈ $26 per asset, not $300 of swaps", () => {
    const p = plan(portfolioState(snap, pol()), cm, { now: 1 });
    // What the bridges' fees take is made up by a few dollars of swaps; no $50k swap.
    for (const w of swaps(p)) expect(w.usd).toBeLessThan(usd("30"));
    expect(p.transfers.map((t) => `${t.symbol} ${t.fromChainId}→${t.toChainId}`).sort()).toEqual([
      `USDC ${BASE}→${ETH}`,
      `WETH ${ETH}→${BASE}`,
    ]);
    for (const t of p.transfers) {
      expect(t.usd).toBeGreaterThan(usd("49900"));
      expect(t.costUsd).toBeGreaterThan(usd("25.9"));
      expect(t.costUsd).toBeLessThan(usd("26.1"));
    }
    expect(p.estimatedCost.feesUsd).toBeLessThan(usd("0.2"));
    expect(lossOf(p)).toBeLessThan(usd("52.3"));
    for (const s of p.sleeves) expect(Math.abs(s.postDriftBps)).toBeLessThanOrEqual(1);
    expect(leak(p) >= 0n && leak(p) < usd("0.01")).toBe(true);
  });

  it("least bridging, as a setting, swaps on both chains instead: $300", () => {
    const p = plan(portfolioState(snap, pol({ objective: "least-bridging" })), cm, { now: 1 });
    expect(p.transfers).toHaveLength(0);
    expect(swaps(p)).toHaveLength(2);
    expect(lossOf(p)).toBeGreaterThan(usd("300"));
    expect(lossOf(p)).toBeLessThan(usd("301"));
  });

  it("the premium decides how much a bridge must save: at 30 bps (35 + $1 a side) the swaps win", () => {
    const swapsWin = plan(portfolioState(snap, pol({ premiumBps: 30 })), cm, { now: 1 });
    expect(swapsWin.transfers).toHaveLength(0);
    expect(swaps(swapsWin)).toHaveLength(2);
    const bridgesWin = plan(portfolioState(snap, pol({ premiumBps: 20 })), cm, { now: 1 });
    expect(bridgesWin.transfers).toHaveLength(2);
    // The premium weighs the choice only: the plan's cost is what the bridge charges.
    expect(bridgesWin.estimatedCost.bridgeUsd).toBe(
      plan(portfolioState(snap, pol()), cm, { now: 1 }).estimatedCost.bridgeUsd,
    );
  });
});

describe("worked example 3: leveraged Aave position after an ETH drop", () => {
  // Supply WETH 150%, borrow USDC −50% (HF 2.475 at target). ETH falls 2000 → 1600: 120k supplied, 50k owed, NAV 70k.
  const hf = { floorWad: (18n * WAD) / 10n, liquidationThresholdBps: { [WETH1.id]: 8250 } };
  const pol = policy(
    [sleeve("weth-supply", "supply", WETH1, 15_000), sleeve("usdc-debt", "debt", USDC1, -5000)],
    { healthFactor: hf },
  );
  const snap = snapshot([chain(ETH, [supply(WETH1, "75"), debt(USDC1, "50000")], { WETH: "1600" })]);
  const state = portfolioState(snap, pol);

  it("de-levers: withdraw WETH → swap to USDC → repay, health factor back up", () => {
    expect(state.sleeves.map((s) => s.weightWad / 10n ** 14n)).toEqual([17142n, -7142n]);
    const p = plan(state, realisticCost, { now: 1 });
    expect(planLegs(p).map((l) => (l.type === "swap" ? "swap" : l.action))).toEqual([
      "withdraw",
      "swap",
      "repay",
    ]);
    expect(swaps(p)[0]).toMatchObject({ assetIn: WETH1.id, assetOut: USDC1.id });
    const [h] = p.guards.healthFactors;
    expect(h?.preWad).toBe(19_800n * 10n ** 14n); // 120k × 0.825 / 50k
    expect(h?.postWad as bigint).toBeGreaterThan(24_700n * 10n ** 14n); // ≈ 2.475
    expect(h?.intermediateWad as bigint).toBeGreaterThan(WAD); // after the withdrawal, before the repay
    expect(p.guards.healthFactorFloorWad).toBe(hf.floorWad);
    for (const s of p.sleeves) expect(Math.abs(s.postDriftBps)).toBeLessThanOrEqual(1);
    expect(formatPlanTable(p, snap.assets)).toContain("Health factors (floor 1.8000)");
  });

  it("shrinks a borrow that would break the floor", () => {
    // Target HF 2.475 but floor 3: from HF 3.3 the planner borrows only as far as HF ≥ 3.
    const high = { ...hf, floorWad: 3n * WAD };
    const pol3 = policy(pol.sleeves as Sleeve[], { healthFactor: high });
    const snap3 = snapshot([chain(ETH, [supply(WETH1, "100"), debt(USDC1, "50000")])]);
    const p = plan(portfolioState(snap3, pol3), realisticCost, { now: 1 });
    const [h] = p.guards.healthFactors;
    expect(h?.postWad as bigint).toBeGreaterThanOrEqual(3n * WAD);
    expect(h?.postWad as bigint).toBeLessThan((301n * WAD) / 100n);
    expect(planLegs(p).map((l) => (l.type === "swap" ? "swap" : l.action))).toEqual([
      "borrow",
      "swap",
      "supply",
    ]);
    expect(p.warnings.join("\n")).toMatch(/implies a health factor of 2.4750 < floor 3.0000/);
    expect(p.warnings.join("\n")).toMatch(/shrunk/);
  });

  it("reports when no plan can keep the floor", () => {
    const high = { ...hf, floorWad: 3n * WAD };
    const pol3 = policy(pol.sleeves as Sleeve[], { healthFactor: high });
    expect(() => plan(portfolioState(snap, pol3), realisticCost, { now: 1 })).toThrow(HealthFactorFloorError);
  });
});

describe("planner rules", () => {
  const pol = (over: Partial<Policy> = {}) =>
    policy(
      [
        sleeve("weth", "token", WETH1, 4000),
        sleeve("usdc", "supply", USDC1, 3500),
        sleeve("dai", "token", DAI1, 2500),
      ],
      over,
    );
  const snap = snapshot([chain(ETH, [token(WETH1, "30"), supply(USDC1, "20000"), token(DAI1, "25500")])]);

  it("drops legs below the minimum trade and re-solves without them", () => {
    // NAV $105.5k: dai is $875 short of target; with a $1,000 minimum it is left alone and weth sells $875 less.
    const p = plan(portfolioState(snap, pol({ minTradeUsd: usd("1000") })), zeroCost, { now: 1 });
    for (const l of planLegs(p)) expect(l.usd).toBeGreaterThanOrEqual(usd("1000"));
    expect(sleeveLegs(p).map((l) => l.sleeveId)).toEqual(["weth", "usdc"]);
    expect(outcome(p, "dai")?.postUsd).toBe(usd("25500"));
    expect(outcome(p, "usdc")?.postUsd).toBe(usd("36925"));
    expect(outcome(p, "weth")?.postUsd).toBe(usd("43075"));
  });

  it("band-edge mode stops just inside the bands and trades less", () => {
    const st = portfolioState(snap, pol({ rebalanceTo: "band-edge" }));
    const edge = plan(st, realisticCost, { now: 1 });
    const full = plan(portfolioState(snap, pol()), realisticCost, { now: 1 });
    expect(edge.turnoverUsd).toBeLessThan(full.turnoverUsd);
    for (const s of edge.sleeves) expect(Math.abs(s.postDriftBps)).toBeLessThanOrEqual(s.bandBps);
    expect(outcome(edge, "weth")?.postDriftBps).toBeGreaterThan(450);
  });

  it("exits a sleeve whose target is 0 entirely (fraction = 1e18)", () => {
    const p0 = policy([sleeve("weth", "token", WETH1, 10_000), sleeve("usdc", "supply", USDC1, 0)]);
    const s0 = snapshot([chain(ETH, [token(WETH1, "1"), supply(USDC1, "1234.567891")])]);
    const p = plan(portfolioState(s0, p0), zeroCost, { now: 1 });
    const w = sleeveLegs(p).find((l) => l.action === "withdraw");
    expect(w?.fractionWad).toBe(WAD);
    expect(w?.amounts).toEqual([{ asset: USDC1.id, amount: units(USDC1, "1234.567891") }]);
    expect(outcome(p, "usdc")?.postUsd).toBe(0n);
  });

  it("LP legs: decrease by a fraction of every position, increase the existing one", () => {
    const lp = lpSleeve(2000, [
      { asset: WETH1.id, shareWad: (4n * WAD) / 10n },
      { asset: USDC1.id, shareWad: (6n * WAD) / 10n },
    ]);
    const lpHolding = (id: string, w: string, u: string) =>
      holding("lp", "uniswap-v3", WETH1, w, { id, ref: lp.ref, more: [{ asset: USDC1, amount: u }] });
    const pl = policy([sleeve("usdc", "supply", USDC1, 8000), lp]);
    const over = snapshot([
      chain(ETH, [
        supply(USDC1, "50000"),
        lpHolding("nft-1", "10", "30000"),
        lpHolding("nft-2", "5", "15000"),
      ]),
    ]);
    const p = plan(portfolioState(over, pl), zeroCost, { now: 1 });
    const dec = sleeveLegs(p).find((l) => l.sleeveId === "lp");
    // LP is $75k of $125k (60%) → target $25k: a third stays.
    expect(dec).toMatchObject({
      action: "decrease",
      holdingIds: ["nft-1", "nft-2"],
      fractionWad: (2n * WAD) / 3n,
    });
    const under = snapshot([chain(ETH, [supply(USDC1, "100000"), lpHolding("nft-1", "1", "3000")])]);
    const p2 = plan(portfolioState(under, pl), zeroCost, { now: 1 });
    expect(sleeveLegs(p2).find((l) => l.sleeveId === "lp")).toMatchObject({
      action: "increase",
      holdingIds: ["nft-1"],
    });
  });

  it("keeps a swap below the minimum trade that feeds an LP entry above it (else the whole entry is dropped)", () => {
    // Found by bench:drift (seed 19, rebalance 21): the LP is 96% WETH at the pool price, so $880 into it needs $35 of
    // USDC — a swap under the $50 minimum. Dropped, it left the LP none of its WETH either: the LP was frozen, the idle
    // WETH with it, and ethereum stayed 51 bps off target on each sleeve.
    const lp = lpSleeve(5000, [
      { asset: WETH1.id, shareWad: (96n * WAD) / 100n },
      { asset: USDC1.id, shareWad: (4n * WAD) / 100n },
    ]);
    const pl = policy([sleeve("idle", "token", WETH1, 5000), lp], { minTradeUsd: usd("50") });
    const snap = snapshot([
      chain(ETH, [
        token(WETH1, "5.44"),
        holding("lp", "uniswap-v3", WETH1, "4.38", { ref: lp.ref, more: [{ asset: USDC1, amount: "360" }] }),
      ]),
    ]);
    const p = plan(portfolioState(snap, pl), realisticCost, { now: 1 });
    const [swap] = swaps(p);
    expect(swap).toMatchObject({ assetIn: WETH1.id, assetOut: USDC1.id });
    expect(swap?.usd).toBeLessThan(usd("50"));
    expect(sleeveLegs(p).map((l) => [l.sleeveId, l.action])).toEqual([
      ["idle", "sell"],
      ["lp", "increase"],
    ]);
    for (const id of ["idle", "lp"]) expect(Math.abs(outcome(p, id)?.postDriftBps ?? 1e9)).toBeLessThan(1);
  });

  it("pair-specific swap costs: the exact transportation picks the cheap pairs", () => {
    // Sell $10k WETH and $10k WBTC, buy $10k USDC and $10k DAI. WETH→USDC and WBTC→DAI are cheap, the crossings dear.
    const pl = policy([
      sleeve("weth", "token", WETH1, 2500),
      sleeve("wbtc", "token", WBTC1, 2500),
      sleeve("usdc", "token", USDC1, 2500),
      sleeve("dai", "token", DAI1, 2500),
    ]);
    const sn = snapshot([
      chain(ETH, [token(WETH1, "15"), token(WBTC1, "0.5"), token(USDC1, "10000"), token(DAI1, "10000")]),
    ]);
    const cm: CostModel = {
      swap: {
        default: { feeBps: 100, slippageBps: 0 },
        pairs: [
          { chainId: ETH, assetIn: WETH1.id, assetOut: USDC1.id, feeBps: 1, slippageBps: 0 },
          { chainId: ETH, assetIn: WBTC1.id, assetOut: DAI1.id, feeBps: 1, slippageBps: 0 },
        ],
      },
    };
    const p = plan(portfolioState(sn, pl), cm, { now: 1 });
    expect(
      swaps(p)
        .map((s) => `${s.assetIn}>${s.assetOut}`)
        .sort(),
    ).toEqual([`${WETH1.id}>${USDC1.id}`, `${WBTC1.id}>${DAI1.id}`].sort());
    expect(p.estimatedCost.feesUsd).toBeLessThan(usd("2.1"));
  });

  it("leaves unmanaged holdings alone", () => {
    const withIdle = snapshot([
      chain(ETH, [token(WETH1, "30"), supply(USDC1, "20000"), token(DAI1, "20000"), token(WBTC1, "1")]),
    ]);
    const p = plan(portfolioState(withIdle, pol()), zeroCost, { now: 1 });
    expect(JSON.stringify(planToJSON(p))).not.toContain(WBTC1.id);
    expect(p.navUsd).toBe(usd("100000"));
  });

  it("needs a price for every composition asset", () => {
    const lp = lpSleeve(2000, [{ asset: WBTC1.id, shareWad: WAD }]);
    const pl = policy([sleeve("usdc", "supply", USDC1, 8000), lp]);
    const sn = snapshot([chain(ETH, [supply(USDC1, "1000")])]);
    (sn.chains[0]!.prices as Map<string, bigint>).delete(WBTC1.id);
    expect(() => plan(portfolioState(sn, pl), zeroCost, { now: 1 })).toThrow(MissingPriceError);
    expect(() => plan(portfolioState(sn, pl), zeroCost, { now: 1 })).toThrow(
      /sleeves\[1\]\.composition\[0\]\.asset/,
    );
  });
});

describe("plan output", () => {
  const pol = policy([sleeve("weth", "token", WETH1, 5000), sleeve("usdc", "supply", USDC1, 5000)]);
  const snap = () => snapshot([chain(ETH, [token(WETH1, "30", "w"), supply(USDC1, "20000", "u")])]);

  it("is deterministic: identical inputs, identical plan and id; another `now`, another id", () => {
    const a = plan(portfolioState(snap(), pol), realisticCost, { now: 5 });
    const b = plan(portfolioState(snap(), structuredClone(pol)), structuredClone(realisticCost), { now: 5 });
    expect(planToJSON(a)).toBe(planToJSON(b));
    expect(a.id).toMatch(/^[0-9a-f]{64}$/);
    expect(plan(portfolioState(snap(), pol), realisticCost, { now: 6 }).id).not.toBe(a.id);
  });

  it("serializes bigints as strings with sorted keys", () => {
    const p = plan(portfolioState(snap(), pol), zeroCost, { now: 5 });
    const json = JSON.parse(planToJSON(p));
    expect(json.navUsd).toBe(usd("80000").toString());
    expect(Object.keys(json)).toEqual([...Object.keys(json)].sort());
    expect(planToJSON(p, 0)).not.toContain("\n");
  });
});

describe("planner edge cases", () => {
  const hf = { floorWad: (15n * WAD) / 10n, liquidationThresholdBps: { [WETH1.id]: 8250 } };

  it("caps turnover per run: the move is scaled toward the target", () => {
    const pol = policy([sleeve("weth", "token", WETH1, 5000), sleeve("usdc", "supply", USDC1, 5000)], {
      maxTurnoverUsd: usd("5000"),
    });
    const snap = snapshot([chain(ETH, [token(WETH1, "30"), supply(USDC1, "20000")])]);
    const p = plan(portfolioState(snap, pol), zeroCost, { now: 1 });
    expect(p.turnoverUsd).toBe(usd("5000"));
    expect(outcome(p, "usdc")?.postUsd).toBe(usd("25000"));
  });

  it("repays a debt in full when its target is 0 (fraction = 1e18)", () => {
    const pol = policy(
      [sleeve("s", "supply", WETH1, 10_000), sleeve("d", "debt", USDC1, 0), sleeve("u", "token", USDC1, 0)],
      {
        healthFactor: hf,
      },
    );
    const snap = snapshot([chain(ETH, [supply(WETH1, "10"), debt(USDC1, "1234.5"), token(USDC1, "2000")])]);
    const p = plan(portfolioState(snap, pol), zeroCost, { now: 1 });
    const repay = sleeveLegs(p).find((l) => l.action === "repay");
    expect(repay).toMatchObject({
      fractionWad: WAD,
      amounts: [{ asset: USDC1.id, amount: units(USDC1, "1234.5") }],
    });
    expect(p.guards.healthFactors[0]?.postWad).toBeNull();
  });

  it("repays a 0%-target debt in full even when a swap's costs leave the asset short", () => {
    // WETH withdrawn → swapped to USDC, which funds both the repay and the USDC sleeve; the swap's losses fall on the
    // USDC sleeve, never on the full repay (sharing them would leave dust debt).
    const pol = policy(
      [
        sleeve("s", "supply", WETH1, 5_000),
        sleeve("d", "debt", USDC1, 0),
        sleeve("u", "token", USDC1, 5_000),
      ],
      { healthFactor: hf },
    );
    const snap = snapshot([chain(ETH, [supply(WETH1, "10"), debt(USDC1, "5000")], { WETH: "3000" })]);
    const p = plan(portfolioState(snap, pol), realisticCost, { now: 1 });
    expect(swaps(p).length).toBe(1);
    const repay = sleeveLegs(p).find((l) => l.action === "repay");
    expect(repay).toMatchObject({
      fractionWad: WAD,
      amounts: [{ asset: USDC1.id, amount: units(USDC1, "5000") }],
    });
    expect(p.guards.healthFactors[0]?.postWad).toBeNull();
  });

  it("repays with max when it delivers the whole debt, though a later round sized its ask a few units under it", () => {
    // Found on chain (engine cycle test, 3 runs in 15): the idle and Aave weights are this portfolio's own, rounded to
    // bps, so the first round freezes the Aave sleeve (a move under the minimum trade) and the second round sizes the
    // repay's ask 2.028546 USDC under the debt; the USDC node still delivers all of it. The fraction was the ask's,
    // rescaled by delivered / asked and rounded down twice: 1e18 − 1, an explicit-amount repay that leaves the
    // interest accrued until inclusion as dust debt.
    const lp = lpSleeve(0, [
      { asset: WETH1.id, shareWad: WAD / 2n },
      { asset: USDC1.id, shareWad: WAD / 2n },
    ]);
    const pol = policy(
      [
        sleeve("eth-idle", "token", WETH1, 3988),
        sleeve("usdc-idle", "token", USDC1, 459),
        sleeve("eth-aave", "supply", WETH1, 5553),
        sleeve("usdc-debt", "debt", USDC1, 0),
        lp,
      ],
      {
        minTradeUsd: usd("100"),
        healthFactor: { floorWad: (15n * WAD) / 10n, liquidationThresholdBps: { [WETH1.id]: 8250 } },
      },
    );
    const snap = snapshot([
      chain(
        ETH,
        [
          token(WETH1, "8.285714285714"),
          token(USDC1, "15000.015838"),
          supply(WETH1, "16.666667002"),
          debt(USDC1, "20002.015838"),
          holding("lp", "uniswap-v3", WETH1, "3.681818181818182", {
            ref: `${ETH}:0xpool`,
            more: [{ asset: USDC1, amount: "9000.015838" }],
          }),
        ],
        { WETH: "2902" },
      ),
    ]);
    const p = plan(portfolioState(snap, pol), zeroCost, { now: 1 });
    const repay = sleeveLegs(p).find((l) => l.action === "repay");
    expect(repay).toMatchObject({
      fractionWad: WAD,
      amounts: [{ asset: USDC1.id, amount: units(USDC1, "20002.015838") }],
    });
  });

  it("warns when the cost model's slippage exceeds the policy's tolerance", () => {
    const pol = policy([sleeve("weth", "token", WETH1, 5000), sleeve("usdc", "supply", USDC1, 5000)], {
      maxSlippageBps: 10,
    });
    const snap = snapshot([chain(ETH, [token(WETH1, "30"), supply(USDC1, "20000")])]);
    const cm: CostModel = { swap: { default: { feeBps: 5, slippageBps: 30 } } };
    const p = plan(portfolioState(snap, pol), cm, { now: 1 });
    expect(swaps(p)[0]?.expectedOut).toBeLessThan(swaps(p)[0]?.minOut as bigint);
    expect(p.warnings.join()).toMatch(/maxSlippageBps/);
  });

  it("reports, but does not touch, an unmanaged lending account below the floor", () => {
    const pol = policy([sleeve("weth", "token", WETH1, 5000), sleeve("usdc", "token", USDC1, 5000)], {
      healthFactor: hf,
    });
    const snap = snapshot([
      chain(ETH, [token(WETH1, "10"), token(USDC1, "10000"), supply(WETH1, "1"), debt(USDC1, "1500")]),
    ]);
    const p = plan(portfolioState(snap, pol), zeroCost, { now: 1 });
    expect(p.guards.healthFactors[0]?.postWad as bigint).toBeLessThan(hf.floorWad);
    expect(p.warnings.join()).toMatch(/no sleeve of the policy manages that account/);
  });

  it("per chain: a chain whose sleeves' weights sum to ≤ 0 cannot be rebalanced alone", () => {
    const pol = policy(
      [
        sleeve("base-usdc", "supply", USDC8453, 12_000),
        sleeve("eth-s", "supply", WETH1, 0),
        sleeve("eth-d", "debt", USDC1, -2000),
      ],
      { healthFactor: hf },
    );
    const snap = snapshot([
      chain(ETH, [supply(WETH1, "10"), debt(USDC1, "1000")]),
      chain(BASE, [supply(USDC8453, "10000")]),
    ]);
    expect(() => plan(portfolioState(snap, pol), zeroCost, { now: 1, onNoBridge: "per-chain" })).toThrow(
      /cannot be rebalanced on its own/,
    );
  });
});

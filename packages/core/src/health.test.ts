import { describe, expect, it } from "vitest";
import {
  chain,
  debt,
  ETH,
  holding,
  policy,
  sleeve,
  snapshot,
  supply,
  token,
  USDC1,
  WETH1,
} from "../test/fixtures.ts";
import { MissingLiquidationThresholdError } from "./errors.ts";
import { healthFactorOf, healthFactors, healthPositions } from "./health.ts";
import { WAD } from "./math.ts";
import { portfolioState } from "./state.ts";
import { priceBookOf } from "./valuation.ts";

const hf = { floorWad: (18n * WAD) / 10n, liquidationThresholdBps: { [WETH1.id]: 8250, [USDC1.id]: 7800 } };
const pol = policy([sleeve("s", "supply", WETH1, 15_000), sleeve("d", "debt", USDC1, -5000)], {
  healthFactor: hf,
});

describe("health factor", () => {
  it("is Σ collateral × LT / debt, from managed and unmanaged positions of the same account", () => {
    // 75 WETH at 2000 = 150k × 0.825 + an unmanaged 10k USDC supply × 0.78 = 131.55k; debt 50k → 2.631
    const snap = snapshot([
      chain(ETH, [supply(WETH1, "75"), debt(USDC1, "50000"), supply(USDC1, "10000"), token(USDC1, "5")]),
    ]);
    const st = portfolioState(snap, pol);
    const [h] = healthFactors(st);
    expect(h).toEqual({ chainId: ETH, protocol: "aave-v3", healthFactorWad: 2_631n * 10n ** 15n });
    expect(healthPositions(st)[0]?.supply.get(USDC1.id)).toBe(10_000_000_000n);
  });

  it("is null without debt, and needs a threshold for every collateral", () => {
    const snap = snapshot([chain(ETH, [supply(WETH1, "1")])]);
    const prices = priceBookOf(snap);
    expect(
      healthFactorOf({ supply: new Map([[WETH1.id, WAD]]), debt: new Map() }, hf, snap.assets, prices),
    ).toBeNull();
    const noLt = { ...hf, liquidationThresholdBps: {} };
    expect(() =>
      healthFactorOf(
        { supply: new Map([[WETH1.id, WAD]]), debt: new Map([[USDC1.id, -1n]]) },
        noLt,
        snap.assets,
        prices,
      ),
    ).toThrow(MissingLiquidationThresholdError);
  });

  it("lists only accounts with debt (a debt sleeve or a debt holding)", () => {
    const p2 = policy([sleeve("s", "supply", WETH1, 10_000)]);
    const snap = snapshot([chain(ETH, [supply(WETH1, "1"), holding("debt", "spark", USDC1, "10")])]);
    const st = portfolioState(snap, { ...p2, healthFactor: hf });
    expect(healthPositions(st).map((p) => p.protocol)).toEqual(["spark"]);
    expect(healthFactors(portfolioState(snap, p2))).toEqual([]);
  });
});

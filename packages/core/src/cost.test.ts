import { describe, expect, it } from "vitest";
import { BASE, DAI1, ETH, mkAsset, registry, USDC1, USDC8453, usd, WETH1 } from "../test/fixtures.ts";
import { compileCostModel, zeroCostModel } from "./cost.ts";
import { InvalidCostModelError } from "./errors.ts";
import type { AssetId } from "./model.ts";

describe("compileCostModel", () => {
  const model = {
    swap: {
      default: { feeBps: 5, slippageBps: 10 },
      chains: [{ chainId: BASE, feeBps: 1, slippageBps: 2.5 }],
      pairs: [{ chainId: ETH, assetIn: USDC1.id, assetOut: DAI1.id, feeBps: 1, slippageBps: 0 }],
    },
    gasUsd: { default: { swap: usd("3") }, chains: [{ chainId: BASE, gas: { swap: usd("0.05") } }] },
    bridges: [{ symbol: "USDC", fromChainId: ETH, toChainId: BASE, feeBps: 4, fixedUsd: usd("1") }],
  };

  it("looks up pair, chain and default costs in centi-bps", () => {
    const c = compileCostModel(model, registry());
    expect(c.swap(ETH, USDC1.id, DAI1.id)).toEqual({ feeCbps: 100, slippageCbps: 0 });
    expect(c.swap(ETH, DAI1.id, USDC1.id)).toEqual({ feeCbps: 500, slippageCbps: 1000 });
    expect(c.swap(BASE, USDC8453.id, USDC8453.id)).toEqual({ feeCbps: 100, slippageCbps: 250 });
    expect(c.chainSwapCbps(BASE)).toBe(350);
    expect(c.hasPairs(ETH)).toBe(true);
    expect(c.hasPairs(BASE)).toBe(false);
  });

  it("keeps pairs apart by both assets and direction; a pair given twice is refused at its index", () => {
    const pair = (assetIn: AssetId, assetOut: AssetId, feeBps: number) => ({
      chainId: ETH,
      assetIn,
      assetOut,
      feeBps,
      slippageBps: 0,
    });
    const pairs = [pair(USDC1.id, DAI1.id, 1), pair(USDC1.id, WETH1.id, 2), pair(WETH1.id, USDC1.id, 3)];
    const c = compileCostModel({ ...model, swap: { ...model.swap, pairs } }, registry());
    expect(c.swap(ETH, USDC1.id, DAI1.id).feeCbps).toBe(100);
    expect(c.swap(ETH, USDC1.id, WETH1.id).feeCbps).toBe(200);
    expect(c.swap(ETH, WETH1.id, USDC1.id).feeCbps).toBe(300);
    expect(c.swap(ETH, WETH1.id, DAI1.id).feeCbps).toBe(500);
    const twice = { ...model, swap: { ...model.swap, pairs: [...pairs, pair(USDC1.id, WETH1.id, 4)] } };
    expect(() => compileCostModel(twice, registry())).toThrow(InvalidCostModelError);
    expect(() => compileCostModel(twice, registry())).toThrow(/costModel\.swap\.pairs\[3\].*appears twice/);
  });

  it("looks up gas per chain with a default; absent types cost nothing", () => {
    const c = compileCostModel(model, registry());
    expect(c.gasUsd(ETH, "swap")).toBe(usd("3"));
    expect(c.gasUsd(BASE, "swap")).toBe(usd("0.05"));
    expect(c.gasUsd(ETH, "sell")).toBe(0n);
  });

  it("resolves bridge routes by symbol", () => {
    const c = compileCostModel(model, registry());
    expect(c.routes).toHaveLength(1);
    expect(c.routes[0]).toMatchObject({ fromAsset: USDC1.id, toAsset: USDC8453.id, feeCbps: 400 });
    expect(compileCostModel(zeroCostModel, registry()).routes).toHaveLength(0);
  });

  it("rejects bad fields with InvalidCostModelError naming them", () => {
    const bad = (m: unknown) => () => compileCostModel(m as never, registry());
    expect(bad({ swap: { default: { feeBps: -1, slippageBps: 0 } } })).toThrow(InvalidCostModelError);
    expect(bad({ swap: { default: { feeBps: 1.234, slippageBps: 0 } } })).toThrow(/two decimals/);
    expect(bad({ swap: { default: { feeBps: 5000, slippageBps: 5000 } } })).toThrow(/below 100%/);
    expect(bad({ swap: { default: { feeBps: Number.NaN, slippageBps: 0 } } })).toThrow(/feeBps/);
    expect(bad({ ...model, gasUsd: { default: { swap: -1n } } })).toThrow(/gasUsd\.default\.swap/);
    expect(bad({ ...model, bridges: [{ ...model.bridges[0], toChainId: ETH }] })).toThrow(/toChainId/);
    expect(bad({ ...model, bridges: [model.bridges[0], model.bridges[0]] })).toThrow(/twice/);
    const twoUsdc = registry([USDC1, mkAsset(ETH, 99, "USDC", 6), USDC8453]);
    expect(() => compileCostModel(model, twoUsdc)).toThrow(/several tokens/);
  });
});

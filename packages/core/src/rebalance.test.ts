import { describe, expect, it } from "vitest";
import {
  chain,
  DAI1,
  ETH,
  policy,
  realisticCost,
  sleeve,
  snapshot,
  supply,
  token,
  USDC1,
  WETH1,
} from "../test/fixtures.ts";
import { rebalance } from "./rebalance.ts";

describe("rebalance", () => {
  const pol = policy(
    [
      sleeve("weth", "token", WETH1, 4000),
      sleeve("usdc", "supply", USDC1, 3500),
      sleeve("dai", "token", DAI1, 2500),
    ],
    {
      maxCostOfDriftRemovedBps: 100,
    },
  );

  it("values, decides, plans and gates in one call", () => {
    const snap = snapshot([chain(ETH, [token(WETH1, "30"), supply(USDC1, "20000"), token(DAI1, "20000")])]);
    const r = rebalance({ snapshot: snap, policy: pol, costModel: realisticCost, now: 100 });
    expect(r.decision.fire).toBe(true);
    expect(r.plan?.chains[0]?.legs.length).toBeGreaterThan(0);
    expect(r.decision.reasons.map((x) => x.rule)).toEqual([
      "band",
      "min-trade",
      "empty-plan",
      "cost-gate",
      "value-loss",
    ]);
  });

  it("makes no plan when nothing fires", () => {
    const snap = snapshot([chain(ETH, [token(WETH1, "20"), supply(USDC1, "35000"), token(DAI1, "25000")])]);
    const r = rebalance({ snapshot: snap, policy: pol, costModel: realisticCost, now: 100 });
    expect(r.decision.fire).toBe(false);
    expect(r.plan).toBeUndefined();
  });
});

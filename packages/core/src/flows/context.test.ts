import { describe, expect, it } from "vitest";
import { chain, ETH, policy, sleeve, snapshot, token, USDC1, usd, zeroCost } from "../../test/fixtures.ts";
import { compileCostModel } from "../cost.ts";
import { portfolioState } from "../state.ts";
import { DUST_USD, flowContext } from "./context.ts";

/** The flow context of a one-sleeve portfolio holding `dollars` of USDC, with the policy's minimum trade. */
function contextOf(dollars: string, minTradeUsd: bigint) {
  const snap = snapshot([chain(ETH, [token(USDC1, dollars)])]);
  const st = portfolioState(snap, policy([sleeve("usdc", "token", USDC1, 10_000)], { minTradeUsd }));
  return flowContext(st, compileCostModel(zeroCost, snap.assets));
}

describe("flowContext", () => {
  it("the minimum trade is the policy's, but never below a cent", () => {
    expect(contextOf("1000", 0n).minTrade).toBe(DUST_USD);
    expect(contextOf("1000", DUST_USD + 1n).minTrade).toBe(DUST_USD + 1n);
  });

  it("the cross-chain tolerance is the minimum trade, or the NAV's rounding (1e-8 of it) when larger", () => {
    expect(contextOf("1000", usd("5")).crossTol).toBe(usd("5"));
    // $100M: its rounding is $1, above a one-cent minimum trade, below a $5 one.
    expect(contextOf("100000000", 0n).crossTol).toBe(usd("1"));
    expect(contextOf("100000000", usd("5")).crossTol).toBe(usd("5"));
  });
});

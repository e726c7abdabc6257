import { describe, expect, it } from "vitest";
import {
  chain,
  DAI1,
  ETH,
  policy,
  sleeve,
  snapshot,
  supply,
  token,
  USDC1,
  usd,
  WETH1,
} from "../test/fixtures.ts";
import { MissingPriceError, NonPositiveNavError } from "./errors.ts";
import { WAD } from "./math.ts";
import { accountValueUsd, driftBps, maxDriftBps, portfolioState, trackingErrorBps } from "./state.ts";

describe("portfolioState", () => {
  const pol = policy([
    sleeve("weth", "token", WETH1, 4000),
    sleeve("usdc", "supply", USDC1, 3500),
    sleeve("dai", "token", DAI1, 2500),
  ]);

  it("values sleeves, weights and drift", () => {
    const snap = snapshot([chain(ETH, [token(WETH1, "30"), supply(USDC1, "20000"), token(DAI1, "20000")])]);
    const st = portfolioState(snap, pol);
    expect(st.navUsd).toBe(usd("100000"));
    expect(st.sleeves.map((s) => s.valueUsd)).toEqual([usd("60000"), usd("20000"), usd("20000")]);
    expect(driftBps(st)).toEqual([
      { sleeveId: "weth", driftBps: 2000 },
      { sleeveId: "usdc", driftBps: -1500 },
      { sleeveId: "dai", driftBps: -500 },
    ]);
    expect(maxDriftBps(st)).toBe(2000);
    // sqrt(2000² + 1500² + 500²) = 2549.5
    expect(trackingErrorBps(st)).toBe(2549.5);
    expect(st.sleeves.map((s) => s.outOfBand)).toEqual([true, true, false]);
  });

  it("keeps unclaimed holdings out of NAV", () => {
    const snap = snapshot([chain(ETH, [token(WETH1, "30"), token(USDC1, "999")])]);
    const st = portfolioState(snap, pol);
    expect(st.navUsd).toBe(usd("60000"));
    expect(st.unmanaged).toHaveLength(1);
    expect(st.unmanagedUsd).toBe(usd("999"));
    expect(st.sleeves[0]?.weightWad).toBe(WAD);
    // …but not out of what the account holds: a rebalance that left value outside the sleeves did not lose it.
    expect(accountValueUsd(st)).toBe(usd("60999"));
  });

  it("sums several holdings of one sleeve", () => {
    const snap = snapshot([
      chain(ETH, [token(WETH1, "1"), supply(USDC1, "1000"), supply(USDC1, "500", "second")]),
    ]);
    const st = portfolioState(snap, {
      ...pol,
      sleeves: [sleeve("weth", "token", WETH1, 5000), sleeve("usdc", "supply", USDC1, 5000)],
    });
    expect(st.sleeves[1]?.holdings).toHaveLength(2);
    expect(st.sleeves[1]?.valueUsd).toBe(usd("1500"));
  });

  it("throws on a missing price of a held asset and on a non-positive NAV", () => {
    const snap = snapshot([chain(ETH, [token(DAI1, "1"), token(WETH1, "30")])]);
    (snap.chains[0]!.prices as Map<string, bigint>).delete(WETH1.id);
    expect(() => portfolioState(snap, pol)).toThrow(MissingPriceError);
    expect(() => portfolioState(snap, pol)).toThrow(
      expect.objectContaining({ field: "snapshot.chains[0].holdings[1].exposures[0].asset" }),
    );
    const empty = snapshot([chain(ETH, [])]);
    expect(() => portfolioState(empty, pol)).toThrow(NonPositiveNavError);
  });
});

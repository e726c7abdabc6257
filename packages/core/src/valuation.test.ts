import { describe, expect, it } from "vitest";
import {
  BASE,
  chain,
  DAI1,
  debt,
  ETH,
  snapshot,
  supply,
  token,
  USDC1,
  units,
  usd,
  WETH1,
  WETH8453,
} from "../test/fixtures.ts";
import { InvalidAmountError, InvalidSnapshotError, MissingPriceError, UnknownAssetError } from "./errors.ts";
import type { Holding } from "./model.ts";
import { holdingUsd, netAssetValue, priceBookOf, validateSnapshot } from "./valuation.ts";

describe("valuation", () => {
  const snap = snapshot([chain(ETH, [token(WETH1, "2"), supply(USDC1, "1000"), debt(USDC1, "500")])]);
  const prices = priceBookOf(snap);

  it("values holdings (debt negative) and nets them", () => {
    const [t, s, d] = snap.chains[0]!.holdings as Holding[];
    expect(holdingUsd(t as Holding, snap.assets, prices)).toBe(usd("4000"));
    expect(holdingUsd(s as Holding, snap.assets, prices)).toBe(usd("1000"));
    expect(holdingUsd(d as Holding, snap.assets, prices)).toBe(usd("-500"));
    expect(netAssetValue(snap.chains[0]?.holdings ?? [], snap.assets, prices)).toBe(usd("4500"));
  });

  it("rounds debts up in magnitude and assets down", () => {
    const odd = new Map(prices).set(USDC1.id, 10n ** 18n / 3n);
    const h: Holding = {
      id: "x",
      chainId: ETH,
      protocol: "aave-v3",
      kind: "debt",
      ref: USDC1.id,
      exposures: [{ asset: USDC1.id, amount: -1n }],
    };
    expect(holdingUsd(h, snap.assets, odd)).toBe(-(10n ** 12n / 3n) - 1n);
  });

  it("names the field of a missing price", () => {
    const noPrice = new Map(prices);
    noPrice.delete(WETH1.id);
    const h = snap.chains[0]?.holdings[0] as Holding;
    expect(() => holdingUsd(h, snap.assets, noPrice, "holdings[0]")).toThrow(MissingPriceError);
    try {
      holdingUsd(h, snap.assets, noPrice, "holdings[0]");
    } catch (e) {
      expect((e as MissingPriceError).field).toBe("holdings[0].exposures[0].asset");
    }
  });

  it("rejects non-positive prices, naming the price", () => {
    const bad = snapshot([chain(ETH, [], {})]);
    (bad.chains[0]!.prices as Map<string, bigint>).set(WETH1.id, 0n);
    expect(() => priceBookOf(bad)).toThrow(InvalidAmountError);
    expect(() => priceBookOf(bad)).toThrow(/prices\["1:0x0+1"\]/);
  });

  it("prefers an asset's own chain price", () => {
    const s = snapshot([chain(BASE, []), chain(ETH, [])]);
    (s.chains[0]!.prices as Map<string, bigint>).set(WETH1.id, 1n);
    expect(priceBookOf(s).get(WETH1.id)).toBe(usd("2000"));
  });

  it("validates snapshots with typed errors naming the field", () => {
    expect(() => validateSnapshot(snap)).not.toThrow();
    const negToken = snapshot([
      chain(ETH, [{ ...token(WETH1, "1"), exposures: [{ asset: WETH1.id, amount: -1n }] }]),
    ]);
    expect(() => validateSnapshot(negToken)).toThrow(InvalidAmountError);
    expect(() => validateSnapshot(negToken)).toThrow(/holdings\[0\]\.exposures\[0\]\.amount/);
    const posDebt = snapshot([
      chain(ETH, [{ ...debt(USDC1, "1"), exposures: [{ asset: USDC1.id, amount: units(USDC1, "1") }] }]),
    ]);
    expect(() => validateSnapshot(posDebt)).toThrow(InvalidAmountError);
    const unknown = snapshot([chain(ETH, [token(DAI1, "1")])], [WETH1, USDC1]);
    expect(() => validateSnapshot(unknown)).toThrow(UnknownAssetError);
    const dupChain = snapshot([chain(ETH, []), chain(ETH, [])]);
    expect(() => validateSnapshot(dupChain)).toThrow(InvalidSnapshotError);
    const dupHolding = snapshot([
      chain(ETH, [token(WETH1, "1", "b"), token(USDC1, "1", "a")]),
      chain(BASE, [token(WETH8453, "1", "a")]),
    ]);
    expect(() => validateSnapshot(dupHolding)).toThrow(
      'Invalid snapshot at snapshot.chains[1].holdings[0].id: holding id "a" also at snapshot.chains[0].holdings[1]',
    );
    const wrongChain = snapshot([chain(BASE, [token(WETH1, "1")])]);
    expect(() => validateSnapshot(wrongChain)).toThrow(InvalidSnapshotError);
  });
});

import { assetId, WAD } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { basicPositions, CHAIN_ID, makePositions, USDC, WBTC, WETH } from "../test/fixtures.ts";
import { computeAccountData } from "./account.ts";
import {
  AAVE_V3_PROTOCOL,
  aaveAccountSummary,
  aaveComposition,
  aaveHoldings,
  aaveLiquidationThresholds,
  aaveLoanToValues,
  aavePriceBook,
  baseToUsd,
} from "./value.ts";

describe("holdings", () => {
  it("supply is a positive exposure, debt a negative one, each its own holding keyed by the asset id", () => {
    const holdings = aaveHoldings(basicPositions());
    expect(holdings).toEqual([
      {
        id: `aave-v3:${CHAIN_ID}:0x2000000000000000000000000000000000000001:supply:${WETH.toLowerCase()}`,
        chainId: CHAIN_ID,
        protocol: AAVE_V3_PROTOCOL,
        kind: "supply",
        ref: assetId(CHAIN_ID, WETH),
        exposures: [{ asset: assetId(CHAIN_ID, WETH), amount: 10n ** 18n }],
      },
      {
        id: `aave-v3:${CHAIN_ID}:0x2000000000000000000000000000000000000001:debt:${USDC.toLowerCase()}`,
        chainId: CHAIN_ID,
        protocol: AAVE_V3_PROTOCOL,
        kind: "debt",
        ref: assetId(CHAIN_ID, USDC),
        exposures: [{ asset: assetId(CHAIN_ID, USDC), amount: -1000n * 10n ** 6n }],
      },
    ]);
  });

  it("prices in USD wad, thresholds and LTVs in bps (e-mode aware)", () => {
    const prices = aavePriceBook(basicPositions());
    expect(prices.get(assetId(CHAIN_ID, WETH))).toBe(2000n * WAD);
    expect(prices.get(assetId(CHAIN_ID, WBTC))).toBe(60_000n * WAD);
    expect(
      baseToUsd(1n, {
        unit: 10n ** 18n,
        priceInUsd: 3000n * 10n ** 8n,
        networkBaseTokenPriceInUsd: 0n,
        networkBaseTokenPriceDecimals: 8,
      }),
    ).toBe(3000n);
    const p = makePositions({
      userEModeCategoryId: 1,
      eModes: [
        {
          id: 1,
          label: "x",
          ltv: 9000n,
          liquidationThreshold: 9300n,
          liquidationBonus: 0n,
          collateralBitmap: 1n,
          borrowableBitmap: 1n,
          ltvzeroBitmap: 0n,
          priceSource: "0x0000000000000000000000000000000000000000",
        },
      ],
    });
    expect(aaveLiquidationThresholds(p).get(assetId(CHAIN_ID, WETH))).toBe(9300n);
    expect(aaveLiquidationThresholds(p).get(assetId(CHAIN_ID, USDC))).toBe(8250n);
    expect(aaveLoanToValues(p).get(assetId(CHAIN_ID, WBTC))).toBe(7000n);
  });

  it("a supply or debt sleeve is 100% its asset", () => {
    expect(aaveComposition(assetId(CHAIN_ID, USDC))).toEqual([
      { asset: assetId(CHAIN_ID, USDC), shareWad: WAD },
    ]);
  });

  it("summarises the account in USD", () => {
    const p = basicPositions();
    const s = aaveAccountSummary({ ...p, account: computeAccountData(p) });
    expect(s.collateralUsd).toBe(2000n * WAD);
    expect(s.debtUsd).toBe(1000n * WAD);
    expect(s.netUsd).toBe(1000n * WAD);
    expect(s.healthFactor).toBe((165n * WAD) / 100n);
  });
});

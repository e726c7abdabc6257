/**
 * The decoder against an independent encoding: results are ABI-encoded with ethers v5 from the published ABIs
 * (the `@aave/periphery-v3` artifact for legacy markets, `@aave/contract-helpers`' typechain ABI for latest ones),
 * decoded with viem through this package's `as const` ABIs, then turned into positions.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { MULTICALL3_ADDRESS } from "@ballast/chain";
import { assetId, RAY } from "@ballast/core";
import { utils } from "ethers";
import { decodeFunctionResult, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { computeAccountData } from "./account.ts";
import { AaveReadError } from "./errors.ts";
import { aaveReads, decodeAaveReads } from "./reads.ts";
import type { AaveMarket } from "./types.ts";

const require = createRequire(import.meta.url);
const legacyArtifact = JSON.parse(
  readFileSync(
    require.resolve(
      "@aave/periphery-v3/artifacts/contracts/misc/UiPoolDataProviderV3.sol/UiPoolDataProviderV3.json",
    ),
    "utf8",
  ),
) as { abi: unknown[] };
const { UiPoolDataProviderV3__factory } =
  require("@aave/contract-helpers/dist/cjs/v3-UiPoolDataProvider-contract/typechain/IUiPoolDataProviderV3__factory.js") as {
    UiPoolDataProviderV3__factory: { abi: unknown[] };
  };
const poolIface = new utils.Interface([
  "function getUserAccountData(address) view returns (uint256,uint256,uint256,uint256,uint256,uint256)",
]);

const USER = "0x00000000000000000000000000000000000000a1";
const WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
const USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const market = (version: AaveMarket["version"]): AaveMarket => ({
  chainId: 1,
  poolAddressesProvider: "0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e",
  pool: "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2",
  uiPoolDataProvider: "0x56b7A1012765C285afAC8b8F25C69Bf10ccfE978",
  version,
});

const reserveCommon = (asset: string, symbol: string, decimals: number, price: bigint, eMode: number) => ({
  underlyingAsset: asset,
  name: symbol,
  symbol,
  decimals,
  baseLTVasCollateral: 8000,
  reserveLiquidationThreshold: 8250,
  reserveLiquidationBonus: 10500,
  reserveFactor: 1000,
  usageAsCollateralEnabled: true,
  borrowingEnabled: true,
  stableBorrowRateEnabled: false,
  isActive: true,
  isFrozen: false,
  liquidityIndex: (RAY * 101n) / 100n,
  variableBorrowIndex: (RAY * 103n) / 100n,
  liquidityRate: RAY / 50n,
  variableBorrowRate: RAY / 20n,
  stableBorrowRate: 0,
  lastUpdateTimestamp: 1_700_000_000,
  aTokenAddress: "0x0000000000000000000000000000000000000a01",
  stableDebtTokenAddress: "0x0000000000000000000000000000000000000a02",
  variableDebtTokenAddress: "0x0000000000000000000000000000000000000a03",
  interestRateStrategyAddress: "0x0000000000000000000000000000000000000a04",
  availableLiquidity: 10n ** 24n,
  totalPrincipalStableDebt: 0,
  averageStableRate: 0,
  stableDebtLastUpdateTimestamp: 0,
  totalScaledVariableDebt: 5n * 10n ** 20n,
  priceInMarketReferenceCurrency: price,
  priceOracle: "0x0000000000000000000000000000000000000a05",
  variableRateSlope1: 0,
  variableRateSlope2: 0,
  stableRateSlope1: 0,
  stableRateSlope2: 0,
  baseStableBorrowRate: 0,
  baseVariableBorrowRate: 0,
  optimalUsageRatio: 0,
  isPaused: false,
  isSiloedBorrowing: false,
  accruedToTreasury: 7,
  unbacked: 0,
  isolationModeTotalDebt: 0,
  flashLoanEnabled: true,
  debtCeiling: 0,
  debtCeilingDecimals: 2,
  eModeCategoryId: eMode,
  borrowCap: 1000,
  supplyCap: 2000,
  eModeLtv: eMode ? 9000 : 0,
  eModeLiquidationThreshold: eMode ? 9300 : 0,
  eModeLiquidationBonus: eMode ? 10100 : 0,
  eModePriceSource: "0x0000000000000000000000000000000000000000",
  eModeLabel: eMode ? "ETH correlated" : "",
  borrowableInIsolation: false,
  virtualUnderlyingBalance: 9n * 10n ** 23n,
  deficit: 3,
});
const base = {
  marketReferenceCurrencyUnit: 10n ** 8n,
  marketReferenceCurrencyPriceInUsd: 10n ** 8n,
  networkBaseTokenPriceInUsd: 3000n * 10n ** 8n,
  networkBaseTokenPriceDecimals: 8,
};
const userReserve = (asset: string, aTokens: bigint, debt: bigint, collateral: boolean) => ({
  underlyingAsset: asset,
  scaledATokenBalance: aTokens,
  usageAsCollateralEnabledOnUser: collateral,
  stableBorrowRate: 0,
  scaledVariableDebt: debt,
  principalStableDebt: 0,
  stableBorrowLastUpdateTimestamp: 0,
});

/** Encodes each read's result with ethers from the reference ABI, then decodes it with viem and our ABI constant. */
function roundTrip(version: AaveMarket["version"]): unknown[] {
  const refAbi = version === "legacy" ? legacyArtifact.abi : UiPoolDataProviderV3__factory.abi;
  const ui = new utils.Interface(refAbi as never);
  const reserves = [
    reserveCommon(WETH, "WETH", 18, 3000n * 10n ** 8n, 1),
    reserveCommon(USDC, "USDC", 6, 10n ** 8n, 0),
  ];
  const encoded: Hex[] = [
    utils.defaultAbiCoder.encode(["uint256"], [1_700_000_600]) as Hex,
    ui.encodeFunctionResult("getReservesData", [reserves, base]) as Hex,
    ui.encodeFunctionResult("getUserReservesData", [
      [userReserve(WETH, 10n ** 18n, 0n, true), userReserve(USDC, 0n, 1000n * 10n ** 6n, false)],
      version === "legacy" ? 1 : 0,
    ]) as Hex,
    poolIface.encodeFunctionResult("getUserAccountData", [1, 2, 3, 4, 5, 6]) as Hex,
  ];
  if (version === "latest")
    encoded.push(
      ui.encodeFunctionResult("getEModes", [
        [
          {
            id: 1,
            eMode: {
              ltv: 9000,
              liquidationThreshold: 9300,
              liquidationBonus: 10100,
              collateralBitmap: 1,
              label: "ETH correlated",
              borrowableBitmap: 1,
              ltvzeroBitmap: 0,
            },
          },
        ],
      ]) as Hex,
    );
  const reads = aaveReads({ market: market(version), user: USER });
  return reads.map((read, i) =>
    decodeFunctionResult({ abi: read.abi, functionName: read.functionName, data: encoded[i]! } as never),
  );
}

describe("aaveReads", () => {
  it("lists the calls of one snapshot (4 on legacy markets, 5 with getEModes on latest)", () => {
    const legacy = aaveReads({ market: market("legacy"), user: USER });
    expect(legacy.map((r) => r.functionName)).toEqual([
      "getCurrentBlockTimestamp",
      "getReservesData",
      "getUserReservesData",
      "getUserAccountData",
    ]);
    expect(legacy[0]!.address).toBe(MULTICALL3_ADDRESS);
    const latest = aaveReads({
      market: market("latest"),
      user: USER,
      multicall3: "0x0000000000000000000000000000000000000bbb",
    });
    expect(latest.map((r) => r.functionName).at(-1)).toBe("getEModes");
    expect(latest[0]!.address).toBe("0x0000000000000000000000000000000000000bbb");
  });
});

describe("decodeAaveReads", () => {
  for (const version of ["legacy", "latest"] as const) {
    it(`decodes a ${version} market encoded from the reference ABI`, () => {
      const results = roundTrip(version);
      const p = decodeAaveReads({ market: market(version), user: USER, results });
      expect(p.timestamp).toBe(1_700_000_600n);
      expect(p.reserves.map((r) => r.symbol)).toEqual(["WETH", "USDC"]);
      const weth = p.reserves[0]!;
      expect(weth.assetId).toBe(assetId(1, WETH));
      expect(weth.decimals).toBe(18);
      expect(weth.ltv).toBe(8000n);
      expect(weth.liquidationThreshold).toBe(8250n);
      expect(weth.price).toBe(3000n * 10n ** 8n);
      expect(weth.priceOracle).toBe("0x0000000000000000000000000000000000000A05");
      expect(weth.supplyCap).toBe(2000n);
      expect(weth.borrowCap).toBe(1000n);
      expect(weth.accruedToTreasury).toBe(7n);
      expect(weth.virtualUnderlyingBalance).toBe(version === "legacy" ? 10n ** 24n : 9n * 10n ** 23n);
      expect(weth.deficit).toBe(version === "legacy" ? 0n : 3n);
      expect(p.eModes).toHaveLength(1);
      expect(p.eModes[0]).toMatchObject({
        id: 1,
        ltv: 9000n,
        liquidationThreshold: 9300n,
        collateralBitmap: 1n,
        label: "ETH correlated",
      });
      expect(p.userEModeCategoryId).toBe(version === "legacy" ? 1 : 0);
      expect(p.baseCurrency.unit).toBe(10n ** 8n);
      expect(p.account).toEqual({
        totalCollateralBase: 1n,
        totalDebtBase: 2n,
        availableBorrowsBase: 3n,
        currentLiquidationThreshold: 4n,
        ltv: 5n,
        healthFactor: 6n,
      });
      // Balances are brought to the read's timestamp (600 s after the indexes were stored).
      const [u0, u1] = p.userReserves;
      expect(u0!.supplied > (10n ** 18n * 101n) / 100n).toBe(true);
      expect(u1!.debt > 1030n * 10n ** 6n).toBe(true);
      expect(computeAccountData(p).totalCollateralBase > 0n).toBe(true);
    });
  }

  it("refuses results of the wrong count, failed calls and wrong shapes", () => {
    const results = roundTrip("legacy");
    expect(() =>
      decodeAaveReads({ market: market("legacy"), user: USER, results: results.slice(1) }),
    ).toThrow(AaveReadError);
    const failed = [...results];
    failed[1] = { status: "failure", error: new Error("reverted"), result: undefined };
    expect(() => decodeAaveReads({ market: market("legacy"), user: USER, results: failed })).toThrow(
      AaveReadError,
    );
    const wrapped = results.map((result) => ({ status: "success", result }));
    expect(decodeAaveReads({ market: market("legacy"), user: USER, results: wrapped }).reserves).toHaveLength(
      2,
    );
    const bad = [...results];
    bad[3] = "nope";
    expect(() => decodeAaveReads({ market: market("legacy"), user: USER, results: bad })).toThrow(
      AaveReadError,
    );
  });
});

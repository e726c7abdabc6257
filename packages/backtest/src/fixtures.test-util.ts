import { type Asset, assetId } from "@ballast/core";
import { type ChainStatics, type PolicyRules, protocolsOf, type SleeveSpec } from "@ballast/engine";
import type { MarketRates } from "./account.ts";
import type { PriceHistory } from "./history.ts";

const WAD = 10n ** 18n;
const WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2" as const;
const USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48" as const;
const token = (chainId: number, address: `0x${string}`, symbol: string, decimals: number): Asset => ({
  id: assetId(chainId, address),
  chainId,
  address,
  symbol,
  decimals,
});
const ADDR = "0x1F98431c8aD98523631AE4a59f267346ea31F984" as const;

/** One chain with WETH and USDC, an Aave market and Uniswap V3 (addresses only name things here). */
export const chains: ChainStatics[] = [
  {
    key: "ethereum",
    chainId: 1,
    tokens: [token(1, WETH, "WETH", 18), token(1, USDC, "USDC", 6)],
    protocols: protocolsOf({
      aave: { pool: ADDR, poolAddressesProvider: ADDR, uiPoolDataProvider: ADDR },
      uniswap: { factory: ADDR, positionManager: ADDR, quoter: ADDR, router: ADDR, feeTiers: [500] },
    }),
  },
];

/** 40% idle WETH, 30% USDC on Aave, 30% in the WETH/USDC 0.05% pool (±10%). */
export const sleeves: SleeveSpec[] = [
  { id: "eth", chain: "ethereum", kind: "token", asset: "WETH", weightBps: 4_000 },
  { id: "usdc-aave", chain: "ethereum", kind: "aave-supply", asset: "USDC", weightBps: 3_000 },
  {
    id: "lp",
    chain: "ethereum",
    kind: "uniswap-v3-lp",
    pool: "WETH/USDC/500",
    rangeBps: 1_000,
    weightBps: 3_000,
  },
];

/** The keeper's defaults: 5/25 bands, 1h cooldown, $100 minimum trade, 10% cost gate. */
export const rules = (over: Partial<PolicyRules> = {}): PolicyRules => ({
  bands: { absoluteBps: 500, relativeBps: 2_500 },
  cooldownSeconds: 3_600,
  rebalanceTo: "target",
  minTradeUsd: 100n * WAD,
  maxSlippageBps: 30,
  maxValueLossBps: 50,
  maxCostOfDriftRemovedBps: 1_000,
  ...over,
});

export const zeroRates: MarketRates = {
  supplyAprBps: 0,
  borrowAprBps: 0,
  lpFeeAprBps: 0,
  liquidationThresholdBps: 8_000,
};

/** Hourly rows of WETH (as given, USD) and USDC at $1, starting 2025-01-01. */
export function ethPath(eth: readonly number[]): PriceHistory {
  return {
    times: eth.map((_, i) => 1_735_689_600 + i * 3_600),
    symbols: ["WETH", "USDC"],
    rows: eth.map((p) => [BigInt(Math.round(p * 100)) * 10n ** 16n, WAD]),
  };
}

const BASE_WETH = "0x4200000000000000000000000000000000000006" as const;
const BASE_USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913" as const;

/** Ethereum as in {@link chains}, and Base with its own WETH and USDC, an Aave market and Uniswap V3. */
export const twoChains: ChainStatics[] = [
  ...chains,
  {
    key: "base",
    chainId: 8453,
    tokens: [token(8453, BASE_WETH, "WETH", 18), token(8453, BASE_USDC, "USDC", 6)],
    protocols: (chains[0] as ChainStatics).protocols,
  },
];

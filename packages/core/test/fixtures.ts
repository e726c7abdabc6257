import {
  type Address,
  type Asset,
  type AssetId,
  assetId,
  type ChainSnapshot,
  type CostModel,
  type Holding,
  type HoldingKind,
  type Policy,
  parseUnits,
  type Sleeve,
  type Snapshot,
} from "../src/index.ts";

/** Test helpers: small, readable portfolios. */
export const ETH = 1;
export const BASE = 8453;

const addr = (n: number): Address => `0x${n.toString(16).padStart(40, "0")}`;

export function mkAsset(chainId: number, n: number, symbol: string, decimals: number): Asset {
  return { id: assetId(chainId, addr(n)), chainId, address: addr(n), symbol, decimals };
}

export const WETH1 = mkAsset(ETH, 1, "WETH", 18);
export const USDC1 = mkAsset(ETH, 2, "USDC", 6);
export const DAI1 = mkAsset(ETH, 3, "DAI", 18);
export const WBTC1 = mkAsset(ETH, 4, "WBTC", 8);
export const WETH8453 = mkAsset(BASE, 1, "WETH", 18);
export const USDC8453 = mkAsset(BASE, 2, "USDC", 6);

export const ALL = [WETH1, USDC1, DAI1, WBTC1, WETH8453, USDC8453];
export const registry = (list: readonly Asset[] = ALL): Map<AssetId, Asset> =>
  new Map(list.map((a) => [a.id, a]));

export const usd = (text: string): bigint => parseUnits(text, 18);
export const units = (a: Asset, text: string): bigint => parseUnits(text, a.decimals);

export const PRICES: Record<string, string> = { WETH: "2000", USDC: "1", DAI: "1", WBTC: "60000" };

export function pricesFor(
  chainId: number,
  list: readonly Asset[] = ALL,
  over: Record<string, string> = {},
): Map<AssetId, bigint> {
  return new Map(
    list
      .filter((a) => a.chainId === chainId)
      .map((a) => [a.id, parseUnits(over[a.symbol] ?? PRICES[a.symbol] ?? "1", 18)] as const),
  );
}

let hid = 0;
export function holding(
  kind: HoldingKind,
  protocol: string,
  a: Asset,
  amount: string,
  extra: { id?: string; ref?: string; more?: { asset: Asset; amount: string }[] } = {},
): Holding {
  const sign = kind === "debt" ? -1n : 1n;
  return {
    id: extra.id ?? `h${++hid}`,
    chainId: a.chainId,
    protocol,
    kind,
    ref: extra.ref ?? a.id,
    exposures: [
      { asset: a.id, amount: sign * units(a, amount) },
      ...(extra.more ?? []).map((m) => ({ asset: m.asset.id, amount: units(m.asset, m.amount) })),
    ],
  };
}

export const token = (a: Asset, amount: string, id?: string) =>
  holding("token", "wallet", a, amount, id ? { id } : {});
export const supply = (a: Asset, amount: string, id?: string) =>
  holding("supply", "aave-v3", a, amount, id ? { id } : {});
export const debt = (a: Asset, amount: string, id?: string) =>
  holding("debt", "aave-v3", a, amount, id ? { id } : {});

export function chain(
  chainId: number,
  holdings: Holding[],
  over: Record<string, string> = {},
  list = ALL,
): ChainSnapshot {
  return {
    chainId,
    blockNumber: 100n,
    timestamp: 1_700_000_000n,
    holdings,
    prices: pricesFor(chainId, list, over),
  };
}

export function snapshot(chains: ChainSnapshot[], list = ALL): Snapshot {
  return { assets: registry(list), chains };
}

export function sleeve(
  id: string,
  kind: HoldingKind,
  a: Asset,
  targetBps: number,
  protocol = kind === "token" ? "wallet" : kind === "lp" ? "uniswap-v3" : "aave-v3",
): Sleeve {
  return { id, chainId: a.chainId, protocol, kind, ref: a.id, targetBps };
}

export function policy(sleeves: Sleeve[], over: Partial<Policy> = {}): Policy {
  return {
    sleeves,
    bands: { absoluteBps: 500, relativeBps: 2500 },
    rebalanceTo: "target",
    minTradeUsd: 0n,
    maxSlippageBps: 50,
    maxValueLossBps: 100,
    ...over,
  };
}

export const zeroCost: CostModel = { swap: { default: { feeBps: 0, slippageBps: 0 } } };
export const realisticCost: CostModel = {
  swap: { default: { feeBps: 5, slippageBps: 10 } },
  gasUsd: {
    default: {
      swap: usd("2"),
      supply: usd("1.5"),
      withdraw: usd("1.5"),
      borrow: usd("2"),
      repay: usd("1.5"),
    },
  },
  bridges: [
    { symbol: "USDC", fromChainId: ETH, toChainId: BASE, feeBps: 5, fixedUsd: usd("1") },
    { symbol: "USDC", fromChainId: BASE, toChainId: ETH, feeBps: 5, fixedUsd: usd("3") },
  ],
};

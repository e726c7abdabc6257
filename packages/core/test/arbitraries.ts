import fc from "fast-check";
import {
  type Asset,
  type AssetId,
  type CostModel,
  type Holding,
  type Policy,
  parseUnits,
  type Sleeve,
  type Snapshot,
  WAD,
} from "../src/index.ts";
import { mkAsset, usd } from "./fixtures.ts";

/** Random portfolios for property tests: up to three chains, token/supply/LP sleeves, USDC bridgeable everywhere. */
export const CHAINS = [1, 10, 8453] as const;

const assetsOf = (chainId: number) => ({
  WETH: mkAsset(chainId, 1, "WETH", 18),
  USDC: mkAsset(chainId, 2, "USDC", 6),
  DAI: mkAsset(chainId, 3, "DAI", 18),
  WBTC: mkAsset(chainId, 4, "WBTC", 8),
});
type Sym = "WETH" | "USDC" | "DAI" | "WBTC";
const KINDS = [
  { kind: "token", sym: "WETH" },
  { kind: "token", sym: "USDC" },
  { kind: "supply", sym: "USDC" },
  { kind: "supply", sym: "DAI" },
  { kind: "token", sym: "WBTC" },
  { kind: "supply", sym: "WETH" },
  { kind: "lp", sym: "WETH" },
] as const;

export type Portfolio = { snapshot: Snapshot; policy: Policy };

type SleeveSpec = { slot: number; value: number; weight: number; share: number; mix: number };

const sleeveSpec = fc.record({
  slot: fc.integer({ min: 0, max: KINDS.length - 1 }),
  value: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1_000_000 })),
  // 0, or 20..100 before normalisation: no sleeve gets a token weight of a few bps (its band would be a few dollars).
  weight: fc.oneof(fc.constant(0), fc.integer({ min: 20, max: 100 })),
  share: fc.integer({ min: 10, max: 90 }),
  mix: fc.integer({ min: 10, max: 90 }),
});

/** A random portfolio on `chains` chains (1..3), with given rebalance mode and minimum trade as a share of NAV. */
export const portfolio = (opts: { maxChains?: number; minChains?: number } = {}) =>
  fc
    .record({
      chains: fc.integer({ min: opts.minChains ?? 1, max: opts.maxChains ?? 3 }),
      specs: fc.array(fc.array(sleeveSpec, { minLength: 1, maxLength: 5 }), { minLength: 3, maxLength: 3 }),
      wethPrice: fc.integer({ min: 500, max: 5000 }),
    })
    .filter((r) =>
      r.specs
        .slice(0, r.chains)
        .flat()
        .some((s) => s.value > 0),
    )
    .map((r) => build(r.chains, r.specs, r.wethPrice));

function build(nChains: number, specs: SleeveSpec[][], wethPrice: number): Portfolio {
  const assets = new Map<AssetId, Asset>();
  const chains: Snapshot["chains"][number][] = [];
  const sleeves: Sleeve[] = [];
  const raw: number[] = [];
  CHAINS.forEach((chainId, c) => {
    const a = assetsOf(chainId);
    for (const x of Object.values(a)) assets.set(x.id, x);
    const prices = new Map<AssetId, bigint>([
      [a.WETH.id, BigInt(wethPrice) * WAD],
      [a.USDC.id, WAD],
      [a.DAI.id, WAD],
      [a.WBTC.id, 60_000n * WAD],
    ]);
    const holdings: Holding[] = [];
    if (c < nChains) {
      const seen = new Set<number>();
      for (const s of specs[c] ?? []) {
        if (seen.has(s.slot)) continue;
        seen.add(s.slot);
        const k = KINDS[s.slot] as (typeof KINDS)[number];
        const id = `c${chainId}-${k.kind}-${k.sym}`;
        const asset = a[k.sym as Sym];
        const price = prices.get(asset.id) as bigint;
        const toUnits = (usdWhole: number, x: Asset, p: bigint) =>
          (BigInt(usdWhole) * WAD * 10n ** BigInt(x.decimals)) / p;
        if (k.kind === "lp") {
          const pool = `${chainId}:0xpool`;
          sleeves.push({
            id,
            chainId,
            protocol: "uniswap-v3",
            kind: "lp",
            ref: pool,
            targetBps: 0,
            composition: [
              { asset: a.WETH.id, shareWad: (BigInt(s.share) * WAD) / 100n },
              { asset: a.USDC.id, shareWad: WAD - (BigInt(s.share) * WAD) / 100n },
            ],
          });
          if (s.value > 0) {
            const w = Math.floor((s.value * s.mix) / 100);
            holdings.push({
              id: `${id}-nft`,
              chainId,
              protocol: "uniswap-v3",
              kind: "lp",
              ref: pool,
              exposures: [
                { asset: a.WETH.id, amount: toUnits(w, a.WETH, BigInt(wethPrice) * WAD) },
                { asset: a.USDC.id, amount: toUnits(s.value - w, a.USDC, WAD) },
              ],
            });
          }
        } else {
          const protocol = k.kind === "token" ? "wallet" : "aave-v3";
          sleeves.push({ id, chainId, protocol, kind: k.kind, ref: asset.id, targetBps: 0 });
          if (s.value > 0)
            holdings.push({
              id: `${id}-h`,
              chainId,
              protocol,
              kind: k.kind,
              ref: asset.id,
              exposures: [{ asset: asset.id, amount: toUnits(s.value, asset, price) }],
            });
        }
        raw.push(s.weight);
      }
    }
    chains.push({ chainId, blockNumber: 1n, timestamp: 1n, holdings, prices });
  });
  // Weights: proportional to the raw draws, summing to exactly 10,000 (the largest takes the remainder).
  const total = raw.reduce((x, y) => x + y, 0) || 1;
  const w = raw.map((x) => (raw.every((y) => y === 0) ? 0 : Math.floor((x * 10_000) / total)));
  const top = raw.indexOf(Math.max(...raw));
  w[top] = (w[top] as number) + 10_000 - w.reduce((x, y) => x + y, 0);
  const policy: Policy = {
    sleeves: sleeves.map((s, i) => ({ ...s, targetBps: w[i] as number })),
    bands: { absoluteBps: 500, relativeBps: 2500 },
    rebalanceTo: "target",
    minTradeUsd: 0n,
    maxSlippageBps: 50,
    maxValueLossBps: 100,
  };
  return { snapshot: { assets, chains }, policy };
}

const bridges = (feeBps: number, fixedUsd: bigint, symbol = "USDC") =>
  CHAINS.flatMap((from) =>
    CHAINS.filter((to) => to !== from).map((to) => ({
      symbol,
      fromChainId: from,
      toChainId: to,
      feeBps,
      fixedUsd,
    })),
  );

/** Nothing costs anything; USDC bridges freely between every pair of chains. */
export const zeroCostBridged: CostModel = {
  swap: { default: { feeBps: 0, slippageBps: 0 } },
  bridges: bridges(0, 0n),
};

/** One venue per chain at 15 bps, gas per leg, USDC bridges at 5 bps + $1. */
export const uniformCost: CostModel = {
  swap: { default: { feeBps: 5, slippageBps: 10 } },
  gasUsd: {
    default: { swap: usd("2"), supply: usd("1"), withdraw: usd("1"), mint: usd("3"), decrease: usd("3") },
  },
  bridges: bridges(5, usd("1")),
};

/** Swaps dear (30 bps), WETH and USDC bridges cheap (5 bps + $1): bridges compete with swaps, in both directions. */
export const bridgedCost: CostModel = {
  swap: { default: { feeBps: 10, slippageBps: 20 } },
  gasUsd: uniformCost.gasUsd as NonNullable<CostModel["gasUsd"]>,
  bridges: [...bridges(5, usd("1")), ...bridges(5, usd("1"), "WETH")],
};

/** A leveraged single-chain portfolio: WETH supplied, USDC borrowed, optionally USDC idle; random price shock and floor. */
export const leveraged = fc
  .record({
    supplyBps: fc.integer({ min: 11_000, max: 25_000 }),
    idleBps: fc.integer({ min: 0, max: 3000 }),
    weth: fc.integer({ min: 1, max: 500 }),
    debtPct: fc.integer({ min: 0, max: 90 }),
    idleUsd: fc.integer({ min: 0, max: 100_000 }),
    price: fc.integer({ min: 800, max: 4000 }),
    floor: fc.integer({ min: 110, max: 300 }),
    mode: fc.constantFrom("target", "band-edge" as const),
  })
  .map((r) => {
    const a = assetsOf(1);
    const assets = new Map<AssetId, Asset>(Object.values(a).map((x) => [x.id, x]));
    const holdings: Holding[] = [
      {
        id: "s",
        chainId: 1,
        protocol: "aave-v3",
        kind: "supply",
        ref: a.WETH.id,
        exposures: [{ asset: a.WETH.id, amount: parseUnits(String(r.weth), 18) }],
      },
      {
        id: "d",
        chainId: 1,
        protocol: "aave-v3",
        kind: "debt",
        ref: a.USDC.id,
        exposures: [
          {
            asset: a.USDC.id,
            amount: -parseUnits(String(Math.floor((r.weth * r.price * r.debtPct) / 100)), 6),
          },
        ],
      },
      {
        id: "i",
        chainId: 1,
        protocol: "wallet",
        kind: "token",
        ref: a.USDC.id,
        exposures: [{ asset: a.USDC.id, amount: parseUnits(String(r.idleUsd), 6) }],
      },
    ];
    const prices = new Map<AssetId, bigint>([
      [a.WETH.id, BigInt(r.price) * WAD],
      [a.USDC.id, WAD],
      [a.DAI.id, WAD],
      [a.WBTC.id, 60_000n * WAD],
    ]);
    const policy: Policy = {
      sleeves: [
        {
          id: "weth-supply",
          chainId: 1,
          protocol: "aave-v3",
          kind: "supply",
          ref: a.WETH.id,
          targetBps: r.supplyBps,
        },
        {
          id: "usdc-debt",
          chainId: 1,
          protocol: "aave-v3",
          kind: "debt",
          ref: a.USDC.id,
          targetBps: 10_000 - r.supplyBps - r.idleBps,
        },
        {
          id: "usdc-idle",
          chainId: 1,
          protocol: "wallet",
          kind: "token",
          ref: a.USDC.id,
          targetBps: r.idleBps,
        },
      ],
      bands: { absoluteBps: 500, relativeBps: 2500 },
      rebalanceTo: r.mode,
      minTradeUsd: 0n,
      maxSlippageBps: 50,
      maxValueLossBps: 100,
      healthFactor: {
        floorWad: (BigInt(r.floor) * WAD) / 100n,
        liquidationThresholdBps: { [a.WETH.id]: 8250 },
      },
    };
    const snapshot: Snapshot = {
      assets,
      chains: [{ chainId: 1, blockNumber: 1n, timestamp: 1n, holdings, prices }],
    };
    return { snapshot, policy };
  });

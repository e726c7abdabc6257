/**
 * Planner benchmark: plan time for 10, 100, 1,000 and 10,000 holdings spread over 10 chains.
 * Each size is a synthetic portfolio (tokens, Aave supply and debt, Uniswap LP positions, two holdings per LP sleeve),
 * drifted at random, planned to target against a realistic cost model (swap fees, gas, USDC bridges between all
 * chains). The time covers the whole pure pipeline: valuation (portfolioState) + plan, median of repeated runs, as
 * wall time and as this process's cpu time (the figure to compare when other work shares the cores).
 *
 * `--phases` splits each size's cpu time: valuation (portfolioState), plan, and within plan the plan id alone (SHA-256
 * of the canonical JSON of the inputs, timed apart on the same inputs). `--digest` times nothing: it plans
 * {@link DIGEST_SEEDS} seeded portfolios of each size below 10,000 under both bridge objectives and prints one SHA-256
 * over every plan's JSON, so a change meant only for speed is checked by running it before and after (same digest,
 * same plans: legs, amounts, costs, ids); it also prints the plans' total estimated cost, so a change meant to plan
 * better shows what it saves.
 *
 *   pnpm bench:planner                   one line per size
 *   pnpm bench:planner --verbose         plus legs, rounds and growth
 *   pnpm bench:planner --phases          plus valuation / plan / plan id per size (cpu medians)
 *   pnpm bench:planner --least-bridging  with policy.bridge.objective "least-bridging" (default: "cost")
 *   pnpm bench:planner --digest          the digest of the plans of seeded portfolios (no timing)
 */
import { cpus, loadavg } from "node:os";
import {
  type Asset,
  type AssetId,
  assetId,
  type CostModel,
  formatUsd,
  type Holding,
  type Policy,
  plan,
  planId,
  planLegs,
  planToJSON,
  portfolioState,
  type Sleeve,
  type Snapshot,
  sha256Hex,
  WAD,
} from "@ballast/core";

const CHAINS = [1, 10, 56, 100, 137, 250, 8453, 42161, 43114, 59144];
const SYMBOLS = ["WETH", "USDC", "DAI", "WBTC", "LINK", "UNI", "AAVE", "ARB"] as const;
const PRICE: Record<string, bigint> = {
  WETH: 2500n,
  USDC: 1n,
  DAI: 1n,
  WBTC: 60_000n,
  LINK: 15n,
  UNI: 8n,
  AAVE: 90n,
  ARB: 1n,
};
const DECIMALS: Record<string, number> = { USDC: 6, WBTC: 8 };

/** A deterministic pseudo-random generator (mulberry32), so every run plans the same portfolio. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A synthetic portfolio of about `holdingsTotal` holdings; its drift and targets are drawn from `seed`. */
function portfolio(
  holdingsTotal: number,
  seed = holdingsTotal,
): { snapshot: Snapshot; policy: Policy; costModel: CostModel } {
  const rand = rng(seed);
  const assets = new Map<AssetId, Asset>();
  const chains: Snapshot["chains"][number][] = [];
  const sleeves: Sleeve[] = [];
  const lt: Record<string, number> = {};
  const perChain = Math.max(1, Math.round(holdingsTotal / CHAINS.length));
  for (const chainId of CHAINS) {
    const a = SYMBOLS.map((symbol, k) => {
      const address = `0x${(k + 1).toString(16).padStart(40, "0")}` as const;
      const asset: Asset = {
        id: assetId(chainId, address),
        chainId,
        address,
        symbol,
        decimals: DECIMALS[symbol] ?? 18,
      };
      assets.set(asset.id, asset);
      lt[asset.id] = 8000;
      return asset;
    });
    const prices = new Map<AssetId, bigint>(a.map((x) => [x.id, (PRICE[x.symbol] as bigint) * WAD]));
    const units = (x: Asset, usd: number) =>
      (BigInt(Math.round(usd)) * WAD * 10n ** BigInt(x.decimals)) / (prices.get(x.id) as bigint);
    const holdings: Holding[] = [];
    let made = 0;
    for (let k = 0; made < perChain; k++) {
      const kind = k % 3 === 0 ? "token" : k % 3 === 1 ? "supply" : "lp";
      const value = () => 1_000 + rand() * 99_000;
      if (kind !== "lp" && k < 3 * SYMBOLS.length) {
        const x = a[Math.floor(k / 3) % SYMBOLS.length] as Asset;
        const protocol = kind === "token" ? "wallet" : "aave-v3";
        sleeves.push({
          id: `${chainId}-${kind}-${x.symbol}`,
          chainId,
          protocol,
          kind,
          ref: x.id,
          targetBps: 0,
        });
        holdings.push({
          id: `${chainId}-${kind}-${x.symbol}-h`,
          chainId,
          protocol,
          kind,
          ref: x.id,
          exposures: [{ asset: x.id, amount: units(x, value()) }],
        });
        made++;
        continue;
      }
      // An LP sleeve on a pair of assets, with up to two positions (NFTs) in it.
      const i = Math.floor(rand() * SYMBOLS.length);
      const j = (i + 1 + Math.floor(rand() * (SYMBOLS.length - 1))) % SYMBOLS.length;
      const x = a[i] as Asset;
      const y = a[j] as Asset;
      const share = BigInt(20 + Math.floor(rand() * 60));
      const ref = `${chainId}:0xpool${k}`;
      sleeves.push({
        id: `${chainId}-lp-${k}`,
        chainId,
        protocol: "uniswap-v3",
        kind: "lp",
        ref,
        targetBps: 0,
        composition: [
          { asset: x.id, shareWad: (share * WAD) / 100n },
          { asset: y.id, shareWad: WAD - (share * WAD) / 100n },
        ],
      });
      for (let n = 0; n < 2 && made < perChain; n++, made++) {
        const v = value();
        holdings.push({
          id: `${ref}-nft${n}`,
          chainId,
          protocol: "uniswap-v3",
          kind: "lp",
          ref,
          exposures: [
            { asset: x.id, amount: units(x, v * 0.5) },
            { asset: y.id, amount: units(y, v * 0.5) },
          ],
        });
      }
    }
    chains.push({ chainId, blockNumber: 1n, timestamp: 1n, holdings, prices });
  }
  // Targets: random positive weights summing to exactly 10,000 bps.
  const raw = sleeves.map(() => 1 + rand());
  const total = raw.reduce((x, y) => x + y, 0);
  const bps = raw.map((r) => Math.max(1, Math.floor((r / total) * 10_000)));
  let left = 10_000 - bps.reduce((x, y) => x + y, 0);
  for (let k = 0; left !== 0; k = (k + 1) % bps.length) {
    if (left < 0 && (bps[k] as number) <= 1) continue;
    bps[k] = (bps[k] as number) + Math.sign(left);
    left -= Math.sign(left);
  }
  const policy: Policy = {
    sleeves: sleeves.map((s, k) => ({ ...s, targetBps: bps[k] as number })),
    bands: { absoluteBps: 500, relativeBps: 2500 },
    rebalanceTo: "target",
    minTradeUsd: 50n * WAD,
    maxSlippageBps: 50,
    maxValueLossBps: 100,
    healthFactor: { floorWad: (15n * WAD) / 10n, liquidationThresholdBps: lt },
  };
  const usdc = (chainId: number) => chainId;
  const costModel: CostModel = {
    swap: { default: { feeBps: 5, slippageBps: 10 }, chains: [{ chainId: 1, feeBps: 5, slippageBps: 5 }] },
    gasUsd: {
      default: {
        swap: WAD / 5n,
        supply: WAD / 10n,
        withdraw: WAD / 10n,
        mint: WAD / 4n,
        increase: WAD / 5n,
        decrease: WAD / 5n,
      },
      chains: [
        {
          chainId: 1,
          gas: { swap: 5n * WAD, supply: 3n * WAD, withdraw: 3n * WAD, mint: 8n * WAD, decrease: 6n * WAD },
        },
      ],
    },
    bridges: CHAINS.flatMap((from) =>
      CHAINS.filter((to) => to !== from).map((to) => ({
        symbol: "USDC",
        fromChainId: usdc(from),
        toChainId: to,
        feeBps: 4,
        fixedUsd: from === 1 || to === 1 ? 5n * WAD : WAD / 2n,
      })),
    ),
  };
  return { snapshot: { assets, chains }, policy, costModel };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

const args = process.argv.slice(2);
const verbose = args.includes("--verbose");
const phases = args.includes("--phases");
const objective = args.includes("--least-bridging") ? "least-bridging" : "cost";
const NOW = 1_700_000_000;
/** Seeded portfolios per size in `--digest`. */
const DIGEST_SEEDS = 25;

/** cpu milliseconds of `f` (this process: user + system). */
function cpuMs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** SHA-256 over the JSON of the plans of {@link DIGEST_SEEDS} seeded portfolios per size, both bridge objectives. */
function digest(): void {
  const texts: string[] = [];
  let legs = 0;
  let cost = 0n;
  for (const n of [10, 100, 1_000])
    for (let seed = 1; seed <= DIGEST_SEEDS; seed++) {
      const { snapshot, policy: base, costModel } = portfolio(n, n * 1_000 + seed);
      for (const o of ["cost", "least-bridging"] as const) {
        const policy: Policy = { ...base, bridge: { objective: o } };
        const p = plan(portfolioState(snapshot, policy), costModel, { now: NOW });
        legs += planLegs(p).length;
        cost += p.estimatedCost.feesUsd + p.estimatedCost.slippageUsd + p.estimatedCost.bridgeUsd;
        texts.push(planToJSON(p, 0));
      }
    }
  console.log(
    `plans: ${texts.length} (${legs.toLocaleString("en-US")} legs, estimated cost ${formatUsd(cost)})  digest: ${sha256Hex(texts.join("\n"))}`,
  );
}

/** Times each size: wall and cpu medians; with `--phases`, valuation, plan and plan id apart. */
function timeSizes(): void {
  const results: { n: number; ms: number }[] = [];
  for (const n of [10, 100, 1_000, 10_000]) {
    const { snapshot, policy: base, costModel } = portfolio(n);
    const policy: Policy = { ...base, bridge: { objective } };
    const holdings = snapshot.chains.reduce((a, c) => a + c.holdings.length, 0);
    const runs = n >= 10_000 ? 15 : n >= 1_000 ? 51 : 101;
    const times: number[] = [];
    const cpu: number[] = [];
    const parts = { valuation: [] as number[], plan: [] as number[], id: [] as number[] };
    let last: ReturnType<typeof plan> | undefined;
    for (let r = 0; r < runs + 2; r++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      last = plan(portfolioState(snapshot, policy), costModel, { now: NOW });
      const c = process.cpuUsage(c0);
      const dt = performance.now() - t0;
      if (r < 2) continue; // two warm-up runs
      times.push(dt);
      cpu.push((c.user + c.system) / 1000);
      if (!phases) continue;
      let state = portfolioState(snapshot, policy);
      parts.valuation.push(cpuMs(() => (state = portfolioState(snapshot, policy))));
      parts.plan.push(cpuMs(() => plan(state, costModel, { now: NOW })));
      const inputs = { snapshot, policy, costModel, now: NOW, options: {}, prices: state.prices };
      parts.id.push(cpuMs(() => planId(inputs)));
    }
    const ms = median(times);
    results.push({ n: holdings, ms });
    console.log(
      `${holdings.toLocaleString("en-US")} holdings: ${ms.toFixed(1)} ms (cpu ${median(cpu).toFixed(1)} ms)`,
    );
    if (phases)
      console.log(
        `  cpu: valuation ${median(parts.valuation).toFixed(1)} ms, plan ${median(parts.plan).toFixed(1)} ms (of which the plan id ${median(parts.id).toFixed(1)} ms)`,
      );
    if (verbose && last)
      console.log(
        `  ${policy.sleeves.length} sleeves, ${planLegs(last).length} legs, ${last.transfers.length} transfers (${formatUsd(last.transfers.reduce((a, t) => a + t.usd, 0n))}), cost ${formatUsd(last.estimatedCost.feesUsd + last.estimatedCost.slippageUsd + last.estimatedCost.bridgeUsd)}, ${last.warnings.length} warnings, runs ${runs}`,
      );
  }
  const load = loadavg()[0] ?? 0;
  if (load > cpus().length)
    console.log(
      `note: load average ${load.toFixed(1)} on ${cpus().length} CPUs: the wall times count waits for a core, the cpu times less so`,
    );
  if (verbose) {
    console.log(
      `  load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")} on ${cpus().length} CPUs`,
    );
    for (let k = 1; k < results.length; k++) {
      const a = results[k - 1] as { n: number; ms: number };
      const b = results[k] as { n: number; ms: number };
      const nlogn = (b.n * Math.log2(b.n)) / (a.n * Math.log2(a.n));
      console.log(`  ${a.n} → ${b.n}: ×${(b.ms / a.ms).toFixed(1)} (n log n: ×${nlogn.toFixed(1)})`);
    }
  }
}

if (args.includes("--digest")) digest();
else timeSizes();

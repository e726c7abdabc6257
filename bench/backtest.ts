/**
 * Backtest benchmark: one year of hourly steps (8,760) for a 10-sleeve portfolio on two chains — wallet tokens, Aave
 * supply and a USDC borrow, two WETH/USDC LP sleeves — on a seeded synthetic path. Every step values the account
 * with the engine's `buildPolicy` and core's `portfolioState` and runs the live `decide`; a firing step runs the live
 * `plan` and `gateDecision` and applies the legs. The time covers `backtest()` whole: the policy replayed, plus the
 * buy-and-hold and continuous-rebalance references (three walks over the path). Best of two runs, for a band-only
 * policy and for the example config's hybrid (bands + weekly calendar), with bridges at the CLI's default cost (5 bps
 * + $2 a transfer), and the band-only policy once more without a bridge (each chain rebalanced on its own).
 *
 *   pnpm bench:backtest
 */
import { cpus, loadavg } from "node:os";
import { type BridgeCost, backtest, syntheticHistory } from "@ballast/backtest";
import { type Address, type Asset, assetId } from "@ballast/core";
import { type ChainStatics, type PolicyRules, protocolsOf, type SleeveSpec } from "@ballast/engine";

const WAD = 10n ** 18n;
const token = (chainId: number, address: Address, symbol: string, decimals: number): Asset => ({
  id: assetId(chainId, address),
  chainId,
  address,
  symbol,
  decimals,
});
const UNISWAP = {
  factory: "0x1F98431c8aD98523631AE4a59f267346ea31F984",
  positionManager: "0xC36442b4a4522E871399CD717aBDD847Ab11FE88",
  quoter: "0x61fFE014bA17989E743c5F6cB21bF9697530B21e",
  router: "0xE592427A0AEce92De3Edae1F05EB0167f7e7A8a1",
  feeTiers: [500, 3000],
} as const;
const AAVE = {
  pool: "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2",
  poolAddressesProvider: "0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e",
  uiPoolDataProvider: "0x3F78BBD206e4D3c504Eb854232EdA7e47E9Fd8FC",
} as const;

const chains: ChainStatics[] = [
  {
    key: "ethereum",
    chainId: 1,
    tokens: [
      token(1, "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "WETH", 18),
      token(1, "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "USDC", 6),
      token(1, "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599", "WBTC", 8),
    ],
    protocols: protocolsOf({ aave: AAVE, uniswap: UNISWAP }),
  },
  {
    key: "base",
    chainId: 8453,
    tokens: [
      token(8453, "0x4200000000000000000000000000000000000006", "WETH", 18),
      token(8453, "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", "USDC", 6),
    ],
    protocols: protocolsOf({ aave: AAVE, uniswap: UNISWAP }),
  },
];

const sleeves: SleeveSpec[] = [
  { id: "eth-weth", chain: "ethereum", kind: "token", asset: "WETH", weightBps: 1_500 },
  { id: "eth-wbtc", chain: "ethereum", kind: "token", asset: "WBTC", weightBps: 1_000 },
  { id: "eth-usdc-aave", chain: "ethereum", kind: "aave-supply", asset: "USDC", weightBps: 1_500 },
  { id: "eth-weth-aave", chain: "ethereum", kind: "aave-supply", asset: "WETH", weightBps: 1_000 },
  {
    id: "eth-lp",
    chain: "ethereum",
    kind: "uniswap-v3-lp",
    pool: "WETH/USDC/500",
    rangeBps: 1_000,
    weightBps: 1_500,
  },
  { id: "eth-usdc-debt", chain: "ethereum", kind: "aave-borrow", asset: "USDC", weightBps: -1_000 },
  { id: "base-usdc", chain: "base", kind: "token", asset: "USDC", weightBps: 1_000 },
  { id: "base-weth", chain: "base", kind: "token", asset: "WETH", weightBps: 1_000 },
  {
    id: "base-lp",
    chain: "base",
    kind: "uniswap-v3-lp",
    pool: "WETH/USDC/500",
    rangeBps: 2_000,
    weightBps: 1_500,
  },
  { id: "base-usdc-aave", chain: "base", kind: "aave-supply", asset: "USDC", weightBps: 1_000 },
];

const rules: PolicyRules = {
  bands: { absoluteBps: 500, relativeBps: 2_500 },
  calendarSeconds: 7 * 86_400,
  cooldownSeconds: 3_600,
  rebalanceTo: "target",
  minTradeUsd: 100n * WAD,
  maxSlippageBps: 30,
  maxValueLossBps: 50,
  maxCostOfDriftRemovedBps: 1_000,
  healthFactorFloorWad: 18n * 10n ** 17n,
};

const STEPS = 8_760;
const history = syntheticHistory({
  symbols: ["WETH", "WBTC", "USDC"],
  stable: ["USDC"],
  startPrices: { WETH: 3_000n * WAD, WBTC: 90_000n * WAD },
  start: 1_735_689_600,
  steps: STEPS,
  intervalSeconds: 3_600,
  seed: 7,
  volatility: 0.6,
  drift: 0,
  correlation: 0.7,
});

/** Best of `n` runs of `backtest()` for one policy: wall and CPU time (the machine is shared, so both are printed). */
function measure(name: string, policy: PolicyRules, bridge: BridgeCost | undefined, n = 2) {
  let best = { wall: Number.POSITIVE_INFINITY, cpu: Number.POSITIVE_INFINITY };
  let report: ReturnType<typeof backtest> | undefined;
  for (let i = 0; i < n; i++) {
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    report = backtest({
      chains,
      sleeves,
      policies: [{ name, rules: policy }],
      history,
      initialNavUsd: 1_000_000n * WAD,
      rates: { supplyAprBps: 300, borrowAprBps: 500, lpFeeAprBps: 1_500, liquidationThresholdBps: 8_000 },
      ...(bridge ? { bridge } : {}),
    });
    const c = process.cpuUsage(c0);
    const wall = performance.now() - t0;
    if (wall < best.wall) best = { wall, cpu: (c.user + c.system) / 1000 };
  }
  const r = report?.policies[0];
  console.log(
    `${name.padEnd(28)} ${(best.wall / 1000).toFixed(2)} s wall, ${(best.cpu / 1000).toFixed(2)} s CPU ` +
      `(${((best.wall * 1000) / STEPS).toFixed(0)} µs per step); ${r?.rebalances.length} rebalances ` +
      `(${r?.rebalances.reduce((a, x) => a + x.plan.transfers.length, 0)} transfers, cost drag ` +
      `${r?.costDragBpsPerYear} bps/yr, tracking error ${r?.trackingErrorRmsBps} bps RMS), ` +
      `${r?.blocked.total} more plans blocked by a gate` +
      (r?.blocked.total
        ? ` (${Object.entries(r.blocked.byRule)
            .map(([rule, n]) => `${rule} ${n}`)
            .join(", ")}; the keeper plans again on the next tick)`
        : ""),
  );
}

console.log(
  `backtest(): ${STEPS.toLocaleString("en-US")} hourly steps × ${sleeves.length} sleeves on ${chains.length} chains, ` +
    "the policy plus the buy-and-hold and continuous references, best of 2",
);
const { calendarSeconds: _, ...bandOnly } = rules;
const ACROSS_LIKE: BridgeCost = { feeBps: 5, fixedUsd: 2n * WAD };
measure("5/25 bands", bandOnly, ACROSS_LIKE);
measure("5/25 bands + weekly calendar", rules, ACROSS_LIKE);
measure("5/25 bands, no bridge", bandOnly, undefined);
console.log(`machine: ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(2)}`);

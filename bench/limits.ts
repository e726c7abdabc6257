/**
 * `pnpm bench:limits` — issue #24: do the default turnover caps (`policy.limits`) leave a $100k portfolio's normal
 * drift alone, and how soon do they stop a runaway loop?
 *
 * Replays the example config (`ballast init`'s: four sleeves on two chains, 5/25 bands, weekly calendar, 1 h cooldown)
 * for a year of hourly synthetic prices from $100k, through `ballast backtest`'s own code path, for several seeds at
 * 60% (the backtest's default) and 120% annual volatility. For each run it prints the largest leg, the largest cycle
 * turnover and the largest rolling-24 h turnover against `maxTradeUsd`, `maxCycleUsd` and `maxDailyUsd`, and the largest
 * modelled cost (fees, slippage and gas: more than the keeper's realised cost, which leaves gas out) over `lossWindow`
 * against `maxLossUsd`; then how many
 * cycles of the largest normal turnover, repeated back to back (a loop that trades and trades back), the daily cap
 * lets through.
 *
 *   pnpm bench:limits
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatUsd, max, planLegs } from "@ballast/core";
import { EXAMPLE_CONFIG, loadConfig, runBacktestCommand } from "@ballast/keeper";

const SEEDS = [1, 2, 3, 4, 5];
const VOLS = ["60%", "120%"];

const dir = mkdtempSync(join(tmpdir(), "ballast-bench-limits-"));
const file = join(dir, "ballast.yaml");
writeFileSync(file, EXAMPLE_CONFIG);
const env = { ETH_RPC_URL: "http://127.0.0.1:1", ARB_RPC_URL: "http://127.0.0.1:1" };
const limits = loadConfig(file, env, { offline: true }).policy.limits;

/** Largest leg, cycle turnover and rolling-24 h turnover of one year's replay. */
function replay(seed: number, vol: string) {
  const report = runBacktestCommand(
    {
      config: file,
      synthetic: true,
      nav: "100000",
      supplyApr: "3%",
      borrowApr: "5%",
      lpFeeApr: "10%",
      liquidationThreshold: "80%",
      seed,
      interval: "1h",
      // Measured per chain, as before the backtest modelled bridges: each chain's own legs against the caps.
      bridge: false,
      bridgeFee: "0.05%",
      bridgeFixed: "2",
      vol,
      drift: "0%",
      correlation: "0.7",
      stable: "USDC",
      startPrices: "WETH=3000",
      chart: false,
      json: true,
    },
    env,
  );
  const rebalances = report.policies[0]?.rebalances ?? [];
  let leg = 0n;
  let cycle = 0n;
  let day = 0n;
  let cost = 0n;
  for (const r of rebalances) {
    for (const l of planLegs(r.plan)) leg = max(leg, l.usd);
    cycle = max(cycle, r.plan.turnoverUsd);
    const window = rebalances.filter((x) => x.at > r.at - limits.lossWindow && x.at <= r.at);
    day = max(
      day,
      window.reduce((a, x) => a + x.plan.turnoverUsd, 0n),
    );
    cost = max(
      cost,
      window.reduce((a, x) => a + x.costUsd, 0n),
    );
  }
  return { rebalances: rebalances.length, leg, cycle, day, cost };
}

const pct = (x: bigint, cap: bigint) => `${((Number((x * 10_000n) / cap) / 100).toFixed(1)).padStart(5)}%`;
console.log(
  `defaults: maxTradeUsd ${formatUsd(limits.maxTradeUsd)}, maxCycleUsd ${formatUsd(limits.maxCycleUsd)}, ` +
    `maxDailyUsd ${formatUsd(limits.maxDailyUsd)}; example config from $100,000, 8,760 hourly steps per run`,
);
console.log(
  "vol   seed  rebalances  largest leg (of cap)    largest cycle (of cap)  largest 24 h (of cap)   " +
    `largest cost in ${limits.lossWindow / 3_600} h (of maxLossUsd ${formatUsd(limits.maxLossUsd)})`,
);
let worst = 0n;
try {
  for (const vol of VOLS)
    for (const seed of SEEDS) {
      const r = replay(seed, vol);
      worst = max(worst, r.cycle);
      console.log(
        `${vol.padEnd(5)} ${String(seed).padStart(4)}  ${String(r.rebalances).padStart(10)}  ` +
          `${formatUsd(r.leg).padStart(12)} ${pct(r.leg, limits.maxTradeUsd)}    ` +
          `${formatUsd(r.cycle).padStart(12)} ${pct(r.cycle, limits.maxCycleUsd)}    ` +
          `${formatUsd(r.day).padStart(12)} ${pct(r.day, limits.maxDailyUsd)}    ` +
          `${formatUsd(r.cost).padStart(12)} ${pct(r.cost, limits.maxLossUsd)}`,
      );
    }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (worst > 0n)
  console.log(
    `a runaway loop repeating the largest cycle seen (${formatUsd(worst)}) is stopped by maxDailyUsd after ` +
      `${limits.maxDailyUsd / worst} cycles in 24 h (then held until the window rolls)`,
  );

import { formatTable, formatUsd, toJsonValue } from "@ballast/core";
import type { BacktestReport, PolicyResult } from "./run.ts";

const pct = (bps: number): string => `${(bps / 100).toFixed(2)}%`;
const bps = (x: number): string => x.toFixed(2);
/** (a − b) / b as a signed percentage with two decimals. */
const versus = (a: bigint, b: bigint): string => {
  if (b === 0n) return "n/a";
  const cbps = Number(((a - b) * 1_000_000n) / b) / 100;
  return `${cbps > 0 ? "+" : ""}${(cbps / 100).toFixed(2)}%`;
};
const date = (t: number): string => new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ");

/** The span of a report in words: dates, steps and days. */
export function describeSpan(report: BacktestReport): string {
  const { times } = report;
  const first = times[0] as number;
  const last = times[times.length - 1] as number;
  return `${date(first)} → ${date(last)} UTC, ${times.length.toLocaleString("en-US")} steps, ${((last - first) / 86_400).toFixed(1)} days`;
}

const ROWS: readonly [string, (p: PolicyResult, r: BacktestReport) => string][] = [
  ["rebalances", (p) => String(p.rebalances.length)],
  ["plans blocked by a gate", (p) => String(p.blocked.total)],
  ["  by the cost gate", (p) => String(p.blocked.byRule["cost-gate"] ?? 0)],
  ["  empty (legs < min trade)", (p) => String(p.blocked.byRule["empty-plan"] ?? 0)],
  ["  by the value-loss limit", (p) => String(p.blocked.byRule["value-loss"] ?? 0)],
  ["turnover", (p) => formatUsd(p.turnoverUsd)],
  ["turnover, % of NAV / year", (p) => pct(p.turnoverBpsPerYear)],
  ["cost", (p) => formatUsd(p.cost.totalUsd)],
  ["  swap fees + slippage", (p) => formatUsd(p.cost.feesUsd + p.cost.slippageUsd)],
  ["  gas", (p) => formatUsd(p.cost.gasUsd)],
  ["  bridges", (p) => formatUsd(p.cost.bridgeUsd)],
  ["cost drag, bps / year", (p) => bps(p.costDragBpsPerYear)],
  ["tracking error (RMS), bps", (p) => bps(p.trackingErrorRmsBps)],
  ["max drift, bps", (p) => bps(p.maxDriftBps)],
  ["time out of band", (p) => pct(p.outOfBandBps)],
  ["final NAV (net of gas)", (p) => formatUsd(p.finalNavUsd)],
  ["  vs buy-and-hold", (p, r) => versus(p.finalNavUsd, r.buyAndHold.finalNavUsd)],
  ["  vs continuous rebalance", (p, r) => versus(p.finalNavUsd, r.continuous.finalNavUsd)],
];

/** The report as a text table: one column per policy, one row per measure, then the two references. */
export function formatBacktestTable(report: BacktestReport): string {
  const table = formatTable(
    ["", ...report.policies.map((p) => p.name)],
    ROWS.map(([label, cell]) => [label, ...report.policies.map((p) => cell(p, report))]),
    report.policies.map((_, i) => i + 1),
  );
  const errors = report.policies
    .filter((p) => p.planErrors.count > 0)
    .map((p) => `${p.name}: the planner refused ${p.planErrors.count} time(s), first: ${p.planErrors.first}`);
  return [
    `Backtest ${describeSpan(report)}; start NAV ${formatUsd(report.initialNavUsd)}`,
    "",
    table,
    "",
    `buy-and-hold          ${formatUsd(report.buyAndHold.finalNavUsd)}  (no rebalance; interest and LP fees accrue)`,
    `continuous rebalance  ${formatUsd(report.continuous.finalNavUsd)}  (back to target at every step, free)`,
    ...errors,
  ].join("\n");
}

/** The report as plain JSON data (bigints as decimal strings): the measures and each rebalance, without the series. */
export function backtestToJson(report: BacktestReport): unknown {
  return toJsonValue({
    from: report.times[0],
    to: report.times[report.times.length - 1],
    steps: report.times.length,
    initialNavUsd: report.initialNavUsd,
    buyAndHold: { finalNavUsd: report.buyAndHold.finalNavUsd },
    continuous: { finalNavUsd: report.continuous.finalNavUsd },
    policies: report.policies.map((p) => ({
      name: p.name,
      rebalances: p.rebalances.length,
      blocked: p.blocked,
      turnoverUsd: p.turnoverUsd,
      turnoverBpsPerYear: p.turnoverBpsPerYear,
      cost: p.cost,
      costDragBpsPerYear: p.costDragBpsPerYear,
      trackingErrorRmsBps: p.trackingErrorRmsBps,
      maxDriftBps: p.maxDriftBps,
      outOfBandBps: p.outOfBandBps,
      finalNavUsd: p.finalNavUsd,
      planErrors: p.planErrors,
      log: p.rebalances.map((r) => ({
        step: r.step,
        at: r.at,
        planId: r.plan.id,
        turnoverUsd: r.plan.turnoverUsd,
        costUsd: r.costUsd,
        legs: r.legs,
      })),
    })),
  });
}

import { formatUnits, wadToBpsNumber } from "./math.ts";
import type { AssetId } from "./model.ts";
import type { Plan } from "./plan.ts";
import type { PortfolioState } from "./state.ts";
import type { AssetRegistry } from "./valuation.ts";

const group = (s: string): string => {
  const [w = "", f] = s.split(".");
  const neg = w.startsWith("-");
  const digits = neg ? w.slice(1) : w;
  const g = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${neg ? "-" : ""}${g}${f ? `.${f}` : ""}`;
};

/** A USD wad as "$1,234.56" (truncated to cents). */
export const formatUsd = (wad: bigint): string => {
  const neg = wad < 0n;
  const s = group(formatUnits(neg ? -wad : wad, 18, 2));
  const [w, f = ""] = s.split(".");
  return `${neg ? "-" : ""}$${w}.${f.padEnd(2, "0")}`;
};

/** Base units of an asset as "1,234.5 USDC" (at most 6 decimals), or the raw id when the asset is unknown. */
export const formatAmount = (amount: bigint, asset: AssetId, assets: AssetRegistry): string => {
  const a = assets.get(asset);
  if (!a) return `${amount} ${asset}`;
  return `${group(formatUnits(amount, a.decimals, Math.min(6, a.decimals)))} ${a.symbol}`;
};

/** Bps as the user writes them: 3000 → "30%", 5 → "0.05%". */
export function formatBps(bps: number): string {
  const sign = bps < 0 ? "-" : "";
  const a = Math.abs(bps);
  const frac = a % 100;
  return `${sign}${Math.trunc(a / 100)}${frac ? `.${String(frac).padStart(2, "0").replace(/0$/, "")}` : ""}%`;
}

/** A wad health factor as "1.8500", `null` (no debt) as "∞". */
export const formatHealthFactor = (wad: bigint | null): string =>
  wad === null ? "∞" : `${wad / 10n ** 18n}.${((wad % 10n ** 18n) / 10n ** 14n).toString().padStart(4, "0")}`;

/** Renders rows as a fixed-width text table; columns listed in `right` are right-aligned. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (right.includes(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const pct = (bps: number): string => `${(bps / 100).toFixed(2)}%`;
const signed = (x: number): string => `${x > 0 ? "+" : ""}${x.toFixed(2)}`;

/**
 * A plan as a readable fixed-width text table: header (id, mode, NAV, cost), the legs per chain (chain, step, action,
 * sleeve, amounts with symbols, minOut, USD, gas), transfers, sleeves before/after, health factors and warnings.
 */
export function formatPlanTable(plan: Plan, assets: AssetRegistry): string {
  const amt = (amount: bigint, asset: AssetId) => formatAmount(amount, asset, assets);
  const c = plan.estimatedCost;
  const out: string[] = [
    `Plan ${plan.id.slice(0, 16)}  to ${plan.rebalanceTo}  scope ${plan.scope}  at ${plan.createdAt}`,
    `NAV ${formatUsd(plan.navUsd)} → ${formatUsd(plan.postNavUsd)}  turnover ${formatUsd(plan.turnoverUsd)}  drift removed ${formatUsd(plan.driftRemovedUsd)}`,
    `Estimated cost ${formatUsd(c.totalUsd)} = gas ${formatUsd(c.gasUsd)} + fees ${formatUsd(c.feesUsd)} + slippage ${formatUsd(c.slippageUsd)} + bridge ${formatUsd(c.bridgeUsd)}  (max value loss ${formatUsd(plan.guards.maxValueLossUsd)})`,
    "",
    legsTable(plan, amt),
  ];
  if (plan.transfers.length > 0)
    out.push("", "Transfers (between the sending and the receiving batches)", transfersTable(plan, amt));
  out.push("", "Sleeves", sleevesTable(plan));
  if (plan.guards.healthFactors.length > 0) {
    out.push("", `Health factors (floor ${formatHealthFactor(plan.guards.healthFactorFloorWad)})`);
    out.push(
      formatTable(
        ["chain", "protocol", "pre", "after exits", "post"],
        plan.guards.healthFactors.map((h) => [
          String(h.chainId),
          h.protocol,
          formatHealthFactor(h.preWad),
          formatHealthFactor(h.intermediateWad),
          formatHealthFactor(h.postWad),
        ]),
        [2, 3, 4],
      ),
    );
  }
  const idle = plan.residuals.filter((r) => r.sleeveId === undefined && r.amount !== 0n);
  if (idle.length > 0)
    out.push("", `Left idle: ${idle.map((r) => `${amt(r.amount, r.asset)} on ${r.chainId}`).join(", ")}`);
  if (plan.warnings.length > 0) out.push("", "Warnings", ...plan.warnings.map((w) => `- ${w}`));
  return out.join("\n");
}

type Amt = (amount: bigint, asset: AssetId) => string;

function legsTable(plan: Plan, amt: Amt): string {
  const rows: string[][] = [];
  for (const ch of plan.chains)
    for (const l of ch.legs) {
      if (l.type === "swap")
        rows.push([
          String(ch.chainId),
          String(l.step),
          "swap",
          "",
          `${amt(l.amountIn, l.assetIn)} → ${amt(l.expectedOut, l.assetOut)}`,
          amt(l.minOut, l.assetOut),
          formatUsd(l.usd),
          formatUsd(l.feeUsd + l.slippageUsd + l.gasUsd),
        ]);
      else
        rows.push([
          String(ch.chainId),
          String(l.step),
          l.action,
          l.sleeveId,
          l.amounts.map((a) => amt(a.amount, a.asset)).join(" + "),
          "",
          formatUsd(l.usd),
          formatUsd(l.gasUsd),
        ]);
    }
  return rows.length > 0
    ? formatTable(["chain", "step", "action", "sleeve", "amounts", "minOut", "usd", "cost"], rows, [1, 6, 7])
    : "No legs: nothing to do.";
}

function transfersTable(plan: Plan, amt: Amt): string {
  return formatTable(
    ["from", "to", "asset", "amount", "expected", "usd", "cost"],
    plan.transfers.map((t) => [
      String(t.fromChainId),
      String(t.toChainId),
      t.symbol,
      amt(t.amount, t.assetFrom),
      amt(t.expectedReceived, t.assetTo),
      formatUsd(t.usd),
      formatUsd(t.costUsd + t.gasUsd),
    ]),
    [5, 6],
  );
}

function sleevesTable(plan: Plan): string {
  return formatTable(
    ["sleeve", "chain", "target", "pre", "post", "drift pre", "drift post", "band", "pre usd", "post usd"],
    plan.sleeves.map((s) => [
      s.sleeveId,
      String(s.chainId),
      pct(s.targetBps),
      pct(s.preBps),
      pct(s.postBps),
      `${signed(s.preDriftBps)} bps`,
      `${signed(s.postDriftBps)} bps`,
      `±${s.bandBps} bps`,
      formatUsd(s.preUsd),
      formatUsd(s.postUsd),
    ]),
    [2, 3, 4, 5, 6, 7, 8, 9],
  );
}

/** The portfolio's status as a fixed-width text table: sleeve, chain, kind, USD, current %, target %, drift and band (bps). */
export function formatStatusTable(state: PortfolioState): string {
  const rows = state.sleeves.map((s) => [
    s.sleeve.id,
    String(s.sleeve.chainId),
    `${s.sleeve.protocol}/${s.sleeve.kind}`,
    formatUsd(s.valueUsd),
    pct(wadToBpsNumber(s.weightWad)),
    pct(s.sleeve.targetBps),
    signed(wadToBpsNumber(s.driftWad)),
    `±${wadToBpsNumber(s.bandWad)}`,
    s.outOfBand ? "OUT" : "ok",
  ]);
  return [
    `NAV ${formatUsd(state.navUsd)}  max drift ${wadToBpsNumber(state.maxDriftWad)} bps  tracking error ${wadToBpsNumber(state.trackingErrorWad)} bps${state.unmanaged.length > 0 ? `  unmanaged ${formatUsd(state.unmanagedUsd)} (${state.unmanaged.length} holdings)` : ""}`,
    formatTable(
      ["sleeve", "chain", "kind", "usd", "current", "target", "drift bps", "band bps", "status"],
      rows,
      [3, 4, 5, 6, 7],
    ),
  ].join("\n");
}

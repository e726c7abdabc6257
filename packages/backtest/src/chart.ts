import type { BacktestReport } from "./run.ts";

const W = 960;
const LEFT = 84;
const RIGHT = 24;
const NAV_TOP = 48;
const NAV_BOTTOM = 318;
const DRIFT_TOP = 372;
const DRIFT_BOTTOM = 512;
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
/** At most this many points per line: the SVG stays small for a year of hourly steps. */
const MAX_POINTS = 720;

const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const usd = (wad: bigint): number => Number(wad / 10n ** 14n) / 10_000;
const bps = (wad: bigint): number => Number(wad / 10n ** 12n) / 100;

/** Indices kept when drawing `n` points: every k-th, the first and the last. */
function sample(n: number): number[] {
  const k = Math.max(1, Math.ceil(n / MAX_POINTS));
  const out: number[] = [];
  for (let i = 0; i < n; i += k) out.push(i);
  if (out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

/** Round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

const money = (v: number): string =>
  Math.abs(v) >= 1e6
    ? `$${(v / 1e6).toFixed(2)}M`
    : Math.abs(v) >= 1e3
      ? `$${(v / 1e3).toFixed(1)}k`
      : `$${v.toFixed(0)}`;

type Scale = { x: (i: number) => number; y: (v: number) => number };

function path(values: readonly number[], idx: readonly number[], s: Scale): string {
  return idx
    .map((i, k) => `${k === 0 ? "M" : "L"}${s.x(i).toFixed(1)},${s.y(values[i] as number).toFixed(1)}`)
    .join("");
}

function axis(top: number, bottom: number, lo: number, hi: number, label: (v: number) => string): string[] {
  const y = (v: number) => bottom - ((v - lo) / (hi - lo || 1)) * (bottom - top);
  return ticks(lo, hi).flatMap((v) => [
    `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`,
    `<text x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(label(v))}</text>`,
  ]);
}

/**
 * The report as an SVG chart (no dependency; any browser or README renders it): NAV over time for each policy with its
 * rebalances marked, buy-and-hold and continuous rebalance as references; below, each policy's largest |drift|.
 */
export function renderBacktestSvg(report: BacktestReport, title = "Ballast backtest"): string {
  const n = report.times.length;
  const idx = sample(n);
  const x = (i: number) => LEFT + (i / Math.max(1, n - 1)) * (W - LEFT - RIGHT);
  const navLines = [
    ...report.policies.map((p, k) => ({
      name: p.name,
      values: p.navUsd.map(usd),
      color: COLORS[k % COLORS.length] as string,
      dash: "",
    })),
    { name: "buy-and-hold", values: report.buyAndHold.navUsd.map(usd), color: "#888888", dash: "6 4" },
    {
      name: "continuous rebalance",
      values: report.continuous.navUsd.map(usd),
      color: "#333333",
      dash: "2 3",
    },
  ];
  const all = navLines.flatMap((l) => l.values);
  const [navLo, navHi] = [Math.min(...all), Math.max(...all)];
  const pad = (navHi - navLo) * 0.05 || navHi * 0.01 || 1;
  const nav: Scale = {
    x,
    y: (v) => NAV_BOTTOM - ((v - (navLo - pad)) / (navHi - navLo + 2 * pad)) * (NAV_BOTTOM - NAV_TOP),
  };
  const drifts = report.policies.map((p) => p.maxDriftWad.map(bps));
  const driftHi = Math.max(1, ...drifts.flat());
  const drift: Scale = { x, y: (v) => DRIFT_BOTTOM - (v / driftHi) * (DRIFT_BOTTOM - DRIFT_TOP) };
  const H = DRIFT_BOTTOM + 40 + Math.ceil(navLines.length / 4) * 16;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12" role="img">`,
    `<title>${esc(`${title}: NAV and largest drift over time for ${report.policies.map((p) => p.name).join(", ")}`)}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${LEFT}" y="${NAV_TOP - 8}" fill="#555">NAV, net of gas (ticks: rebalances)</text>`,
    ...axis(NAV_TOP, NAV_BOTTOM, navLo - pad, navHi + pad, money),
    `<text x="${LEFT}" y="${DRIFT_TOP - 8}" fill="#555">largest |drift| of any sleeve, bps</text>`,
    ...axis(DRIFT_TOP, DRIFT_BOTTOM, 0, driftHi, (v) => String(v)),
  ];
  for (const l of [...navLines].reverse())
    out.push(
      `<path d="${path(l.values, idx, nav)}" fill="none" stroke="${l.color}" stroke-width="1.5"${l.dash ? ` stroke-dasharray="${l.dash}"` : ""}/>`,
    );
  report.policies.forEach((p, k) => {
    const color = COLORS[k % COLORS.length] as string;
    out.push(
      `<path d="${path(drifts[k] as number[], idx, drift)}" fill="none" stroke="${color}" stroke-width="1"/>`,
    );
    const row = NAV_BOTTOM + 8 + k * 6;
    for (const r of p.rebalances)
      out.push(
        `<line x1="${x(r.step).toFixed(1)}" x2="${x(r.step).toFixed(1)}" y1="${row}" y2="${row + 5}" stroke="${color}"/>`,
      );
  });
  const dates = ticks(0, n - 1, 6).filter((i) => Number.isInteger(i) && i < n);
  for (const i of dates) {
    const label = new Date((report.times[i] as number) * 1000).toISOString().slice(0, 10);
    out.push(`<text x="${x(i).toFixed(1)}" y="${DRIFT_BOTTOM + 18}" text-anchor="middle">${label}</text>`);
  }
  navLines.forEach((l, k) => {
    const lx = LEFT + (k % 4) * 215;
    const ly = DRIFT_BOTTOM + 44 + Math.floor(k / 4) * 16;
    out.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${l.color}" stroke-width="2"${l.dash ? ` stroke-dasharray="${l.dash}"` : ""}/>`,
      `<text x="${lx + 28}" y="${ly}">${esc(l.name)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

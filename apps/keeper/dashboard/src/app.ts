// The dashboard page: plain DOM and uPlot, bundled by build.ts into dist/app.js. It only reads /api/*.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./style.css";
import type { ChainInfo, HistoryResponse, StatusResponse } from "../../src/dashboard/api.ts";
import type { TxView } from "../../src/dashboard/store.ts";
import type { CycleView, SleeveView } from "../../src/dashboard/view.ts";
import type { OrderView } from "../../src/orders.ts";

const POLL_MS = 5_000;
const COLORS = ["#5eead4", "#fbbf24", "#a78bfa", "#f472b6", "#60a5fa", "#fb923c", "#a3e635", "#f87171"];

const $ = (id: string): HTMLElement => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e;
};

/** Builds an element; children are nodes or text (never parsed as HTML). */
function h(
  tag: string,
  attrs: Record<string, string> = {},
  ...children: (Node | string | null)[]
): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null) e.append(c);
  return e;
}

// --- formatting (amounts arrive as decimal strings: no float touches them before display) ---

/** A USD wad string as "$12,345.67". */
function usd(wad: string): string {
  const v = BigInt(wad);
  const neg = v < 0n;
  const cents = (neg ? -v : v) / 10n ** 16n;
  const whole = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${neg ? "-" : ""}$${whole}.${(cents % 100n).toString().padStart(2, "0")}`;
}
const pct = (bps: number) => `${(bps / 100).toFixed(2)}%`;
const signedBps = (bps: number) => `${bps > 0 ? "+" : ""}${Math.round(bps)} bps`;
const time = (at: number) => new Date(at * 1000).toLocaleString();
const short = (hash: string) => `${hash.slice(0, 10)}…${hash.slice(-6)}`;
function ago(at: number, now: number): string {
  const s = Math.max(0, now - at);
  if (s < 90) return `${s}s ago`;
  if (s < 5_400) return `${Math.round(s / 60)} min ago`;
  if (s < 129_600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

// --- API ---

const TOKEN_KEY = "ballast.token";
const hashToken = new URLSearchParams(location.hash.slice(1)).get("token");
if (hashToken) {
  sessionStorage.setItem(TOKEN_KEY, hashToken);
  history.replaceState(null, "", location.pathname + location.search);
}

class Unauthorized extends Error {}

/** Under `ballast work`, `?portfolio=NAME` names one of the worker's portfolios: every API call asks for it. */
const portfolio = new URLSearchParams(location.search).get("portfolio");
if (portfolio) document.title = `Ballast · ${portfolio}`;

async function api<T>(path: string): Promise<T> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const url = portfolio
    ? `${path}${path.includes("?") ? "&" : "?"}portfolio=${encodeURIComponent(portfolio)}`
    : path;
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (res.status === 401) throw new Unauthorized();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function banner(text: string | null): void {
  const b = $("banner");
  b.hidden = text === null;
  b.textContent = text ?? "";
}

// --- allocation vs target ---

function allocationRow(s: SleeveView, lo: number, hi: number, chain: string): HTMLElement {
  const x = (bps: number) => `${(((bps - lo) / (hi - lo)) * 100).toFixed(3)}%`;
  const span = (a: number, b: number) =>
    `left:${x(Math.min(a, b))};width:calc(${x(Math.max(a, b))} - ${x(Math.min(a, b))})`;
  const track = h(
    "div",
    { class: "track" },
    h("div", { class: "band", style: span(s.targetBps - s.bandBps, s.targetBps + s.bandBps) }),
    h("div", { class: `bar ${s.outOfBand ? "out" : "in"}`, style: span(0, s.weightBps) }),
    h("div", { class: "target", style: `left:${x(s.targetBps)}` }),
    h("div", { class: "zero", style: `left:${x(0)}` }),
  );
  return h(
    "div",
    { class: "sleeve", "data-sleeve": s.id, "data-out-of-band": String(s.outOfBand) },
    h(
      "div",
      { class: "sleeve-name" },
      h("strong", {}, s.id),
      h("span", { class: "muted" }, ` ${s.kind} · ${chain}`),
    ),
    track,
    h(
      "div",
      { class: "sleeve-figures" },
      h("span", {}, pct(s.weightBps)),
      h("span", { class: "muted" }, ` / ${pct(s.targetBps)} `),
      h("span", { class: s.outOfBand ? "drift out" : "drift" }, signedBps(s.driftBps)),
      h("span", { class: "muted value" }, usd(s.valueUsd)),
    ),
  );
}

function renderAllocation(cycle: CycleView | null, chains: ChainInfo[]): void {
  const box = $("allocation");
  if (!cycle || cycle.sleeves.length === 0) {
    box.replaceChildren(
      h("p", { class: "muted" }, "No valuation journaled yet: the keeper has not completed a cycle."),
    );
    return;
  }
  const edges = cycle.sleeves.flatMap((s) => [
    s.weightBps,
    s.targetBps - s.bandBps,
    s.targetBps + s.bandBps,
    0,
  ]);
  const pad = (Math.max(...edges) - Math.min(...edges)) * 0.04;
  const lo = Math.min(...edges) - pad;
  const hi = Math.max(...edges) + pad;
  const name = (id: number) => chains.find((c) => c.chainId === id)?.key ?? `chain ${id}`;
  box.replaceChildren(...cycle.sleeves.map((s) => allocationRow(s, lo, hi, name(s.chainId))));
}

// --- chains and health factors ---

function renderChains(status: StatusResponse): void {
  const cycle = status.cycle;
  const pills = status.chains.map((c) => {
    const err = cycle?.chainErrors.find((e) => e.chainId === c.chainId)?.error ?? c.health?.error ?? null;
    const stale = cycle?.staleChains.includes(c.chainId) ?? false;
    return h(
      "div",
      { class: `chain ${err ? "bad" : "ok"}`, "data-chain": c.key },
      h("strong", {}, c.key),
      h("span", { class: "muted" }, ` chain ${c.chainId}`),
      h("span", { class: "state" }, err ? `${stale ? "stale read: " : ""}${err}` : "read ok"),
    );
  });
  $("chains").replaceChildren(...pills);
  const floor = cycle?.healthFactorFloor ?? null;
  const rows = (cycle?.healthFactors ?? []).map((hf) => {
    const v = hf.healthFactor === null ? null : Number(hf.healthFactor);
    const f = floor === null ? null : Number(floor);
    const level = v === null || f === null ? "ok" : v < f ? "bad" : v < f * 1.1 ? "warn" : "ok";
    const scale = Math.max(3, (f ?? 1) * 1.5);
    const pos = (n: number) => `${Math.min(100, ((n - 1) / (scale - 1)) * 100).toFixed(2)}%`;
    const name = status.chains.find((c) => c.chainId === hf.chainId)?.key ?? `chain ${hf.chainId}`;
    return h(
      "div",
      { class: `hf ${level}`, "data-hf-chain": String(hf.chainId) },
      h(
        "div",
        {},
        h("strong", {}, `${hf.protocol} · ${name}`),
        h("span", { class: "hf-value" }, hf.healthFactor ?? "∞ (no debt)"),
      ),
      h(
        "div",
        { class: "gauge" },
        h("div", { class: "fill", style: `width:${v === null ? "100%" : pos(v)}` }),
        f === null ? null : h("div", { class: "floor", style: `left:${pos(f)}`, title: `floor ${floor}` }),
      ),
      floor === null ? null : h("div", { class: "muted small" }, `floor ${floor}`),
    );
  });
  $("health").replaceChildren(...rows);
}

// --- in flight ---

/**
 * What the newest cycle found in flight (those chains get no new batch until it is final), and the swap orders open
 * now: their own rows (hash, state, age, filled), not the cycle's one-line copy of them.
 */
function renderInFlight(status: StatusResponse): void {
  const items = (status.cycle?.inFlight ?? []).filter((i) => i.kind !== "order");
  const name = (id: number) => status.chains.find((c) => c.chainId === id)?.key ?? `chain ${id}`;
  $("in-flight").replaceChildren(
    ...(items.length === 0 && status.orders.length === 0
      ? []
      : [
          h("h3", {}, "In flight: these chains hold until it is final"),
          h(
            "ul",
            { class: "in-flight" },
            ...items.map((i) =>
              h(
                "li",
                { "data-in-flight": `${i.chainId}:${i.planId}` },
                h("strong", {}, name(i.chainId)),
                h("span", { class: "muted" }, ` ${i.kind} · plan ${i.planId.slice(0, 12)}`),
                h("div", {}, i.detail),
              ),
            ),
            ...status.orders.map((o) => orderItem(o, name(o.chainId))),
          ),
        ]),
  );
}

/** One open swap order: chain, route, hash (shortened; the order is on the relayer, not on an explorer), state, age. */
function orderItem(o: OrderView, chain: string): HTMLElement {
  const hash = o.orderHash ? `${o.orderHash.slice(0, 10)}…${o.orderHash.slice(-4)}` : "not signed yet";
  return h(
    "li",
    { "data-order": o.orderHash ?? "" },
    h("strong", {}, chain),
    h("span", { class: "muted" }, ` ${o.label} · `),
    h("code", { title: o.orderHash ?? "" }, hash),
    h(
      "div",
      {},
      `${o.amountIn} → at least ${o.minAmountOut}: ${o.status}, ${o.ageSeconds} s old, filled ${o.filledOut ?? "nothing yet"}`,
    ),
  );
}

// --- decision ---

function renderDecision(cycle: CycleView | null): void {
  const box = $("decision");
  const d = cycle?.decision;
  if (!cycle || !d) {
    box.replaceChildren(h("p", { class: "muted" }, "No decision yet."));
    return;
  }
  box.replaceChildren(
    h(
      "p",
      {},
      h("span", { class: `verdict ${d.fire ? "fire" : "hold"}` }, d.fire ? "REBALANCE" : "hold"),
      h("span", { class: "muted" }, ` ${time(cycle.at)}`),
    ),
    h(
      "ul",
      { class: "reasons" },
      ...d.reasons.map((r) =>
        h(
          "li",
          { class: r.fired ? "fired" : "" },
          h("span", { class: "dot" }, r.fired ? "●" : "○"),
          h("strong", {}, r.rule),
          ` ${r.detail}`,
        ),
      ),
    ),
  );
}

// --- plan, simulations, transactions ---

function txLink(tx: TxView, chains: ChainInfo[]): Node {
  if (!tx.hash) return document.createTextNode("—");
  const explorer = chains.find((c) => c.chainId === tx.chainId)?.explorer;
  return explorer
    ? h(
        "a",
        { href: `${explorer.replace(/\/$/, "")}/tx/${tx.hash}`, target: "_blank", rel: "noreferrer" },
        short(tx.hash),
      )
    : h("code", { title: tx.hash }, short(tx.hash));
}

function table(
  head: string[],
  rows: (Node | string | null)[][],
  attrs: Record<string, string> = {},
): HTMLElement {
  return h(
    "div",
    { class: "scroll" },
    h(
      "table",
      attrs,
      h("thead", {}, h("tr", {}, ...head.map((c) => h("th", {}, c)))),
      h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))))),
    ),
  );
}

function renderPlan(status: StatusResponse): void {
  const box = $("plan");
  const p = status.plan;
  if (!p?.plan) {
    box.replaceChildren(h("p", { class: "muted" }, "No plan yet: every sleeve has stayed in its band."));
    return;
  }
  const plan = p.plan;
  const name = (id: number) => status.chains.find((c) => c.chainId === id)?.key ?? String(id);
  const txs = p.transactions;
  box.replaceChildren(
    h(
      "p",
      { class: "plan-head", "data-plan-id": plan.id },
      h("code", {}, plan.id.slice(0, 16)),
      ` · ${time(p.at)} · NAV ${plan.navUsd} → ${plan.postNavUsd} · turnover ${plan.turnoverUsd} · estimated cost ${plan.costUsd}`,
    ),
    table(
      ["chain", "step", "action", "sleeve", "amounts", "min out", "USD"],
      plan.legs.map((l) => [
        name(l.chainId),
        String(l.step),
        l.action,
        l.sleeve ?? "",
        l.amounts,
        l.minOut ?? "",
        l.usd,
      ]),
      { class: "legs" },
    ),
    h("h3", {}, "Simulation and transaction per chain"),
    table(
      ["chain", "simulation", "transaction", "status", "block", "gas used"],
      p.simulations.map((s) => {
        const tx = txs.find((t) => t.chainId === s.chainId);
        return [
          s.chain,
          h(
            "span",
            { class: s.ok ? "ok" : "bad" },
            s.ok
              ? `ok · ${s.calls} calls · gas ${Number(s.gasUsed ?? 0).toLocaleString()}`
              : `refused: ${s.error ?? "failed"}`,
          ),
          tx ? h("span", { "data-tx-hash": tx.hash ?? "" }, txLink(tx, status.chains)) : "not sent",
          tx
            ? h(
                "span",
                { class: `status ${tx.status}` },
                `${tx.status}${tx.replaced.length ? ` (replaced ${tx.replaced.length}×)` : ""}`,
              )
            : "—",
          tx?.block ?? "—",
          tx?.gasUsed ? Number(tx.gasUsed).toLocaleString() : "—",
        ];
      }),
      { class: "txs" },
    ),
    plan.transfers.length === 0
      ? ""
      : h(
          "div",
          {},
          h("h3", {}, "Cross-chain transfers in this plan"),
          table(
            ["from", "to", "amount", "USD"],
            plan.transfers.map((t) => [name(t.fromChainId), name(t.toChainId), t.amount, t.usd]),
          ),
        ),
  );
}

// --- drift and NAV history ---

let range = localStorage.getItem("ballast.range") ?? "24h";
const charts: uPlot[] = [];

/** Draws a dashed vertical line and a label at each rebalance; the chart's `data-marked` counts the lines drawn. */
function markers(times: number[]): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx, bbox } = u;
          ctx.save();
          ctx.strokeStyle = "#f8fafc";
          ctx.fillStyle = "#f8fafc";
          ctx.setLineDash([5, 4]);
          ctx.lineWidth = devicePixelRatio;
          ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
          let labelEnd = Number.NEGATIVE_INFINITY;
          let drawn = 0;
          const gap = 4 * devicePixelRatio;
          for (const t of times) {
            const x = Math.round(u.valToPos(t, "x", true));
            if (x < bbox.left || x > bbox.left + bbox.width) continue;
            drawn++;
            ctx.beginPath();
            ctx.moveTo(x, bbox.top);
            ctx.lineTo(x, bbox.top + bbox.height);
            ctx.stroke();
            // A label where it fits: right of the line, else left of it; none when it would overlap the last one.
            const label = "rebalance";
            const w = ctx.measureText(label).width;
            const lx = x + gap + w <= bbox.left + bbox.width ? x + gap : x - gap - w;
            if (lx < labelEnd + gap) continue;
            ctx.fillText(label, lx, bbox.top + 12 * devicePixelRatio);
            labelEnd = lx + w;
          }
          ctx.restore();
          u.root.parentElement?.setAttribute("data-marked", String(drawn));
        },
      ],
    },
  };
}

const axis = (label: string): uPlot.Axis => ({
  label,
  stroke: "#94a3b8",
  grid: { stroke: "rgba(148,163,184,0.15)" },
  ticks: { stroke: "rgba(148,163,184,0.25)" },
});

/** Time ticks: seconds for short spans, the date once the span covers days. */
function timeAxis(): uPlot.Axis {
  return {
    ...axis(""),
    space: 90,
    // Whole seconds and up: no sub-second ticks on a short range.
    incrs: [
      1, 5, 10, 15, 30, 60, 300, 600, 900, 1_800, 3_600, 7_200, 21_600, 43_200, 86_400, 172_800, 604_800,
      2_592_000,
    ],
    values: (u, splits) => {
      const span = (u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0);
      return splits.map((t) => {
        const d = new Date(t * 1000);
        if (span > 2 * 86_400) return d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
        return d.toLocaleTimeString(
          undefined,
          span < 600
            ? { hour: "2-digit", minute: "2-digit", second: "2-digit" }
            : { hour: "2-digit", minute: "2-digit" },
        );
      });
    },
  };
}

function chartWidth(el: HTMLElement): number {
  return Math.max(260, el.clientWidth);
}

function renderHistory(hist: HistoryResponse): void {
  for (const c of charts.splice(0)) c.destroy();
  const driftEl = $("drift-chart");
  const navEl = $("nav-chart");
  const times = hist.rebalances.map((r) => r.at);
  driftEl.dataset.rebalances = String(times.length);
  for (const el of [driftEl, navEl]) el.removeAttribute("data-marked");
  driftEl.dataset.points = String(hist.points.length);
  if (hist.points.length === 0) {
    driftEl.replaceChildren(h("p", { class: "muted" }, "No cycles journaled in this range."));
    navEl.replaceChildren();
  } else {
    driftEl.replaceChildren();
    navEl.replaceChildren();
    const xs = hist.points.map((p) => p.at);
    const phone = window.innerWidth < 600;
    const drift: uPlot.AlignedData = [
      xs,
      ...hist.sleeves.map((_, i) => hist.points.map((p) => p.drift[i] ?? null)),
    ];
    charts.push(
      new uPlot(
        {
          width: chartWidth(driftEl),
          height: phone ? 220 : 280,
          series: [
            {},
            ...hist.sleeves.map((s, i) => ({
              label: s.id,
              stroke: COLORS[i % COLORS.length] ?? "#fff",
              width: 2,
              points: { show: chartWidth(driftEl) / xs.length > 12 },
              value: (_u: uPlot, v: number | null) => (v === null ? "—" : signedBps(v)),
            })),
          ],
          axes: [timeAxis(), { ...axis("drift (bps)"), size: 56 }],
          legend: { live: false },
          plugins: [markers(times)],
        },
        drift,
        driftEl,
      ),
    );
    const nav = hist.points.map((p) =>
      p.navUsd === null ? null : Number(BigInt(p.navUsd) / 10n ** 16n) / 100,
    );
    charts.push(
      new uPlot(
        {
          width: chartWidth(navEl),
          height: phone ? 140 : 170,
          series: [
            {},
            {
              label: "NAV",
              stroke: "#e2e8f0",
              width: 2,
              fill: "rgba(94,234,212,0.08)",
              value: (_u, v) => (v === null ? "—" : `$${v.toLocaleString()}`),
            },
          ],
          axes: [timeAxis(), { ...axis("NAV (USD)"), size: 72 }],
          legend: { live: false },
          plugins: [markers(times)],
        },
        [xs, nav],
        navEl,
      ),
    );
  }
  // The newest five rebalances in words; the chart marks every one.
  const newest = [...hist.rebalances].sort((a, b) => b.at - a.at);
  $("rebalances").replaceChildren(
    ...newest
      .slice(0, 5)
      .map((r) =>
        h(
          "li",
          { "data-rebalance": r.planId },
          `Rebalance ${time(r.at)} · plan ${r.planId.slice(0, 12)} · `,
          r.transactions.map((t) => `chain ${t.chainId} ${t.status}`).join(", "),
        ),
      ),
    newest.length > 5 ? h("li", { class: "muted" }, `and ${newest.length - 5} earlier in this range`) : "",
  );
}

function resizeCharts(): void {
  for (const c of charts) {
    const parent = c.root.parentElement;
    if (parent) c.setSize({ width: chartWidth(parent), height: c.height });
  }
}

// --- the loop ---

let lastSeen = "";

async function refreshHistory(): Promise<void> {
  for (const b of document.querySelectorAll<HTMLButtonElement>("#ranges button"))
    b.classList.toggle("active", b.dataset.range === range);
  renderHistory(await api<HistoryResponse>(`/api/history?range=${encodeURIComponent(range)}`));
}

async function refresh(): Promise<void> {
  try {
    const status = await api<StatusResponse>("/api/status");
    banner(null);
    $("nav-value").textContent = status.cycle?.navUsd ? usd(status.cycle.navUsd) : "—";
    $("source").textContent = status.source === "keeper" ? "live · keeper" : "journal · read-only";
    $("updated").textContent = status.cycle
      ? `last cycle ${ago(status.cycle.at, status.generatedAt)}`
      : "no cycle yet";
    renderAllocation(status.cycle, status.chains);
    renderChains(status);
    renderInFlight(status);
    renderDecision(status.cycle);
    renderPlan(status);
    // The history is fetched again when a cycle is journaled or a transaction moves.
    const seen = JSON.stringify([
      status.cycle?.at,
      status.plan?.plan?.id,
      status.plan?.transactions.map((t) => t.status),
    ]);
    if (seen !== lastSeen) {
      lastSeen = seen;
      await refreshHistory();
    }
    document.body.dataset.ready = "true";
  } catch (e) {
    banner(
      e instanceof Unauthorized
        ? "This dashboard needs its token: open it as /#token=YOUR_TOKEN."
        : `Cannot reach the keeper (${(e as Error).message}); retrying.`,
    );
  }
}

for (const b of document.querySelectorAll<HTMLButtonElement>("#ranges button"))
  b.addEventListener("click", () => {
    range = b.dataset.range ?? "24h";
    localStorage.setItem("ballast.range", range);
    refreshHistory().catch((e: unknown) => banner(`History unavailable: ${(e as Error).message}`));
  });
window.addEventListener("resize", resizeCharts);
await refresh();
setInterval(() => void refresh(), POLL_MS);

import { createServer, type Server } from "node:http";
import { redactText } from "@ballast/core";

type Labels = Record<string, string | number>;
type Kind = "counter" | "gauge";
type Family = { kind: Kind; help: string; values: Map<string, number> };

/** A small Prometheus registry: counters and gauges with labels, rendered in the text exposition format. */
export type Metrics = {
  /** Adds `by` (default 1) to a counter. */
  inc(name: string, labels?: Labels, by?: number): void;
  /** Sets a gauge. */
  set(name: string, labels: Labels, value: number): void;
  /** Renders every family in Prometheus text format 0.0.4. */
  render(): string;
};

const HELP: Record<string, [Kind, string]> = {
  ballast_cycles_total: ["counter", "Cycles run, by chain and outcome."],
  ballast_decisions_total: ["counter", "Decisions taken, by outcome (fire, hold)."],
  ballast_sleeve_drift_bps: ["gauge", "Signed drift of each sleeve from its target, in basis points."],
  ballast_nav_usd: ["gauge", "Net asset value of the portfolio in USD."],
  ballast_gas_used_total: ["counter", "Gas used by confirmed transactions, by chain."],
  ballast_tx_total: [
    "counter",
    "Transactions by chain and outcome (confirmed, reverted, replaced, dropped, refused).",
  ],
  ballast_rpc_errors_total: ["counter", "RPC errors, by chain."],
  ballast_last_cycle_timestamp_seconds: ["gauge", "Unix time of the last completed cycle, by chain."],
};

const key = (labels: Labels = {}) =>
  Object.keys(labels)
    .sort()
    .map(
      (k) =>
        `${k}="${redactText(String(labels[k])).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`,
    )
    .join(",");

/** Creates an empty registry that knows Ballast's metric families. */
export function createMetrics(): Metrics {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) {
      const [kind, help] = HELP[name] ?? ["gauge", name];
      f = { kind, help, values: new Map() };
      families.set(name, f);
    }
    return f;
  };
  return {
    inc(name, labels, by = 1) {
      const f = family(name);
      const k = key(labels);
      f.values.set(k, (f.values.get(k) ?? 0) + by);
    },
    set(name, labels, value) {
      family(name).values.set(key(labels), value);
    },
    render() {
      const out: string[] = [];
      for (const [name, f] of families) {
        out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.kind}`);
        for (const [k, v] of f.values) out.push(`${name}${k ? `{${k}}` : ""} ${v}`);
      }
      return `${out.join("\n")}\n`;
    },
  };
}

/** What `/healthz` reports: healthy when every chain completed a cycle within `staleAfterMs`. */
export type Health = () => {
  ok: boolean;
  chains: Record<string, { lastCycleAt: number | null; error: string | null }>;
};

/** Serves `/metrics` and `/healthz` on `host:port`; resolves once listening, with the bound port. */
export async function serveMetrics(
  listen: string,
  metrics: Metrics,
  health: Health,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const [host, portText] = listen.split(":") as [string, string];
  const server = createServer((req, res) => {
    if (req.url === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(metrics.render());
    } else if (req.url === "/healthz") {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(h));
    } else res.writeHead(404).end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(portText), host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : Number(portText);
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

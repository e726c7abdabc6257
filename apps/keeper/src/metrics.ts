import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
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

/** Every family with its HELP text; each text lists the family's labels and every value a label takes. */
const HELP: Record<string, [Kind, string]> = {
  ballast_cycles_total: ["counter", "Cycles run. Labels: chain (config key), outcome (ok, error)."],
  ballast_decisions_total: ["counter", "Decisions taken. Labels: outcome (fire, hold)."],
  ballast_price_holds_total: [
    "counter",
    "Prices not trusted by the price-sanity check, one per fault of a held cycle. Labels: chain (config key), asset (symbol), kind (feed-stale, feed-invalid, deviation).",
  ],
  ballast_sleeve_drift_bps: [
    "gauge",
    "Signed drift of each sleeve from its target, in basis points. Labels: sleeve (policy sleeve id).",
  ],
  ballast_nav_usd: ["gauge", "Net asset value of the portfolio in USD. No labels."],
  ballast_gas_used_total: ["counter", "Gas used by confirmed transactions. Labels: chain (config key)."],
  ballast_tx_total: [
    "counter",
    "Batch transactions. Labels: chain (config key), outcome (confirmed, reverted, dropped, in-flight: sent and not final yet, refused: not sent, failed: not sent after an error, held: not sent on purpose by a pause, the circuit breaker or a turnover cap).",
  ],
  ballast_in_flight: [
    "gauge",
    "Things sent and not final (journaled transactions; bridge transfers count on their origin chain and hold every chain); the chain gets no new batch meanwhile. Labels: chain (config key).",
  ],
  ballast_rpc_errors_total: [
    "counter",
    "Failed RPC requests, each retry counted (transport failures, HTTP errors, node errors; not execution reverts). Labels: chain (config key), method (JSON-RPC method, e.g. eth_call, eth_blockNumber).",
  ],
  ballast_sending_stopped: [
    "gauge",
    "1 when sending is stopped on a chain. Labels: chain (config key), reason (pause: ballast pause; breaker: the circuit breaker).",
  ],
  ballast_turnover_24h_usd: ["gauge", "Turnover sent over the rolling 24 hours, all chains, USD. No labels."],
  ballast_realised_cost_usd: ["gauge", "Realised cost of sent plans over the loss window, USD. No labels."],
  ballast_bridge_transfers_total: [
    "counter",
    "Bridge transfers by what became of them. Labels: route (origin>destination config keys), outcome (deposited, filled, expired: unfilled past its deadline, refunded, unsent: its origin batch never landed).",
  ],
  ballast_bridged_usd_total: [
    "counter",
    "USD deposited into bridges. Labels: route (origin>destination config keys).",
  ],
  ballast_bridge_fees_usd_total: [
    "counter",
    "Bridge fees paid, USD. Labels: route (origin>destination config keys).",
  ],
  ballast_bridge_fill_seconds: [
    "gauge",
    "Seconds from journaling the last filled transfer to seeing its fill (at the keeper's tick). Labels: route (origin>destination config keys).",
  ],
  ballast_swap_orders_total: [
    "counter",
    "Swap orders (1inch Fusion) by what became of them. Labels: chain (config key), outcome (signed, submitted, filled, expired, cancelled, refused: a check failed, nothing signed; unsent: its batch never landed).",
  ],
  ballast_swap_order_fill_seconds: [
    "gauge",
    "Seconds from journaling the last filled swap order to seeing its fill (at the keeper's tick). Labels: chain (config key).",
  ],
  ballast_firewall_refusals_total: [
    "counter",
    "Batches the firewall refused. Labels: chain (config key), rule (target, selector, spender, unlimited-approval, recipient, value, delegatecall, delegation, envelope).",
  ],
};

const key = (labels: Labels = {}) =>
  Object.keys(labels)
    .sort()
    .map(
      (k) =>
        `${k}="${redactText(String(labels[k])).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`,
    )
    .join(",");

/**
 * Creates an empty registry that knows Ballast's metric families. `common`: labels every value carries (added by
 * {@link labelled}), by name with their description, appended to every HELP text.
 */
export function createMetrics(common: Record<string, string> = {}): Metrics {
  const families = new Map<string, Family>();
  const extra = Object.entries(common)
    .map(([name, text]) => ` Every value also has ${name} (${text}).`)
    .join("");
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) {
      const [kind, help] = HELP[name] ?? ["gauge", name];
      f = { kind, help: `${help}${extra}`, values: new Map() };
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

/** `metrics` with `labels` added to every value written through it (`{portfolio}` for a worker's portfolios). */
export function labelled(metrics: Metrics, labels: Labels): Metrics {
  return {
    inc: (name, l, by) => metrics.inc(name, { ...labels, ...l }, by),
    set: (name, l, value) => metrics.set(name, { ...labels, ...l }, value),
    render: () => metrics.render(),
  };
}

/** What `/healthz` reports: `ok` (200, else 503) and what it knows (per chain, per portfolio). */
export type Health = () => HealthAnswer | Promise<HealthAnswer>;
/** What `/healthz` answers as JSON (503 when not ok). */
export type HealthAnswer = { ok: boolean; [detail: string]: unknown };

/**
 * Serves `/metrics` and `/healthz` on `host:port`, and whatever `routes` answers (the dashboard); resolves once
 * listening, with the bound port. `close()` resolves once every connection has ended: see {@link closeServer}.
 */
export async function serveMetrics(
  listen: string,
  metrics: Metrics,
  health: Health,
  routes?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const [host, portText] = listen.split(":") as [string, string];
  const answering = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    answering.add(res);
    res.once("close", () => answering.delete(res));
    if (req.url === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(metrics.render());
    } else if (req.url === "/healthz") {
      Promise.resolve()
        .then(health)
        .then(
          (h) =>
            res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(h)),
          () => res.writeHead(503, { "content-type": "application/json" }).end('{"ok":false}'),
        );
    } else if (!routes?.(req, res)) res.writeHead(404).end("not found\n");
  });
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
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
    close: () => closeServer(server, sockets, answering),
  };
}

/**
 * Stops listening and ends every connection, resolving once all have ended. `server.close()` alone ends only the
 * keep-alive connections Node counts as idle: a connection opened but not yet used (browsers open spares) or one
 * answering at that moment stays open while its client keeps reusing it, and the dashboard page, polling every
 * 5 s within the 5-s keep-alive timeout, held one for ever (`ballast dashboard` and `run` then never exited on
 * SIGTERM). So a connection with no answer pending ends now, and a pending answer is its connection's last.
 */
function closeServer(server: Server, sockets: Set<Socket>, answering: Set<ServerResponse>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const busy = new Set<Socket | null>();
  for (const res of answering)
    if (!res.headersSent) {
      busy.add(res.socket);
      res.setHeader("connection", "close"); // Node ends the connection once this answer is sent
    }
  // The others: what was written is flushed, then the connection ends whatever the client does.
  for (const socket of sockets) if (!busy.has(socket)) socket.end(() => socket.destroy());
  return closed;
}

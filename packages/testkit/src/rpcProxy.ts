import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Faults a {@link RpcProxy} injects. Shares are 0..1 of the requests that reach it. */
export type RpcFaults = {
  /** Share of requests forwarded to the node whose answer is then lost (the connection is closed). */
  readonly dropRate?: number;
  /** Share of requests answered `HTTP 429 Too Many Requests`. */
  readonly rateLimitRate?: number;
  /** Delay before each request is forwarded, ms. */
  readonly delayMs?: number;
  /** JSON-RPC methods answered `HTTP 500` every time (e.g. `["eth_blockNumber"]`). */
  readonly failMethods?: readonly string[];
  /**
   * JSON-RPC methods answered with this JSON-RPC error (HTTP 200), as a node that lacks or refuses the method does
   * (e.g. `{ eth_simulateV1: { code: -32601, message: "method not found" } }`). Single requests only: a batch passes
   * through.
   */
  readonly rpcErrors?: Readonly<Record<string, { readonly code: number; readonly message: string }>>;
};

/** What the proxy did so far. */
export type RpcProxyStats = { forwarded: number; dropped: number; rateLimited: number; failed: number };

/** A JSON-RPC proxy in front of a node that injects faults; listens on 127.0.0.1. */
export type RpcProxy = {
  readonly url: string;
  /** Replaces the faults (an empty object: a clean pass-through). */
  setFaults(faults: RpcFaults): void;
  /** Forwards to another node from now on (a dead URL: every request fails; another chain: a swapped upstream). */
  setTarget(target: string): void;
  stats(): RpcProxyStats;
  /** Every JSON-RPC method the proxy received, in order (batches flattened): a recording of who asked what. */
  methods(): string[];
  /** Stops listening and closes open connections. */
  stop(): Promise<void>;
};

/** A small deterministic PRNG (mulberry32), so a fault pattern is reproducible from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The requests of a JSON-RPC body (a batch or one), each with its id and method; none if the body is not JSON. */
const requestsOf = (body: string): { batch: boolean; calls: { id: unknown; method: string }[] } => {
  try {
    const msg = JSON.parse(body) as { id?: unknown; method?: unknown } | { id?: unknown; method?: unknown }[];
    const calls = (Array.isArray(msg) ? msg : [msg]).map((m) => ({
      id: m.id ?? null,
      method: typeof m.method === "string" ? m.method : "",
    }));
    return { batch: Array.isArray(msg), calls };
  } catch {
    return { batch: false, calls: [] };
  }
};

/**
 * Starts an RPC fault-injection proxy on 127.0.0.1 (a free port) in front of `target`: loses a share of answers,
 * answers 429 to another share, delays, fails named methods (HTTP 500) and answers others with a JSON-RPC error.
 * Stop it with `stop()`.
 *
 * @example
 * const proxy = await startRpcProxy(chain.rpcUrl, { dropRate: 0.3 });
 * proxy.setFaults({ failMethods: ["eth_blockNumber"] });
 */
export async function startRpcProxy(
  target: string,
  faults: RpcFaults = {},
  options: { seed?: number } = {},
): Promise<RpcProxy> {
  let current = faults;
  let upstream = target;
  const rand = random(options.seed ?? 1);
  const stats: RpcProxyStats = { forwarded: 0, dropped: 0, rateLimited: 0, failed: 0 };
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", async () => {
      const { batch, calls } = requestsOf(body);
      seen.push(...calls.map((c) => c.method));
      const f = current;
      if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
      const drop = rand() < (f.dropRate ?? 0);
      if (rand() < (f.rateLimitRate ?? 0)) {
        stats.rateLimited++;
        res.writeHead(429, { "content-type": "text/plain" }).end("Too Many Requests");
        return;
      }
      if (calls.some((c) => f.failMethods?.includes(c.method))) {
        stats.failed++;
        res.writeHead(500, { "content-type": "text/plain" }).end("injected failure");
        return;
      }
      const single = batch ? undefined : calls[0];
      const rpcError = single && f.rpcErrors?.[single.method];
      if (single && rpcError) {
        stats.failed++;
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ jsonrpc: "2.0", id: single.id, error: rpcError }));
        return;
      }
      try {
        const up = await fetch(upstream, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        stats.forwarded++;
        if (drop) {
          // The node handled it; the answer is lost (the worst case for a sender: did the broadcast happen?).
          stats.dropped++;
          req.socket.destroy();
          return;
        }
        res.writeHead(up.status, { "content-type": "application/json" }).end(await up.text());
      } catch {
        req.socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setFaults: (next) => {
      current = next;
    },
    setTarget: (next) => {
      upstream = next;
    },
    stats: () => ({ ...stats }),
    methods: () => [...seen],
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** What a {@link CountingProxy} saw: HTTP requests, JSON-RPC calls by method (batches counted per call), bytes. */
export type RpcTally = { http: number; methods: Map<string, number>; bytesOut: number; bytesIn: number };

/** A pass-through JSON-RPC proxy on 127.0.0.1 that counts what goes through it (for benches and request-count tests). */
export type CountingProxy = {
  readonly url: string;
  /** The counts since the start or the last `reset()`. */
  tally: RpcTally;
  reset(): void;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
};

const emptyTally = (): RpcTally => ({ http: 0, methods: new Map(), bytesOut: 0, bytesIn: 0 });

function countInto(t: RpcTally, body: Buffer): void {
  t.http++;
  t.bytesOut += body.length;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    parsed = { method: "(not JSON)" };
  }
  for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
    const method = (m as { method?: unknown } | null)?.method;
    const name = typeof method === "string" ? method : "(no method)";
    t.methods.set(name, (t.methods.get(name) ?? 0) + 1);
  }
}

/**
 * Starts a counting proxy in front of `target` on a free port of 127.0.0.1. Stop it with `close()`.
 *
 * @example
 * const proxy = await startCountingProxy(chain.rpcUrl);
 * // … point a client at proxy.url …
 * console.log(proxy.tally.methods.get("eth_call"));
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  let url = "";
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      countInto(proxy.tally, body);
      fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body })
        .then(async (r) => {
          const out = Buffer.from(await r.arrayBuffer());
          proxy.tally.bytesIn += out.length;
          res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "application/json" });
          res.end(out);
        })
        .catch((e: unknown) => {
          res.writeHead(502, { "content-type": "text/plain" });
          res.end(String(e));
        });
    });
  });
  const proxy: CountingProxy = {
    get url() {
      return url;
    },
    tally: emptyTally(),
    reset: () => {
      proxy.tally = emptyTally();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

/** A local HTTP server on 127.0.0.1 (port 0) standing in for a remote API we cannot reach in tests (1inch, Across). */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as the stand-in saw it. */
export type StandInRequest = {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
};

/** What the stand-in answers: JSON, raw text, or nothing at all (`hang`, to exercise timeouts). */
export type StandInReply = {
  readonly status?: number;
  readonly json?: unknown;
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly hang?: boolean;
};

/** A running stand-in server. */
export type StandIn = {
  readonly url: string;
  readonly requests: StandInRequest[];
  close(): Promise<void>;
};

/** Starts an HTTP server on 127.0.0.1, port 0, that answers every request with `handle`. */
export async function startStandIn(
  handle: (req: StandInRequest) => StandInReply | Promise<StandInReply>,
): Promise<StandIn> {
  const requests: StandInRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const raw = Buffer.concat(chunks).toString("utf8");
      const request: StandInRequest = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: raw ? JSON.parse(raw) : undefined,
      };
      requests.push(request);
      Promise.resolve(handle(request)).then(
        (reply) => {
          if (reply.hang) return; // never answer; the client's timeout fires
          const text = reply.text ?? (reply.json === undefined ? "" : JSON.stringify(reply.json));
          res.writeHead(reply.status ?? 200, {
            "content-type": "application/json",
            ...reply.headers,
          });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: "stand-in failure", description: String(err) }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

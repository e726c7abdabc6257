import { createConnection, createServer, type Socket } from "node:net";

/** A TCP proxy on 127.0.0.1 whose link can be cut and healed: a network partition between a client and a server. */
export type TcpProxy = {
  /** The proxy's port: point the client here instead of at `target`. */
  port: number;
  /** Cuts the link: every open connection is destroyed and new ones are refused until `heal`. */
  cut(): void;
  /** Lets connections through again. */
  heal(): void;
  close(): Promise<void>;
};

/** Starts a {@link TcpProxy} to `127.0.0.1:targetPort` on a free port. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let cut = false;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (cut) return void client.destroy();
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    heal() {
      cut = false;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

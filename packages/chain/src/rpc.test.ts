import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChainClients, pinClient, probeRpcs } from "./clients.ts";
import { findRpcRequestError, RpcRequestError, RpcUnavailableError } from "./errors.ts";
import { createRpcPool, type RpcRequestEvent } from "./rpc.ts";

type Node = { url: string; calls: string[]; server: Server };

/** A tiny JSON-RPC node: answers chainId/blockNumber, reverts every eth_call. */
async function startNode(chainId: number): Promise<Node> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const msg = JSON.parse(body) as { id: number; method: string };
      calls.push(msg.method);
      const reply = (x: object) => res.end(JSON.stringify({ jsonrpc: "2.0", id: msg.id, ...x }));
      res.setHeader("content-type", "application/json");
      if (msg.method === "eth_chainId") reply({ result: `0x${chainId.toString(16)}` });
      else if (msg.method === "eth_blockNumber") reply({ result: "0x10" });
      else if (msg.method === "eth_call")
        reply({ error: { code: 3, message: "execution reverted", data: "0x" } });
      else reply({ error: { code: -32601, message: "method not found" } });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, calls, server };
}

async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

describe("RPC pool and ranked fallback", () => {
  let live: Node;
  let other: Node;
  let dead: string;
  beforeAll(async () => {
    live = await startNode(31337);
    other = await startNode(1);
    dead = await deadUrl();
  });
  afterAll(() => {
    live.server.close();
    other.server.close();
  });

  it("skips a dead URL, ranks it last and pins the live one", async () => {
    const clients = createChainClients({ chain: 31337, rpcUrls: [dead, live.url], timeoutMs: 2_000 });
    expect(await clients.public.getBlockNumber()).toBe(16n);
    const ranked = clients.pool.ranked();
    expect(ranked[0]?.url).toBe(live.url);
    // The dead URL was tried once and retried twice (the pool's per-URL retries) before the fallback moved on.
    expect(ranked[1]).toMatchObject({ url: dead, healthy: false, failures: 3 });
    const pinned = await pinClient(clients);
    expect(pinned.url).toBe(live.url);
  });

  it("skips a URL that serves another chain when pinning", async () => {
    const clients = createChainClients({ chain: 31337, rpcUrls: [other.url, live.url] });
    expect((await pinClient(clients)).url).toBe(live.url);
    const probed = await probeRpcs(clients);
    expect(probed[0]?.url).toBe(live.url);
    expect(probed.find((s) => s.url === other.url)?.healthy).toBe(false);
  });

  it("does not retry a revert on the next URL", async () => {
    const second = await startNode(31337);
    try {
      const clients = createChainClients({ chain: 31337, rpcUrls: [live.url, second.url] });
      await expect(
        clients.public.call({ to: "0x0000000000000000000000000000000000000001", data: "0x12345678" }),
      ).rejects.toThrow();
      expect(second.calls.filter((m) => m === "eth_call")).toHaveLength(0);
    } finally {
      second.server.close();
    }
  });

  it("throws RpcUnavailableError when nothing answers", async () => {
    const clients = createChainClients({ chain: 31337, rpcUrls: [dead], timeoutMs: 1_000 });
    await expect(pinClient(clients)).rejects.toBeInstanceOf(RpcUnavailableError);
  });

  it("retries a rate-limited URL, then fails naming the call and the redacted URL; every failed request is seen", async () => {
    let hits = 0;
    const limited = createServer((_req, res) => {
      hits++;
      res.writeHead(429).end("Too Many Requests");
    });
    await new Promise<void>((r) => limited.listen(0, "127.0.0.1", r));
    const { port } = limited.address() as AddressInfo;
    const events: RpcRequestEvent[] = [];
    try {
      const url = `http://user:hunter2@127.0.0.1:${port}/v3/0123456789abcdef0123456789abcdef?apikey=secret`;
      const clients = createChainClients({
        chain: 31337,
        rpcUrls: [url],
        onRpcRequest: (e) => events.push(e),
      });
      const err = await clients.public.getBlockNumber().catch((e: unknown) => e);
      const rpc = findRpcRequestError(err);
      expect(rpc).toBeInstanceOf(RpcRequestError);
      expect(rpc?.rateLimited).toBe(true);
      expect(rpc?.shortMessage).toContain("eth_blockNumber failed on http://127.0.0.1:");
      expect(rpc?.shortMessage).toContain("rate limited (HTTP 429)");
      for (const secret of ["hunter2", "user", "secret", "0123456789abcdef"])
        expect(JSON.stringify({ m: rpc?.shortMessage, c: rpc?.context })).not.toContain(secret);
      // Each request that reached the server was seen as failed, by method.
      expect(events.length).toBe(hits);
      expect(hits).toBeGreaterThanOrEqual(3);
      expect(events.every((e) => !e.ok && e.method === "eth_blockNumber")).toBe(true);
    } finally {
      limited.close();
    }
  });

  it("ranks healthy URLs by latency and lets a failed one back after its cooldown", () => {
    let t = 0;
    const pool = createRpcPool(1, ["a", "b", "c"], { cooldownMs: 1_000, now: () => t });
    pool.record("a", { ok: true, latencyMs: 300 });
    pool.record("b", { ok: true, latencyMs: 20 });
    pool.record("c", { ok: false, latencyMs: 5, error: "ECONNREFUSED" });
    expect(pool.ranked().map((s) => s.url)).toEqual(["b", "a", "c"]);
    t = 1_001;
    expect(pool.ranked().find((s) => s.url === "c")?.healthy).toBe(true);
    pool.record("c", { ok: false, latencyMs: 5 });
    t = 2_500; // second failure: 2 s cooldown
    expect(pool.ranked().find((s) => s.url === "c")?.healthy).toBe(false);
  });
});

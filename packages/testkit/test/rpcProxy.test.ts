import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRpcProxy } from "../src/rpcProxy.ts";

let node: Server;
let target: string;
let seen = 0;

const call = (url: string, method: string) =>
  fetch(url, { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [] }) });

beforeAll(async () => {
  // A node that answers every method with its name.
  node = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      seen++;
      const { id, method } = JSON.parse(body) as { id: number; method: string };
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ jsonrpc: "2.0", id, result: method }));
    });
  });
  await new Promise<void>((r) => node.listen(0, "127.0.0.1", r));
  target = `http://127.0.0.1:${(node.address() as AddressInfo).port}`;
});
afterAll(() => {
  node.close();
});

describe("RPC fault-injection proxy", () => {
  it("passes through, fails a named method, answers 429, drops a share after the node saw it, and stops", async () => {
    const proxy = await startRpcProxy(target, {}, { seed: 7 });
    expect(proxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await call(proxy.url, "eth_chainId")).json()).toMatchObject({ result: "eth_chainId" });

    proxy.setFaults({ failMethods: ["eth_blockNumber"] });
    expect((await call(proxy.url, "eth_blockNumber")).status).toBe(500);
    expect((await call(proxy.url, "eth_chainId")).status).toBe(200);

    // A JSON-RPC error for a named method (HTTP 200, the request's id), never forwarded.
    proxy.setFaults({ rpcErrors: { eth_simulateV1: { code: -32601, message: "method not found" } } });
    const seenBefore = seen;
    const refused = await call(proxy.url, "eth_simulateV1");
    expect(refused.status).toBe(200);
    expect(await refused.json()).toEqual({
      jsonrpc: "2.0",
      id: 1,
      error: { code: -32601, message: "method not found" },
    });
    expect(seen).toBe(seenBefore);
    expect(await (await call(proxy.url, "eth_chainId")).json()).toMatchObject({ result: "eth_chainId" });

    proxy.setFaults({ rateLimitRate: 1 });
    expect((await call(proxy.url, "eth_chainId")).status).toBe(429);

    proxy.setFaults({ dropRate: 0.3 });
    const before = seen;
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, () =>
        call(proxy.url, "eth_chainId").then(
          () => "ok",
          () => "dropped",
        ),
      ),
    );
    const dropped = outcomes.filter((o) => o === "dropped").length;
    expect(dropped).toBe(proxy.stats().dropped);
    expect(dropped).toBeGreaterThan(30);
    expect(dropped).toBeLessThan(90);
    // Dropped answers were lost after the node handled the request (the worst case for a sender).
    expect(seen - before).toBe(200);

    await proxy.stop();
    await expect(call(proxy.url, "eth_chainId")).rejects.toThrow();
  });
});

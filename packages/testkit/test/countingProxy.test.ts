import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CountingProxy, startCountingProxy } from "../src/index.ts";

describe("startCountingProxy", () => {
  // A stand-in node: answers every JSON-RPC call (single or batch) with its id and the method name.
  const node = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as
        | { id: number; method: string }[]
        | { id: number; method: string };
      const answer = (m: { id: number; method: string }) => ({ jsonrpc: "2.0", id: m.id, result: m.method });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(Array.isArray(body) ? body.map(answer) : answer(body)));
    });
  });
  let proxy: CountingProxy;
  beforeAll(async () => {
    await new Promise<void>((resolve) => node.listen(0, "127.0.0.1", () => resolve()));
    proxy = await startCountingProxy(`http://127.0.0.1:${(node.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise<void>((resolve) => node.close(() => resolve()));
  });

  const post = async (body: unknown) => {
    const r = await fetch(proxy.url, { method: "POST", body: JSON.stringify(body) });
    return r.json();
  };

  it("forwards answers and counts HTTP requests, calls per method (batches per call) and bytes", async () => {
    expect(await post({ id: 1, method: "eth_call" })).toEqual({ jsonrpc: "2.0", id: 1, result: "eth_call" });
    await post([
      { id: 2, method: "eth_call" },
      { id: 3, method: "eth_blockNumber" },
    ]);
    expect(proxy.tally.http).toBe(2);
    expect(Object.fromEntries(proxy.tally.methods)).toEqual({ eth_call: 2, eth_blockNumber: 1 });
    expect(proxy.tally.bytesOut).toBeGreaterThan(0);
    expect(proxy.tally.bytesIn).toBeGreaterThan(proxy.tally.bytesOut); // the answers echo more than was sent
    proxy.reset();
    expect(proxy.tally.http).toBe(0);
    expect(proxy.tally.methods.size).toBe(0);
  });
});

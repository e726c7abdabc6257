import { type Anvil, startAnvil, startRpcProxy } from "@ballast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChainMismatchError,
  createChainClients,
  findChainMismatchError,
  findRpcRequestError,
} from "../src/index.ts";

// Two bare nodes of two chains; the proxy in front plays a provider whose node goes away and comes back.
let mainnet: Anvil;
let other: Anvil;
beforeAll(async () => {
  [mainnet, other] = await Promise.all([startAnvil({ chainId: 31337 }), startAnvil({ chainId: 8453 })]);
});
afterAll(async () => {
  await Promise.all([mainnet?.stop(), other?.stop()]);
});

describe("chain id on reconnect", () => {
  it("a URL that comes back after failing is asked eth_chainId first; another chain stops the chain for good", async () => {
    const proxy = await startRpcProxy(mainnet.rpcUrl);
    const dead = "http://127.0.0.1:1";
    try {
      const url = `${proxy.url}/v3/0123456789abcdef0123456789abcdef`;
      const clients = createChainClients({ chain: 31337, rpcUrls: [url], cooldownMs: 1 });
      expect(await clients.public.getChainId()).toBe(31337);
      await clients.public.getBlockNumber();

      // Down, then back on the same chain: one eth_chainId before the first answer is used, then reads go on.
      proxy.setTarget(dead);
      expect(
        findRpcRequestError(await clients.public.getBlockNumber().catch((e: unknown) => e)),
      ).toBeDefined();
      proxy.setTarget(mainnet.rpcUrl);
      const asked = proxy.methods().length;
      await clients.public.getBlockNumber();
      expect(proxy.methods().slice(asked)).toEqual(["eth_chainId", "eth_blockNumber"]);
      await clients.public.getBlockNumber();
      expect(
        proxy
          .methods()
          .slice(asked)
          .filter((m) => m === "eth_chainId"),
      ).toHaveLength(1);

      // Down, then back serving another chain: nothing it says is used, and the error names the URL and both ids.
      proxy.setTarget(dead);
      await clients.public.getBlockNumber().catch(() => undefined);
      proxy.setTarget(other.rpcUrl);
      const err = findChainMismatchError(await clients.public.getBlockNumber().catch((e: unknown) => e));
      expect(err).toBeInstanceOf(ChainMismatchError);
      expect([err?.expected, err?.actual, err?.reconnected]).toEqual([31337, 8453, true]);
      expect(err?.shortMessage).toBe(
        `RPC ${proxy.url}/v3/*** serves chain 8453, expected 31337 after reconnecting.`,
      );
      expect(JSON.stringify({ m: err?.message, c: err?.context })).not.toContain("0123456789abcdef");
      expect(clients.pool.stopped()).toBe(err);

      // Even with the right node back, the chain stays stopped: no request leaves the pool.
      proxy.setTarget(mainnet.rpcUrl);
      const before = proxy.methods().length;
      expect(findChainMismatchError(await clients.public.getBlockNumber().catch((e: unknown) => e))).toBe(
        err,
      );
      expect(proxy.methods().length).toBe(before);
    } finally {
      await proxy.stop();
    }
  });
});

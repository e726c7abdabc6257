import { type RpcProxy, setPrice, startRpcProxy } from "@ballast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoKeeper, useDemoChains } from "../test/demo-keeper.ts";
import { keeperCycle } from "./keeper.ts";
import { sendingStops } from "./risk.ts";

// The circuit breaker counts batches that failed or were refused (a revert, a guard): a signal that something is
// wrong with what the keeper sends. A batch that could not be sent because an RPC failed says nothing about the batch:
// counted, a few seconds of a flaky RPC stopped the chain until an operator resumed it (the faults e2e under load).
const demo = useDemoChains("breaker-rpc");
let proxies: RpcProxy[];
beforeAll(async () => {
  proxies = await Promise.all(demo.list.map((c) => startRpcProxy(c.rpcUrl)));
});
afterAll(async () => {
  await Promise.all((proxies ?? []).map((p) => p.stop()));
});

describe("the circuit breaker and RPC failures", () => {
  it("a batch that fails to send because the RPC fails is not counted, however often", async () => {
    await Promise.all(demo.list.map((c) => setPrice(c, { asset: "WETH", usdPrice: 2_400n * 10n ** 8n })));
    const rpc = { ethereum: proxies[0]?.url as string, base: proxies[1]?.url as string };
    // Base answers every read, but its gas estimate fails at the transport (HTTP 500): nothing can be sent there.
    proxies[1]?.setFaults({ failMethods: ["eth_estimateGas"] });
    const { k, journal } = await demoKeeper(demo, "fund", { cooldown: "0s", rpc });
    try {
      // More cycles than `maxConsecutiveFailures` (3).
      for (let i = 0; i < 4; i++) {
        const c = await keeperCycle(k, { now: 1_000 + i, execute: true });
        const base = c.sent.find((s) => s.key === "base");
        expect(base).toMatchObject({ status: "failed", rpcFailure: true });
        expect(base?.error).toMatch(/eth_estimateGas failed .*HTTP 500/);
      }
      expect([...(await sendingStops(k.journal, ["ethereum", "base"])).values()]).toEqual([]);
      // Once the RPC answers, base sends.
      proxies[1]?.setFaults({});
      const c = await keeperCycle(k, { now: 1_010, execute: true });
      expect(c.sent.find((s) => s.key === "base")?.status).toBe("confirmed");
    } finally {
      proxies[1]?.setFaults({});
      await journal.close();
    }
  });
});

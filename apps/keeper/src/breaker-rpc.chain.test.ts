import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RpcProxy, setPrice, startRpcProxy, type TestChain, testAccounts } from "@ballast/testkit";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assembleKeeper } from "./assemble.ts";
import { loadConfig } from "./config.ts";
import {
  type DemoChains,
  demoConfigYaml,
  demoEnv,
  seedDemoPortfolio,
  startDemoChains,
} from "./demo-portfolio.ts";
import { openJournal } from "./journal.ts";
import { keeperCycle } from "./keeper.ts";
import { createMetrics } from "./metrics.ts";
import { sendingStops } from "./risk.ts";

// The circuit breaker counts batches that failed or were refused (a revert, a guard): a signal that something is
// wrong with what the keeper sends. A batch that could not be sent because an RPC failed says nothing about the batch:
// counted, a few seconds of a flaky RPC stopped the chain until an operator resumed it (the faults e2e under load).
let chains: DemoChains;
let list: TestChain[];
let proxies: RpcProxy[];
let dir: string;
beforeAll(async () => {
  chains = await startDemoChains();
  list = [chains.ethereum, chains.base];
  await seedDemoPortfolio(chains, testAccounts.keeper);
  proxies = await Promise.all(list.map((c) => startRpcProxy(c.rpcUrl)));
  dir = mkdtempSync(join(tmpdir(), "ballast-breaker-rpc-"));
});
afterAll(async () => {
  await Promise.all([...(proxies ?? []).map((p) => p.stop()), ...(list ?? []).map((c) => c.stop())]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the circuit breaker and RPC failures", () => {
  it("a batch that fails to send because the RPC fails is not counted, however often", async () => {
    await Promise.all(list.map((c) => setPrice(c, { asset: "WETH", usdPrice: 2_400n * 10n ** 8n })));
    const file = join(dir, "fund.yaml");
    const rpc = { ethereum: proxies[0]?.url as string, base: proxies[1]?.url as string };
    writeFileSync(file, demoConfigYaml(chains, { journal: join(dir, "journal.db"), cooldown: "0s", rpc }));
    // Base answers every read, but its gas estimate fails at the transport (HTTP 500): nothing can be sent there.
    proxies[1]?.setFaults({ failMethods: ["eth_estimateGas"] });
    const env = demoEnv();
    const config = loadConfig(file, env);
    const journal = await openJournal(config.keeper.journal);
    const k = assembleKeeper(config, journal.forPortfolio("fund"), {
      env,
      needKeys: true,
      log: pino({ level: "silent" }),
      metrics: createMetrics(),
    });
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

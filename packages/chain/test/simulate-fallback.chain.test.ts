import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createSafe, fund, testAccounts } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { encodeFunctionData, erc20Abi, parseGwei } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import {
  createChainClients,
  createTxManager,
  delegationCode,
  eip7702Executor,
  encodeExecuteBatch,
  memoryTxStore,
  SimulationFailedError,
  SimulationUnsupportedError,
  safeModuleExecutor,
  simulateTransaction,
} from "../src/index.ts";

const chain = useTestChain({ chainId: 31337 });
let proxy: Server | undefined;
afterEach(() => {
  proxy?.close();
  proxy = undefined;
});

/** A JSON-RPC proxy to anvil that answers `eth_simulateV1` with "method not found", like many public RPCs. */
async function withoutSimulateV1(target: string): Promise<string> {
  proxy = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", async () => {
      const msg = JSON.parse(body) as { id: number; method: string };
      res.setHeader("content-type", "application/json");
      if (msg.method === "eth_simulateV1") {
        res.end(
          JSON.stringify({
            jsonrpc: "2.0",
            id: msg.id,
            error: { code: -32601, message: "method not found" },
          }),
        );
        return;
      }
      const upstream = await fetch(target, {
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
      });
      res.end(await upstream.text());
    });
  });
  await new Promise<void>((r) => proxy?.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

describe("simulation without eth_simulateV1", () => {
  it("falls back to eth_call + eth_estimateGas (reverts still decoded with the index); guards that need reads are refused", async () => {
    const account = testAccounts.carol;
    const url = await withoutSimulateV1(chain.rpcUrl);
    const clients = createChainClients({ chain: 31337, rpcUrls: [url], account, pollingIntervalMs: 25 });
    const usdc = chain.deployment.tokens.USDC.address;
    await fund(chain, { account: account.address, token: "USDC", amount: 100n });
    const transfer = (amount: bigint) => ({
      to: usdc,
      value: 0n,
      data: encodeFunctionData({
        abi: erc20Abi,
        functionName: "transfer",
        args: [testAccounts.dave.address, amount],
      }),
    });
    const override = [{ address: account.address, code: delegationCode(chain.deployment.simple7702Account) }];

    const ok = await simulateTransaction(clients.public, {
      from: account.address,
      to: account.address,
      data: encodeExecuteBatch([transfer(10n), transfer(10n)]),
      account: account.address,
      stateOverride: override,
    });
    expect(ok).toMatchObject({ method: "eth_call", success: true });
    expect(ok.gasUsed).toBeGreaterThan(21_000n);

    const manager = createTxManager({
      clients,
      store: memoryTxStore(),
      fees: { maxFeePerGas: parseGwei("100") },
    });
    const executor = eip7702Executor({
      firewall: "off",
      clients,
      manager,
      implementation: chain.deployment.simple7702Account,
    });
    const failed = await executor.simulate([transfer(10n), transfer(1_000n)]).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(SimulationFailedError);
    expect((failed as SimulationFailedError).index).toBe(1);

    const guarded = await executor
      .simulate([transfer(10n)], { guards: { balanceDeltas: [{ token: usdc, min: -10n }] } })
      .catch((e: unknown) => e);
    expect(guarded).toBeInstanceOf(SimulationUnsupportedError);
  });

  it("locates a Safe batch's failing call by bisecting prefix batches with eth_call", async () => {
    const keeper = testAccounts.keeper;
    const safe = await createSafe(chain, { owners: [testAccounts.alice.address], modules: [keeper.address] });
    const usdc = chain.deployment.tokens.USDC.address;
    await fund(chain, { account: safe, token: "USDC", amount: 100n });
    const url = await withoutSimulateV1(chain.rpcUrl);
    const clients = createChainClients({
      chain: 31337,
      rpcUrls: [url],
      account: keeper,
      pollingIntervalMs: 25,
    });
    const manager = createTxManager({
      clients,
      store: memoryTxStore(),
      fees: { maxFeePerGas: parseGwei("100") },
    });
    const executor = safeModuleExecutor({
      firewall: "off",
      clients,
      manager,
      safe,
      multiSend: chain.deployment.safe.multiSendCallOnly,
    });
    const transfer = (amount: bigint) => ({
      to: usdc,
      value: 0n,
      data: encodeFunctionData({
        abi: erc20Abi,
        functionName: "transfer",
        args: [testAccounts.dave.address, amount],
      }),
    });
    const err = await executor
      .simulate([transfer(10n), transfer(10n), transfer(10n), transfer(1_000n), transfer(1n)])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimulationFailedError);
    expect((err as SimulationFailedError).index).toBe(3);
    expect((err as SimulationFailedError).reason).toMatch(/exceeds balance/);
    const ok = await executor.simulate([transfer(10n), transfer(10n)]);
    expect(ok.method).toBe("eth_call");
    expect(ok.request.gas).toBeGreaterThan(ok.gasUsed);
  });
});

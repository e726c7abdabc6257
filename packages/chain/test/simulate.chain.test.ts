import { createSafe, fund, type RpcProxy, startRpcProxy, testAccounts } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { type Address, encodeFunctionData, erc20Abi, parseEther, parseGwei } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import {
  createChainClients,
  createTxManager,
  delegationCode,
  eip7702Executor,
  encodeExecuteBatch,
  findFailingCall,
  MULTICALL3_ADDRESS,
  memoryTxStore,
  NATIVE_TOKEN,
  SimulationFailedError,
  SimulationUnsupportedError,
  safeModuleExecutor,
  simulateTransaction,
} from "../src/index.ts";

const chain = useTestChain({ chainId: 31337 });
const proxies: RpcProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});

/** A JSON-RPC proxy in front of the test chain, stopped after the test. */
async function proxy(faults: Parameters<typeof startRpcProxy>[1] = {}): Promise<RpcProxy> {
  const p = await startRpcProxy(chain.rpcUrl, faults);
  proxies.push(p);
  return p;
}

/** A proxy that answers `eth_simulateV1` with "method not found", like many public RPCs. */
const withoutSimulateV1 = async () =>
  (await proxy({ rpcErrors: { eth_simulateV1: { code: -32601, message: "method not found" } } })).url;

const clientsAt = (url: string, account = testAccounts.carol) =>
  createChainClients({ chain: 31337, rpcUrls: [url], account, pollingIntervalMs: 25 });

/** A transaction manager over `clients` with an in-memory journal. */
const managerOf = (clients: ReturnType<typeof clientsAt>) =>
  createTxManager({ clients, store: memoryTxStore(), fees: { maxFeePerGas: parseGwei("100") } });

/** An ERC-20 `transfer` of the test chain's USDC to dave. */
const transfer = (amount: bigint) => ({
  to: chain.deployment.tokens.USDC.address,
  value: 0n,
  data: encodeFunctionData({
    abi: erc20Abi,
    functionName: "transfer",
    args: [testAccounts.dave.address, amount],
  }),
});

describe("simulation without eth_simulateV1", () => {
  it("falls back to eth_call + eth_estimateGas (reverts still decoded with the index); guards that need reads are refused", async () => {
    const account = testAccounts.carol;
    const clients = clientsAt(await withoutSimulateV1());
    const usdc = chain.deployment.tokens.USDC.address;
    await fund(chain, { account: account.address, token: "USDC", amount: 100n });
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

    const executor = eip7702Executor({
      firewall: "off",
      clients,
      manager: managerOf(clients),
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
    await fund(chain, { account: safe, token: "USDC", amount: 100n });
    const clients = clientsAt(await withoutSimulateV1(), keeper);
    const executor = safeModuleExecutor({
      firewall: "off",
      clients,
      manager: managerOf(clients),
      safe,
      multiSend: chain.deployment.safe.multiSendCallOnly,
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

describe("simulateTransaction", () => {
  const carol = testAccounts.carol.address;
  const dave = testAccounts.dave.address;
  const usdc = () => chain.deployment.tokens.USDC.address;

  it("with eth_simulateV1: reads the guarded balances in the same block before and after, with the value sent, and returns the logs", async () => {
    await fund(chain, { account: carol, token: "USDC", amount: 100_000_000n }); // 100 USDC
    const native = await simulateTransaction(clientsAt(chain.rpcUrl).public, {
      from: carol,
      to: dave,
      data: "0x",
      value: parseEther("1"),
      account: carol,
      guards: { balanceDeltas: [{ token: NATIVE_TOKEN, min: -parseEther("2") }] },
    });
    expect(native).toMatchObject({ method: "eth_simulateV1", success: true, returnData: "0x" });
    const balance = (r: typeof native.before) => r?.balances.get(NATIVE_TOKEN.toLowerCase());
    // No gas is charged in the simulated block: the delta is the value sent, to the wei.
    expect((balance(native.after) as bigint) - (balance(native.before) as bigint)).toBe(-parseEther("1"));

    const { to, data } = transfer(40_000_000n);
    const erc20 = await simulateTransaction(clientsAt(chain.rpcUrl).public, {
      from: carol,
      to,
      data,
      account: carol,
      guards: { balanceDeltas: [{ token: usdc(), min: -100_000_000n }] },
    });
    expect(erc20.success).toBe(true);
    const usdcOf = (r: typeof erc20.before) => r?.balances.get(usdc().toLowerCase()) as bigint;
    expect(usdcOf(erc20.before) - usdcOf(erc20.after)).toBe(40_000_000n);
    expect(erc20.logs).toHaveLength(1); // the Transfer event
    expect(erc20.logs[0]?.address.toLowerCase()).toBe(usdc().toLowerCase());
    expect(erc20.gasUsed).toBeGreaterThan(21_000n);
  });

  it("a reverting transaction is returned with its revert data and no after-reads; guard reads that fail are a SimulationFailedError", async () => {
    const { to, data } = transfer(1n); // carol holds no USDC on the fresh chain
    const guards = { balanceDeltas: [{ token: usdc(), min: 0n }] };
    const clients = clientsAt(chain.rpcUrl);
    const reverted = await simulateTransaction(clients.public, {
      from: carol,
      to,
      data,
      account: carol,
      guards,
    });
    expect(reverted).toMatchObject({ method: "eth_simulateV1", success: false, after: undefined });
    expect(reverted.before?.balances.get(usdc().toLowerCase())).toBe(0n);
    expect(reverted.returnData).not.toBe("0x");

    // A Multicall3 address that is not one (the USDC token): the reads' aggregate3 reverts.
    const wrongReads = await simulateTransaction(clients.public, {
      from: carol,
      to: dave,
      data: "0x",
      account: carol,
      guards,
      multicall3: usdc(),
    }).catch((e: unknown) => e);
    expect(wrongReads).toBeInstanceOf(SimulationFailedError);
    expect((wrongReads as Error).message).toMatch(/guard reads failed/);
    // The chain's own Multicall3 reads the same guards.
    const ok = await simulateTransaction(clients.public, {
      from: carol,
      to: dave,
      data: "0x",
      account: carol,
      guards,
      multicall3: MULTICALL3_ADDRESS,
    });
    expect(ok.success).toBe(true);
  });

  it("forceEthCall: eth_call + eth_estimateGas even where eth_simulateV1 exists; guards that need reads are refused by name", async () => {
    const p = await proxy();
    const clients = clientsAt(p.url);
    const sim = await simulateTransaction(clients.public, {
      from: carol,
      to: dave,
      data: "0x",
      value: 1n,
      account: carol,
      forceEthCall: true,
    });
    expect(sim).toEqual({
      method: "eth_call",
      success: true,
      returnData: "0x",
      gasUsed: 21_000n,
      logs: [],
      before: undefined,
      after: undefined,
    });
    expect(p.methods()).not.toContain("eth_simulateV1");
    const guarded = await simulateTransaction(clients.public, {
      from: carol,
      to: dave,
      data: "0x",
      account: carol,
      forceEthCall: true,
      guards: { balanceDeltas: [{ token: usdc(), min: 0n }] },
    }).catch((e: unknown) => e);
    expect(guarded).toBeInstanceOf(SimulationUnsupportedError);
    expect((guarded as Error).message).toMatch(/the balance and health-factor guards/);

    const { to, data } = transfer(1n);
    const reverted = await simulateTransaction(clients.public, {
      from: carol,
      to,
      data,
      account: carol,
      forceEthCall: true,
    });
    expect(reverted).toMatchObject({
      method: "eth_call",
      success: false,
      gasUsed: 0n,
      logs: [],
      after: undefined,
    });
    expect(reverted.returnData).not.toBe("0x");
  });

  // How nodes without eth_simulateV1 say so: by code (-32601 method not found, -32004 method not supported) or only
  // in the message. Each falls back to eth_call once per client; any other answer is an error, never a fallback.
  it.each([
    { code: -32601, message: "rpc method is disabled" },
    { code: -32004, message: "rpc method is disabled" },
    { code: -32000, message: "the method eth_simulateV1 does not exist/is not available" },
    { code: -32000, message: "Unsupported method: eth_simulateV1" },
    { code: -32000, message: "eth_simulateV1 is not supported on this node" },
  ])("falls back to eth_call once per client when eth_simulateV1 answers $code $message", async (error) => {
    const p = await proxy({ rpcErrors: { eth_simulateV1: error } });
    const clients = clientsAt(p.url);
    const params = { from: carol, to: dave, data: "0x" as const, account: carol };
    expect((await simulateTransaction(clients.public, params)).method).toBe("eth_call");
    expect((await simulateTransaction(clients.public, params)).method).toBe("eth_call");
    expect(p.methods().filter((m) => m === "eth_simulateV1")).toHaveLength(1);
  });

  it("an eth_simulateV1 that fails otherwise (node error, HTTP 500) is thrown, never taken for a missing method", async () => {
    const params = { from: carol, to: dave, data: "0x" as const, account: carol };
    const nodeError = await proxy({
      rpcErrors: { eth_simulateV1: { code: -32000, message: "execution aborted (timeout = 5s)" } },
    });
    await expect(simulateTransaction(clientsAt(nodeError.url).public, params)).rejects.toThrow(
      /execution aborted/,
    );
    expect(nodeError.methods()).not.toContain("eth_call");
    const http500 = await proxy({ failMethods: ["eth_simulateV1"] });
    await expect(simulateTransaction(clientsAt(http500.url).public, params)).rejects.toThrow();
    expect(http500.methods()).not.toContain("eth_call");
  });

  it("on the eth_call path a transport failure is thrown; a node error without revert data is a failed simulation", async () => {
    const params = { from: carol, to: dave, data: "0x" as const, account: carol, forceEthCall: true };
    const down = await proxy({ failMethods: ["eth_call"] });
    await expect(simulateTransaction(clientsAt(down.url).public, params)).rejects.toThrow();
    const refused = await proxy({ rpcErrors: { eth_call: { code: -32000, message: "header not found" } } });
    expect(await simulateTransaction(clientsAt(refused.url).public, params)).toEqual({
      method: "eth_call",
      success: false,
      returnData: "0x",
      gasUsed: 0n,
      logs: [],
      before: undefined,
      after: undefined,
    });
  });
});

describe("findFailingCall", () => {
  const carol = testAccounts.carol.address;

  it("returns the first failing call's index and revert data in one simulated block (state carried), or undefined", async () => {
    await fund(chain, { account: carol, token: "USDC", amount: 10_000_000n }); // 10 USDC
    const { public: client } = clientsAt(chain.rpcUrl);
    const at = (calls: ReturnType<typeof transfer>[]) => findFailingCall(client, { from: carol, calls });
    expect(await at([transfer(4_000_000n), transfer(6_000_000n)])).toBeUndefined();
    // The second transfer leaves nothing for the third: state is carried from call to call.
    const third = await at([transfer(4_000_000n), transfer(6_000_000n), transfer(1n)]);
    expect(third?.index).toBe(2);
    expect(third?.revertData).toMatch(/^0x[0-9a-f]{8,}/);
    expect((await at([transfer(20_000_000n), transfer(1n)]))?.index).toBe(0);
  });

  it("applies the state override: an undelegated EOA's executeBatch runs only with its delegation code", async () => {
    const { public: client } = clientsAt(chain.rpcUrl);
    const self = (data: `0x${string}`) => ({ to: carol as Address, value: 0n, data });
    const calls = [self(encodeExecuteBatch([transfer(1n)]))]; // carol holds no USDC
    // Without the override the call lands on an EOA, which does nothing and succeeds.
    expect(await findFailingCall(client, { from: carol, calls })).toBeUndefined();
    const override = [
      { address: carol as Address, code: delegationCode(chain.deployment.simple7702Account) },
    ];
    expect((await findFailingCall(client, { from: carol, calls, stateOverride: override }))?.index).toBe(0);
  });
});

import {
  decodeMultiSendTransactions,
  FirewallError,
  multiSendCallOnlyAbi,
  SimulationFailedError,
  safeAbi,
} from "@ballast/chain";
import { BallastError, type Call } from "@ballast/core";
import { setPrice } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import {
  type Address,
  decodeFunctionData,
  encodeFunctionData,
  erc20Abi,
  type Hex,
  parseEventLogs,
} from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import {
  evaluate,
  failHandler,
  firewallPolicyOf,
  GelatoConfigError,
  handler,
  LAST_REBALANCE_KEY,
  MissingSecretError,
  ModuleNotEnabledError,
  safeModuleReadExecutor,
  WrongChainError,
} from "../src/lib.ts";
import { clientFromProvider } from "../src/provider.ts";
import {
  chainArgs,
  contextFor,
  DEDICATED,
  policyJson,
  runAsGelato,
  safeBalances,
  seedSafe,
} from "./fixtures.ts";

const chain = useTestChain({ chainId: 1 });
let safe: Address;

beforeAll(async () => {
  safe = await seedSafe(chain);
});

const context = (extra: Parameters<typeof contextFor>[1] extends infer P ? Partial<P> : never = {}) =>
  contextFor(chain, { chains: [chainArgs(chain, safe)], ...extra });

describe("handler (Gelato onRun) against a local Safe", () => {
  it("returns canExec: false with the reason while the portfolio is in band", async () => {
    const ctx = context();
    const { result, cycle } = await evaluate(ctx);
    expect(cycle.error).toBeNull();
    expect(cycle.decision?.fire).toBe(false);
    expect(result.canExec).toBe(false);
    if (result.canExec) throw new Error("unreachable");
    expect(result.message).toMatch(/^no rebalance: band: /);
    expect(ctx.store.has(LAST_REBALANCE_KEY)).toBe(false);
  });

  it("after ETH −30% returns the Safe module call + completion check; run as Gelato would, it rebalances the Safe", async () => {
    const d = chain.deployment;
    await setPrice(chain, { asset: "WETH", usdPrice: 2_100n * 10n ** 8n });
    const ctx = context();
    const result = await handler(ctx);
    if (!result.canExec) throw new Error(`expected canExec: ${result.message}`);
    expect(ctx.store.get(LAST_REBALANCE_KEY)).toMatch(/^\d+$/);
    const [call, check] = result.callData;
    // 1. execTransactionFromModule(MultiSendCallOnly, 0, multiSend(packed), DELEGATECALL) on the Safe …
    expect(call?.to).toBe(safe);
    expect(call?.value).toBe("0");
    const outer = decodeFunctionData({ abi: safeAbi, data: call?.data as Hex });
    expect(outer.functionName).toBe("execTransactionFromModule");
    const [to, value, inner, operation] = outer.args as [Address, bigint, Hex, number];
    expect([to, value, operation]).toEqual([d.safe.multiSendCallOnly, 0n, 1]);
    const packed = decodeFunctionData({ abi: multiSendCallOnlyAbi, data: inner }).args[0];
    const calls = decodeMultiSendTransactions(packed);
    expect(calls.length).toBeGreaterThan(2);
    // … whose last call approves the dedicated msg.sender for 1 WETH-wei, 2. spent by transferFrom(safe, safe, 1).
    expect(decodeFunctionData({ abi: erc20Abi, data: calls.at(-1)!.data }).args).toEqual([DEDICATED, 1n]);
    expect(check?.to).toBe(d.tokens.WETH.address);
    expect(decodeFunctionData({ abi: erc20Abi, data: check?.data as Hex }).args).toEqual([safe, safe, 1n]);

    const before = await safeBalances(chain, safe);
    // Gelato's dedicated msg.sender runs the calls atomically (batchExecuteCall) with a gas limit it estimates.
    const receipt = await runAsGelato(chain, result.callData);
    expect(receipt.status).toBe("success");
    const events = parseEventLogs({ abi: safeAbi, logs: receipt.logs }).map((e) => e.eventName);
    expect(events).toContain("ExecutionFromModuleSuccess");
    expect(events).not.toContain("ExecutionFromModuleFailure");
    const after = await safeBalances(chain, safe);
    expect(after.usdc).toBeLessThan(before.usdc); // USDC was overweight after the drop: sold for WETH
    expect(after.allowance).toBe(0n); // the completion check leaves nothing behind

    // Back in band: the next run (fresh storage, no cooldown) holds.
    const next = await evaluate(context());
    expect(next.cycle.decision?.fire).toBe(false);
    expect(next.cycle.decision?.reasons.find((r) => r.rule === "band")?.fired).toBe(false);
    expect(next.result.canExec).toBe(false);

    // And the cooldown the first run stored blocks an immediate second rebalance.
    await setPrice(chain, { asset: "WETH", usdPrice: 1_500n * 10n ** 8n });
    const cooled = await evaluate(
      contextFor(chain, { chains: [chainArgs(chain, safe)], storage: ctx.store }),
    );
    expect(cooled.result.canExec).toBe(false);
    expect(cooled.cycle.decision?.reasons.find((r) => r.rule === "cooldown")?.fired).toBe(true);
  });

  it("the Safe-module gas trap: without the completion check an estimated gas limit 'succeeds' doing nothing", async () => {
    await setPrice(chain, { asset: "WETH", usdPrice: 2_100n * 10n ** 8n });
    const unchecked = { ...chainArgs(chain, safe), completionCheckToken: null };
    const result = await handler(contextFor(chain, { chains: [unchecked] }));
    if (!result.canExec) throw new Error(result.message);
    expect(result.callData).toHaveLength(1);
    const before = await safeBalances(chain, safe);
    const receipt = await runAsGelato(chain, result.callData);
    // eth_estimateGas finds a limit at which the inner batch runs out of gas and the Safe returns false.
    expect(receipt.status).toBe("success");
    expect(parseEventLogs({ abi: safeAbi, logs: receipt.logs }).map((e) => e.eventName)).toEqual([
      "ExecutionFromModuleFailure",
    ]);
    expect(await safeBalances(chain, safe)).toEqual(before);
  });

  it("a completion-check token the Safe does not hold makes the batch fail simulation: canExec false, with the reason", async () => {
    await setPrice(chain, { asset: "WETH", usdPrice: 2_100n * 10n ** 8n });
    const base = chainArgs(chain, safe);
    const wbtc = chain.deployment.tokens.WBTC;
    const args = {
      ...base,
      tokens: { ...base.tokens, WBTC: { address: wbtc.address, decimals: wbtc.decimals } },
      completionCheckToken: "WBTC",
    };
    const result = await handler(contextFor(chain, { chains: [args] }));
    expect(result.canExec).toBe(false);
    if (result.canExec) throw new Error("unreachable");
    expect(result.message).toMatch(/^simulation failed on chain 1: .*completion check/);
  });

  it("onFail takes the cooldown back, so a failed execution is retried on the next run", async () => {
    await setPrice(chain, { asset: "WETH", usdPrice: 2_100n * 10n ** 8n });
    const ctx = context();
    expect((await handler(ctx)).canExec).toBe(true);
    const blocked = await evaluate(
      contextFor(chain, { chains: [chainArgs(chain, safe)], storage: ctx.store }),
    );
    expect(blocked.cycle.decision?.reasons.find((r) => r.rule === "cooldown")?.fired).toBe(true);
    await failHandler(ctx); // Gelato could not execute the calls
    expect(ctx.store.get(LAST_REBALANCE_KEY)).toBe("");
    expect(
      (await handler(contextFor(chain, { chains: [chainArgs(chain, safe)], storage: ctx.store }))).canExec,
    ).toBe(true);
  });

  it("a chain the engine cannot read (wrong Aave data provider) gives canExec false naming the chain", async () => {
    const base = chainArgs(chain, safe);
    const args = {
      ...base,
      aave: { ...base.aave!, uiPoolDataProvider: chain.deployment.tokens.WETH.address },
    };
    const result = await handler(contextFor(chain, { chains: [args] }));
    expect(result.canExec).toBe(false);
    if (result.canExec) throw new Error("unreachable");
    expect(result.message).toMatch(/^error: chain "ethereum": /);
  });
});

/** The Safe's USDC balance and its WETH allowance to the dedicated msg.sender. */
describe("misconfiguration throws a typed error, never a silent canExec: false", () => {
  it("a task on a chain where the portfolio has no Safe", async () => {
    await expect(handler(context({ taskChainId: 8453 }))).rejects.toBeInstanceOf(GelatoConfigError);
  });

  it("a provider on another chain than the config says", async () => {
    const wrong = { ...chainArgs(chain, safe), chainId: 8453 };
    const err = await handler(contextFor(chain, { chains: [wrong], taskChainId: 8453 })).catch((e) => e);
    expect(err).toBeInstanceOf(WrongChainError);
    expect(err.message).toMatch(/expected chain 8453, the provider is on chain 1/);
  });

  it("a Safe that has not enabled the dedicated msg.sender", async () => {
    const bare = await seedSafe(chain, [], 7n);
    const err = await handler(contextFor(chain, { chains: [chainArgs(chain, bare)] })).catch((e) => e);
    expect(err).toBeInstanceOf(ModuleNotEnabledError);
    expect(err.message).toContain(DEDICATED);
  });

  it("a missing policy secret, and broken user args", async () => {
    const err = await handler(context({ secrets: {} })).catch((e) => e);
    expect(err).toBeInstanceOf(MissingSecretError);
    expect(err.message).toContain("BALLAST_POLICY");
    const ctx = { ...context(), userArgs: { portfolio: "{not json" } };
    await expect(handler(ctx)).rejects.toBeInstanceOf(GelatoConfigError);
    const noSafe = {
      ...context(),
      userArgs: { portfolio: JSON.stringify({ chains: [{ ...chainArgs(chain, safe), safe: "0x12" }] }) },
    };
    await expect(handler(noSafe)).rejects.toThrow(/chains\[0\]\.safe/);
    // A policy the shared validator rejects (weights summing to 90%) is thrown as a typed error naming the field.
    const policy = JSON.parse(policyJson);
    policy.sleeves[0].weight = "20%";
    const bad = await handler(context({ secrets: { BALLAST_POLICY: JSON.stringify(policy) } })).catch(
      (e) => e,
    );
    expect(bad).toBeInstanceOf(BallastError);
    expect(bad.message).toMatch(/weight/i);
  });
});

describe("safeModuleReadExecutor", () => {
  it("decodes execTransactionFromModule's false and finds the failing call", async () => {
    const d = chain.deployment;
    const { ethers } = await import("ethers");
    const client = clientFromProvider(new ethers.providers.StaticJsonRpcProvider(chain.rpcUrl, 1), 1);
    const executor = safeModuleReadExecutor({
      firewall: "off",
      client,
      safe,
      multiSend: d.safe.multiSendCallOnly,
      module: DEDICATED,
    });
    const transfer = (amount: bigint) => ({
      to: d.tokens.USDC.address,
      value: 0n,
      data: encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: [DEDICATED, amount] }),
    });
    const ok = await executor.simulate([transfer(1n)]);
    expect(ok.success).toBe(true);
    expect(ok.request.gas).toBeGreaterThanOrEqual(60_000n);
    const err = await executor.simulate([transfer(1n), transfer(10n ** 18n)]).catch((e) => e);
    expect(err).toBeInstanceOf(SimulationFailedError);
    expect(err.index).toBe(1);
    await expect(executor.execute([], { planId: "x" })).rejects.toThrow(/read-only/);
  });
});

describe("the batch firewall before Gelato gets calldata", () => {
  it("the portfolio's allow-list passes the completion check and refuses a transfer to a stranger", async () => {
    const d = chain.deployment;
    const { ethers } = await import("ethers");
    const client = clientFromProvider(new ethers.providers.StaticJsonRpcProvider(chain.rpcUrl, 1), 1);
    const args = chainArgs(chain, safe);
    const executor = safeModuleReadExecutor({
      client,
      safe,
      multiSend: d.safe.multiSendCallOnly,
      module: DEDICATED,
      completionCheck: { token: d.tokens.USDC.address },
      firewall: firewallPolicyOf(args),
    });
    const transfer = (to: Address): Call => ({
      to: d.tokens.USDC.address,
      value: 0n,
      data: encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: [to, 1n] }),
    });
    expect((await executor.simulate([transfer(safe)])).success).toBe(true);
    const err = await executor.simulate([transfer(safe), transfer(DEDICATED)]).catch((e) => e);
    expect(err).toBeInstanceOf(FirewallError);
    expect([err.rule, err.index]).toEqual(["recipient", 1]);
  });
});

describe("clientFromProvider (viem over an ethers v5 provider)", () => {
  it("keeps revert data and JSON-RPC codes, and never leaks the provider URL", async () => {
    const { ethers } = await import("ethers");
    const d = chain.deployment;
    const client = clientFromProvider(new ethers.providers.StaticJsonRpcProvider(chain.rpcUrl, 1), 1);
    const err = await client
      .simulateContract({
        address: d.tokens.USDC.address,
        abi: erc20Abi,
        functionName: "transfer",
        args: [DEDICATED, 10n ** 30n],
        account: DEDICATED,
      })
      .catch((e) => e);
    expect(err.message).toMatch(/transfer amount exceeds balance/);
    const missing = await client.request({ method: "no_such_method" as "eth_chainId" }).catch((e) => e);
    expect(missing.walk((e: unknown) => (e as { code?: number }).code === -32601)).toBeTruthy();
    const dead = clientFromProvider(
      new ethers.providers.StaticJsonRpcProvider("http://user:secret@127.0.0.1:1", 1),
      1,
    );
    const down = await dead.getChainId().catch((e) => e);
    expect(String(down.message)).not.toContain("secret");
  });
});

import { decodeMultiSendTransactions, SimulationFailedError, safeAbi } from "@ballast/chain";
import { impersonate, setPrice } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import {
  type Address,
  decodeFunctionData,
  encodeFunctionData,
  erc20Abi,
  parseEventLogs,
  parseUnits,
} from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import {
  evaluate,
  GelatoConfigError,
  handler,
  LAST_REBALANCE_KEY,
  MissingSecretError,
  ModuleNotEnabledError,
  safeModuleReadExecutor,
  WrongChainError,
} from "../src/lib.ts";
import { clientFromProvider } from "../src/provider.ts";
import { chainArgs, contextFor, DEDICATED, seedSafe } from "./fixtures.ts";

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

  it("after ETH −30% returns the Safe module call; sent by the dedicated msg.sender it rebalances the Safe", async () => {
    const d = chain.deployment;
    await setPrice(chain, { asset: "WETH", usdPrice: 2_100n * 10n ** 8n });
    const ctx = context();
    const result = await handler(ctx);
    if (!result.canExec) throw new Error(`expected canExec: ${result.message}`);
    expect(result.callData).toHaveLength(1);
    const [call] = result.callData;
    expect(call?.to).toBe(safe);
    expect(call?.value).toBe("0");
    // execTransactionFromModule(MultiSendCallOnly, 0, multiSend(packed), DELEGATECALL)
    const outer = decodeFunctionData({ abi: safeAbi, data: call?.data as `0x${string}` });
    expect(outer.functionName).toBe("execTransactionFromModule");
    const [to, value, inner, operation] = outer.args as [Address, bigint, `0x${string}`, number];
    expect(to).toBe(d.safe.multiSendCallOnly);
    expect(value).toBe(0n);
    expect(operation).toBe(1);
    const packed = `0x${inner.slice(10 + 128)}` as `0x${string}`; // selector, offset, length
    const calls = decodeMultiSendTransactions(
      packed.slice(0, 2 + Number(BigInt(`0x${inner.slice(74, 138)}`)) * 2) as `0x${string}`,
    );
    expect(calls.length).toBeGreaterThan(1);
    expect(ctx.store.get(LAST_REBALANCE_KEY)).toMatch(/^\d+$/);

    const usdcBefore = await chain.publicClient.readContract({
      address: d.tokens.USDC.address,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [safe],
    });
    // Gelato sends it from the dedicated msg.sender; here: the impersonated address, generous fixed gas.
    const gelato = await impersonate(chain, { address: DEDICATED, ethBalance: parseUnits("1", 18) });
    try {
      const hash = await gelato.walletClient.sendTransaction({
        account: DEDICATED,
        chain: chain.chain,
        to: call?.to as Address,
        data: call?.data as `0x${string}`,
        gas: 3_000_000n,
      });
      const receipt = await chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 25 });
      expect(receipt.status).toBe("success");
      const events = parseEventLogs({ abi: safeAbi, logs: receipt.logs }).map((e) => e.eventName);
      expect(events).toContain("ExecutionFromModuleSuccess");
      expect(events).not.toContain("ExecutionFromModuleFailure");
    } finally {
      await gelato.stop();
    }
    const usdcAfter = await chain.publicClient.readContract({
      address: d.tokens.USDC.address,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [safe],
    });
    expect(usdcAfter).toBeLessThan(usdcBefore); // USDC was overweight after the drop: sold for WETH

    // Back in band: the next run (fresh storage, no cooldown) holds.
    const after = await evaluate(context());
    expect(after.cycle.decision?.fire).toBe(false);
    expect(after.cycle.decision?.reasons.find((r) => r.rule === "band")?.fired).toBe(false);
    const weights = after.cycle.state?.sleeves.map((s) => [s.sleeve.id, s.weightWad]) ?? [];
    expect(weights).toHaveLength(3);
    expect(after.result.canExec).toBe(false);

    // And the cooldown the first run stored blocks an immediate second rebalance.
    await setPrice(chain, { asset: "WETH", usdPrice: 1_500n * 10n ** 8n });
    const cooled = await evaluate(
      contextFor(chain, { chains: [chainArgs(chain, safe)], storage: ctx.store }),
    );
    expect(cooled.result.canExec).toBe(false);
    expect(cooled.cycle.decision?.reasons.find((r) => r.rule === "cooldown")?.fired).toBe(true);
  });
});

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
  });
});

describe("safeModuleReadExecutor", () => {
  it("decodes execTransactionFromModule's false and finds the failing call", async () => {
    const d = chain.deployment;
    const { ethers } = await import("ethers");
    const client = clientFromProvider(new ethers.providers.StaticJsonRpcProvider(chain.rpcUrl, 1), 1);
    const executor = safeModuleReadExecutor({
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

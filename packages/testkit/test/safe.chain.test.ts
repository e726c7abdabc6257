import { decodeFunctionResult, encodeFunctionData, erc20Abi, isAddressEqual, parseEventLogs } from "viem";
import { describe, expect, it } from "vitest";
import {
  aavePoolAbi,
  createSafe,
  encodeMultiSend,
  fund,
  multiSendCallOnlyAbi,
  safeAbi,
  testAccounts,
} from "../src/index.ts";
import { useTestChain } from "../src/vitest.ts";

const chain = useTestChain({ chainId: 1 });
const { alice, keeper } = testAccounts;

describe("Safe 1.3.0 with a module", () => {
  it("executes a MultiSendCallOnly batch (approve + Aave supply) via execTransactionFromModule, operation 1", async () => {
    const { aave, tokens, safe } = chain.deployment;
    const account = await createSafe(chain, { owners: [alice.address], modules: [keeper.address] });
    expect(
      await chain.publicClient.readContract({
        address: account,
        abi: safeAbi,
        functionName: "isModuleEnabled",
        args: [keeper.address],
      }),
    ).toBe(true);
    expect(
      await chain.publicClient.readContract({ address: account, abi: safeAbi, functionName: "VERSION" }),
    ).toBe("1.3.0");

    const amount = 10_000n * 10n ** 6n;
    await fund(chain, { account, token: "USDC", amount });
    const batch = (supplyAmount: bigint) =>
      encodeFunctionData({
        abi: multiSendCallOnlyAbi,
        functionName: "multiSend",
        args: [
          encodeMultiSend([
            {
              to: tokens.USDC.address,
              data: encodeFunctionData({
                abi: erc20Abi,
                functionName: "approve",
                args: [aave.pool, supplyAmount],
              }),
            },
            {
              to: aave.pool,
              data: encodeFunctionData({
                abi: aavePoolAbi,
                functionName: "supply",
                args: [tokens.USDC.address, supplyAmount, account, 0],
              }),
            },
          ]),
        ],
      });

    const data = encodeFunctionData({
      abi: safeAbi,
      functionName: "execTransactionFromModule",
      args: [safe.multiSendCallOnly, 0n, batch(amount), 1],
    });
    // A bare eth_estimateGas finds the least gas at which the call does not REVERT — and the Safe does not revert
    // when the inner batch runs out of gas, it returns false. That estimate "succeeds" and does nothing:
    const estimate = await chain.publicClient.estimateGas({ account: keeper, to: account, data });
    const starved = await chain.publicClient.call({
      account: keeper,
      to: account,
      data,
      gas: (estimate * 13n) / 10n,
    });
    expect(
      decodeFunctionResult({
        abi: safeAbi,
        functionName: "execTransactionFromModule",
        data: starved.data ?? "0x",
      }),
    ).toBe(false);
    // So size the gas by simulation (eth_simulateV1 with ample gas: the success event and gasUsed), then pad.
    const { results } = await chain.publicClient.simulateCalls({
      account: keeper.address,
      calls: [{ to: account, data }],
    });
    const simulated = results[0]!;
    expect(parseEventLogs({ abi: safeAbi, logs: simulated.logs ?? [] }).map((e) => e.eventName)).toContain(
      "ExecutionFromModuleSuccess",
    );
    const hash = await chain.walletClients.keeper.sendTransaction({
      to: account,
      data,
      gas: (simulated.gasUsed * 3n) / 2n,
    });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    const events = parseEventLogs({ abi: safeAbi, logs: receipt.logs });
    const success = events.find((e) => e.eventName === "ExecutionFromModuleSuccess");
    expect(success && isAddressEqual(success.address, account)).toBe(true);
    expect(success?.eventName === "ExecutionFromModuleSuccess" && success.args.module).toBe(keeper.address);
    expect(events.some((e) => e.eventName === "ExecutionFromModuleFailure")).toBe(false);

    const [usdc, aUsdc] = await Promise.all(
      [tokens.USDC.address, aave.reserves.USDC.aToken].map((address) =>
        chain.publicClient.readContract({
          address,
          abi: erc20Abi,
          functionName: "balanceOf",
          args: [account],
        }),
      ),
    );
    expect(usdc).toBe(0n);
    expect(aUsdc).toBeGreaterThanOrEqual(amount - 1n);
  });

  it("a failing inner batch is a mined transaction with ExecutionFromModuleFailure — check the event, not the status", async () => {
    const { aave, tokens, safe } = chain.deployment;
    const account = await createSafe(chain, {
      owners: [alice.address],
      modules: [keeper.address],
      saltNonce: 7n,
    });
    const data = encodeFunctionData({
      abi: multiSendCallOnlyAbi,
      functionName: "multiSend",
      args: [
        encodeMultiSend([
          {
            to: aave.pool,
            data: encodeFunctionData({
              abi: aavePoolAbi,
              functionName: "supply",
              args: [tokens.USDC.address, 1n, account, 0], // no USDC, no approval
            }),
          },
        ]),
      ],
    });
    const hash = await chain.walletClients.keeper.writeContract({
      address: account,
      abi: safeAbi,
      functionName: "execTransactionFromModule",
      args: [safe.multiSendCallOnly, 0n, data, 1],
      gas: 500_000n,
    });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    const names = parseEventLogs({ abi: safeAbi, logs: receipt.logs }).map((e) => e.eventName);
    expect(names).toContain("ExecutionFromModuleFailure");
    expect(names).not.toContain("ExecutionFromModuleSuccess");
  });
});

import type { Address } from "@ballast/core";
import { decodeFunctionData, erc20Abi, pad } from "viem";
import { describe, expect, it } from "vitest";
import { spokePoolAbi } from "./abi.ts";
import { type AcrossDeposit, depositCalls, fromBytes32, toBytes32 } from "./deposit.ts";

const deposit: AcrossDeposit = {
  spokePool: "0x5c7BCd6E7De5423a257D81B442095A1a6ced35C5",
  originChainId: 1,
  destinationChainId: 8453,
  depositor: "0x00000000000000000000000000000000000000aA",
  recipient: "0x00000000000000000000000000000000000000aA",
  inputToken: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
  outputToken: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
  inputAmount: 1_000_000n,
  outputAmount: 999_000n,
  exclusiveRelayer: "0x00000000000000000000000000000000000000bB",
  quoteTimestamp: 1_800_000_000,
  fillDeadline: 1_800_003_600,
  exclusivityParameter: 30,
  fee: 1_000n,
};

describe("depositCalls", () => {
  it("approves exactly the input to the SpokePool, then deposits with every field in the SpokePool's order", () => {
    const [approve, call] = depositCalls(deposit);
    expect(approve?.to).toBe(deposit.inputToken);
    expect(decodeFunctionData({ abi: erc20Abi, data: approve!.data }).args).toEqual([
      deposit.spokePool,
      1_000_000n,
    ]);
    expect([call?.to, call?.value]).toEqual([deposit.spokePool, 0n]);
    const decoded = decodeFunctionData({ abi: spokePoolAbi, data: call!.data });
    expect(decoded.functionName).toBe("deposit");
    const b32 = (a: Address) => pad(a, { size: 32 }).toLowerCase();
    expect(decoded.args).toEqual([
      b32(deposit.depositor),
      b32(deposit.recipient),
      b32(deposit.inputToken),
      b32(deposit.outputToken),
      1_000_000n,
      999_000n,
      8453n,
      b32(deposit.exclusiveRelayer),
      1_800_000_000,
      1_800_003_600,
      30,
      "0x",
    ]);
  });

  it("round-trips addresses through the SpokePool's bytes32", () => {
    expect(fromBytes32(toBytes32(deposit.outputToken)).toLowerCase()).toBe(deposit.outputToken.toLowerCase());
  });
});

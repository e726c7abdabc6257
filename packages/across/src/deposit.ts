import type { Address, Call, Hex } from "@ballast/core";
import { encodeFunctionData, erc20Abi, getAddress, pad } from "viem";
import { spokePoolAbi } from "./abi.ts";

/**
 * Everything one SpokePool `deposit` says, in the package's words: the validated quote turned into arguments.
 * Plain data (bigints), so it can be journaled before the batch that carries it is sent.
 */
export type AcrossDeposit = {
  /** The origin SpokePool (from config, never from the API). */
  readonly spokePool: Address;
  readonly originChainId: number;
  readonly destinationChainId: number;
  /** Our account: it sends the deposit and is refunded if it expires. */
  readonly depositor: Address;
  /** Our account on the destination chain. */
  readonly recipient: Address;
  readonly inputToken: Address;
  readonly outputToken: Address;
  readonly inputAmount: bigint;
  /** What the relayer must deliver: the quote's output. */
  readonly outputAmount: bigint;
  /** Zero address unless the quote names an exclusive relayer. */
  readonly exclusiveRelayer: Address;
  /** The quote's timestamp (seconds, origin chain clock). */
  readonly quoteTimestamp: number;
  /** After this time (destination chain clock) the deposit can no longer be filled and is refunded. */
  readonly fillDeadline: number;
  /** 0, or an exclusivity period in seconds from the deposit's block. */
  readonly exclusivityParameter: number;
  /** The fee Ballast pays, in input token units (input − output at equal decimals, at least the quote's total fee). */
  readonly fee: bigint;
};

/** An address as the SpokePool's bytes32 (left-padded). */
export const toBytes32 = (address: Address): Hex => pad(address, { size: 32 });

/** The address in a SpokePool bytes32 (its last 20 bytes). */
export const fromBytes32 = (value: Hex): Address => getAddress(`0x${value.slice(-40)}`);

/** The SpokePool `deposit(bytes32…)` call of a deposit (no value: ERC-20 input only). */
export function encodeDeposit(deposit: AcrossDeposit): Call {
  return {
    to: deposit.spokePool,
    value: 0n,
    data: encodeFunctionData({
      abi: spokePoolAbi,
      functionName: "deposit",
      args: [
        toBytes32(deposit.depositor),
        toBytes32(deposit.recipient),
        toBytes32(deposit.inputToken),
        toBytes32(deposit.outputToken),
        deposit.inputAmount,
        deposit.outputAmount,
        BigInt(deposit.destinationChainId),
        toBytes32(deposit.exclusiveRelayer),
        deposit.quoteTimestamp,
        deposit.fillDeadline,
        deposit.exclusivityParameter,
        "0x",
      ],
    }),
  };
}

/**
 * The calls that bridge a deposit, for the end of the origin chain's batch: `approve(spokePool, inputAmount)`
 * (exact) on the input token, then `deposit`. The SpokePool pulls the input with `transferFrom`.
 */
export function depositCalls(deposit: AcrossDeposit): Call[] {
  return [
    {
      to: deposit.inputToken,
      value: 0n,
      data: encodeFunctionData({
        abi: erc20Abi,
        functionName: "approve",
        args: [deposit.spokePool, deposit.inputAmount],
      }),
    },
    encodeDeposit(deposit),
  ];
}

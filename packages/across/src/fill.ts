import type { Address, BridgeFillState, Hex } from "@ballast/core";
import { type Client, encodeAbiParameters, getAbiItem, keccak256, type Log, parseEventLogs } from "viem";
import { getBlock, getContractEvents, readContract } from "viem/actions";
import { spokePoolAbi } from "./abi.ts";
import { type AcrossDeposit, fromBytes32 } from "./deposit.ts";
import { AcrossDepositNotFoundError } from "./errors.ts";

/** The SpokePool's `V3RelayData`: what identifies a deposit to fill. Its field order differs from `deposit`'s arguments. */
export type RelayData = {
  readonly depositor: Hex;
  readonly recipient: Hex;
  readonly exclusiveRelayer: Hex;
  readonly inputToken: Hex;
  readonly outputToken: Hex;
  readonly inputAmount: bigint;
  readonly outputAmount: bigint;
  readonly originChainId: bigint;
  readonly depositId: bigint;
  readonly fillDeadline: number;
  readonly exclusivityDeadline: number;
  readonly message: Hex;
};

/** A deposit as the origin chain recorded it (`FundsDeposited`): the deposit's fields, its id and its relay data. */
export type DepositEvent = Pick<
  AcrossDeposit,
  | "originChainId"
  | "destinationChainId"
  | "depositor"
  | "recipient"
  | "inputToken"
  | "outputToken"
  | "inputAmount"
  | "outputAmount"
  | "quoteTimestamp"
  | "fillDeadline"
> & {
  readonly depositId: bigint;
  readonly relayData: RelayData;
  readonly transactionHash: Hex | null;
  readonly blockNumber: bigint | null;
};

/**
 * The deposits (`FundsDeposited`) among a transaction's logs, emitted by `spokePool`. Build the relay data from
 * these, never from the deposit's arguments: `exclusivityDeadline` is the emitted absolute time.
 */
export function parseDeposits(params: {
  readonly logs: readonly Log[];
  readonly spokePool: Address;
  readonly originChainId: number;
}): DepositEvent[] {
  const pool = params.spokePool.toLowerCase();
  const events = parseEventLogs({
    abi: spokePoolAbi,
    eventName: "FundsDeposited",
    logs: params.logs.filter((log) => log.address.toLowerCase() === pool) as Log[],
  });
  return events.map(({ args, transactionHash, blockNumber }) => {
    const relayData: RelayData = {
      depositor: args.depositor,
      recipient: args.recipient,
      exclusiveRelayer: args.exclusiveRelayer,
      inputToken: args.inputToken,
      outputToken: args.outputToken,
      inputAmount: args.inputAmount,
      outputAmount: args.outputAmount,
      originChainId: BigInt(params.originChainId),
      depositId: args.depositId,
      fillDeadline: args.fillDeadline,
      exclusivityDeadline: args.exclusivityDeadline,
      message: args.message,
    };
    return {
      originChainId: params.originChainId,
      destinationChainId: Number(args.destinationChainId),
      depositId: args.depositId,
      depositor: fromBytes32(args.depositor),
      recipient: fromBytes32(args.recipient),
      inputToken: fromBytes32(args.inputToken),
      outputToken: fromBytes32(args.outputToken),
      inputAmount: args.inputAmount,
      outputAmount: args.outputAmount,
      quoteTimestamp: args.quoteTimestamp,
      fillDeadline: args.fillDeadline,
      relayData,
      transactionHash,
      blockNumber,
    };
  });
}

/** The one deposit of a batch's receipt; throws {@link AcrossDepositNotFoundError} if there is none or several. */
export function depositFromReceipt(params: {
  readonly receipt: { readonly logs: readonly Log[]; readonly transactionHash: Hex };
  readonly spokePool: Address;
  readonly originChainId: number;
}): DepositEvent {
  const deposits = parseDeposits({ ...params, logs: params.receipt.logs });
  const [deposit] = deposits;
  if (deposits.length !== 1 || !deposit)
    throw new AcrossDepositNotFoundError(
      `transaction ${params.receipt.transactionHash}`,
      `${deposits.length} FundsDeposited events from ${params.spokePool}`,
    );
  return deposit;
}

const relayDataParameter = getAbiItem({ abi: spokePoolAbi, name: "fillRelay" }).inputs[0];

/**
 * The relay hash the **destination** SpokePool keys its fill status by: `keccak256(abi.encode(relayData,
 * destinationChainId))`. The origin pool's `getV3RelayHash` gives another hash.
 */
export function relayHash(relayData: RelayData, destinationChainId: number): Hex {
  return keccak256(
    encodeAbiParameters([relayDataParameter, { type: "uint256" }], [relayData, BigInt(destinationChainId)]),
  );
}

/** Fill status of a relay on the destination SpokePool. */
export type FillStatus = "unfilled" | "slowFillRequested" | "filled";

const FILL_STATUSES: readonly FillStatus[] = ["unfilled", "slowFillRequested", "filled"];

/**
 * Reads `fillStatuses(relayHash)` on the destination SpokePool: the proof of a fill (a `FilledRelay` event can
 * come from a fill with wrong relay data, which the pool does not reject).
 */
export async function readFillStatus(
  destination: Client,
  params: { readonly spokePool: Address; readonly relayHash: Hex; readonly blockNumber?: bigint },
): Promise<FillStatus> {
  const status = await readContract(destination, {
    address: params.spokePool,
    abi: spokePoolAbi,
    functionName: "fillStatuses",
    args: [params.relayHash],
    ...(params.blockNumber === undefined ? {} : { blockNumber: params.blockNumber }),
  });
  return FILL_STATUSES[Number(status)] ?? "unfilled";
}

/** Where a deposit is, as read from the chains (no API); expired: Across refunds the depositor on the origin chain. */
export type DepositState = BridgeFillState;

/**
 * Reads a deposit's state on its destination chain: filled, pending (time left before `fillDeadline`) or expired
 * (unfilled with the destination's latest block past `fillDeadline`). Status and time come from one block.
 */
export async function readDepositState(
  destination: Client,
  params: { readonly spokePool: Address; readonly deposit: DepositEvent },
): Promise<DepositState> {
  const block = await getBlock(destination, { blockTag: "latest" });
  const status = await readFillStatus(destination, {
    spokePool: params.spokePool,
    relayHash: relayHash(params.deposit.relayData, params.deposit.destinationChainId),
    blockNumber: block.number,
  });
  if (status === "filled") return { state: "filled" };
  const left = params.deposit.fillDeadline - Number(block.timestamp);
  return left >= 0 ? { state: "pending", secondsLeft: left } : { state: "expired", secondsPast: -left };
}

/** A refund of an expired deposit, found on the origin chain. */
export type DepositRefund = {
  readonly rootBundleId: number;
  readonly leafId: number;
  readonly transactionHash: Hex | null;
  readonly blockNumber: bigint | null;
};

/**
 * Looks for the refund of an expired deposit on the origin SpokePool: an `ExecutedRelayerRefundRoot` leaf for
 * this chain and the deposit's input token that pays its input amount to the depositor. A refund leaf does not name
 * the deposit, so two expired deposits of the same token, amount and depositor are not told apart.
 */
export async function findDepositRefund(
  origin: Client,
  params: { readonly spokePool: Address; readonly deposit: DepositEvent; readonly fromBlock: bigint },
): Promise<DepositRefund | undefined> {
  const { deposit } = params;
  const events = await getContractEvents(origin, {
    address: params.spokePool,
    abi: spokePoolAbi,
    eventName: "ExecutedRelayerRefundRoot",
    args: { chainId: BigInt(deposit.originChainId) },
    fromBlock: params.fromBlock,
    toBlock: "latest",
  });
  const depositor = deposit.depositor.toLowerCase();
  for (const { args, transactionHash, blockNumber } of events) {
    if (args.l2TokenAddress?.toLowerCase() !== deposit.inputToken.toLowerCase()) continue;
    const paid = (args.refundAddresses ?? []).some(
      (a, i) => a.toLowerCase() === depositor && args.refundAmounts?.[i] === deposit.inputAmount,
    );
    if (paid)
      return {
        rootBundleId: Number(args.rootBundleId),
        leafId: Number(args.leafId),
        transactionHash,
        blockNumber,
      };
  }
  return undefined;
}

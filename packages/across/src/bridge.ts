import type {
  Address,
  BridgeDeposit,
  BridgeQuote,
  BridgeRequest,
  BridgeSettlement,
  BridgeTransfer,
  BridgeVenue,
} from "@ballast/core";
import type { Client } from "viem";
import type { AcrossDeposit } from "./deposit.ts";
import { type DepositEvent, findDepositRefund, parseDeposits, readDepositState } from "./fill.ts";
import type { AcrossClient } from "./http.ts";
import { quoteDeposit } from "./quote.ts";

/** Options of {@link acrossBridge}: one origin chain's SpokePool and limits, all from the config. */
export type AcrossBridgeParameters = {
  readonly client: AcrossClient;
  readonly chainId: number;
  /** The chain's client: the settlement reads deposits, fills and refunds on it. */
  readonly publicClient: Client;
  /** The origin SpokePool (from the config, never from the API). */
  readonly spokePool: Address;
  /** Tokens it may bridge from this chain. */
  readonly tokens: readonly Address[];
  /** Refuse a quote whose fee is above this, bps of the input. */
  readonly maxFeeBps: number;
  /** The planner's estimate of the fee, bps (default 5). */
  readonly feeBps?: number;
  /** The planner's estimate of the fixed cost per transfer, USD wad (default 0). */
  readonly fixedUsd?: bigint;
  /** Time relayers have to fill, seconds from the quote (default 3,600). */
  readonly fillDeadlineSec?: number;
};

/**
 * Across as the engine's {@link BridgeVenue} on one origin chain: each quote is `/suggested-fees` checked by
 * `validateQuote` against the configured SpokePool, the planner's minimum and the fee limit; its calls are
 * `approve` + `deposit`, and its `record` is the {@link AcrossDeposit} to journal before the batch is sent. Its
 * settlement reads the chains only: `FundsDeposited` in the origin batch, `fillStatuses` on this (destination) pool,
 * the refund leaf on the origin pool.
 */
export function acrossBridge(params: AcrossBridgeParameters): BridgeVenue {
  return {
    name: "across",
    chainId: params.chainId,
    tokens: params.tokens,
    feeBps: params.feeBps ?? 5,
    fixedUsd: params.fixedUsd ?? 0n,
    async quote(request: BridgeRequest, signal?: AbortSignal): Promise<BridgeQuote> {
      const q = await quoteDeposit(
        params.client,
        {
          originChainId: request.fromChainId,
          destinationChainId: request.toChainId,
          inputToken: request.tokenIn,
          outputToken: request.tokenOut,
          inputDecimals: request.decimalsIn,
          outputDecimals: request.decimalsOut,
          inputAmount: request.amountIn,
          minOutputAmount: request.minAmountOut,
          account: request.account,
          spokePool: params.spokePool,
          maxFeeBps: params.maxFeeBps,
          now: request.now,
          ...(params.fillDeadlineSec === undefined ? {} : { fillDeadlineSec: params.fillDeadlineSec }),
        },
        signal,
      );
      const d: AcrossDeposit = q.deposit;
      return {
        bridge: "across",
        fromChainId: d.originChainId,
        toChainId: d.destinationChainId,
        tokenIn: d.inputToken,
        tokenOut: d.outputToken,
        amountIn: d.inputAmount,
        amountOut: d.outputAmount,
        feeIn: d.fee,
        fillDeadline: d.fillDeadline,
        estimatedFillSec: q.estimatedFillTimeSec,
        spender: d.spokePool,
        calls: q.calls,
        record: d,
      };
    },
    settlement: acrossSettlement(params),
  };
}

/**
 * How an Across transfer is settled from the chains: its deposit is the `FundsDeposited` the record's SpokePool
 * emitted in the batch (the {@link DepositEvent}, journaled), its fill the destination pool's `fillStatuses`, its
 * refund an `ExecutedRelayerRefundRoot` leaf on the origin pool paying the depositor back.
 */
function acrossSettlement(params: AcrossBridgeParameters): BridgeSettlement {
  const recordOf = (t: BridgeTransfer) => t.record as AcrossDeposit;
  return {
    depositor: (record) => (record as AcrossDeposit).depositor,
    findDeposit: (logs, t) =>
      parseDeposits({
        logs: logs as Parameters<typeof parseDeposits>[0]["logs"],
        spokePool: recordOf(t).spokePool,
        originChainId: params.chainId,
      }).find(
        (e) =>
          e.destinationChainId === t.toChainId &&
          e.inputAmount === t.amountIn &&
          e.inputToken.toLowerCase() === t.tokenIn.toLowerCase() &&
          e.depositor.toLowerCase() === t.account.toLowerCase(),
      ),
    fillState: (deposit: BridgeDeposit) =>
      readDepositState(params.publicClient, {
        spokePool: params.spokePool,
        deposit: deposit as DepositEvent,
      }),
    async findRefund(t, deposit) {
      const event = deposit as DepositEvent;
      const refund = await findDepositRefund(params.publicClient, {
        spokePool: recordOf(t).spokePool,
        deposit: event,
        fromBlock: event.blockNumber ?? 0n,
      });
      return refund && `root bundle ${refund.rootBundleId}, ${refund.transactionHash}`;
    },
  };
}

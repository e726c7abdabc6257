import type { Address, Call, Hex } from "./model.ts";

/** What a swap venue is asked: sell exactly `amountIn` of `tokenIn` for `tokenOut`, from `account`. */
export type SwapRequest = {
  readonly chainId: number;
  readonly tokenIn: Address;
  readonly tokenOut: Address;
  readonly amountIn: bigint;
  /** The account that holds `tokenIn`, sends the batch and receives `tokenOut`. */
  readonly account: Address;
  /** The least acceptable output (the plan's guard). A venue that cannot meet it throws. */
  readonly minAmountOut: bigint;
  /** Unix seconds after which the swap must revert (venues that support it). */
  readonly deadline?: bigint;
  /**
   * The policy's slippage limit (bps of the quoted output): a venue that quotes may encode a guard below its quote by
   * at most this much, never below `minAmountOut`. Absent: the guard is `minAmountOut`. Venues have no slippage of
   * their own, so the same policy gives the same calldata everywhere.
   */
  readonly slippageBps?: number;
};

/** A venue's answer: the expected output and the calls (exact approval first, then the swap) for the batch. */
export type SwapQuote = {
  readonly venue: string;
  readonly chainId: number;
  readonly tokenIn: Address;
  readonly tokenOut: Address;
  readonly amountIn: bigint;
  /** Expected output at the quoted state. */
  readonly amountOut: bigint;
  /** Output guard encoded into the swap call; ≥ the request's `minAmountOut`. */
  readonly minAmountOut: bigint;
  /** The contract that receives the approval and executes the swap. */
  readonly spender: Address;
  readonly calls: readonly Call[];
  /** The venue's gas estimate for the swap, when it gives one. */
  readonly gas?: bigint;
  /** Venue-specific route description for humans (e.g. "WETH -0.05%-> USDC"). */
  readonly route?: string;
  readonly raw?: Hex;
  /**
   * The AMM pools the swap trades through and each one's price after it, when the venue knows them (the on-chain
   * Uniswap venue, from its quoter): an LP entry later in the batch is sized at the price it will meet.
   */
  readonly poolsAfter?: readonly PoolPriceAfter[];
};

/** A concentrated-liquidity pool (tokens in either order, fee tier) and its `sqrtPriceX96` after a swap. */
export type PoolPriceAfter = {
  readonly tokenA: Address;
  readonly tokenB: Address;
  readonly fee: number;
  readonly sqrtPriceX96: bigint;
};

/**
 * An atomic swap venue: quotes a swap and returns calls that execute it inside the account's batch.
 * Implemented by the Uniswap V3 on-chain venue and the 1inch Swap API client; registered by name.
 */
export type SwapVenue = {
  readonly name: string;
  /** Quotes `request` and returns the calls for it; throws a typed error when it cannot meet `minAmountOut`. */
  quote(request: SwapRequest): Promise<SwapQuote>;
};

/** What a bridge is asked: move exactly `amountIn` of `tokenIn` from `account` on one chain to itself on another. */
export type BridgeRequest = {
  readonly fromChainId: number;
  readonly toChainId: number;
  readonly tokenIn: Address;
  readonly tokenOut: Address;
  readonly decimalsIn: number;
  readonly decimalsOut: number;
  readonly amountIn: bigint;
  /** The least acceptable arrival (the plan's guard): a quote below it is refused. */
  readonly minAmountOut: bigint;
  /** Depositor on the origin and recipient on the destination. */
  readonly account: Address;
  /** The origin chain's latest block timestamp (seconds): the clock the bridge checks the quote against. */
  readonly now: number;
};

/**
 * A bridge's validated answer: the calls that end the origin batch (exact approval, then the deposit) and the
 * transfer to journal before that batch is sent. `record` is the bridge's own plain data (bigints allowed), enough to
 * find the deposit, its fill and its refund again after a restart.
 */
export type BridgeQuote = {
  readonly bridge: string;
  readonly fromChainId: number;
  readonly toChainId: number;
  readonly tokenIn: Address;
  readonly tokenOut: Address;
  readonly amountIn: bigint;
  /** What arrives on the destination when filled (the quote's output, ≥ the request's minimum). */
  readonly amountOut: bigint;
  /** What the bridge keeps, in `tokenIn` units. */
  readonly feeIn: bigint;
  /** Unix seconds (destination clock) after which it can no longer be filled and is refunded on the origin. */
  readonly fillDeadline: number;
  /** The bridge's estimate of the time to fill, seconds. */
  readonly estimatedFillSec: number | undefined;
  /** The contract that receives the approval and the deposit. */
  readonly spender: Address;
  readonly calls: readonly Call[];
  readonly record: unknown;
};

/**
 * A cross-chain bridge for the keeper's own account: quotes a transfer and returns the calls that start it inside the
 * origin chain's batch (the fill happens later, on the destination). Registered per chain like a {@link SwapVenue};
 * `tokens` are the token addresses it may move from this chain, `feeBps` and `fixedUsd` its cost for the planner.
 */
export type BridgeVenue = {
  readonly name: string;
  readonly chainId: number;
  readonly tokens: readonly Address[];
  /** The planner's estimate of the proportional fee, bps of the amount. */
  readonly feeBps: number;
  /** The planner's estimate of the fixed cost per transfer, USD wad. */
  readonly fixedUsd: bigint;
  /** Quotes `request`; throws a typed error for a quote it refuses (nothing is sent). */
  quote(request: BridgeRequest, signal?: AbortSignal): Promise<BridgeQuote>;
  /** How a transfer it quoted is followed to the end, read from the chains (no API). */
  readonly settlement: BridgeSettlement;
};

/**
 * A transfer as its app journaled it, for {@link BridgeSettlement}: the quote's `record` and what the deposit must
 * match on the origin (destination, input token and amount, depositor).
 */
export type BridgeTransfer = {
  readonly record: unknown;
  readonly toChainId: number;
  readonly tokenIn: Address;
  readonly amountIn: bigint;
  /** The depositor on the origin (the portfolio account). */
  readonly account: Address;
};

/**
 * A deposit as the origin chain recorded it: its id there (for people) and the bridge's own data (plain, bigints
 * allowed), enough to find its fill and its refund again after a restart.
 */
export type BridgeDeposit = { readonly depositId: bigint };

/** Where a deposit stands on its destination, status and time from one block. */
export type BridgeFillState =
  | { readonly state: "filled" }
  | { readonly state: "pending"; readonly secondsLeft: number }
  /** Unfilled past its deadline: it can no longer be filled; the bridge refunds the depositor on the origin. */
  | { readonly state: "expired"; readonly secondsPast: number };

/**
 * What an app asks a bridge to settle a transfer, each question to the venue of the chain that answers it (its own
 * client): deposited (the origin's), filled (the destination's), refunded (the origin's). A read that fails throws:
 * an unknown outcome is never a final one.
 */
export type BridgeSettlement = {
  /** The account a quote's `record` deposits from (and is refunded to). */
  depositor(record: unknown): Address;
  /** On the origin: the deposit among a landed batch's receipt logs (viem `Log`s) that matches `transfer`, if any. */
  findDeposit(logs: readonly unknown[], transfer: BridgeTransfer): BridgeDeposit | undefined;
  /** On the destination: whether `deposit` was filled, else the time left before (or past) its deadline. */
  fillState(deposit: BridgeDeposit): Promise<BridgeFillState>;
  /** On the origin: the refund of an expired deposit, described for people ("root bundle 3, 0x…"), if any. */
  findRefund(transfer: BridgeTransfer, deposit: BridgeDeposit): Promise<string | undefined>;
};

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

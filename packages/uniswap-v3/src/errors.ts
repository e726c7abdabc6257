import { BallastError } from "@ballast/core";

/** A tick outside [MIN_TICK, MAX_TICK] or not an integer. */
export class InvalidTickError extends BallastError {
  override name = "InvalidTickError";
  constructor(readonly tick: number) {
    super(`Invalid tick ${tick}: expected an integer in [-887272, 887272].`, { context: { tick } });
  }
}

/** A sqrt price outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO) or a zero sqrt price where a ratio divides by it. */
export class InvalidSqrtPriceError extends BallastError {
  override name = "InvalidSqrtPriceError";
  constructor(readonly sqrtPriceX96: bigint) {
    super(`Invalid sqrtPriceX96 ${sqrtPriceX96}: outside the range a pool can reach.`, {
      context: { sqrtPriceX96: sqrtPriceX96.toString() },
    });
  }
}

/** A tick range that is empty, out of bounds, not aligned to the pool's tick spacing, or a bad width policy. */
export class InvalidRangeError extends BallastError {
  override name = "InvalidRangeError";
  constructor(
    readonly reason: string,
    context: Record<string, unknown> = {},
  ) {
    super(`Invalid range: ${reason}.`, { context: { reason, ...context } });
  }
}

/** A slippage limit outside [0, 10,000) basis points. */
export class InvalidSlippageError extends BallastError {
  override name = "InvalidSlippageError";
  constructor(readonly slippageBps: bigint | number) {
    super(`Invalid slippage ${slippageBps} bps: expected an integer in [0, 10000).`, {
      context: { slippageBps: String(slippageBps) },
    });
  }
}

/** A position NFT that does not exist (never minted or burned) at the read block. */
export class PositionNotFoundError extends BallastError {
  override name = "PositionNotFoundError";
  constructor(
    readonly tokenId: bigint,
    readonly positionManager: string,
    cause?: unknown,
  ) {
    super(`Uniswap V3 position ${tokenId} not found on ${positionManager}.`, {
      cause,
      context: { tokenId: tokenId.toString(), positionManager },
    });
  }
}

/** An on-chain read (the multicall itself, or a read that must not fail) failed or returned the unexpected. */
export class UniswapReadError extends BallastError {
  override name = "UniswapReadError";
  constructor(
    readonly what: string,
    cause?: unknown,
  ) {
    super(`Uniswap V3 read failed: ${what}.`, { cause, context: { what } });
  }
}

/** No configured pool path (fee tier, intermediary) could quote the swap. */
export class NoRouteError extends BallastError {
  override name = "NoRouteError";
  constructor(
    readonly tokenIn: string,
    readonly tokenOut: string,
    readonly tried: number,
  ) {
    super(`No Uniswap V3 route from ${tokenIn} to ${tokenOut} (${tried} path(s) tried).`, {
      context: { tokenIn, tokenOut, tried },
    });
  }
}

/** The best quote is below the request's minimum output. */
export class InsufficientOutputError extends BallastError {
  override name = "InsufficientOutputError";
  constructor(
    readonly amountOut: bigint,
    readonly minAmountOut: bigint,
  ) {
    super(`Uniswap V3 quote ${amountOut} is below the minimum output ${minAmountOut}.`, {
      context: { amountOut: amountOut.toString(), minAmountOut: minAmountOut.toString() },
    });
  }
}

/** A swap request this venue does not handle (zero amount, same token in and out, another chain). */
export class UnsupportedSwapError extends BallastError {
  override name = "UnsupportedSwapError";
  constructor(readonly reason: string) {
    super(`Unsupported Uniswap V3 swap: ${reason}.`, { context: { reason } });
  }
}

import {
  type Address,
  BPS,
  type Call,
  InvalidAmountError,
  mulDiv,
  type SwapQuote,
  type SwapVenue,
} from "@ballast/core";
import { isAddressEqual } from "viem";
import { Q128 } from "./constants.ts";
import {
  combinePositionManagerCalls,
  type DepositQuote,
  encodeDecrease,
  encodeMint,
  type WithdrawalQuote,
} from "./encode.ts";
import { UnsupportedSwapError } from "./errors.ts";
import { getAmountsForLiquidity } from "./math/liquidityAmounts.ts";
import { getSqrtRatioAtTick } from "./math/tickMath.ts";
import type { LpPosition, TokenAmounts } from "./position.ts";
import { type RangeWidth, rangeAround, type TickRange } from "./range.ts";

const Q192 = 1n << 192n;

/** Inputs of {@link swapAmountForRange}: what is held, the price and the target range. */
export type SwapAmountForRangeParameters = TokenAmounts & {
  readonly sqrtPriceX96: bigint;
  readonly tickLower: number;
  readonly tickUpper: number;
};

/**
 * How much of which token to sell (at the spot price, before fees and impact) so that the rest matches the
 * token ratio of liquidity in [tickLower, tickUpper) at `sqrtPriceX96`. `amountIn` is 0 when nothing needs to move.
 */
export function swapAmountForRange(p: SwapAmountForRangeParameters): {
  zeroForOne: boolean;
  amountIn: bigint;
} {
  const per = getAmountsForLiquidity(
    p.sqrtPriceX96,
    getSqrtRatioAtTick(p.tickLower),
    getSqrtRatioAtTick(p.tickUpper),
    Q128,
  );
  const s2 = p.sqrtPriceX96 * p.sqrtPriceX96;
  // Values in token1 units, scaled by 2^192.
  const v0 = p.amount0 * s2;
  const total = v0 + p.amount1 * Q192;
  const r0 = per.amount0 * s2;
  const r1 = per.amount1 * Q192;
  const target0 = r0 + r1 === 0n ? 0n : mulDiv(total, r0, r0 + r1);
  if (v0 > target0) return { zeroForOne: true, amountIn: (v0 - target0) / s2 };
  return { zeroForOne: false, amountIn: (target0 - v0) / Q192 };
}

/** The swap leg inside a re-center (a core `SwapQuote` fits). */
export type RecenterSwap = Pick<SwapQuote, "tokenIn" | "amountIn" | "minAmountOut" | "calls">;

/** Inputs of {@link encodeRecenter}. */
export type EncodeRecenterParameters = {
  readonly position: LpPosition;
  readonly range: TickRange;
  /** The account: receives the exited tokens and the new NFT. */
  readonly recipient: Address;
  readonly slippageBps: bigint | number;
  readonly deadline: bigint;
  /** A swap between exit and entry that rebalances the two tokens to the new range's ratio. */
  readonly swap?: RecenterSwap;
  /** Price the mint's expected amounts (and so its mins) are computed at; default the pool's read price. */
  readonly mintSqrtPriceX96?: bigint;
};

/** A re-center leg: its calls in batch order and the amounts behind them. */
export type RecenterPlan = {
  readonly calls: Call[];
  readonly range: TickRange;
  readonly withdrawal: WithdrawalQuote;
  /** Desired amounts of the mint: what is guaranteed to be held after the exit (and the swap's minimum). */
  readonly mintDesired: TokenAmounts;
  readonly deposit: DepositQuote;
};

/**
 * Exit and re-enter as one leg: `multicall(decreaseLiquidity(all), collect(max), burn)`, the optional swap's calls,
 * then exact approvals and `mint` of the new range. The mint only asks for tokens the exit (and the swap's
 * `minAmountOut`) guarantee, so it never draws on the account's other balances; the remainder stays idle.
 */
export function encodeRecenter(p: EncodeRecenterParameters): RecenterPlan {
  const { position } = p;
  const npm = position.positionManager;
  const exit = encodeDecrease({
    position,
    slippageBps: p.slippageBps,
    deadline: p.deadline,
    recipient: p.recipient,
    burn: true,
  });
  let { amount0, amount1 } = exit.withdrawal.guaranteed;
  if (p.swap) {
    const { tokenIn, amountIn, minAmountOut } = p.swap;
    if (isAddressEqual(tokenIn, position.token0)) {
      amount0 -= amountIn;
      amount1 += minAmountOut;
    } else if (isAddressEqual(tokenIn, position.token1)) {
      amount1 -= amountIn;
      amount0 += minAmountOut;
    } else {
      throw new UnsupportedSwapError(`the re-center swap sells ${tokenIn}, not a token of the position`);
    }
    if (amount0 < 0n || amount1 < 0n) {
      throw new InvalidAmountError("swap.amountIn", amountIn, "at most what the exit guarantees");
    }
  }
  const mint = encodeMint({
    positionManager: npm,
    token0: position.token0,
    token1: position.token1,
    fee: position.fee,
    tickLower: p.range.tickLower,
    tickUpper: p.range.tickUpper,
    tickSpacing: position.poolState.tickSpacing,
    amount0Desired: amount0,
    amount1Desired: amount1,
    sqrtPriceX96: p.mintSqrtPriceX96 ?? position.poolState.sqrtPriceX96,
    slippageBps: p.slippageBps,
    recipient: p.recipient,
    deadline: p.deadline,
  });
  return {
    calls: [...combinePositionManagerCalls(npm, exit.calls), ...(p.swap?.calls ?? []), ...mint.calls],
    range: p.range,
    withdrawal: exit.withdrawal,
    mintDesired: { amount0, amount1 },
    deposit: mint.deposit,
  };
}

/** Inputs of {@link quoteRecenter}. */
export type QuoteRecenterParameters = {
  readonly position: LpPosition;
  /** The new range, or a width policy for a range around the pool's current tick. */
  readonly range: TickRange | RangeWidth;
  readonly account: Address;
  readonly chainId: number;
  /**
   * Slippage for the exit, the swap (against the spot price: must cover the pool fee and the impact) and the mint.
   */
  readonly slippageBps: bigint | number;
  readonly deadline: bigint;
  /** Swaps smaller than this many base units of the sold token are skipped. Default 0. */
  readonly minSwap?: bigint;
};

/**
 * Plans a re-center with a swap venue: the new range, the swap that matches its token ratio (quoted by `venue`,
 * e.g. {@link uniswapV3Venue} or 1inch), and the encoded leg from {@link encodeRecenter}.
 */
export async function quoteRecenter(
  venue: SwapVenue,
  p: QuoteRecenterParameters,
): Promise<RecenterPlan & { swap?: SwapQuote }> {
  const { position } = p;
  const pool = position.poolState;
  const range =
    "tickLower" in p.range
      ? p.range
      : rangeAround({ tick: pool.tick, tickSpacing: pool.tickSpacing, ...p.range });
  // What the exit guarantees decides what can be swapped.
  const guaranteed = encodeDecrease({
    position,
    slippageBps: p.slippageBps,
    deadline: p.deadline,
    recipient: p.account,
  }).withdrawal.guaranteed;
  const need = swapAmountForRange({ ...guaranteed, sqrtPriceX96: pool.sqrtPriceX96, ...range });
  let swap: SwapQuote | undefined;
  if (need.amountIn > 0n && need.amountIn >= (p.minSwap ?? 0n)) {
    const s2 = pool.sqrtPriceX96 * pool.sqrtPriceX96;
    const spotOut = need.zeroForOne ? mulDiv(need.amountIn, s2, Q192) : mulDiv(need.amountIn, Q192, s2);
    swap = await venue.quote({
      chainId: p.chainId,
      tokenIn: need.zeroForOne ? position.token0 : position.token1,
      tokenOut: need.zeroForOne ? position.token1 : position.token0,
      amountIn: need.amountIn,
      account: p.account,
      minAmountOut: mulDiv(spotOut, BPS - BigInt(p.slippageBps), BPS),
      deadline: p.deadline,
    });
  }
  const plan = encodeRecenter({
    position,
    range,
    recipient: p.account,
    slippageBps: p.slippageBps,
    deadline: p.deadline,
    ...(swap ? { swap } : {}),
  });
  return { ...plan, ...(swap ? { swap } : {}) };
}

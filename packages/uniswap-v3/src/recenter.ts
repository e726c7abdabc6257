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
import { Q96, Q128 } from "./constants.ts";
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
  /**
   * Model the swap as going through this pool inside its current tick (active liquidity, fee in hundredths of a
   * bip): the output then includes the fee and the impact, and the ratio is matched at the post-swap price.
   * Absent: a swap at the spot price (no fee, no impact).
   */
  readonly pool?: { readonly liquidity: bigint; readonly fee: number };
};

/** The swap {@link swapAmountForRange} proposes, its modelled output and the price after it. */
export type RangeSwap = {
  readonly zeroForOne: boolean;
  /** 0 when nothing needs to move. */
  readonly amountIn: bigint;
  readonly amountOut: bigint;
  readonly sqrtPriceX96After: bigint;
};

/** Output and post-swap price of selling `amountIn` at `sqrtPriceX96` (spot, or through one tick of `pool`). */
function simulateSwap(
  sqrtPriceX96: bigint,
  zeroForOne: boolean,
  amountIn: bigint,
  pool: SwapAmountForRangeParameters["pool"],
): { amountOut: bigint; sqrtPriceX96After: bigint } {
  if (!pool || pool.liquidity === 0n) {
    const s2 = sqrtPriceX96 * sqrtPriceX96;
    return {
      amountOut: zeroForOne ? mulDiv(amountIn, s2, Q192) : mulDiv(amountIn, Q192, s2),
      sqrtPriceX96After: sqrtPriceX96,
    };
  }
  const L = pool.liquidity;
  const net = mulDiv(amountIn, BigInt(1_000_000 - pool.fee), 1_000_000n);
  if (zeroForOne) {
    // 1/√P' = 1/√P + in/L
    const after = mulDiv(L * Q96, sqrtPriceX96, L * Q96 + net * sqrtPriceX96, "up");
    return { amountOut: mulDiv(L, sqrtPriceX96 - after, Q96), sqrtPriceX96After: after };
  }
  // √P' = √P + in/L
  const after = sqrtPriceX96 + mulDiv(net, Q96, L);
  return { amountOut: mulDiv(L * Q96, after - sqrtPriceX96, sqrtPriceX96 * after), sqrtPriceX96After: after };
}

/**
 * How much of which token to sell so that the holdings after the swap match the token ratio of liquidity in
 * [tickLower, tickUpper) — at the spot price, or (with `pool`) at the price the swap itself leads to.
 */
export function swapAmountForRange(p: SwapAmountForRangeParameters): RangeSwap {
  const sqrtA = getSqrtRatioAtTick(p.tickLower);
  const sqrtB = getSqrtRatioAtTick(p.tickUpper);
  // Which side is in excess at the spot price.
  const per = getAmountsForLiquidity(p.sqrtPriceX96, sqrtA, sqrtB, Q128);
  const zeroForOne = p.amount0 * per.amount1 > p.amount1 * per.amount0;
  const held = zeroForOne ? p.amount0 : p.amount1;
  // excess(x) < 0 while too little has been sold; it grows with x. Find the largest x with excess(x) ≤ 0.
  const excess = (x: bigint): bigint => {
    const { amountOut, sqrtPriceX96After } = simulateSwap(p.sqrtPriceX96, zeroForOne, x, p.pool);
    const r = getAmountsForLiquidity(sqrtPriceX96After, sqrtA, sqrtB, Q128);
    return zeroForOne
      ? (p.amount1 + amountOut) * r.amount0 - (p.amount0 - x) * r.amount1
      : (p.amount0 + amountOut) * r.amount1 - (p.amount1 - x) * r.amount0;
  };
  let lo = 0n;
  let hi = held;
  if (excess(0n) >= 0n) hi = 0n;
  else if (excess(held) <= 0n) lo = held;
  while (lo < hi) {
    const mid = (lo + hi + 1n) / 2n;
    if (excess(mid) <= 0n) lo = mid;
    else hi = mid - 1n;
  }
  const { amountOut, sqrtPriceX96After } = simulateSwap(p.sqrtPriceX96, zeroForOne, lo, p.pool);
  return { zeroForOne, amountIn: lo, amountOut, sqrtPriceX96After };
}

/** The swap leg inside a re-center (a core `SwapQuote` fits). */
export type RecenterSwap = Pick<SwapQuote, "tokenIn" | "amountIn" | "amountOut" | "minAmountOut" | "calls">;

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
  /** What the mint may ask for; see {@link MintBudget}. Default "guaranteed". */
  readonly mintBudget?: MintBudget;
};

/**
 * What a re-center's mint asks for. "guaranteed": only what the exit's mins (+ fees) and the swap's
 * `minAmountOut` guarantee, so it never draws on the account's other balances, and up to the slippage stays idle.
 * "expected": the exit's and the swap's expected amounts; nothing stays idle when the price holds, but if it moves
 * the mint may pull up to the difference from the account's balances (or revert the batch when they are short).
 */
export type MintBudget = "guaranteed" | "expected";

/** What the exit pays out under a budget: the guaranteed amounts, or the expected ones. */
function exitBudget(withdrawal: WithdrawalQuote, budget: MintBudget): TokenAmounts {
  return budget === "expected"
    ? {
        amount0: withdrawal.principal.amount0 + withdrawal.fees.amount0,
        amount1: withdrawal.principal.amount1 + withdrawal.fees.amount1,
      }
    : withdrawal.guaranteed;
}

/** A re-center leg: its calls in batch order and the amounts behind them. */
export type RecenterPlan = {
  readonly calls: Call[];
  readonly range: TickRange;
  readonly withdrawal: WithdrawalQuote;
  /** Desired amounts of the mint (also its exact approvals), per the {@link MintBudget}. */
  readonly mintDesired: TokenAmounts;
  readonly deposit: DepositQuote;
};

/**
 * Exit and re-enter as one leg: `multicall(decreaseLiquidity(all), collect(max), burn)`, the optional swap's calls,
 * then exact approvals and `mint` of the new range, sized by the {@link MintBudget}.
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
  const budget = p.mintBudget ?? "guaranteed";
  let { amount0, amount1 } = exitBudget(exit.withdrawal, budget);
  if (p.swap) {
    const { tokenIn, amountIn } = p.swap;
    const out = budget === "expected" ? p.swap.amountOut : p.swap.minAmountOut;
    if (isAddressEqual(tokenIn, position.token0)) {
      amount0 -= amountIn;
      amount1 += out;
    } else if (isAddressEqual(tokenIn, position.token1)) {
      amount1 -= amountIn;
      amount0 += out;
    } else {
      throw new UnsupportedSwapError(`the re-center swap sells ${tokenIn}, not a token of the position`);
    }
    if (amount0 < 0n || amount1 < 0n) {
      throw new InvalidAmountError("swap.amountIn", amountIn, "at most what the exit pays out");
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
  /** See {@link MintBudget}. Default "guaranteed". */
  readonly mintBudget?: MintBudget;
  /**
   * "pool" (default): size the swap and price the mint as if the swap went through the position's own pool, so
   * its impact is accounted for (right for the Uniswap venue on the same pair); "none": spot price, no impact.
   */
  readonly impact?: "pool" | "none";
};

/**
 * Plans a re-center with a swap venue: the new range, the swap that matches its token ratio (quoted by `venue`,
 * e.g. `uniswapV3Venue` or 1inch; the request's minimum is the modelled output less the slippage), and the leg
 * from {@link encodeRecenter} with the mint priced after the swap.
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
  const budget = p.mintBudget ?? "guaranteed";
  // What the exit pays out (under the budget) decides what is swapped.
  const { withdrawal } = encodeDecrease({
    position,
    slippageBps: p.slippageBps,
    deadline: p.deadline,
    recipient: p.account,
  });
  const need = swapAmountForRange({
    ...exitBudget(withdrawal, budget),
    sqrtPriceX96: pool.sqrtPriceX96,
    ...range,
    ...((p.impact ?? "pool") === "pool" ? { pool: { liquidity: pool.liquidity, fee: pool.fee } } : {}),
  });
  let swap: SwapQuote | undefined;
  if (need.amountIn > 0n && need.amountIn >= (p.minSwap ?? 0n)) {
    swap = await venue.quote({
      chainId: p.chainId,
      tokenIn: need.zeroForOne ? position.token0 : position.token1,
      tokenOut: need.zeroForOne ? position.token1 : position.token0,
      amountIn: need.amountIn,
      account: p.account,
      minAmountOut: mulDiv(need.amountOut, BPS - BigInt(p.slippageBps), BPS),
      deadline: p.deadline,
      slippageBps: Number(p.slippageBps),
    });
  }
  const plan = encodeRecenter({
    position,
    range,
    recipient: p.account,
    slippageBps: p.slippageBps,
    deadline: p.deadline,
    mintBudget: budget,
    ...(swap ? { swap, mintSqrtPriceX96: need.sqrtPriceX96After } : {}),
  });
  return { ...plan, ...(swap ? { swap } : {}) };
}

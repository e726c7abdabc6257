import { MAX_UINT256, Q128 } from "../constants.ts";
import { InvalidSqrtPriceError, InvalidTickError } from "../errors.ts";

/** The lowest tick a pool can use: log base √1.0001 of 2^-128. */
export const MIN_TICK = -887272;
/** The highest tick a pool can use. */
export const MAX_TICK = 887272;
/** `getSqrtRatioAtTick(MIN_TICK)`: the lowest sqrt price a pool can reach. */
export const MIN_SQRT_RATIO = 4295128739n;
/** `getSqrtRatioAtTick(MAX_TICK)`: one above the highest sqrt price a pool can reach. */
export const MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342n;

/**
 * 1/√1.0001^(2^i) as Q128 numbers, rounded to nearest, for i = 0…19 (the factors TickMath multiplies).
 * A unit test re-derives every one with 512-bit arithmetic.
 */
export const TICK_RATIO_FACTORS: readonly bigint[] = [
  0xfffcb933bd6fad37aa2d162d1a594001n,
  0xfff97272373d413259a46990580e213an,
  0xfff2e50f5f656932ef12357cf3c7fdccn,
  0xffe5caca7e10e4e61c3624eaa0941cd0n,
  0xffcb9843d60f6159c9db58835c926644n,
  0xff973b41fa98c081472e6896dfb254c0n,
  0xff2ea16466c96a3843ec78b326b52861n,
  0xfe5dee046a99a2a811c461f1969c3053n,
  0xfcbe86c7900a88aedcffc83b479aa3a4n,
  0xf987a7253ac413176f2b074cf7815e54n,
  0xf3392b0822b70005940c7a398e4b70f3n,
  0xe7159475a2c29b7443b29c7fa6e889d9n,
  0xd097f3bdfd2022b8845ad8f792aa5825n,
  0xa9f746462d870fdf8a65dc1f90e061e5n,
  0x70d869a156d2a1b890bb3df62baf32f7n,
  0x31be135f97d08fd981231505542fcfa6n,
  0x9aa508b5b7a84e1c677de54f3e99bc9n,
  0x5d6af8dedb81196699c329225ee604n,
  0x2216e584f5fa1ea926041bedfe98n,
  0x48a170391f7dc42444e8fa2n,
];

/** Throws {@link InvalidTickError} unless `tick` is an integer in [MIN_TICK, MAX_TICK]. */
export function assertTick(tick: number): void {
  if (!Number.isInteger(tick) || tick < MIN_TICK || tick > MAX_TICK) throw new InvalidTickError(tick);
}

/** √(1.0001^tick) as a Q64.96 number, bit-exact with the pool's TickMath. */
export function getSqrtRatioAtTick(tick: number): bigint {
  assertTick(tick);
  const absTick = Math.abs(tick);
  let ratio = Q128;
  for (let bit = 0; bit < TICK_RATIO_FACTORS.length; bit++) {
    if ((absTick >> bit) & 1) ratio = (ratio * TICK_RATIO_FACTORS[bit]!) >> 128n;
  }
  if (tick > 0) ratio = MAX_UINT256 / ratio;
  // Q128.128 → Q64.96, rounded up so that getTickAtSqrtRatio(getSqrtRatioAtTick(t)) === t.
  return (ratio >> 32n) + (ratio % (1n << 32n) === 0n ? 0n : 1n);
}

/** log_√1.0001(2) as a Q128 number: turns the Q64.64 log2 of a ratio into a Q128.128 tick (TickMath's constant). */
const LOG_SQRT10001_2 = 255738958999603826347141n;
/** TickMath's error bounds on that tick (Q128.128), below and above: the true tick lies between the two. */
const TICK_LOW_ERROR = 3402992956809132418596140100660247210n;
const TICK_HIGH_ERROR = 291339464771989622907027621153398088495n;

/**
 * The greatest tick whose sqrt ratio is ≤ `sqrtPriceX96` (the pool's definition of the current tick), bit-exact with
 * the pool's TickMath: log2 of the ratio in Q64.64 (integer part from the most significant bit, 14 fractional bits by
 * repeated squaring), scaled to a tick with its error bounds; of the (at most two) candidate ticks, the higher one when
 * its sqrt ratio is still ≤ the input. Integers only, so it agrees with {@link getSqrtRatioAtTick} by construction.
 */
export function getTickAtSqrtRatio(sqrtPriceX96: bigint): number {
  if (sqrtPriceX96 < MIN_SQRT_RATIO || sqrtPriceX96 >= MAX_SQRT_RATIO) {
    throw new InvalidSqrtPriceError(sqrtPriceX96);
  }
  const ratio = sqrtPriceX96 << 32n; // Q128.128
  const msb = ratio.toString(2).length - 1;
  // The ratio normalized to [2^127, 2^128): shifted right by msb - 127, or left when msb < 127 (exactly TickMath's r).
  let r = (ratio << 127n) >> BigInt(msb);
  let log2 = BigInt(msb - 128) << 64n;
  for (let bit = 63n; bit >= 50n; bit--) {
    r = (r * r) >> 127n;
    const f = r >> 128n;
    log2 |= f << bit;
    r >>= f;
  }
  const logSqrt10001 = log2 * LOG_SQRT10001_2;
  const tickLow = Number((logSqrt10001 - TICK_LOW_ERROR) >> 128n);
  const tickHigh = Number((logSqrt10001 + TICK_HIGH_ERROR) >> 128n);
  return getSqrtRatioAtTick(tickHigh) <= sqrtPriceX96 ? tickHigh : tickLow;
}

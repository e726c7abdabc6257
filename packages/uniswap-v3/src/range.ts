import { BPS, isqrt } from "@ballast/core";
import { InvalidRangeError } from "./errors.ts";
import { getSqrtRatioAtTick, getTickAtSqrtRatio, MAX_TICK, MIN_TICK } from "./math/tickMath.ts";

/** A tick range [tickLower, tickUpper). */
export type TickRange = { readonly tickLower: number; readonly tickUpper: number };

/** How wide a new range is: ± a number of ticks, or ± basis points of the current price. */
export type RangeWidth = { readonly widthTicks: number } | { readonly widthBps: number | bigint };

/** Inputs of {@link rangeAround}: the pool's current tick, its tick spacing and a width policy. */
export type RangeAroundParameters = { readonly tick: number; readonly tickSpacing: number } & RangeWidth;

const assertSpacing = (tickSpacing: number): void => {
  if (!Number.isInteger(tickSpacing) || tickSpacing <= 0) {
    throw new InvalidRangeError("tick spacing must be a positive integer", { tickSpacing });
  }
};

/** The lowest tick a position can use in a pool with `tickSpacing`. */
export const minUsableTick = (tickSpacing: number): number => Math.ceil(MIN_TICK / tickSpacing) * tickSpacing;
/** The highest tick a position can use in a pool with `tickSpacing`. */
export const maxUsableTick = (tickSpacing: number): number =>
  Math.floor(MAX_TICK / tickSpacing) * tickSpacing;

/** Rounds `tick` to a multiple of `tickSpacing`, toward −∞ ("down") or +∞ ("up"). */
export function alignTick(tick: number, tickSpacing: number, direction: "down" | "up"): number {
  assertSpacing(tickSpacing);
  const aligned = (direction === "down" ? Math.floor : Math.ceil)(tick / tickSpacing) * tickSpacing;
  return aligned === 0 ? 0 : aligned; // no -0
}

/** Throws {@link InvalidRangeError} unless the range is non-empty, in bounds and aligned to `tickSpacing`. */
export function assertRange(range: TickRange, tickSpacing: number): void {
  assertSpacing(tickSpacing);
  const { tickLower, tickUpper } = range;
  if (!Number.isInteger(tickLower) || !Number.isInteger(tickUpper) || tickLower >= tickUpper) {
    throw new InvalidRangeError("tickLower must be an integer below tickUpper", { tickLower, tickUpper });
  }
  if (tickLower < minUsableTick(tickSpacing) || tickUpper > maxUsableTick(tickSpacing)) {
    throw new InvalidRangeError("range outside the usable ticks", { tickLower, tickUpper, tickSpacing });
  }
  if (tickLower % tickSpacing !== 0 || tickUpper % tickSpacing !== 0) {
    throw new InvalidRangeError("ticks not aligned to the tick spacing", {
      tickLower,
      tickUpper,
      tickSpacing,
    });
  }
}

/**
 * Tick offsets (< 0, > 0) of the prices (1 − bps) and (1 + bps) times the current one, widened outward; the upper
 * one gets one more tick because the price can be anywhere inside the current tick.
 */
/** Offsets by width (a pure function of it, and the range maths' hot spot when a backtest re-centers every step). */
const offsetsByBps = new Map<bigint, [number, number]>();

function tickOffsetsForBps(bps: bigint): [number, number] {
  const known = offsetsByBps.get(bps);
  if (known) return known;
  const offsets = computeTickOffsets(bps);
  if (offsetsByBps.size < 1_024) offsetsByBps.set(bps, offsets);
  return offsets;
}

function computeTickOffsets(bps: bigint): [number, number] {
  const one = 1n << 192n; // (2^96)^2: price 1 as a squared Q96 ratio
  const sqrtLo = isqrt((one * (BPS - bps)) / BPS);
  const sqrtHi = isqrt((one * (BPS + bps)) / BPS) + 1n;
  const lo = getTickAtSqrtRatio(sqrtLo); // greatest tick at or below the lower price
  let hi = getTickAtSqrtRatio(sqrtHi);
  if (getSqrtRatioAtTick(hi) < sqrtHi) hi += 1; // smallest tick at or above the upper price
  return [lo, Math.max(hi, 0) + 1];
}

/**
 * A new range around `tick`: ± `widthTicks`, or ± `widthBps` of any price inside the tick (its prices bracket
 * price × (1 ∓ bps)), widened outward to the tick spacing and clamped to the usable ticks. The result always
 * contains `tick` (tickLower ≤ tick < tickUpper).
 */
export function rangeAround(params: RangeAroundParameters): TickRange {
  const { tick, tickSpacing } = params;
  assertSpacing(tickSpacing);
  if (!Number.isInteger(tick) || tick < MIN_TICK || tick > MAX_TICK) {
    throw new InvalidRangeError("tick out of bounds", { tick });
  }
  let offsets: [number, number];
  if ("widthTicks" in params) {
    const w = params.widthTicks;
    if (!Number.isInteger(w) || w <= 0)
      throw new InvalidRangeError("widthTicks must be a positive integer", { w });
    offsets = [-w, w];
  } else {
    const bps = BigInt(params.widthBps);
    if (bps <= 0n || bps >= BPS) {
      throw new InvalidRangeError("widthBps must be in (0, 10000)", { widthBps: String(params.widthBps) });
    }
    offsets = tickOffsetsForBps(bps);
  }
  const lower = Math.max(alignTick(tick + offsets[0], tickSpacing, "down"), minUsableTick(tickSpacing));
  let upper = Math.min(alignTick(tick + offsets[1], tickSpacing, "up"), maxUsableTick(tickSpacing));
  if (upper <= tick) upper = Math.min(alignTick(tick + 1, tickSpacing, "up"), maxUsableTick(tickSpacing));
  if (!(lower <= tick && tick < upper)) {
    throw new InvalidRangeError("no usable range contains the current tick", { tick, tickSpacing });
  }
  return { tickLower: lower, tickUpper: upper };
}

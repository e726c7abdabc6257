import { describe, expect, it } from "vitest";
import { InvalidRangeError } from "./errors.ts";
import { getSqrtRatioAtTick, MAX_TICK, MIN_TICK } from "./math/tickMath.ts";
import { alignTick, assertRange, maxUsableTick, minUsableTick, rangeAround } from "./range.ts";

describe("alignTick / usable ticks", () => {
  it("rounds toward −∞ or +∞, negatives included", () => {
    expect(alignTick(15, 10, "down")).toBe(10);
    expect(alignTick(15, 10, "up")).toBe(20);
    expect(alignTick(-15, 10, "down")).toBe(-20);
    expect(alignTick(-15, 10, "up")).toBe(-10);
    expect(alignTick(-5, 10, "up")).toBe(0);
    expect(Object.is(alignTick(-5, 10, "up"), -0)).toBe(false);
    expect(alignTick(30, 10, "down")).toBe(30);
  });

  it("usable bounds are multiples of the spacing inside [MIN_TICK, MAX_TICK]", () => {
    expect(minUsableTick(60)).toBe(-887220);
    expect(maxUsableTick(60)).toBe(887220);
    expect(minUsableTick(1)).toBe(MIN_TICK);
    expect(maxUsableTick(200)).toBe(887200);
  });
});

describe("assertRange", () => {
  it("accepts aligned, ordered, in-bounds ranges and rejects the rest with InvalidRangeError", () => {
    expect(() => assertRange({ tickLower: -60, tickUpper: 60 }, 60)).not.toThrow();
    expect(() => assertRange({ tickLower: 60, tickUpper: 60 }, 60)).toThrow(InvalidRangeError);
    expect(() => assertRange({ tickLower: -50, tickUpper: 60 }, 60)).toThrow(InvalidRangeError);
    expect(() => assertRange({ tickLower: -887280, tickUpper: 0 }, 60)).toThrow(InvalidRangeError);
    expect(() => assertRange({ tickLower: 0, tickUpper: 60 }, 0)).toThrow(InvalidRangeError);
  });
});

describe("rangeAround", () => {
  it("± widthTicks, widened outward to the spacing", () => {
    expect(rangeAround({ tick: 1234, tickSpacing: 10, widthTicks: 100 })).toEqual({
      tickLower: 1130,
      tickUpper: 1340,
    });
    expect(rangeAround({ tick: -1234, tickSpacing: 60, widthTicks: 600 })).toEqual({
      tickLower: -1860,
      tickUpper: -600,
    });
  });

  it("± widthBps of the price: the range's prices bracket price × (1 ∓ w)", () => {
    for (const [tick, spacing, bps] of [
      [0, 10, 1000],
      [201_234, 10, 1000],
      [-75_321, 60, 500],
      [12, 1, 25],
    ] as const) {
      const { tickLower, tickUpper } = rangeAround({ tick, tickSpacing: spacing, widthBps: bps });
      expect(tickLower % spacing === 0 && tickUpper % spacing === 0).toBe(true);
      expect(tickLower <= tick && tick < tickUpper).toBe(true);
      // Prices as squared sqrt ratios; the price may be anywhere in [price(tick), price(tick + 1)).
      const p = getSqrtRatioAtTick(tick) ** 2n;
      const pTop = getSqrtRatioAtTick(tick + 1) ** 2n;
      expect(getSqrtRatioAtTick(tickLower) ** 2n * 10_000n <= p * BigInt(10_000 - bps)).toBe(true);
      expect(getSqrtRatioAtTick(tickUpper) ** 2n * 10_000n >= pTop * BigInt(10_000 + bps)).toBe(true);
      // …and not wider than one spacing plus one tick on each side.
      expect(getSqrtRatioAtTick(tickLower + spacing + 1) ** 2n * 10_000n > p * BigInt(10_000 - bps)).toBe(
        true,
      );
      expect(getSqrtRatioAtTick(tickUpper - spacing - 1) ** 2n * 10_000n < p * BigInt(10_000 + bps)).toBe(
        true,
      );
    }
  });

  it("±10% at tick 0 with spacing 10 is [-1060, 960] (ln 0.9 / ln 1.0001 ≈ −1053.6, ln 1.1 / ln 1.0001 ≈ 953.1)", () => {
    expect(rangeAround({ tick: 0, tickSpacing: 10, widthBps: 1000 })).toEqual({
      tickLower: -1060,
      tickUpper: 960,
    });
  });

  it("contains the tick even when it sits on a spacing multiple, and clamps at the usable bounds", () => {
    expect(rangeAround({ tick: 60, tickSpacing: 60, widthTicks: 1 })).toEqual({
      tickLower: 0,
      tickUpper: 120,
    });
    expect(rangeAround({ tick: 887_200, tickSpacing: 60, widthTicks: 6000 }).tickUpper).toBe(887220);
    expect(rangeAround({ tick: -887_200, tickSpacing: 60, widthTicks: 6000 }).tickLower).toBe(-887220);
    // Beyond the last usable tick no range can contain the price.
    expect(() => rangeAround({ tick: MAX_TICK - 5, tickSpacing: 60, widthTicks: 60 })).toThrow(
      InvalidRangeError,
    );
    expect(() => rangeAround({ tick: MIN_TICK, tickSpacing: 60, widthTicks: 60 })).toThrow(InvalidRangeError);
  });

  it("rejects bad widths with InvalidRangeError", () => {
    expect(() => rangeAround({ tick: 0, tickSpacing: 10, widthTicks: 0 })).toThrow(InvalidRangeError);
    expect(() => rangeAround({ tick: 0, tickSpacing: 10, widthBps: 0 })).toThrow(InvalidRangeError);
    expect(() => rangeAround({ tick: 0, tickSpacing: 10, widthBps: 10_000 })).toThrow(InvalidRangeError);
    expect(() => rangeAround({ tick: 0, tickSpacing: -1, widthTicks: 10 })).toThrow(InvalidRangeError);
  });
});

import { isqrt } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { InvalidSqrtPriceError, InvalidTickError } from "../errors.ts";
import {
  getSqrtRatioAtTick,
  getTickAtSqrtRatio,
  MAX_SQRT_RATIO,
  MAX_TICK,
  MIN_SQRT_RATIO,
  MIN_TICK,
  TICK_RATIO_FACTORS,
} from "./tickMath.ts";

describe("TICK_RATIO_FACTORS", () => {
  it("are 2^128 / √1.0001^(2^i), rounded to nearest (re-derived with 512-bit fixed point)", () => {
    const P = 512n;
    const one = 1n << P;
    // x = 1/√1.0001 = √(10^4 / 10001) in P-bit fixed point.
    let x = isqrt((10_000n << (2n * P)) / 10_001n);
    TICK_RATIO_FACTORS.forEach((factor, i) => {
      if (i > 0) x = (x * x) / one;
      const shift = P - 128n;
      const rounded = (x + (1n << (shift - 1n))) >> shift;
      expect(factor, `factor ${i}`).toBe(rounded);
    });
  });
});

describe("getSqrtRatioAtTick", () => {
  it("matches the known boundary values", () => {
    expect(getSqrtRatioAtTick(MIN_TICK)).toBe(MIN_SQRT_RATIO);
    expect(getSqrtRatioAtTick(MAX_TICK)).toBe(MAX_SQRT_RATIO);
    expect(getSqrtRatioAtTick(0)).toBe(2n ** 96n);
    expect(getSqrtRatioAtTick(MIN_TICK)).toBe(4295128739n);
    expect(getSqrtRatioAtTick(MAX_TICK)).toBe(1461446703485210103287273052203988822378723970342n);
  });

  it("is within 1e-15 (relative, +1 wei) of √1.0001^tick", () => {
    // Exact reference: √1.0001^|t| from repeated squaring in 512-bit fixed point.
    const P = 512n;
    const one = 1n << P;
    const root = isqrt((10_001n << (2n * P)) / 10_000n); // √1.0001
    const pow = (t: number) => {
      let result = one;
      let base = root;
      for (let e = t; e > 0; e >>= 1) {
        if (e & 1) result = (result * base) / one;
        base = (base * base) / one;
      }
      return result;
    };
    for (const tick of [
      1, -1, 10, -10, 887, 6932, -6932, 50_000, -50_000, 200_000, -200_000, 800_000, -800_000,
    ]) {
      const exact = tick >= 0 ? (pow(tick) * 2n ** 96n) / one : (2n ** 96n * one) / pow(-tick);
      const got = getSqrtRatioAtTick(tick);
      const diff = got > exact ? got - exact : exact - got;
      expect(diff <= exact / 10n ** 15n + 1n, `tick ${tick}`).toBe(true);
    }
  });

  it("is strictly increasing", () => {
    let prev = 0n;
    for (let t = -300; t <= 300; t++) {
      const r = getSqrtRatioAtTick(t);
      expect(r > prev).toBe(true);
      prev = r;
    }
  });

  it("throws InvalidTickError out of bounds or for non-integers", () => {
    expect(() => getSqrtRatioAtTick(MIN_TICK - 1)).toThrow(InvalidTickError);
    expect(() => getSqrtRatioAtTick(MAX_TICK + 1)).toThrow(InvalidTickError);
    expect(() => getSqrtRatioAtTick(1.5)).toThrow(InvalidTickError);
  });
});

describe("getTickAtSqrtRatio", () => {
  it("maps the bounds", () => {
    expect(getTickAtSqrtRatio(MIN_SQRT_RATIO)).toBe(MIN_TICK);
    expect(getTickAtSqrtRatio(MAX_SQRT_RATIO - 1n)).toBe(MAX_TICK - 1);
    expect(getTickAtSqrtRatio(2n ** 96n)).toBe(0);
  });

  it("agrees with a plain binary search over getSqrtRatioAtTick on prices spread over the whole range", () => {
    const search = (x: bigint) => {
      let [lo, hi] = [MIN_TICK, MAX_TICK - 1];
      while (lo < hi) {
        const mid = Math.floor((lo + hi + 1) / 2);
        if (getSqrtRatioAtTick(mid) <= x) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    };
    let x = 0x9e3779b97f4a7c15n;
    for (let i = 0; i < 400; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) % 2n ** 160n;
      // Log-uniform over [MIN_SQRT_RATIO, MAX_SQRT_RATIO): shift a random 160-bit number right by 0–127 bits.
      const r = x >> BigInt(i % 128);
      if (r < MIN_SQRT_RATIO || r >= MAX_SQRT_RATIO) continue;
      expect(getTickAtSqrtRatio(r)).toBe(search(r));
    }
  });

  it("is the greatest tick whose ratio is ≤ the input: at each tick's ratio, one below and the next tick's one below", () => {
    const ticks = [MIN_TICK, MIN_TICK + 1, -200_000, -1, 0, 1, 12_345, 200_000, MAX_TICK - 2, MAX_TICK - 1];
    for (const tick of ticks) {
      const r = getSqrtRatioAtTick(tick);
      expect(getTickAtSqrtRatio(r)).toBe(tick);
      expect(getTickAtSqrtRatio(r + 1n)).toBe(tick);
      expect(getTickAtSqrtRatio(getSqrtRatioAtTick(tick + 1) - 1n)).toBe(tick);
      if (tick > MIN_TICK) expect(getTickAtSqrtRatio(r - 1n)).toBe(tick - 1);
    }
  });

  it("matches the pool's TickMath on ticks spread over the range (every 997th tick, its ratio and one below)", () => {
    for (let tick = MIN_TICK + 1; tick < MAX_TICK; tick += 997) {
      const r = getSqrtRatioAtTick(tick);
      expect(getTickAtSqrtRatio(r)).toBe(tick);
      expect(getTickAtSqrtRatio(r - 1n)).toBe(tick - 1);
    }
  });

  it("throws InvalidSqrtPriceError out of bounds", () => {
    expect(() => getTickAtSqrtRatio(MIN_SQRT_RATIO - 1n)).toThrow(InvalidSqrtPriceError);
    expect(() => getTickAtSqrtRatio(MAX_SQRT_RATIO)).toThrow(InvalidSqrtPriceError);
  });
});

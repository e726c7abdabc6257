import { describe, expect, it } from "vitest";
import { InvalidAmountError } from "./errors.ts";
import {
  amountFor,
  applyBps,
  bpsToWad,
  clamp,
  formatUnits,
  isqrt,
  mulDiv,
  parseUnits,
  sum,
  toWad,
  usdValue,
  WAD,
  wadToBpsNumber,
} from "./math.ts";

describe("math", () => {
  it("mulDiv rounds down toward zero and up away from zero", () => {
    expect(mulDiv(7n, 1n, 2n)).toBe(3n);
    expect(mulDiv(7n, 1n, 2n, "up")).toBe(4n);
    expect(mulDiv(-7n, 1n, 2n)).toBe(-3n);
    expect(mulDiv(-7n, 1n, 2n, "up")).toBe(-4n);
    expect(mulDiv(6n, 1n, 2n, "up")).toBe(3n);
    expect(() => mulDiv(1n, 1n, 0n)).toThrow(InvalidAmountError);
    // b = d is exact whatever the signs, and a zero divisor is refused even then.
    for (const [a, d] of [
      [7n, 3n],
      [-7n, 3n],
      [7n, -3n],
      [-7n, -3n],
    ] as const)
      for (const r of ["down", "up"] as const) expect(mulDiv(a, d, d, r)).toBe(a);
    expect(() => mulDiv(1n, 0n, 0n)).toThrow(InvalidAmountError);
  });

  it("values amounts in USD and back", () => {
    expect(usdValue(1_500_000n, 6, WAD)).toBe(15n * 10n ** 17n);
    expect(amountFor(3000n * WAD, 18, 2000n * WAD)).toBe(15n * 10n ** 17n);
    expect(() => amountFor(1n, 18, 0n)).toThrow(InvalidAmountError);
    expect(toWad(1n, 6)).toBe(10n ** 12n);
    expect(applyBps(10_000n, 25)).toBe(25n);
    expect(bpsToWad(4_500)).toBe((45n * WAD) / 100n);
    expect(bpsToWad(-1n)).toBe(-(WAD / 10_000n));
  });

  it("isqrt is exact on large numbers", () => {
    // Beyond a float's range too (2^1100: Number() of it is Infinity).
    const huge = [2n ** 1100n, 2n ** 1100n - 1n, (2n ** 600n + 3n) ** 2n, (2n ** 600n + 3n) ** 2n - 1n];
    for (const x of [
      0n,
      1n,
      2n,
      3n,
      4n,
      15n,
      16n,
      17n,
      99n,
      100n,
      10n ** 36n + 7n,
      (2n ** 128n - 1n) ** 2n,
      ...huge,
    ]) {
      const r = isqrt(x);
      expect(r * r <= x && (r + 1n) * (r + 1n) > x).toBe(true);
    }
    expect(() => isqrt(-1n)).toThrow(InvalidAmountError);
  });

  it("helpers: clamp, sum, bps numbers", () => {
    expect(clamp(5n, 0n, 3n)).toBe(3n);
    expect(clamp(-5n, 0n, 3n)).toBe(0n);
    expect(sum([1n, 2n, 3n])).toBe(6n);
    expect(wadToBpsNumber(WAD / 3n)).toBe(3333.33);
    expect(wadToBpsNumber(-WAD / 3n)).toBe(-3333.33);
  });

  it("parses and formats units without floats", () => {
    expect(parseUnits("1234.5", 6)).toBe(1_234_500_000n);
    expect(parseUnits("-0.1", 18)).toBe(-(10n ** 17n));
    expect(() => parseUnits("1.1234567", 6, "x")).toThrow(InvalidAmountError);
    expect(() => parseUnits("abc", 6)).toThrow(/decimal number/);
    expect(formatUnits(1_234_500_000n, 6)).toBe("1234.5");
    expect(formatUnits(-5n, 2)).toBe("-0.05");
  });
});

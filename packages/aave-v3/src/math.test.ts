import {
  calculateCompoundedInterest as refCompounded,
  getReserveNormalizedIncome as refIncome,
  rayDiv as refRayDiv,
  rayMul as refRayMul,
} from "@aave/math-utils";
import { RAY } from "@ballast/core";
import { describe, expect, it } from "vitest";
import {
  aaveWadDiv,
  calculateCompoundedInterest,
  calculateLinearInterest,
  normalizedDebt,
  normalizedIncome,
  percentDiv,
  percentMul,
  rayDiv,
  rayDivCeil,
  rayDivFloor,
  rayMul,
  rayMulCeil,
  rayMulFloor,
  SECONDS_PER_YEAR,
} from "./math.ts";

/** Deterministic pseudo-random bigints (xorshift), so failures reproduce. */
function* randoms(seed: bigint, count: number, bits: bigint): Generator<bigint> {
  let x = seed;
  const mask = (1n << 64n) - 1n;
  for (let i = 0; i < count; i++) {
    let out = 0n;
    for (let b = 0n; b < bits; b += 64n) {
      x ^= (x << 13n) & mask;
      x ^= x >> 7n;
      x ^= (x << 17n) & mask;
      out = (out << 64n) | x;
    }
    yield out & ((1n << bits) - 1n);
  }
}

describe("WadRayMath / PercentageMath", () => {
  it("rounds half up like Solidity", () => {
    expect(rayMul(3n, RAY / 2n)).toBe(2n); // 1.5 → 2
    expect(rayMul(1n, RAY / 2n - 1n)).toBe(0n);
    expect(rayDiv(1n, 2n * RAY)).toBe(1n); // 0.5 → 1
    expect(aaveWadDiv(1n, 3n)).toBe(333333333333333333n);
    expect(aaveWadDiv(2n, 3n)).toBe(666666666666666667n);
    expect(percentMul(1n, 5000n)).toBe(1n); // 0.5 → 1
    expect(percentMul(10_001n, 8250n)).toBe(8251n); // 8250.825 → 8251
    expect(percentDiv(1600n, 8000n)).toBe(2000n);
  });

  it("floor/ceil variants bracket the half-up result", () => {
    for (const a of randoms(7n, 200, 128n)) {
      const b = RAY + (a % RAY);
      expect(rayMulFloor(a, b) <= rayMul(a, b) && rayMul(a, b) <= rayMulCeil(a, b)).toBe(true);
      expect(rayMulCeil(a, b) - rayMulFloor(a, b) <= 1n).toBe(true);
      expect(rayDivFloor(a, b) <= rayDiv(a, b) && rayDiv(a, b) <= rayDivCeil(a, b)).toBe(true);
    }
  });

  it("agrees with @aave/math-utils rayMul/rayDiv", () => {
    const xs = [...randoms(11n, 100, 120n)];
    for (const [i, a] of xs.entries()) {
      const b = xs[(i + 1) % xs.length]! | 1n;
      expect(rayMul(a, b).toString()).toBe(refRayMul(a.toString(), b.toString()).toFixed(0));
      expect(rayDiv(a, b).toString()).toBe(refRayDiv(a.toString(), b.toString()).toFixed(0));
    }
  });
});

describe("interest", () => {
  const rate = 5n * 10n ** 25n; // 5% a year, ray

  it("linear interest over a year adds the rate", () => {
    expect(calculateLinearInterest(rate, 0n, SECONDS_PER_YEAR)).toBe(RAY + rate);
  });

  it("compounded interest is the three-term binomial approximation (legacy)", () => {
    expect(calculateCompoundedInterest("legacy", rate, 100n, 100n)).toBe(RAY);
    // One second: only the first term.
    expect(calculateCompoundedInterest("legacy", rate, 0n, 1n)).toBe(RAY + rate / SECONDS_PER_YEAR);
    const year = calculateCompoundedInterest("legacy", rate, 0n, SECONDS_PER_YEAR);
    // e^0.05 ≈ 1.051271; the approximation is a hair below.
    expect(year > RAY + rate && year < (RAY * 1051272n) / 1000000n).toBe(true);
  });

  it("compounded interest is 1 + x + x²/2 + x³/6 of x = rate·t (latest), not the binomial", () => {
    expect(calculateCompoundedInterest("latest", rate, 100n, 100n)).toBe(RAY);
    const x = (rate * 10n * 86_400n) / SECONDS_PER_YEAR;
    // In rays, the three terms with Aave's half-up rayMul: x·(x/2 + x·(x/6)).
    const expected = RAY + x + (x * (x / 2n + (x * (x / 6n) + RAY / 2n) / RAY) + RAY / 2n) / RAY;
    const latest = calculateCompoundedInterest("latest", rate, 0n, 10n * 86_400n);
    expect(latest).toBe(expected);
    expect(latest).not.toBe(calculateCompoundedInterest("legacy", rate, 0n, 10n * 86_400n));
    // e^0.05 ≈ 1.0512711; three Taylor terms give 1.0512708.
    const year = calculateCompoundedInterest("latest", rate, 0n, SECONDS_PER_YEAR);
    expect(year > (RAY * 1051270n) / 1000000n && year < (RAY * 1051271n) / 1000000n).toBe(true);
  });

  // math-utils compounds a per-second rate with more binomial terms than the contract; over a year the two
  // drift apart by ~5e-6 (the contract's approximation undershoots), within a day by < 1e-12.
  it("agrees with @aave/math-utils within its rounding", () => {
    for (const dt of [1n, 2n, 3n, 12n, 3600n, 86_400n, SECONDS_PER_YEAR]) {
      const ours = calculateCompoundedInterest("legacy", rate, 0n, dt);
      const ref = BigInt(
        refCompounded({
          rate: rate.toString(),
          currentTimestamp: Number(dt),
          lastUpdateTimestamp: 0,
        }).toFixed(0),
      );
      const diff = ours > ref ? ours - ref : ref - ours;
      expect(diff <= (dt > 86_400n ? ours / 100_000n : ours / 10n ** 12n)).toBe(true);
      const inc = normalizedIncome(
        { liquidityIndex: RAY + 123n, liquidityRate: rate, lastUpdateTimestamp: 0n },
        dt,
      );
      const refInc = BigInt(
        refIncome({
          rate: rate.toString(),
          index: (RAY + 123n).toString(),
          lastUpdateTimestamp: 0,
          currentTimestamp: Number(dt),
        }).toFixed(0),
      );
      expect(inc > refInc ? inc - refInc : refInc - inc).toBeLessThanOrEqual(10n ** 9n);
    }
  });

  it("returns the stored index when updated in the same second", () => {
    const r = {
      liquidityIndex: RAY + 5n,
      variableBorrowIndex: RAY + 7n,
      liquidityRate: rate,
      variableBorrowRate: rate,
      lastUpdateTimestamp: 42n,
    };
    expect(normalizedIncome(r, 42n)).toBe(RAY + 5n);
    expect(normalizedDebt("legacy", r, 42n)).toBe(RAY + 7n);
    expect(normalizedDebt("legacy", r, 43n)).toBe(rayMul(RAY + rate / SECONDS_PER_YEAR, RAY + 7n));
  });
});

/**
 * Aave V3's fixed-point math, bit for bit (WadRayMath, PercentageMath, MathUtils), in bigint.
 * Half-up rounding unless the name says floor/ceil (the v3.5 variants).
 */
import { RAY, WAD } from "@ballast/core";
import type { AaveMarketVersion } from "./types.ts";

/** Half a ray. */
export const HALF_RAY = RAY / 2n;
/** Half a wad. */
export const HALF_WAD = WAD / 2n;
/** 100.00% in Aave's percentage math (basis points). */
export const PERCENTAGE_FACTOR = 10_000n;
/** Seconds per year as Aave counts them (365 days, no leap years). */
export const SECONDS_PER_YEAR = 365n * 24n * 60n * 60n;
/** `type(uint256).max`: "all of it" for withdraw and repay, and an infinite health factor. */
export const MAX_UINT256 = 2n ** 256n - 1n;

/** `a * b / RAY`, rounded half up (WadRayMath.rayMul). */
export const rayMul = (a: bigint, b: bigint): bigint => (a * b + HALF_RAY) / RAY;
/** `a * RAY / b`, rounded half up (WadRayMath.rayDiv). */
export const rayDiv = (a: bigint, b: bigint): bigint => (a * RAY + b / 2n) / b;
/** `a * b / RAY`, rounded down (v3.5 WadRayMath.rayMulFloor). */
export const rayMulFloor = (a: bigint, b: bigint): bigint => (a * b) / RAY;
/** `a * b / RAY`, rounded up (v3.5 WadRayMath.rayMulCeil). */
export const rayMulCeil = (a: bigint, b: bigint): bigint => ceilDiv(a * b, RAY);
/** `a * RAY / b`, rounded down (v3.5 WadRayMath.rayDivFloor). */
export const rayDivFloor = (a: bigint, b: bigint): bigint => (a * RAY) / b;
/** `a * RAY / b`, rounded up (v3.5 WadRayMath.rayDivCeil). */
export const rayDivCeil = (a: bigint, b: bigint): bigint => ceilDiv(a * RAY, b);
/** `a * WAD / b`, rounded half up (WadRayMath.wadDiv). */
export const aaveWadDiv = (a: bigint, b: bigint): bigint => (a * WAD + b / 2n) / b;
/** `value * bps / 10,000`, rounded half up (PercentageMath.percentMul). */
export const percentMul = (value: bigint, bps: bigint): bigint =>
  (value * bps + PERCENTAGE_FACTOR / 2n) / PERCENTAGE_FACTOR;
/** `value * bps / 10,000`, rounded down (v3.5 PercentageMath.percentMulFloor). */
export const percentMulFloor = (value: bigint, bps: bigint): bigint => (value * bps) / PERCENTAGE_FACTOR;
/** `value * 10,000 / bps`, rounded half up (PercentageMath.percentDiv). */
export const percentDiv = (value: bigint, bps: bigint): bigint =>
  (value * PERCENTAGE_FACTOR + bps / 2n) / bps;
/** `a / b` rounded up, for non-negative operands. */
export const ceilDiv = (a: bigint, b: bigint): bigint => (a === 0n ? 0n : (a - 1n) / b + 1n);

/** Linear interest factor (ray) of `rate` (ray, per year) from `lastUpdate` to `now` (MathUtils). */
export function calculateLinearInterest(rate: bigint, lastUpdate: bigint, now: bigint): bigint {
  return RAY + (rate * (now - lastUpdate)) / SECONDS_PER_YEAR;
}

/**
 * Compounded interest factor (ray) of MathUtils.calculateCompoundedInterest. `legacy` (v3.0): the three-term binomial
 * expansion of (1 + rate/year)^seconds. `latest` (aave-v3-origin 3.6): three Taylor terms of e^x, x = rate·t/year,
 * `RAY + x + x·(x/2 + x·x/6)` with ray multiplications — the two differ in the last digits after a few days.
 */
export function calculateCompoundedInterest(
  version: AaveMarketVersion,
  rate: bigint,
  lastUpdate: bigint,
  now: bigint,
): bigint {
  const exp = now - lastUpdate;
  if (exp === 0n) return RAY;
  if (version === "latest") {
    const x = (rate * exp) / SECONDS_PER_YEAR;
    return RAY + x + rayMul(x, x / 2n + rayMul(x, x / 6n));
  }
  const expMinusOne = exp - 1n;
  const expMinusTwo = exp > 2n ? exp - 2n : 0n;
  const basePowerTwo = rayMul(rate, rate) / (SECONDS_PER_YEAR * SECONDS_PER_YEAR);
  const basePowerThree = rayMul(basePowerTwo, rate) / SECONDS_PER_YEAR;
  const secondTerm = (exp * expMinusOne * basePowerTwo) / 2n;
  const thirdTerm = (exp * expMinusOne * expMinusTwo * basePowerThree) / 6n;
  return RAY + (rate * exp) / SECONDS_PER_YEAR + secondTerm + thirdTerm;
}

/** The supply index at `now` (ReserveLogic.getNormalizedIncome). */
export function normalizedIncome(
  reserve: { liquidityIndex: bigint; liquidityRate: bigint; lastUpdateTimestamp: bigint },
  now: bigint,
): bigint {
  if (reserve.lastUpdateTimestamp === now) return reserve.liquidityIndex;
  return rayMul(
    calculateLinearInterest(reserve.liquidityRate, reserve.lastUpdateTimestamp, now),
    reserve.liquidityIndex,
  );
}

/** The variable-debt index at `now` (ReserveLogic.getNormalizedDebt). */
export function normalizedDebt(
  version: AaveMarketVersion,
  reserve: { variableBorrowIndex: bigint; variableBorrowRate: bigint; lastUpdateTimestamp: bigint },
  now: bigint,
): bigint {
  if (reserve.lastUpdateTimestamp === now) return reserve.variableBorrowIndex;
  return rayMul(
    calculateCompoundedInterest(version, reserve.variableBorrowRate, reserve.lastUpdateTimestamp, now),
    reserve.variableBorrowIndex,
  );
}

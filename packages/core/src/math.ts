import { InvalidAmountError } from "./errors.ts";

/** How a division that is not exact is rounded. */
export type Rounding = "down" | "up";

/** 1e18: the unit of wad fractions and of USD prices. */
export const WAD = 10n ** 18n;
/** 1e27: Aave's ray. */
export const RAY = 10n ** 27n;
/** 10,000 basis points = 100%. */
export const BPS = 10_000n;

const POW10: bigint[] = Array.from({ length: 78 }, (_, k) => 10n ** BigInt(k));
/** 10^k as a bigint (cached for 0 ≤ k ≤ 77, the range of token decimals). */
export const pow10 = (k: number): bigint => POW10[k] ?? 10n ** BigInt(k);

/** Absolute value of a bigint. */
export const abs = (x: bigint): bigint => (x < 0n ? -x : x);
/** The smaller of two bigints. */
export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
/** The larger of two bigints. */
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/**
 * `a * b / d` with explicit rounding (toward zero for "down", away from zero for "up" on the magnitude).
 * Signed inputs are allowed; the sign of the result is the sign of `a * b / d`.
 */
export function mulDiv(a: bigint, b: bigint, d: bigint, rounding: Rounding = "down"): bigint {
  if (d === 0n) throw new InvalidAmountError("mulDiv.denominator", d, "a non-zero divisor");
  if (b === d) return a; // exact (a sleeve's whole share, a share of 100%): no product, no division
  const n = a * b;
  const q = n / d;
  if (rounding === "up" && n % d !== 0n) return n < 0n !== d < 0n ? q - 1n : q + 1n;
  return q;
}

/** `a * b / 1e18`, rounded as asked. */
export const wadMul = (a: bigint, b: bigint, rounding: Rounding = "down"): bigint =>
  mulDiv(a, b, WAD, rounding);
/** `a * 1e18 / b`, rounded as asked. */
export const wadDiv = (a: bigint, b: bigint, rounding: Rounding = "down"): bigint =>
  mulDiv(a, WAD, b, rounding);
/** `amount * bps / 10,000`, rounded as asked. */
export const applyBps = (amount: bigint, bps: bigint | number, rounding: Rounding = "down"): bigint =>
  mulDiv(amount, BigInt(bps), BPS, rounding);
/** A wad fraction (1e18 = 100%) as basis points, rounded as asked. */
export const wadToBps = (wad: bigint, rounding: Rounding = "down"): bigint => mulDiv(wad, BPS, WAD, rounding);
/** A basis point as a wad fraction (1e14: WAD / BPS has no remainder). */
const WAD_PER_BPS = WAD / BPS;
/** Basis points as a wad fraction (exact). */
export const bpsToWad = (bps: bigint | number): bigint => BigInt(bps) * WAD_PER_BPS;

/** Scales a token amount with `decimals` to 18 decimals (exact when decimals ≤ 18). */
export function toWad(amount: bigint, decimals: number, rounding: Rounding = "down"): bigint {
  return decimals <= 18 ? amount * pow10(18 - decimals) : mulDiv(amount, 1n, pow10(decimals - 18), rounding);
}

/** Scales an 18-decimal amount to a token's `decimals`, rounded as asked. */
export function fromWad(wad: bigint, decimals: number, rounding: Rounding = "down"): bigint {
  return decimals <= 18 ? mulDiv(wad, 1n, pow10(18 - decimals), rounding) : wad * pow10(decimals - 18);
}

/** USD value (wad) of `amount` base units of a token with `decimals` at `price` (USD wad per whole token). */
export function usdValue(
  amount: bigint,
  decimals: number,
  price: bigint,
  rounding: Rounding = "down",
): bigint {
  return mulDiv(amount, price, pow10(decimals), rounding);
}

/** Base units of a token worth `usd` (wad) at `price` (USD wad per whole token). */
export function amountFor(usd: bigint, decimals: number, price: bigint, rounding: Rounding = "down"): bigint {
  if (price <= 0n) throw new InvalidAmountError("price", price, "a positive price");
  return mulDiv(usd, pow10(decimals), price, rounding);
}

/** Parses a decimal string ("1234.5") into base units with `decimals`, rejecting excess precision. */
export function parseUnits(text: string, decimals: number, field = "amount"): bigint {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new InvalidAmountError(field, text, "a decimal number such as 1234.5");
  const [, sign, whole = "0", frac = ""] = m;
  if (frac.length > decimals) throw new InvalidAmountError(field, text, `at most ${decimals} decimals`);
  const v = BigInt(whole + frac.padEnd(decimals, "0"));
  return sign ? -v : v;
}

/** Formats base units with `decimals` as a decimal string, trimming trailing zeros (no float involved). */
export function formatUnits(value: bigint, decimals: number, maxFractionDigits = decimals): string {
  const neg = value < 0n;
  const v = abs(value);
  const base = pow10(decimals);
  const whole = v / base;
  let frac = (v % base).toString().padStart(decimals, "0").slice(0, maxFractionDigits).replace(/0+$/, "");
  if (decimals === 0) frac = "";
  return `${neg ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

/** `x` clamped to `[lo, hi]` (expects `lo <= hi`). */
export const clamp = (x: bigint, lo: bigint, hi: bigint): bigint => (x < lo ? lo : x > hi ? hi : x);

/** Integer square root, rounded down; throws on a negative input. Exact for any size (no float estimate). */
export function isqrt(x: bigint): bigint {
  if (x < 0n) throw new InvalidAmountError("isqrt.x", x, "a non-negative integer");
  if (x < 2n) return x;
  // Newton's method from a power of two at or above the root: it decreases to the floor root, then stops.
  let r = 1n << BigInt(Math.ceil(x.toString(2).length / 2));
  for (;;) {
    const next = (r + x / r) >> 1n;
    if (next >= r) return r;
    r = next;
  }
}

/** 1e12: a hundredth of a basis point as a wad fraction. */
const CENTI_BPS_WAD = 10n ** 12n;
/** A wad fraction as a basis-point `number` with two decimals (truncated toward zero): for display and rules. */
export const wadToBpsNumber = (wad: bigint): number => Number(wad / CENTI_BPS_WAD) / 100;

/** Sums a list of bigints. */
export const sum = (xs: Iterable<bigint>): bigint => {
  let s = 0n;
  for (const x of xs) s += x;
  return s;
};

/** Parses "0.3%" (or "30bps") into basis points, exactly: no float is involved. */
export function parsePercentBps(text: string, field: string): number {
  const t = text.trim();
  if (/bps$/i.test(t)) return Number(parseUnits(t.slice(0, -3), 0, field));
  if (!t.endsWith("%")) throw new Error(`expected a percentage such as "5%" or "30bps", got "${text}"`);
  return Number(parseUnits(t.slice(0, -1), 2, field));
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/** Parses "30s", "15m", "1h", "7d" or "2w" into seconds. */
export function parseDurationSeconds(text: string): number {
  const m = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (!m) throw new Error(`expected a duration such as "30s", "1h" or "7d", got "${text}"`);
  return Number(m[1]) * (UNIT_SECONDS[m[2] as string] as number);
}

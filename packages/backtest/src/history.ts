import { parseUnits } from "@ballast/core";
import { PriceHistoryError } from "./errors.ts";

/** USD prices of economic symbols over time: `rows[i][j]` is the USD wad of `symbols[j]` at `times[i]`. */
export type PriceHistory = {
  /** Unix seconds, strictly increasing. */
  readonly times: readonly number[];
  readonly symbols: readonly string[];
  readonly rows: readonly (readonly bigint[])[];
};

const SYMBOL = /^[A-Za-z0-9.]+$/;

/**
 * A moment as unix seconds: digits are unix seconds; an ISO 8601 date or date-time is read as UTC unless it names a
 * zone (`2025-01-31`, `2025-01-31T14:00`, `2025-01-31 14:00:00+02:00`). Undefined when it is neither.
 */
export function parseTimestamp(text: string): number | undefined {
  const cell = text.trim();
  if (/^\d+$/.test(cell)) {
    const t = Number(cell);
    return Number.isSafeInteger(t) ? t : undefined;
  }
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(cell);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2] ?? "00:00"}${m[3] ?? "Z"}`);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
}

function parseTime(cell: string, where: { file?: string; line: number }): number {
  const t = parseTimestamp(cell);
  if (t !== undefined) return t;
  throw new PriceHistoryError(
    `timestamp "${cell}" is neither unix seconds nor an ISO 8601 date such as 2025-01-31T14:00Z`,
    where,
  );
}

function parsePrice(cell: string, symbol: string, where: { file?: string; line: number }): bigint {
  let p: bigint | undefined;
  try {
    p = parseUnits(cell, 18, symbol);
  } catch {
    p = undefined;
  }
  if (p === undefined || p <= 0n)
    throw new PriceHistoryError(
      `${symbol} price "${cell}" is not a positive decimal number of USD (at most 18 decimals)`,
      where,
    );
  return p;
}

/**
 * Parses a price history CSV: a header `timestamp,SYMBOL,SYMBOL,…` then one row per moment, the timestamp in unix
 * seconds or ISO 8601 (UTC when no zone is given), strictly increasing, and each symbol's USD price as a decimal
 * (`3021.55`). Blank lines and lines starting with `#` are skipped. Throws {@link PriceHistoryError} naming the line.
 */
export function parsePriceCsv(text: string, file?: string): PriceHistory {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const at = (line: number) => (file === undefined ? { line } : { file, line });
  let symbols: string[] | undefined;
  const times: number[] = [];
  const rows: bigint[][] = [];
  lines.forEach((raw, i) => {
    const line = i + 1;
    const text = raw.trim();
    if (text === "" || text.startsWith("#")) return;
    const cells = text.split(",").map((c) => c.trim());
    if (!symbols) {
      const [first, ...rest] = cells;
      if (first?.toLowerCase() !== "timestamp" || rest.length === 0)
        throw new PriceHistoryError(
          'the header must be "timestamp" followed by one column per symbol, e.g. "timestamp,WETH,USDC"',
          at(line),
        );
      rest.forEach((s, j) => {
        if (!SYMBOL.test(s))
          throw new PriceHistoryError(`column ${j + 2}: "${s}" is not a token symbol`, at(line));
        if (rest.indexOf(s) !== j) throw new PriceHistoryError(`column "${s}" appears twice`, at(line));
      });
      symbols = rest;
      return;
    }
    if (cells.length !== symbols.length + 1)
      throw new PriceHistoryError(
        `expected ${symbols.length + 1} cells (timestamp,${symbols.join(",")}), found ${cells.length}`,
        at(line),
      );
    const t = parseTime(cells[0] as string, at(line));
    const prev = times[times.length - 1];
    if (prev !== undefined && t <= prev)
      throw new PriceHistoryError(`timestamp ${t} is not after the previous row's ${prev}`, at(line));
    times.push(t);
    rows.push(symbols.map((s, j) => parsePrice(cells[j + 1] as string, s, at(line))));
  });
  if (!symbols) throw new PriceHistoryError("the file has no header row", file === undefined ? {} : { file });
  return checkLength({ times, symbols, rows }, file);
}

function checkLength(h: PriceHistory, file?: string): PriceHistory {
  if (h.times.length < 2)
    throw new PriceHistoryError(
      `a backtest needs at least 2 rows of prices, found ${h.times.length}`,
      file === undefined ? {} : { file },
    );
  return h;
}

/** The rows with `from ≤ time ≤ to` (unix seconds, either bound optional); at least two must remain. */
export function sliceHistory(h: PriceHistory, range: { from?: number; to?: number }): PriceHistory {
  const keep = h.times.map(
    (t) => (range.from === undefined || t >= range.from) && (range.to === undefined || t <= range.to),
  );
  return checkLength({
    times: h.times.filter((_, i) => keep[i]),
    symbols: h.symbols,
    rows: h.rows.filter((_, i) => keep[i]),
  });
}

/** Inputs of {@link syntheticHistory}: a seeded geometric Brownian motion, one common factor for the correlation. */
export type SyntheticParameters = {
  readonly symbols: readonly string[];
  /** Symbols held at exactly $1 (stablecoins). */
  readonly stable: readonly string[];
  /** Start price per symbol, USD wad (default $1 for stable symbols, $1,000 for the others). */
  readonly startPrices?: Readonly<Record<string, bigint>>;
  /** Unix seconds of the first row. */
  readonly start: number;
  readonly steps: number;
  readonly intervalSeconds: number;
  readonly seed: number;
  /** Annual volatility (0.6 = 60%). */
  readonly volatility: number;
  /** Annual drift of the log price's expectation (0.05 = 5%). */
  readonly drift: number;
  /** Pairwise correlation of the non-stable symbols' shocks, in [0, 1]. */
  readonly correlation: number;
};

/** A seeded 32-bit generator (mulberry32): the same seed gives the same sequence on every machine. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const YEAR_SECONDS = 31_536_000;

/**
 * A synthetic history: each non-stable symbol follows a geometric Brownian motion with the given annual volatility
 * and drift; shocks share one common factor so that any two have the given correlation. Floats drive the random path
 * only; every price handed on is an 18-decimal bigint (rounded to 1e-8 USD). Same parameters → same history.
 */
export function syntheticHistory(p: SyntheticParameters): PriceHistory {
  if (!Number.isSafeInteger(p.steps) || p.steps < 2)
    throw new PriceHistoryError(`synthetic history: steps must be an integer ≥ 2, got ${p.steps}`);
  if (!Number.isSafeInteger(p.intervalSeconds) || p.intervalSeconds <= 0)
    throw new PriceHistoryError(`synthetic history: the interval must be a positive number of seconds`);
  if (!(p.correlation >= 0 && p.correlation <= 1))
    throw new PriceHistoryError(`synthetic history: correlation must be in [0, 1], got ${p.correlation}`);
  if (!(p.volatility >= 0) || !Number.isFinite(p.drift))
    throw new PriceHistoryError("synthetic history: volatility must be ≥ 0 and drift finite");
  const rand = mulberry32(p.seed);
  const normal = () => {
    const u = 1 - rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const dt = p.intervalSeconds / YEAR_SECONDS;
  const mu = (p.drift - (p.volatility * p.volatility) / 2) * dt;
  const sigma = p.volatility * Math.sqrt(dt);
  const [wf, we] = [Math.sqrt(p.correlation), Math.sqrt(1 - p.correlation)];
  const stable = new Set(p.stable);
  const logs = p.symbols.map((s) => {
    const start = p.startPrices?.[s] ?? (stable.has(s) ? 10n ** 18n : 1000n * 10n ** 18n);
    return Math.log(Number(start / 10n ** 10n) / 1e8);
  });
  const times: number[] = [];
  const rows: bigint[][] = [];
  for (let i = 0; i < p.steps; i++) {
    if (i > 0) {
      const factor = normal();
      p.symbols.forEach((s, j) => {
        const z = wf * factor + we * normal();
        if (!stable.has(s)) logs[j] = (logs[j] as number) + mu + sigma * z;
      });
    }
    times.push(p.start + i * p.intervalSeconds);
    rows.push(
      p.symbols.map((s, j) =>
        stable.has(s)
          ? 10n ** 18n
          : BigInt(Math.max(1, Math.round(Math.exp(logs[j] as number) * 1e8))) * 10n ** 10n,
      ),
    );
  }
  return { times, symbols: [...p.symbols], rows };
}

import { describe, expect, it } from "vitest";
import { PriceHistoryError } from "./errors.ts";
import { parsePriceCsv, sliceHistory, syntheticHistory } from "./history.ts";

const WAD = 10n ** 18n;
const error = (f: () => unknown): PriceHistoryError => {
  try {
    f();
  } catch (e) {
    if (e instanceof PriceHistoryError) return e;
    throw e;
  }
  throw new Error("expected a PriceHistoryError");
};

describe("parsePriceCsv", () => {
  it("reads unix seconds and ISO dates (UTC without a zone), decimals as exact wads, skipping comments", () => {
    const h = parsePriceCsv(
      "# prices\ntimestamp,WETH,USDC\n1735689600,3000.5,1\n\n2025-01-01T01:00,3001.000000000000000001,0.9999\n2025-01-01T03:00+01:00,2999,1\n",
    );
    expect(h.symbols).toEqual(["WETH", "USDC"]);
    expect(h.times).toEqual([1_735_689_600, 1_735_693_200, 1_735_696_800]);
    expect(h.rows[0]).toEqual([3_000_500_000_000_000_000_000n, WAD]);
    expect(h.rows[1]).toEqual([3_001n * WAD + 1n, 999_900_000_000_000_000n]);
  });

  it.each([
    ["a bad price", "timestamp,WETH\n1,3000\n2,abc\n", 3, /WETH price "abc"/],
    ["a zero price", "timestamp,WETH\n1,3000\n2,0\n", 3, /positive/],
    ["a missing cell", "timestamp,WETH,USDC\n1,3000,1\n2,3000\n", 3, /expected 3 cells/],
    ["a timestamp going back", "timestamp,WETH\n5,3000\n# note\n4,3000\n", 4, /not after/],
    ["a bad timestamp", "timestamp,WETH\n1,3000\nyesterday,3000\n", 3, /timestamp "yesterday"/],
    ["a bad header", "time,WETH\n1,3000\n", 1, /header/],
    ["a duplicated column", "timestamp,WETH,WETH\n1,3000,3000\n", 1, /twice/],
  ])("names the line of %s", (_, text, line, message) => {
    const e = error(() => parsePriceCsv(text, "prices.csv"));
    expect(e.where).toEqual({ file: "prices.csv", line });
    expect(e.shortMessage).toMatch(new RegExp(`^prices\\.csv:${line}: `));
    expect(e.shortMessage).toMatch(message);
  });

  it("needs two rows, also after slicing", () => {
    expect(error(() => parsePriceCsv("timestamp,WETH\n1,3000\n")).shortMessage).toMatch(/at least 2 rows/);
    const h = parsePriceCsv("timestamp,WETH\n1,1\n2,2\n3,3\n");
    expect(sliceHistory(h, { from: 2 }).times).toEqual([2, 3]);
    expect(() => sliceHistory(h, { from: 2, to: 2 })).toThrow(PriceHistoryError);
  });
});

describe("syntheticHistory", () => {
  const params = {
    symbols: ["WETH", "WBTC", "USDC"],
    stable: ["USDC"],
    startPrices: { WETH: 3_000n * WAD },
    start: 1_000,
    steps: 500,
    intervalSeconds: 3_600,
    seed: 3,
    volatility: 0.8,
    drift: 0,
    correlation: 0.9,
  };

  it("is seeded: same parameters, same path; stablecoins stay at $1; start prices as given", () => {
    const a = syntheticHistory(params);
    expect(syntheticHistory(params)).toEqual(a);
    expect(syntheticHistory({ ...params, seed: 4 }).rows).not.toEqual(a.rows);
    expect(a.rows.every((r) => r[2] === WAD)).toBe(true);
    expect(a.rows[0]).toEqual([3_000n * WAD, 1_000n * WAD, WAD]);
    expect(a.times[499]).toBe(1_000 + 499 * 3_600);
  });

  it("moves with the drift and volatility asked (no volatility: the drift exactly, over a year; realized volatility)", () => {
    const calm = syntheticHistory({
      ...params,
      steps: 366,
      intervalSeconds: 86_400,
      volatility: 0,
      drift: 0.1,
    });
    const last = calm.rows.at(-1)?.[0] as bigint;
    expect(Number(last / 10n ** 10n) / 1e8).toBeCloseTo(3_000 * Math.exp(0.1), 2);
    const vol = (v: number) => {
      const h = syntheticHistory({ ...params, steps: 3_000, volatility: v });
      const r = h.rows
        .slice(1)
        .map((row, i) => Math.log(Number(row[0]) / Number((h.rows[i] as bigint[])[0])));
      const m = r.reduce((a, x) => a + x, 0) / r.length;
      return Math.sqrt((r.reduce((a, x) => a + (x - m) ** 2, 0) / r.length) * 8_760);
    };
    expect(vol(0.8)).toBeGreaterThan(0.72);
    expect(vol(0.8)).toBeLessThan(0.88);
    expect(vol(0.2)).toBeLessThan(0.22);
  });

  it("correlates the risky symbols' moves as asked", () => {
    const corr = (c: number) => {
      const h = syntheticHistory({ ...params, steps: 3_000, correlation: c });
      const ret = (j: number) =>
        h.rows.slice(1).map((r, i) => Math.log(Number(r[j]) / Number((h.rows[i] as bigint[])[j])));
      const [x, y] = [ret(0), ret(1)];
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      const [mx, my] = [mean(x), mean(y)];
      const cov = mean(x.map((v, i) => (v - mx) * ((y[i] as number) - my)));
      return cov / Math.sqrt(mean(x.map((v) => (v - mx) ** 2)) * mean(y.map((v) => (v - my) ** 2)));
    };
    expect(corr(0.9)).toBeGreaterThan(0.85);
    expect(Math.abs(corr(0))).toBeLessThan(0.1);
  });
});

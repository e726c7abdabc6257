import { describe, expect, it } from "vitest";
import { DiscoverError } from "./discover.ts";
import { todaysWeights } from "./write.ts";

const usd = (n: number) => BigInt(Math.round(n * 100)) * 10n ** 16n;

describe("todaysWeights", () => {
  it("sums to exactly 10,000 bps, debts negative, remainders to the largest fractions", () => {
    const w = todaysWeights([usd(24_969.32), usd(25_030.67), usd(15_000), usd(45_000), usd(-10_000)]);
    expect(w).toEqual([2497, 2503, 1500, 4500, -1000]);
    expect(w.reduce((a, b) => a + b, 0)).toBe(10_000);
    // Thirds: 3333.33 each, one gets the last bp (the first, on a tie).
    expect(todaysWeights([usd(1), usd(1), usd(1)])).toEqual([3334, 3333, 3333]);
    const odd = todaysWeights([usd(0.07), usd(123.45), usd(99_876.48), usd(-0.01)]);
    expect(odd.reduce((a, b) => a + b, 0)).toBe(10_000);
  });

  it("refuses a portfolio whose debts outweigh its assets", () => {
    expect(() => todaysWeights([usd(100), usd(-150)])).toThrow(DiscoverError);
  });
});

import { WAD } from "@ballast/core";
import { getPositionPrincipal, type LpPosition } from "@ballast/uniswap-v3";
import { describe, expect, it } from "vitest";
import { accrue, openBook, valueBook } from "./account.ts";
import { chains, ethPath, rules, sleeves, zeroRates } from "./fixtures.test-util.ts";
import { type Book, buildWorld, emptyBook, type Market, repricePositions } from "./world.ts";

const YEAR = 31_536_000;
const NAV = 1_000_000n * WAD;
const [weth, usdc] = (chains[0]?.tokens ?? []).map((t) => t.id) as [string, string];

describe("the simulated account", () => {
  it("accrues Aave supply and debt at the configured rates, debt rounded up", () => {
    const book = emptyBook();
    book.supply.set(usdc as never, 1_000_000n * 10n ** 6n);
    book.debt.set(weth as never, 1_000_000_001n);
    accrue(book, YEAR, { ...zeroRates, supplyAprBps: 300, borrowAprBps: 500 });
    expect(book.supply.get(usdc as never)).toBe(1_030_000n * 10n ** 6n);
    expect(book.debt.get(weth as never)).toBe(1_050_000_002n); // 1,050,000,001.05 up
    accrue(book, 0, { ...zeroRates, supplyAprBps: 300, borrowAprBps: 500 });
    expect(book.supply.get(usdc as never)).toBe(1_030_000n * 10n ** 6n);
  });

  // WETH at $3,000, $3,100 (inside the ±10% range), then $4,000 and $5,000 (above it).
  const world = buildWorld(chains, sleeves, ethPath([3_000, 3_100, 4_000, 5_000]));
  const at = (i: number) => world.markets[i] as Market;
  const lpOf = (book: Book) => book.lp[0] as LpPosition;
  const lpValue = (book: Book, i: number) =>
    valueBook(world, book, at(i), rules(), zeroRates).state.sleeves.find((s) => s.sleeve.id === "lp")
      ?.valueUsd;

  it("earns the LP fee rate on an in-range position's principal, kept as uncollected fees", () => {
    const book = openBook(world, at(0), NAV);
    repricePositions(book, at(1));
    const p = lpOf(book);
    const principal = getPositionPrincipal({ ...p.poolState, ...p });
    expect(principal.amount0 > 0n && principal.amount1 > 0n).toBe(true);
    const before = lpValue(book, 1) as bigint;
    accrue(book, YEAR, { ...zeroRates, lpFeeAprBps: 1_000 });
    expect(lpOf(book).tokensOwed0).toBe(principal.amount0 / 10n);
    expect(lpOf(book).tokensOwed1).toBe(principal.amount1 / 10n);
    const after = lpValue(book, 1) as bigint;
    // +10% of the value, to a cent per $10k (rounding of the two tokens).
    const gain = after - before - before / 10n;
    expect(gain < 0n ? -gain : gain).toBeLessThan(before / 1_000_000n);
  });

  it("holds one token and earns nothing once the price leaves the range (the position maths of @ballast/uniswap-v3)", () => {
    const book = openBook(world, at(0), NAV);
    repricePositions(book, at(2));
    const p = lpOf(book);
    const principal = getPositionPrincipal({ ...p.poolState, ...p });
    // USDC is token0 (its address sorts first): above the range the position is all USDC.
    expect(p.token0.toLowerCase() < p.token1.toLowerCase()).toBe(true);
    expect(principal.amount1).toBe(0n);
    expect(principal.amount0).toBeGreaterThan(0n);
    const at4000 = lpValue(book, 2);
    accrue(book, YEAR, { ...zeroRates, lpFeeAprBps: 1_000 });
    expect([lpOf(book).tokensOwed0, lpOf(book).tokensOwed1]).toEqual([0n, 0n]);
    repricePositions(book, at(3));
    expect(lpValue(book, 3)).toBe(at4000); // all USDC: WETH's further rise does not reach it
  });
});

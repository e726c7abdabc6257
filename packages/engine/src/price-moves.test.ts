import { describe, expect, it } from "vitest";
import { moveOfSymbol } from "./price-moves.ts";

describe("moveOfSymbol (what-if price moves by symbol)", () => {
  const down = { num: 80n, den: 100n };
  const up = { num: 110n, den: 100n };

  it("moves the symbol and its wrapped form, whatever the case", () => {
    const moves = new Map([["ETH", down]]);
    expect(moveOfSymbol(moves, "ETH")).toBe(down);
    expect(moveOfSymbol(moves, "weth")).toBe(down);
    expect(moveOfSymbol(moves, "USDC")).toBeUndefined();
    // Only a leading W makes the wrapped form: "STETH" is not ETH.
    expect(moveOfSymbol(moves, "STETH")).toBeUndefined();
  });

  it("a token's own symbol wins over its unwrapped form", () => {
    const moves = new Map([
      ["ETH", down],
      ["WETH", up],
    ]);
    expect(moveOfSymbol(moves, "WETH")).toBe(up);
    expect(moveOfSymbol(moves, "ETH")).toBe(down);
  });
});

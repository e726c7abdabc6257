import { describe, expect, it } from "vitest";
import { parsePriceMoves, WhatIfError } from "./what-if.ts";

describe("parsePriceMoves (--what-if)", () => {
  it("reads signed percentages exactly, by upper-cased symbol", () => {
    const m = parsePriceMoves("ETH=-20%, btc=+5%,ARB=12.5%,DAI=-0.0001%");
    expect([...m]).toEqual([
      ["ETH", { num: 800_000n, den: 1_000_000n }],
      ["BTC", { num: 1_050_000n, den: 1_000_000n }],
      ["ARB", { num: 1_125_000n, den: 1_000_000n }],
      ["DAI", { num: 999_999n, den: 1_000_000n }],
    ]);
  });

  it.each([
    ["ETH=-20", /cannot read "ETH=-20"/],
    ["ETH:-20%", /cannot read/],
    ["ETH=-20.00001%", /cannot read/],
    ["ETH=-100%", /zero or below/],
    ["ETH=-150%", /zero or below/],
    ["ETH=+1%,eth=-1%", /ETH is moved twice/],
    ["", /cannot read ""/],
  ])("refuses %j", (text, message) => {
    expect(() => parsePriceMoves(text)).toThrow(WhatIfError);
    expect(() => parsePriceMoves(text)).toThrow(message);
  });
});

import { abs, type Call, InvalidAmountError, max } from "@ballast/core";
import { decodeFunctionData } from "viem";
import { describe, expect, it } from "vitest";
import { positionManagerAbi } from "./abi.ts";
import { UnsupportedSwapError } from "./errors.ts";
import { fakePosition } from "./fixtures.test-util.ts";
import { getAmountsForLiquidity } from "./math/liquidityAmounts.ts";
import { getSqrtRatioAtTick } from "./math/tickMath.ts";
import { getPositionAmounts } from "./position.ts";
import { encodeRecenter, swapAmountForRange } from "./recenter.ts";

const ME = "0x5000000000000000000000000000000000000005";
const E18 = 10n ** 18n;

/** Holdings ratio vs the range's ratio at a price: |a0·r1 − a1·r0| relative to a0·r1. */
function mismatch(a0: bigint, a1: bigint, sqrtPriceX96: bigint, tickLower: number, tickUpper: number) {
  const r = getAmountsForLiquidity(
    sqrtPriceX96,
    getSqrtRatioAtTick(tickLower),
    getSqrtRatioAtTick(tickUpper),
    2n ** 128n,
  );
  const x = a0 * r.amount1;
  const y = a1 * r.amount0;
  return Number((abs(x - y) * 1_000_000n) / max(x, y)) / 1_000_000;
}

describe("swapAmountForRange", () => {
  const range = { tickLower: -1000, tickUpper: 1000 };
  const sqrtPriceX96 = getSqrtRatioAtTick(100);

  it("at the spot price: the holdings after the swap have the range's ratio", () => {
    const s = swapAmountForRange({ amount0: 10n * E18, amount1: 0n, sqrtPriceX96, ...range });
    expect(s.zeroForOne).toBe(true);
    expect(s.sqrtPriceX96After).toBe(sqrtPriceX96);
    expect(
      mismatch(10n * E18 - s.amountIn, s.amountOut, sqrtPriceX96, range.tickLower, range.tickUpper),
    ).toBeLessThan(1e-6);
    const t = swapAmountForRange({ amount0: 0n, amount1: 10n * E18, sqrtPriceX96, ...range });
    expect(t.zeroForOne).toBe(false);
    expect(
      mismatch(t.amountOut, 10n * E18 - t.amountIn, sqrtPriceX96, range.tickLower, range.tickUpper),
    ).toBeLessThan(1e-6);
  });

  it("through a pool: output net of fee and impact, ratio matched at the post-swap price", () => {
    const pool = { liquidity: 50n * E18, fee: 3000 };
    const s = swapAmountForRange({ amount0: 10n * E18, amount1: E18, sqrtPriceX96, ...range, pool });
    const spot = swapAmountForRange({ amount0: 10n * E18, amount1: E18, sqrtPriceX96, ...range });
    expect(s.sqrtPriceX96After < sqrtPriceX96).toBe(true); // selling token0 lowers the price
    expect(s.amountOut < spot.amountOut).toBe(true);
    expect(
      mismatch(10n * E18 - s.amountIn, E18 + s.amountOut, s.sqrtPriceX96After, -1000, 1000),
    ).toBeLessThan(1e-6);
  });

  it("nothing to do when the holdings already match", () => {
    const r = getAmountsForLiquidity(sqrtPriceX96, getSqrtRatioAtTick(-1000), getSqrtRatioAtTick(1000), E18);
    const s = swapAmountForRange({ ...r, sqrtPriceX96, ...range });
    expect(s.amountIn <= 1n).toBe(true);
  });
});

describe("encodeRecenter", () => {
  // The price left the range upward: the position is all token1.
  const position = fakePosition({ tokensOwed1: 5n }, { sqrtPriceX96: getSqrtRatioAtTick(1500), tick: 1500 });
  const newRange = { tickLower: 1000, tickUpper: 2000 };
  const swapCall: Call = { to: "0x6000000000000000000000000000000000000006", data: "0x5a", value: 0n };

  it("exit (one multicall: decrease, collect, burn) → swap → exact approvals → mint of the new range", () => {
    const exitAmount1 = getPositionAmounts(position).amount1;
    const plan = encodeRecenter({
      position,
      range: newRange,
      recipient: ME,
      slippageBps: 50,
      deadline: 9n,
      swap: {
        tokenIn: position.token1,
        amountIn: exitAmount1 / 2n,
        amountOut: E18 / 3n,
        minAmountOut: E18 / 4n,
        calls: [swapCall],
      },
    });
    expect(plan.calls.map((c) => c.to)).toEqual([
      position.positionManager,
      swapCall.to,
      position.token0,
      position.token1,
      position.positionManager,
      position.token0,
      position.token1,
    ]);
    const exit = decodeFunctionData({ abi: positionManagerAbi, data: plan.calls[0]!.data });
    expect(exit.functionName).toBe("multicall");
    const inner = (exit.args![0] as readonly `0x${string}`[]).map(
      (d) => decodeFunctionData({ abi: positionManagerAbi, data: d }).functionName,
    );
    expect(inner).toEqual(["decreaseLiquidity", "collect", "burn"]);
    // Guaranteed budget: exit mins + fees, less the swap's input, plus its minimum output.
    expect(plan.mintDesired).toEqual({
      amount0: E18 / 4n,
      amount1: plan.withdrawal.guaranteed.amount1 - exitAmount1 / 2n,
    });
    const mint = decodeFunctionData({ abi: positionManagerAbi, data: plan.calls[4]!.data });
    expect(mint.args![0]).toMatchObject({
      ...newRange,
      recipient: ME,
      amount0Desired: E18 / 4n,
      deadline: 9n,
    });

    const expected = encodeRecenter({
      position,
      range: newRange,
      recipient: ME,
      slippageBps: 50,
      deadline: 9n,
      mintBudget: "expected",
      swap: {
        tokenIn: position.token1,
        amountIn: exitAmount1 / 2n,
        amountOut: E18 / 3n,
        minAmountOut: E18 / 4n,
        calls: [swapCall],
      },
    });
    expect(expected.mintDesired).toEqual({ amount0: E18 / 3n, amount1: exitAmount1 - exitAmount1 / 2n });
  });

  it("refuses a swap of a foreign token or of more than the exit pays", () => {
    const base = { position, range: newRange, recipient: ME, slippageBps: 50, deadline: 9n } as const;
    expect(() =>
      encodeRecenter({
        ...base,
        swap: { tokenIn: ME, amountIn: 1n, amountOut: 1n, minAmountOut: 1n, calls: [] },
      }),
    ).toThrow(UnsupportedSwapError);
    expect(() =>
      encodeRecenter({
        ...base,
        swap: { tokenIn: position.token1, amountIn: 10n ** 30n, amountOut: 1n, minAmountOut: 1n, calls: [] },
      }),
    ).toThrow(InvalidAmountError);
  });
});

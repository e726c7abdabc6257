import { type Call, InvalidAmountError } from "@ballast/core";
import { decodeFunctionData, erc20Abi } from "viem";
import { describe, expect, it } from "vitest";
import { positionManagerAbi } from "./abi.ts";
import { MAX_UINT128 } from "./constants.ts";
import {
  combinePositionManagerCalls,
  depositAmounts,
  encodeDecrease,
  encodeIncrease,
  encodeMint,
  minAmount,
  priceBand,
} from "./encode.ts";
import { InvalidRangeError, InvalidSlippageError } from "./errors.ts";
import { fakePosition } from "./fixtures.test-util.ts";
import { getSqrtRatioAtTick } from "./math/tickMath.ts";
import { getPositionPrincipal } from "./position.ts";

const NPM = "0x4000000000000000000000000000000000000004";
const T0 = "0x1000000000000000000000000000000000000001";
const T1 = "0x2000000000000000000000000000000000000002";
const ME = "0x5000000000000000000000000000000000000005";
const E18 = 10n ** 18n;
const Q96 = 2n ** 96n;

const npm = (call: Call) => decodeFunctionData({ abi: positionManagerAbi, data: call.data });
const mintBase = {
  positionManager: NPM,
  token0: T0,
  token1: T1,
  fee: 500,
  tickLower: -600,
  tickUpper: 600,
  tickSpacing: 10,
  amount0Desired: E18,
  amount1Desired: E18,
  sqrtPriceX96: Q96,
  slippageBps: 50,
  recipient: ME,
  deadline: 1_000n,
} as const;

describe("slippage helpers", () => {
  it("minAmount and priceBand; invalid slippage is an InvalidSlippageError", () => {
    expect(minAmount(10_000n, 50)).toBe(9_950n);
    expect(minAmount(10_001n, 50)).toBe(9_950n); // rounded down
    const { sqrtLower, sqrtUpper } = priceBand(Q96, 100);
    // (sqrt/Q96)^2 ≈ 0.99 and 1.01
    expect((sqrtLower * sqrtLower * 10_000n) / Q96 / Q96).toBe(9_899n);
    expect((sqrtUpper * sqrtUpper * 10_000n) / Q96 / Q96).toBe(10_099n);
    expect(() => minAmount(1n, 10_000)).toThrow(InvalidSlippageError);
    expect(() => minAmount(1n, -1)).toThrow(InvalidSlippageError);
    expect(() => minAmount(1n, 0.5)).toThrow(InvalidSlippageError);
  });
});

describe("encodeMint", () => {
  it("approves exactly the desired amounts, mints with the price-band mins, then resets both approvals to 0", () => {
    const { calls, deposit } = encodeMint(mintBase);
    expect(calls.map((c) => c.to)).toEqual([T0, T1, NPM, T0, T1]);
    for (const [i, c] of calls.slice(0, 2).entries()) {
      expect(decodeFunctionData({ abi: erc20Abi, data: c.data }).args).toEqual([NPM, E18]);
      expect(calls[i]!.value).toBe(0n);
    }
    for (const c of calls.slice(3)) {
      expect(decodeFunctionData({ abi: erc20Abi, data: c.data })).toMatchObject({
        functionName: "approve",
        args: [NPM, 0n],
      });
      expect(c.value).toBe(0n);
    }
    const mint = npm(calls[2]!);
    expect(mint.functionName).toBe("mint");
    expect(mint.args![0]).toMatchObject({
      token0: T0,
      token1: T1,
      fee: 500,
      tickLower: -600,
      tickUpper: 600,
      amount0Desired: E18,
      amount1Desired: E18,
      amount0Min: deposit.amount0Min,
      amount1Min: deposit.amount1Min,
      recipient: ME,
      deadline: 1_000n,
    });
    // Symmetric range at its centre: both tokens used equally, the limiting one fully.
    expect(deposit.amount0).toBe(deposit.amount1);
    expect(deposit.amount0 === E18 || deposit.amount1 === E18).toBe(true);
  });

  it("the mins hold at every price inside ±slippage and fail just outside it", () => {
    const { deposit } = encodeMint(mintBase);
    const band = priceBand(Q96, 50);
    for (const sqrt of [
      band.sqrtLower,
      (band.sqrtLower + Q96) / 2n,
      Q96,
      (Q96 + band.sqrtUpper) / 2n,
      band.sqrtUpper,
    ]) {
      const used = depositAmounts({ ...mintBase, sqrtPriceX96: sqrt });
      expect(used.amount0 >= deposit.amount0Min && used.amount1 >= deposit.amount1Min).toBe(true);
    }
    const wider = priceBand(Q96, 60);
    expect(depositAmounts({ ...mintBase, sqrtPriceX96: wider.sqrtUpper }).amount0 < deposit.amount0Min).toBe(
      true,
    );
    expect(depositAmounts({ ...mintBase, sqrtPriceX96: wider.sqrtLower }).amount1 < deposit.amount1Min).toBe(
      true,
    );
  });

  it("a one-sided deposit (range above the price) approves and needs token0 only", () => {
    const { calls, deposit } = encodeMint({
      ...mintBase,
      tickLower: 100,
      tickUpper: 700,
      amount1Desired: 0n,
    });
    expect(calls.map((c) => c.to)).toEqual([T0, NPM, T0]);
    expect(decodeFunctionData({ abi: erc20Abi, data: calls[2]!.data }).args).toEqual([NPM, 0n]);
    expect(deposit.amount1).toBe(0n);
    expect(deposit.amount0 - deposit.amount0Min <= 1n).toBe(true); // one-sided within ±0.5%: only rounding
  });

  it("rejects a misaligned range, zero liquidity, negative amounts and a bad slippage", () => {
    expect(() => encodeMint({ ...mintBase, tickLower: -605 })).toThrow(InvalidRangeError);
    expect(() => encodeMint({ ...mintBase, tickLower: 100, tickUpper: 700, amount0Desired: 0n })).toThrow(
      InvalidAmountError,
    );
    expect(() => encodeMint({ ...mintBase, amount0Desired: -1n })).toThrow(InvalidAmountError);
    expect(() => encodeMint({ ...mintBase, slippageBps: 10_000 })).toThrow(InvalidSlippageError);
  });
});

describe("encodeIncrease", () => {
  it("approves exactly, increases the given token id, then resets both approvals to 0", () => {
    const { calls } = encodeIncrease({
      positionManager: NPM,
      position: { tokenId: 7n, token0: T0, token1: T1, tickLower: -600, tickUpper: 600 },
      sqrtPriceX96: Q96,
      amount0Desired: 5n,
      amount1Desired: E18,
      slippageBps: 100,
      deadline: 9n,
    });
    expect(calls.map((c) => c.to)).toEqual([T0, T1, NPM, T0, T1]);
    expect(
      calls.map((c) => c.to === NPM || decodeFunctionData({ abi: erc20Abi, data: c.data }).args),
    ).toEqual([[NPM, 5n], [NPM, E18], true, [NPM, 0n], [NPM, 0n]]);
    const inc = npm(calls[2]!);
    expect(inc.functionName).toBe("increaseLiquidity");
    expect(inc.args![0]).toMatchObject({
      tokenId: 7n,
      amount0Desired: 5n,
      amount1Desired: E18,
      deadline: 9n,
    });
  });
});

describe("encodeDecrease", () => {
  const position = fakePosition({ tokensOwed0: 3n, tokensOwed1: 4n });

  it("all liquidity: decrease (price-band mins), collect everything, burn", () => {
    const { calls, withdrawal } = encodeDecrease({ position, slippageBps: 50, deadline: 77n, recipient: ME });
    expect(calls.map((c) => npm(c).functionName)).toEqual(["decreaseLiquidity", "collect", "burn"]);
    const principal = getPositionPrincipal({
      sqrtPriceX96: Q96,
      tick: 0,
      tickLower: -600,
      tickUpper: 600,
      liquidity: E18,
    });
    expect(withdrawal.principal).toEqual(principal);
    expect(npm(calls[0]!).args![0]).toEqual({
      tokenId: 7n,
      liquidity: E18,
      amount0Min: withdrawal.amount0Min,
      amount1Min: withdrawal.amount1Min,
      deadline: 77n,
    });
    expect(withdrawal.amount0Min < principal.amount0 && withdrawal.amount1Min < principal.amount1).toBe(true);
    expect(npm(calls[1]!).args![0]).toEqual({
      tokenId: 7n,
      recipient: ME,
      amount0Max: MAX_UINT128,
      amount1Max: MAX_UINT128,
    });
    expect(npm(calls[2]!).args).toEqual([7n]);
    expect(withdrawal.guaranteed).toEqual({
      amount0: withdrawal.amount0Min + 3n,
      amount1: withdrawal.amount1Min + 4n,
    });
  });

  it("out of range, the principal is exact within the band: mins equal it", () => {
    const above = fakePosition({}, { sqrtPriceX96: getSqrtRatioAtTick(700), tick: 700 });
    const { withdrawal } = encodeDecrease({ position: above, slippageBps: 50, deadline: 1n, recipient: ME });
    expect(withdrawal.principal.amount0).toBe(0n);
    expect(withdrawal.amount1Min).toBe(withdrawal.principal.amount1);
  });

  it("part of the liquidity: no burn; combine folds the calls into one multicall", () => {
    const part = encodeDecrease({
      position,
      liquidity: E18 / 2n,
      slippageBps: 50,
      deadline: 1n,
      recipient: ME,
    });
    expect(part.calls.map((c) => npm(c).functionName)).toEqual(["decreaseLiquidity", "collect"]);
    const combined = encodeDecrease({
      position,
      slippageBps: 50,
      deadline: 1n,
      recipient: ME,
      combine: true,
    });
    expect(combined.calls).toHaveLength(1);
    const multicall = npm(combined.calls[0]!);
    expect(multicall.functionName).toBe("multicall");
    expect((multicall.args![0] as readonly `0x${string}`[]).length).toBe(3);
  });

  it("an empty position: collect and burn only; more than its liquidity is an InvalidAmountError", () => {
    const empty = fakePosition({ liquidity: 0n, tokensOwed0: 1n });
    const { calls } = encodeDecrease({ position: empty, slippageBps: 50, deadline: 1n, recipient: ME });
    expect(calls.map((c) => npm(c).functionName)).toEqual(["collect", "burn"]);
    expect(() =>
      encodeDecrease({ position, liquidity: E18 + 1n, slippageBps: 50, deadline: 1n, recipient: ME }),
    ).toThrow(InvalidAmountError);
  });
});

describe("combinePositionManagerCalls", () => {
  it("folds only consecutive position-manager calls", () => {
    const approve: Call = { to: T0, data: "0x01", value: 0n };
    const a: Call = { to: NPM, data: "0xaa", value: 0n };
    const b: Call = { to: NPM, data: "0xbb", value: 0n };
    const out = combinePositionManagerCalls(NPM, [a, b, approve, a]);
    expect(out).toHaveLength(3);
    expect(npm(out[0]!).args).toEqual([["0xaa", "0xbb"]]);
    expect(out[1]).toBe(approve);
    expect(out[2]).toEqual(a);
  });
});

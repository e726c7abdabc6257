import "reflect-metadata";
import { InterestRate, PoolBundle } from "@aave/contract-helpers";
import { RAY } from "@ballast/core";
import { providers } from "ethers";
import { decodeFunctionData, erc20Abi, maxUint256 } from "viem";
import { describe, expect, it } from "vitest";
import { basicPositions, makePositions, POOL, USDC, USER, WETH } from "../test/fixtures.ts";
import { aavePoolAbi } from "./abi.ts";
import {
  encodeAaveActions,
  encodeBorrow,
  encodeRepay,
  encodeRepayWithATokens,
  encodeSupply,
  encodeWithdraw,
  repayAllowance,
} from "./encode.ts";
import {
  CollateralCannotCoverBorrowError,
  HealthFactorTooLowError,
  RepayMaxOnBehalfError,
  ReservePausedError,
  SupplyCapExceededError,
} from "./errors.ts";
import { MAX_UINT256 } from "./math.ts";

const E18 = 10n ** 18n;
const E6 = 10n ** 6n;
const pool = (data: `0x${string}`) => decodeFunctionData({ abi: aavePoolAbi, data });
const erc20 = (data: `0x${string}`) => decodeFunctionData({ abi: erc20Abi, data });

describe("encoders", () => {
  it("supply: exact approval to the pool, then supply on behalf of the user", () => {
    const calls = encodeSupply({ positions: basicPositions(), asset: WETH, amount: 5n * E18 });
    expect(calls).toHaveLength(2);
    expect(calls[0]!.to).toBe(WETH);
    expect(erc20(calls[0]!.data)).toEqual({ functionName: "approve", args: [POOL, 5n * E18] });
    expect(calls[1]!.to).toBe(POOL);
    expect(pool(calls[1]!.data)).toEqual({ functionName: "supply", args: [WETH, 5n * E18, USER, 0] });
    expect(calls.every((c) => c.value === 0n)).toBe(true);
  });

  it("withdraw and withdraw-max need no approval", () => {
    const p = makePositions({ users: [{ asset: WETH, scaledATokenBalance: E18 }] });
    expect(pool(encodeWithdraw({ positions: p, asset: WETH, amount: E18 / 2n })[0]!.data).args).toEqual([
      WETH,
      E18 / 2n,
      USER,
    ]);
    const max = encodeWithdraw({ positions: p, asset: WETH, amount: MAX_UINT256, to: POOL });
    expect(max).toHaveLength(1);
    expect(pool(max[0]!.data).args).toEqual([WETH, maxUint256, POOL]);
  });

  it("borrow at the variable rate", () => {
    const calls = encodeBorrow({ positions: basicPositions(), asset: USDC, amount: 100n * E6 });
    expect(pool(calls[0]!.data)).toEqual({ functionName: "borrow", args: [USDC, 100n * E6, 2n, 0, USER] });
  });

  it("repay an explicit amount: exact approval, no reset when it is below the debt", () => {
    const calls = encodeRepay({ positions: basicPositions(), asset: USDC, amount: 400n * E6 });
    expect(calls).toHaveLength(2);
    expect(erc20(calls[0]!.data).args).toEqual([POOL, 400n * E6]);
    expect(pool(calls[1]!.data)).toEqual({ functionName: "repay", args: [USDC, 400n * E6, 2n, USER] });
  });

  it("repay max: approves the debt grown over the horizon plus a margin, then resets the allowance", () => {
    const p = makePositions({
      users: [
        { asset: WETH, scaledATokenBalance: E18 },
        { asset: USDC, scaledVariableDebt: 1000n * E6 },
      ],
      reserves: { USDC: { variableBorrowRate: RAY / 10n } },
    });
    const calls = encodeRepay({ positions: p, asset: USDC, amount: MAX_UINT256 });
    expect(calls).toHaveLength(3);
    const allowance = erc20(calls[0]!.data).args![1] as bigint;
    // 1,000 USDC at 10% for an hour ≈ +0.0114 USDC, then +0.1%.
    expect(allowance).toBe(repayAllowance(p, USDC, MAX_UINT256));
    expect(allowance > 1001_011000n && allowance < 1001_013000n).toBe(true);
    expect(pool(calls[1]!.data).args).toEqual([USDC, maxUint256, 2n, USER]);
    expect(erc20(calls[2]!.data).args).toEqual([POOL, 0n]);
    const custom = repayAllowance(p, USDC, MAX_UINT256, { horizonSeconds: 0n, marginBps: 0n });
    expect(custom).toBe(1000n * E6);
  });

  it("repay max on behalf of another account is refused", () => {
    expect(() =>
      encodeRepay({ positions: basicPositions(), asset: USDC, amount: MAX_UINT256, sender: POOL }),
    ).toThrow(RepayMaxOnBehalfError);
  });

  it("repay with aTokens needs no approval", () => {
    const p = makePositions({
      users: [
        { asset: USDC, scaledATokenBalance: 3000n * E6, scaledVariableDebt: 1000n * E6 },
        { asset: WETH, scaledATokenBalance: E18 },
      ],
    });
    const calls = encodeRepayWithATokens({ positions: p, asset: USDC, amount: MAX_UINT256 });
    expect(calls).toHaveLength(1);
    expect(pool(calls[0]!.data)).toEqual({ functionName: "repayWithATokens", args: [USDC, maxUint256, 2n] });
  });

  it("refuses forbidden actions with typed errors before encoding", () => {
    expect(() =>
      encodeSupply({
        positions: makePositions({ reserves: { WETH: { isPaused: true } } }),
        asset: WETH,
        amount: 1n,
      }),
    ).toThrow(ReservePausedError);
    expect(() =>
      encodeSupply({
        positions: makePositions({ reserves: { USDC: { supplyCap: 1n } } }),
        asset: USDC,
        amount: 2n * E6,
      }),
    ).toThrow(SupplyCapExceededError);
    expect(() => encodeBorrow({ positions: basicPositions(), asset: USDC, amount: 700n * E6 })).toThrow(
      CollateralCannotCoverBorrowError,
    );
    expect(() => encodeWithdraw({ positions: basicPositions(), asset: WETH, amount: MAX_UINT256 })).toThrow(
      HealthFactorTooLowError,
    );
  });

  it("a batch checks each action on the state the previous ones leave (supply then borrow)", () => {
    const empty = makePositions({});
    const calls = encodeAaveActions({
      positions: empty,
      actions: [
        { type: "supply", asset: WETH, amount: E18 },
        { type: "borrow", asset: USDC, amount: 1500n * E6 },
      ],
    });
    expect(calls.map((c) => c.to)).toEqual([WETH, POOL, POOL]);
    expect(() =>
      encodeAaveActions({
        positions: empty,
        actions: [
          { type: "supply", asset: WETH, amount: E18 },
          { type: "borrow", asset: USDC, amount: 1601n * E6 },
        ],
      }),
    ).toThrow(CollateralCannotCoverBorrowError);
  });
});

describe("calldata against @aave/contract-helpers' PoolBundle transaction builders", () => {
  // The provider is never called: generateTxData only encodes.
  const bundle = new PoolBundle(new providers.StaticJsonRpcProvider("http://127.0.0.1:1", 1), { POOL });
  const poolCall = (calls: { to: string; data: string }[]) => calls.find((c) => c.to === POOL)!.data;
  const p = makePositions({
    users: [
      { asset: WETH, scaledATokenBalance: 10n * E18 },
      { asset: USDC, scaledATokenBalance: 3000n * E6, scaledVariableDebt: 1000n * E6 },
    ],
  });

  it("supply, borrow, repay, repay max and repay with aTokens encode identically", () => {
    const user = USER;
    expect(poolCall(encodeSupply({ positions: p, asset: WETH, amount: 123n }))).toBe(
      bundle.supplyTxBuilder.generateTxData({ user, reserve: WETH, amount: "123" }).data,
    );
    expect(poolCall(encodeBorrow({ positions: p, asset: USDC, amount: 456n }))).toBe(
      bundle.borrowTxBuilder.generateTxData({
        user,
        reserve: USDC,
        amount: "456",
        interestRateMode: InterestRate.Variable,
      }).data,
    );
    expect(poolCall(encodeRepay({ positions: p, asset: USDC, amount: 789n }))).toBe(
      bundle.repayTxBuilder.generateTxData({
        user,
        reserve: USDC,
        amount: "789",
        interestRateMode: InterestRate.Variable,
      }).data,
    );
    expect(poolCall(encodeRepay({ positions: p, asset: USDC, amount: MAX_UINT256 }))).toBe(
      bundle.repayTxBuilder.generateTxData({
        user,
        reserve: USDC,
        amount: "-1",
        interestRateMode: InterestRate.Variable,
      }).data,
    );
    expect(poolCall(encodeRepayWithATokens({ positions: p, asset: USDC, amount: MAX_UINT256 }))).toBe(
      bundle.repayWithATokensTxBuilder.generateTxData({
        user,
        reserve: USDC,
        amount: "-1",
        rateMode: InterestRate.Variable,
      }).data,
    );
  });
});

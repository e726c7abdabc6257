/**
 * Calldata builders for Aave V3 actions: pure, synchronous, `{to, data, value}` calls for a batch, each with the
 * exact ERC-20 approval it needs. Every builder first runs the pre-checks of {@link validateAaveAction} on the
 * positions and throws a typed error instead of producing calls Aave would revert.
 */
import { type Address, type Call, InvalidAmountError } from "@ballast/core";
import { encodeFunctionData, erc20Abi } from "viem";
import { aavePoolAbi } from "./abi.ts";
import { userBalancesAt } from "./account.ts";
import { RepayMaxOnBehalfError } from "./errors.ts";
import { ceilDiv, MAX_UINT256, PERCENTAGE_FACTOR } from "./math.ts";
import { type AaveAction, findReserve, projectAaveActions, validateAaveAction } from "./project.ts";
import type { AavePositions } from "./types.ts";

/** Aave's variable interest rate mode (stable borrowing is gone from current markets). */
export const VARIABLE_RATE_MODE = 2n;

/** How a "repay everything" sizes its approval: debt grown for `horizonSeconds` at the current rate, plus `marginBps`. */
export type RepayMaxAllowance = {
  /** Seconds between the read and the transaction's inclusion to cover (default 3600). */
  readonly horizonSeconds?: bigint | undefined;
  /** Extra margin on top, basis points (default 10 = 0.1%, covers a rate jump before inclusion). */
  readonly marginBps?: bigint | undefined;
};

/** What every encoder takes: the positions of the account whose position changes, and checking options. */
type Common = {
  /** Positions of the account (read with `fetchAavePositions`); `positions.user` sends the calls unless noted. */
  readonly positions: AavePositions;
  readonly asset: Address;
  /** Underlying base units; `MAX_UINT256` = everything (withdraw, repay). */
  readonly amount: bigint;
  /** Timestamp to check the state at (default: the read's). */
  readonly at?: bigint | undefined;
  /** Refuse withdraws/borrows that leave the health factor below this (wad; default 1e18). */
  readonly minHealthFactor?: bigint | undefined;
};

/** Parameters of {@link encodeSupply}. */
export type EncodeSupplyParameters = Common & {
  /** Receiver of the aTokens (default `positions.user`). */
  readonly onBehalfOf?: Address | undefined;
  readonly referralCode?: number | undefined;
};
/** Parameters of {@link encodeWithdraw}. */
export type EncodeWithdrawParameters = Common & {
  /** Receiver of the underlying (default `positions.user`). */
  readonly to?: Address | undefined;
};
/** Parameters of {@link encodeBorrow}. */
export type EncodeBorrowParameters = Common & { readonly referralCode?: number | undefined };
/** Parameters of {@link encodeRepay}. */
export type EncodeRepayParameters = Common & {
  /** Who pays, if not `positions.user` (repaying someone else's debt; "max" is then refused, as Aave does). */
  readonly sender?: Address | undefined;
  readonly maxAllowance?: RepayMaxAllowance | undefined;
};
/** Parameters of {@link encodeRepayWithATokens}. */
export type EncodeRepayWithATokensParameters = Common;

const call = (to: Address, data: `0x${string}`): Call => ({ to, data, value: 0n });
const approve = (token: Address, spender: Address, amount: bigint): Call =>
  call(token, encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [spender, amount] }));
const opts = (p: Common) => ({ at: p.at, minHealthFactor: p.minHealthFactor });

/** `approve(pool, amount)` + `Pool.supply(asset, amount, onBehalfOf, referralCode)`. */
export function encodeSupply(params: EncodeSupplyParameters): Call[] {
  const { positions, asset, amount } = params;
  if (amount === MAX_UINT256) throw new InvalidAmountError("supply.amount", amount, "an explicit amount");
  validateAaveAction(positions, { type: "supply", asset, amount }, opts(params));
  const pool = positions.market.pool;
  return [
    approve(asset, pool, amount),
    call(
      pool,
      encodeFunctionData({
        abi: aavePoolAbi,
        functionName: "supply",
        args: [asset, amount, params.onBehalfOf ?? positions.user, params.referralCode ?? 0],
      }),
    ),
  ];
}

/** `Pool.withdraw(asset, amount, to)`; `amount = MAX_UINT256` withdraws everything (no approval needed). */
export function encodeWithdraw(params: EncodeWithdrawParameters): Call[] {
  const { positions, asset, amount } = params;
  validateAaveAction(positions, { type: "withdraw", asset, amount }, opts(params));
  return [
    call(
      positions.market.pool,
      encodeFunctionData({
        abi: aavePoolAbi,
        functionName: "withdraw",
        args: [asset, amount, params.to ?? positions.user],
      }),
    ),
  ];
}

/** `Pool.borrow(asset, amount, 2 (variable rate), referralCode, user)` (no approval needed). */
export function encodeBorrow(params: EncodeBorrowParameters): Call[] {
  const { positions, asset, amount } = params;
  if (amount === MAX_UINT256) throw new InvalidAmountError("borrow.amount", amount, "an explicit amount");
  validateAaveAction(positions, { type: "borrow", asset, amount }, opts(params));
  return [
    call(
      positions.market.pool,
      encodeFunctionData({
        abi: aavePoolAbi,
        functionName: "borrow",
        args: [asset, amount, VARIABLE_RATE_MODE, params.referralCode ?? 0, positions.user],
      }),
    ),
  ];
}

/**
 * The approval a repay needs. An explicit amount needs exactly that amount. "Everything" (`MAX_UINT256`) makes the
 * Pool pull the debt as of inclusion, which is unknown when encoding: approve the debt compounded over
 * `horizonSeconds` at the current rate, plus `marginBps`.
 */
export function repayAllowance(
  positions: AavePositions,
  asset: Address,
  amount: bigint,
  options: RepayMaxAllowance & { at?: bigint | undefined } = {},
): bigint {
  if (amount !== MAX_UINT256) return amount;
  const reserve = findReserve(positions, asset);
  const user = positions.userReserves.find((u) => u.index === reserve.index);
  if (!user) return 0n;
  const at = (options.at ?? positions.timestamp) + (options.horizonSeconds ?? 3600n);
  const { variableDebt } = userBalancesAt(positions.market.version, reserve, user, at);
  return ceilDiv(variableDebt * (PERCENTAGE_FACTOR + (options.marginBps ?? 10n)), PERCENTAGE_FACTOR);
}

/**
 * `approve(pool, x)` + `Pool.repay(asset, amount, 2, user)`, and when the Pool may pull less than approved
 * ("max", or an amount at least the debt) a final `approve(pool, 0)`, so no allowance outlives the batch.
 */
export function encodeRepay(params: EncodeRepayParameters): Call[] {
  const { positions, asset, amount } = params;
  const reserve = findReserve(positions, asset);
  const sender = params.sender ?? positions.user;
  if (amount === MAX_UINT256 && sender.toLowerCase() !== positions.user.toLowerCase())
    throw new RepayMaxOnBehalfError(reserve);
  validateAaveAction(positions, { type: "repay", asset, amount }, opts(params));
  const pool = positions.market.pool;
  const allowance = repayAllowance(positions, asset, amount, { ...params.maxAllowance, at: params.at });
  const user = positions.userReserves.find((u) => u.index === reserve.index);
  const debtNow = user
    ? userBalancesAt(positions.market.version, reserve, user, params.at ?? positions.timestamp).variableDebt
    : 0n;
  const calls = [
    approve(asset, pool, allowance),
    call(
      pool,
      encodeFunctionData({
        abi: aavePoolAbi,
        functionName: "repay",
        args: [asset, amount, VARIABLE_RATE_MODE, positions.user],
      }),
    ),
  ];
  if (amount === MAX_UINT256 || amount >= debtNow) calls.push(approve(asset, pool, 0n));
  return calls;
}

/**
 * `Pool.repayWithATokens(asset, amount, 2)`: repays debt by burning the account's aTokens of the same asset
 * (no approval, no wallet balance needed). Useful to deleverage a same-asset loop or pay down debt with the
 * supply of that asset. `MAX_UINT256` repays as much as the aTokens cover.
 */
export function encodeRepayWithATokens(params: EncodeRepayWithATokensParameters): Call[] {
  const { positions, asset, amount } = params;
  validateAaveAction(positions, { type: "repay", asset, amount, useATokens: true }, opts(params));
  return [
    call(
      positions.market.pool,
      encodeFunctionData({
        abi: aavePoolAbi,
        functionName: "repayWithATokens",
        args: [asset, amount, VARIABLE_RATE_MODE],
      }),
    ),
  ];
}

/** Parameters of {@link encodeAaveActions}. */
export type EncodeAaveActionsParameters = {
  readonly positions: AavePositions;
  readonly actions: readonly AaveAction[];
  readonly at?: bigint | undefined;
  readonly minHealthFactor?: bigint | undefined;
  readonly maxAllowance?: RepayMaxAllowance | undefined;
};

/**
 * Encodes several actions for one batch (e.g. supply then borrow), checking each against the state the previous
 * ones leave, so a borrow may rely on the collateral supplied just before it.
 */
export function encodeAaveActions(params: EncodeAaveActionsParameters): Call[] {
  const at = params.at ?? params.positions.timestamp;
  let state = params.positions;
  const calls: Call[] = [];
  for (const action of params.actions) {
    const common = {
      positions: state,
      asset: action.asset,
      amount: action.amount,
      at,
      minHealthFactor: params.minHealthFactor,
    };
    switch (action.type) {
      case "supply":
        calls.push(...encodeSupply(common));
        break;
      case "withdraw":
        calls.push(...encodeWithdraw(common));
        break;
      case "borrow":
        calls.push(...encodeBorrow(common));
        break;
      case "repay":
        calls.push(
          ...(action.useATokens
            ? encodeRepayWithATokens(common)
            : encodeRepay({ ...common, maxAllowance: params.maxAllowance })),
        );
        break;
      default: {
        const never: never = action;
        throw new InvalidAmountError(
          "action.type",
          (never as { type: string }).type,
          "supply|withdraw|borrow|repay",
        );
      }
    }
    state = projectAaveActions(state, [action], { at }).positions;
  }
  return calls;
}

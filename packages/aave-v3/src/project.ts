/**
 * Pure projection of Aave actions over `AavePositions`: what the account's balances, collateral, debt and health
 * factor become after supply / withdraw / borrow / repay, replaying the Pool's own bookkeeping (scaled balances,
 * rounding, collateral flags, isolation debt) at a given timestamp. Also the pre-checks Aave would revert on.
 */
import { type Address, InvalidAmountError, min, WAD } from "@ballast/core";
import {
  aTokenBalance,
  bitmapHas,
  type ComputedAccountData,
  collateralParams,
  computeAccountData,
  isBorrowing,
  userBalancesAt,
  userEMode,
  variableDebtBalance,
} from "./account.ts";
import {
  AaveActionRefusedError,
  BorrowCapExceededError,
  BorrowingNotEnabledError,
  CollateralCannotCoverBorrowError,
  DebtCeilingExceededError,
  EModeBorrowError,
  HealthFactorTooLowError,
  InsufficientBalanceError,
  InsufficientLiquidityError,
  NoBorrowingPowerError,
  NoDebtError,
  NotBorrowableInIsolationError,
  ReserveFrozenError,
  ReserveInactiveError,
  ReservePausedError,
  SiloedBorrowingError,
  SupplyCapExceededError,
  UnknownReserveError,
} from "./errors.ts";
import {
  ceilDiv,
  MAX_UINT256,
  normalizedDebt,
  normalizedIncome,
  percentDiv,
  rayDiv,
  rayDivCeil,
  rayDivFloor,
  rayMul,
} from "./math.ts";
import type { AaveMarketVersion, AavePositions, AaveReserve, AaveUserReserve } from "./types.ts";

/** One user action on an Aave market. `amount` in underlying base units; `MAX_UINT256` means "all" for withdraw/repay. */
export type AaveAction =
  | { readonly type: "supply"; readonly asset: Address; readonly amount: bigint }
  | { readonly type: "withdraw"; readonly asset: Address; readonly amount: bigint }
  | { readonly type: "borrow"; readonly asset: Address; readonly amount: bigint }
  | {
      readonly type: "repay";
      readonly asset: Address;
      readonly amount: bigint;
      /** Repay with the account's aTokens of the same asset instead of the wallet's underlying. */
      readonly useATokens?: boolean | undefined;
    };

/** Options of the projection. */
export type ProjectOptions = {
  /** Timestamp (seconds) at which the actions execute; default: the positions' read timestamp. */
  readonly at?: bigint | undefined;
};

/** Options of the pre-checks. */
export type ValidateOptions = ProjectOptions & {
  /** Refuse a withdraw or borrow that leaves the health factor below this (wad; default 1e18, Aave's own limit). */
  readonly minHealthFactor?: bigint | undefined;
};

/** The projected state after the actions: positions as of `at`, and the account data GenericLogic would compute. */
export type ProjectionResult = {
  readonly positions: AavePositions;
  readonly account: ComputedAccountData;
};

/** The reserve of `asset` in the positions, or `UnknownReserveError`. */
export function findReserve(
  positions: Pick<AavePositions, "reserves" | "market">,
  asset: Address,
): AaveReserve {
  const a = asset.toLowerCase();
  const reserve = positions.reserves.find((r) => r.asset.toLowerCase() === a);
  if (!reserve) throw new UnknownReserveError(asset, positions.market.pool);
  return reserve;
}

/** The user's entry for a reserve (an empty one if the UI provider returned none). */
function userReserveOf(positions: AavePositions, reserve: AaveReserve): AaveUserReserve {
  return (
    positions.userReserves.find((u) => u.index === reserve.index) ?? {
      index: reserve.index,
      asset: reserve.asset,
      assetId: reserve.assetId,
      scaledATokenBalance: 0n,
      scaledVariableDebt: 0n,
      principalStableDebt: 0n,
      stableBorrowRate: 0n,
      stableBorrowLastUpdateTimestamp: 0n,
      usageAsCollateralEnabledOnUser: false,
      supplied: 0n,
      debt: 0n,
    }
  );
}

/** Isolation mode: exactly one collateral, and it has a debt ceiling (UserConfiguration.getIsolationModeState). */
export function isolationCollateral(positions: AavePositions): AaveReserve | undefined {
  const collaterals = positions.userReserves.filter((u) => u.usageAsCollateralEnabledOnUser);
  if (collaterals.length !== 1) return undefined;
  const reserve = positions.reserves[collaterals[0]!.index];
  return reserve && reserve.debtCeiling !== 0n ? reserve : undefined;
}

/** Idle underlying the pool can hand out for a withdraw or borrow. */
const idleLiquidity = (version: AavePositions["market"]["version"], r: AaveReserve): bigint =>
  version === "latest" && r.virtualUnderlyingBalance > 0n ? r.virtualUnderlyingBalance : r.availableLiquidity;

/** Total debt of the reserve at `now` (variable + stable). */
const reserveTotalDebt = (version: AaveMarketVersion, r: AaveReserve, now: bigint): bigint =>
  rayMul(r.totalScaledVariableDebt, normalizedDebt(version, r, now)) + r.totalStableDebt;

/** Estimated aToken supply of the reserve at `now`: idle + lent + unbacked + written-off deficit. */
const reserveTotalSupplied = (
  version: AavePositions["market"]["version"],
  r: AaveReserve,
  now: bigint,
): bigint => idleLiquidity(version, r) + reserveTotalDebt(version, r, now) + r.unbacked + r.deficit;

/** Positive amount or `InvalidAmountError`. */
function checkAmount(action: AaveAction): void {
  if (action.amount <= 0n || action.amount > MAX_UINT256)
    throw new InvalidAmountError(`${action.type}.amount`, action.amount, "a positive uint256");
}

function atOf(positions: AavePositions, options: ProjectOptions): bigint {
  const at = options.at ?? positions.timestamp;
  if (at < positions.timestamp)
    throw new InvalidAmountError("at", at, `a timestamp not before the read (${positions.timestamp})`);
  return at;
}

/** Re-derives every user reserve's actual balances at `now`. */
function refresh(positions: AavePositions, now: bigint): AavePositions {
  const version = positions.market.version;
  return {
    ...positions,
    timestamp: now,
    userReserves: positions.userReserves.map((u) => {
      const reserve = positions.reserves[u.index];
      if (!reserve) return u;
      const b = userBalancesAt(version, reserve, u, now);
      return { ...u, supplied: b.supplied, debt: b.variableDebt + b.stableDebt };
    }),
  };
}

function replace<T>(list: readonly T[], index: number, item: T): T[] {
  const out = [...list];
  out[index] = item;
  return out;
}

function withUser(positions: AavePositions, user: AaveUserReserve): AavePositions {
  const i = positions.userReserves.findIndex((u) => u.index === user.index);
  return {
    ...positions,
    userReserves: i === -1 ? [...positions.userReserves, user] : replace(positions.userReserves, i, user),
  };
}

/**
 * Applies one action to the positions as the Pool would at `now` (no policy checks; see {@link validateAaveAction}).
 * The touched reserve's indexes are brought to `now` like `updateState` does.
 */
function applyAction(positions: AavePositions, action: AaveAction, now: bigint): AavePositions {
  checkAmount(action);
  const version = positions.market.version;
  const latest = version === "latest";
  const r0 = findReserve(positions, action.asset);
  const income = normalizedIncome(r0, now);
  const debtIndex = normalizedDebt(version, r0, now);
  let reserve: AaveReserve = {
    ...r0,
    liquidityIndex: income,
    variableBorrowIndex: debtIndex,
    lastUpdateTimestamp: now,
  };
  let user = userReserveOf(positions, r0);
  let next = positions;
  const supplied = aTokenBalance(version, user.scaledATokenBalance, income);
  const variableDebt = variableDebtBalance(version, user.scaledVariableDebt, debtIndex);

  switch (action.type) {
    case "supply": {
      const scaled = latest ? rayDivFloor(action.amount, income) : rayDiv(action.amount, income);
      const isFirstSupply = user.scaledATokenBalance === 0n;
      user = { ...user, scaledATokenBalance: user.scaledATokenBalance + scaled };
      if (isFirstSupply && canAutoEnableCollateral(positions, reserve))
        user = { ...user, usageAsCollateralEnabledOnUser: true };
      reserve = {
        ...reserve,
        availableLiquidity: reserve.availableLiquidity + action.amount,
        virtualUnderlyingBalance: reserve.virtualUnderlyingBalance + action.amount,
      };
      break;
    }
    case "withdraw": {
      const amount = action.amount === MAX_UINT256 ? supplied : action.amount;
      if (amount > supplied) throw new InsufficientBalanceError("withdraw", reserve, amount, supplied);
      const burn =
        action.amount === MAX_UINT256 && latest
          ? user.scaledATokenBalance
          : latest
            ? rayDivCeil(amount, income)
            : rayDiv(amount, income);
      const scaledLeft = user.scaledATokenBalance > burn ? user.scaledATokenBalance - burn : 0n;
      user = {
        ...user,
        scaledATokenBalance: scaledLeft,
        usageAsCollateralEnabledOnUser: user.usageAsCollateralEnabledOnUser && amount !== supplied,
      };
      reserve = {
        ...reserve,
        availableLiquidity: reserve.availableLiquidity - amount,
        virtualUnderlyingBalance: reserve.virtualUnderlyingBalance - amount,
      };
      break;
    }
    case "borrow": {
      const scaled = latest ? rayDivCeil(action.amount, debtIndex) : rayDiv(action.amount, debtIndex);
      const iso = isolationCollateral(positions);
      user = { ...user, scaledVariableDebt: user.scaledVariableDebt + scaled };
      reserve = {
        ...reserve,
        availableLiquidity: reserve.availableLiquidity - action.amount,
        virtualUnderlyingBalance: reserve.virtualUnderlyingBalance - action.amount,
        totalScaledVariableDebt: reserve.totalScaledVariableDebt + scaled,
      };
      if (iso) next = addIsolationDebt(next, iso, isolationUnits(reserve, action.amount));
      break;
    }
    case "repay": {
      let amount = action.amount;
      if (action.useATokens && amount === MAX_UINT256) amount = supplied;
      const payback = min(amount, variableDebt);
      if (action.useATokens && payback > supplied)
        throw new InsufficientBalanceError("repay with aTokens", reserve, payback, supplied);
      const fullyRepaid = payback === variableDebt && user.principalStableDebt === 0n;
      const burnDebt = fullyRepaid
        ? user.scaledVariableDebt
        : latest
          ? rayDivFloor(payback, debtIndex)
          : rayDiv(payback, debtIndex);
      user = {
        ...user,
        scaledVariableDebt: user.scaledVariableDebt > burnDebt ? user.scaledVariableDebt - burnDebt : 0n,
      };
      if (action.useATokens) {
        const burn = latest ? rayDivCeil(payback, income) : rayDiv(payback, income);
        user = {
          ...user,
          scaledATokenBalance: user.scaledATokenBalance > burn ? user.scaledATokenBalance - burn : 0n,
        };
      } else {
        reserve = {
          ...reserve,
          availableLiquidity: reserve.availableLiquidity + payback,
          virtualUnderlyingBalance: reserve.virtualUnderlyingBalance + payback,
        };
      }
      reserve = {
        ...reserve,
        totalScaledVariableDebt:
          reserve.totalScaledVariableDebt > burnDebt ? reserve.totalScaledVariableDebt - burnDebt : 0n,
      };
      const iso = isolationCollateral(positions);
      if (iso) next = addIsolationDebt(next, iso, -isolationUnits(reserve, payback));
      break;
    }
    default: {
      const never: never = action;
      throw new InvalidAmountError(
        "action.type",
        (never as { type: string }).type,
        "supply|withdraw|borrow|repay",
      );
    }
  }
  next = {
    ...next,
    reserves: replace(next.reserves, reserve.index, {
      ...reserve,
      isolationModeTotalDebt: next.reserves[reserve.index]!.isolationModeTotalDebt,
    }),
  };
  return withUser(next, user);
}

/** Borrowed amount in the isolation debt ceiling's units (2 decimals), as IsolationModeLogic truncates it. */
const isolationUnits = (reserve: AaveReserve, amount: bigint): bigint =>
  amount / 10n ** BigInt(Math.max(reserve.decimals - 2, 0));

function addIsolationDebt(positions: AavePositions, collateral: AaveReserve, delta: bigint): AavePositions {
  const r = positions.reserves[collateral.index]!;
  const total = r.isolationModeTotalDebt + delta;
  return {
    ...positions,
    reserves: replace(positions.reserves, r.index, { ...r, isolationModeTotalDebt: total < 0n ? 0n : total }),
  };
}

/** ValidationLogic.validateUseAsCollateral / validateAutomaticUseAsCollateral for a first supply. */
function canAutoEnableCollateral(positions: AavePositions, reserve: AaveReserve): boolean {
  if (reserve.ltv === 0n) return false;
  // An isolated asset is only auto-enabled for holders of the ISOLATED_COLLATERAL_SUPPLIER role.
  if (reserve.debtCeiling !== 0n) return false;
  if (!positions.userReserves.some((u) => u.usageAsCollateralEnabledOnUser)) return true;
  return isolationCollateral(positions) === undefined;
}

/**
 * The checks Aave's ValidationLogic runs before an action, on the state the action would start from, plus the
 * health-factor check after it. Throws the typed error of the first failure. Pure.
 */
export function validateAaveAction(
  positions: AavePositions,
  action: AaveAction,
  options: ValidateOptions = {},
): void {
  checkAmount(action);
  const now = atOf(positions, options);
  const minHf = options.minHealthFactor ?? WAD;
  const version = positions.market.version;
  const reserve = findReserve(positions, action.asset);
  const user = userReserveOf(positions, reserve);
  if (!reserve.isActive) throw new ReserveInactiveError(action.type, reserve);
  if (reserve.isPaused) throw new ReservePausedError(action.type, reserve);
  const unit = 10n ** BigInt(reserve.decimals);

  switch (action.type) {
    case "supply": {
      if (reserve.isFrozen) throw new ReserveFrozenError("supply", reserve);
      if (reserve.supplyCap !== 0n) {
        const total = reserveTotalSupplied(version, reserve, now);
        if (total + action.amount > reserve.supplyCap * unit)
          throw new SupplyCapExceededError(reserve, action.amount, total, reserve.supplyCap);
      }
      return;
    }
    case "withdraw": {
      const { supplied } = userBalancesAt(version, reserve, user, now);
      const amount = action.amount === MAX_UINT256 ? supplied : action.amount;
      if (amount === 0n || amount > supplied)
        throw new InsufficientBalanceError("withdraw", reserve, amount, supplied);
      const idle = idleLiquidity(version, reserve);
      if (amount > idle) throw new InsufficientLiquidityError("withdraw", reserve, amount, idle);
      const before = computeAccountData(positions, { at: now });
      if (user.usageAsCollateralEnabledOnUser && before.totalDebtBase > 0n) {
        const after = projectAaveActions(positions, [action], { at: now }).account;
        if (after.healthFactor < minHf)
          throw new HealthFactorTooLowError("withdraw", reserve, after.healthFactor, minHf);
        if (after.hasZeroLtvCollateral && reserve.ltv !== 0n)
          throw new NoBorrowingPowerError(
            "withdraw",
            reserve,
            "the account holds collateral with LTV 0; only such assets can be withdrawn while it borrows",
          );
      }
      return;
    }
    case "borrow": {
      if (reserve.isFrozen) throw new ReserveFrozenError("borrow", reserve);
      if (!reserve.borrowingEnabled) throw new BorrowingNotEnabledError(reserve);
      const idle = idleLiquidity(version, reserve);
      if (action.amount > idle) throw new InsufficientLiquidityError("borrow", reserve, action.amount, idle);
      if (reserve.borrowCap !== 0n) {
        const total = reserveTotalDebt(version, reserve, now);
        if (total + action.amount > reserve.borrowCap * unit)
          throw new BorrowCapExceededError(reserve, action.amount, total, reserve.borrowCap);
      }
      const iso = isolationCollateral(positions);
      if (iso) {
        if (!reserve.borrowableInIsolation) throw new NotBorrowableInIsolationError(reserve, iso.symbol);
        const added = isolationUnits(reserve, action.amount);
        if (iso.isolationModeTotalDebt + added > iso.debtCeiling)
          throw new DebtCeilingExceededError(
            reserve,
            iso.symbol,
            iso.isolationModeTotalDebt,
            added,
            iso.debtCeiling,
          );
      }
      const eMode = userEMode(positions);
      if (positions.userEModeCategoryId !== 0) {
        const ok =
          version === "legacy"
            ? reserve.eModeCategoryId === positions.userEModeCategoryId
            : eMode !== undefined && bitmapHas(eMode.borrowableBitmap, reserve.index);
        if (!ok) throw new EModeBorrowError(reserve, positions.userEModeCategoryId);
      }
      const before = computeAccountData(positions, { at: now });
      if (before.totalCollateralBase === 0n)
        throw new NoBorrowingPowerError("borrow", reserve, "the account has no collateral");
      if (before.ltv === 0n)
        throw new NoBorrowingPowerError("borrow", reserve, "the account's collateral has LTV 0");
      if (before.healthFactor <= WAD)
        throw new HealthFactorTooLowError("borrow", reserve, before.healthFactor, WAD + 1n);
      const amountBase =
        version === "latest"
          ? ceilDiv(reserve.price * action.amount, unit)
          : (reserve.price * action.amount) / unit;
      const needed = percentDiv(before.totalDebtBase + amountBase, before.ltv);
      if (needed > before.totalCollateralBase)
        throw new CollateralCannotCoverBorrowError(reserve, needed, before.totalCollateralBase);
      const borrowed = positions.userReserves.filter((u) => isBorrowing(u));
      if (borrowed.length > 0) {
        const siloed = borrowed.length === 1 ? positions.reserves[borrowed[0]!.index] : undefined;
        if (siloed?.isSiloedBorrowing) {
          if (siloed.index !== reserve.index)
            throw new SiloedBorrowingError(
              reserve,
              `the account already borrows ${siloed.symbol}, which is siloed`,
            );
        } else if (reserve.isSiloedBorrowing && !borrowed.every((u) => u.index === reserve.index)) {
          throw new SiloedBorrowingError(reserve, "the asset is siloed and the account borrows other assets");
        }
      }
      const after = projectAaveActions(positions, [action], { at: now }).account;
      if (after.healthFactor < minHf)
        throw new HealthFactorTooLowError("borrow", reserve, after.healthFactor, minHf);
      return;
    }
    case "repay": {
      const { supplied, variableDebt } = userBalancesAt(version, reserve, user, now);
      if (variableDebt === 0n) throw new NoDebtError("repay", reserve);
      if (action.useATokens) {
        const payback = action.amount === MAX_UINT256 ? supplied : action.amount;
        const capped = min(payback, variableDebt);
        if (capped === 0n || capped > supplied)
          throw new InsufficientBalanceError("repay with aTokens", reserve, capped, supplied);
      }
      return;
    }
    default: {
      const never: never = action;
      throw new AaveActionRefusedError(
        "action",
        reserve,
        `unknown action ${(never as { type: string }).type}`,
      );
    }
  }
}

/**
 * Projects a sequence of actions executed in one block at `at` (default: the read's timestamp), e.g. the
 * supply + borrow of one batch. Pure; no policy checks unless `validate` is set, in which case each action is
 * checked with {@link validateAaveAction} against the state left by the previous ones.
 */
export function projectAaveActions(
  positions: AavePositions,
  actions: readonly AaveAction[],
  options: ValidateOptions & { readonly validate?: boolean | undefined } = {},
): ProjectionResult {
  const now = atOf(positions, options);
  let state = refresh(positions, now);
  for (const action of actions) {
    if (options.validate)
      validateAaveAction(state, action, { at: now, minHealthFactor: options.minHealthFactor });
    state = refresh(applyAction(state, action, now), now);
  }
  return { positions: state, account: computeAccountData(state, { at: now }) };
}

/** The health factor (wad) and account totals after one hypothetical action. Pure. */
export function projectHealthFactor(
  positions: AavePositions,
  action: AaveAction,
  options: ProjectOptions = {},
): ComputedAccountData {
  return projectAaveActions(positions, [action], options).account;
}

/** The effective LTV and liquidation threshold of a reserve for the account (e-mode aware), in bps. */
export function reserveRiskParams(
  positions: AavePositions,
  asset: Address,
): { ltv: bigint; liquidationThreshold: bigint; inEMode: boolean } {
  return collateralParams(positions, findReserve(positions, asset));
}

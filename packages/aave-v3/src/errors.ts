import { type Address, BallastError, formatUnits } from "@ballast/core";

/** The positions could not be read or decoded (a call failed, or a result had the wrong shape). */
export class AaveReadError extends BallastError {
  override name = "AaveReadError";
  constructor(
    readonly what: string,
    params: { details?: string; cause?: unknown } = {},
  ) {
    super(`Could not read Aave positions: ${what}.`, { ...params, context: { what } });
  }
}

/** A market name that is not in the known-markets map. */
export class UnknownMarketError extends BallastError {
  override name = "UnknownMarketError";
  constructor(readonly market: string) {
    super(`Unknown Aave V3 market "${market}".`, { context: { market } });
  }
}

/** The asset is not a reserve of the market. */
export class UnknownReserveError extends BallastError {
  override name = "UnknownReserveError";
  constructor(
    readonly asset: Address,
    readonly pool: Address,
  ) {
    super(`Asset ${asset} is not a reserve of the Aave pool ${pool}.`, { context: { asset, pool } });
  }
}

/** What every refused action names: the reserve and the action. */
type ReserveRef = { readonly asset: Address; readonly symbol: string; readonly decimals: number };

/** Base of the errors raised when the reserve or account state forbids an action (Aave would revert). */
export class AaveActionRefusedError extends BallastError {
  override name = "AaveActionRefusedError";
  readonly asset: Address;
  readonly symbol: string;
  constructor(
    readonly action: string,
    reserve: ReserveRef,
    reason: string,
    context: Record<string, unknown> = {},
  ) {
    super(`Aave ${action} of ${reserve.symbol} refused: ${reason}.`, {
      context: { action, asset: reserve.asset, symbol: reserve.symbol, ...context },
    });
    this.asset = reserve.asset;
    this.symbol = reserve.symbol;
  }
}

const units = (r: ReserveRef, v: bigint) => `${formatUnits(v, r.decimals)} ${r.symbol}`;

/** The reserve is not active (Aave error 27, RESERVE_INACTIVE). */
export class ReserveInactiveError extends AaveActionRefusedError {
  override name = "ReserveInactiveError";
  constructor(action: string, reserve: ReserveRef) {
    super(action, reserve, "the reserve is not active");
  }
}

/** The reserve is paused (RESERVE_PAUSED): nothing can be supplied, withdrawn, borrowed or repaid. */
export class ReservePausedError extends AaveActionRefusedError {
  override name = "ReservePausedError";
  constructor(action: string, reserve: ReserveRef) {
    super(action, reserve, "the reserve is paused");
  }
}

/** The reserve is frozen (RESERVE_FROZEN): no new supply or borrow; withdraw and repay still work. */
export class ReserveFrozenError extends AaveActionRefusedError {
  override name = "ReserveFrozenError";
  constructor(action: string, reserve: ReserveRef) {
    super(action, reserve, "the reserve is frozen");
  }
}

/** Borrowing is disabled on the reserve (BORROWING_NOT_ENABLED). */
export class BorrowingNotEnabledError extends AaveActionRefusedError {
  override name = "BorrowingNotEnabledError";
  constructor(reserve: ReserveRef) {
    super("borrow", reserve, "borrowing is not enabled on the reserve");
  }
}

/** The supply would take the reserve's total supply over its cap (SUPPLY_CAP_EXCEEDED). */
export class SupplyCapExceededError extends AaveActionRefusedError {
  override name = "SupplyCapExceededError";
  constructor(
    reserve: ReserveRef,
    readonly amount: bigint,
    readonly totalSupplied: bigint,
    readonly cap: bigint,
  ) {
    super(
      "supply",
      reserve,
      `${units(reserve, amount)} on top of ${units(reserve, totalSupplied)} exceeds the supply cap of ${cap} ${reserve.symbol}`,
      { amount: String(amount), totalSupplied: String(totalSupplied), cap: String(cap) },
    );
  }
}

/** The borrow would take the reserve's total debt over its cap (BORROW_CAP_EXCEEDED). */
export class BorrowCapExceededError extends AaveActionRefusedError {
  override name = "BorrowCapExceededError";
  constructor(
    reserve: ReserveRef,
    readonly amount: bigint,
    readonly totalDebt: bigint,
    readonly cap: bigint,
  ) {
    super(
      "borrow",
      reserve,
      `${units(reserve, amount)} on top of ${units(reserve, totalDebt)} exceeds the borrow cap of ${cap} ${reserve.symbol}`,
      { amount: String(amount), totalDebt: String(totalDebt), cap: String(cap) },
    );
  }
}

/** In isolation mode, the borrow would exceed the isolated collateral's debt ceiling (DEBT_CEILING_EXCEEDED). */
export class DebtCeilingExceededError extends AaveActionRefusedError {
  override name = "DebtCeilingExceededError";
  constructor(
    reserve: ReserveRef,
    readonly collateral: string,
    readonly isolationModeTotalDebt: bigint,
    readonly added: bigint,
    readonly debtCeiling: bigint,
  ) {
    super(
      "borrow",
      reserve,
      `isolation mode: ${collateral}'s debt ceiling is ${formatUnits(debtCeiling, 2)} USD, ${formatUnits(isolationModeTotalDebt, 2)} is used and the borrow adds ${formatUnits(added, 2)}`,
      {
        collateral,
        isolationModeTotalDebt: String(isolationModeTotalDebt),
        added: String(added),
        debtCeiling: String(debtCeiling),
      },
    );
  }
}

/** In isolation mode only assets flagged borrowable-in-isolation may be borrowed (ASSET_NOT_BORROWABLE_IN_ISOLATION). */
export class NotBorrowableInIsolationError extends AaveActionRefusedError {
  override name = "NotBorrowableInIsolationError";
  constructor(
    reserve: ReserveRef,
    readonly collateral: string,
  ) {
    super(
      "borrow",
      reserve,
      `the account is in isolation mode (collateral ${collateral}) and the asset is not borrowable in isolation`,
      {
        collateral,
      },
    );
  }
}

/** The asset cannot be borrowed in the account's e-mode category (INCONSISTENT_EMODE_CATEGORY / NOT_BORROWABLE_IN_EMODE). */
export class EModeBorrowError extends AaveActionRefusedError {
  override name = "EModeBorrowError";
  constructor(
    reserve: ReserveRef,
    readonly eModeCategoryId: number,
  ) {
    super(
      "borrow",
      reserve,
      `the asset is not borrowable in the account's e-mode category ${eModeCategoryId}`,
      {
        eModeCategoryId,
      },
    );
  }
}

/** Siloed borrowing forbids this borrow next to the account's other debt (SILOED_BORROWING_VIOLATION). */
export class SiloedBorrowingError extends AaveActionRefusedError {
  override name = "SiloedBorrowingError";
  constructor(reserve: ReserveRef, detail: string) {
    super("borrow", reserve, `siloed borrowing: ${detail}`);
  }
}

/** The pool does not hold enough idle underlying for the withdrawal or borrow. */
export class InsufficientLiquidityError extends AaveActionRefusedError {
  override name = "InsufficientLiquidityError";
  constructor(
    action: string,
    reserve: ReserveRef,
    readonly amount: bigint,
    readonly available: bigint,
  ) {
    super(
      action,
      reserve,
      `${units(reserve, amount)} requested, ${units(reserve, available)} available in the pool`,
      {
        amount: String(amount),
        available: String(available),
      },
    );
  }
}

/** The account holds less than the action needs (aTokens to withdraw or to repay with). */
export class InsufficientBalanceError extends AaveActionRefusedError {
  override name = "InsufficientBalanceError";
  constructor(
    action: string,
    reserve: ReserveRef,
    readonly amount: bigint,
    readonly balance: bigint,
  ) {
    super(
      action,
      reserve,
      `${units(reserve, amount)} requested, the account has ${units(reserve, balance)} supplied`,
      {
        amount: String(amount),
        balance: String(balance),
      },
    );
  }
}

/** Nothing to repay: the account has no debt in the reserve (NO_DEBT_OF_SELECTED_TYPE). */
export class NoDebtError extends AaveActionRefusedError {
  override name = "NoDebtError";
  constructor(action: string, reserve: ReserveRef) {
    super(action, reserve, "the account has no variable debt in the reserve");
  }
}

/** A "max" repay on behalf of another account is refused by Aave (NO_EXPLICIT_AMOUNT_TO_REPAY_ON_BEHALF). */
export class RepayMaxOnBehalfError extends AaveActionRefusedError {
  override name = "RepayMaxOnBehalfError";
  constructor(reserve: ReserveRef) {
    super("repay", reserve, "repaying type(uint256).max is only allowed for the account's own debt");
  }
}

/** The account's collateral has no borrowing power (LTV 0, COLLATERAL_BALANCE_IS_ZERO or LTV_VALIDATION_FAILED). */
export class NoBorrowingPowerError extends AaveActionRefusedError {
  override name = "NoBorrowingPowerError";
  constructor(action: string, reserve: ReserveRef, reason: string) {
    super(action, reserve, reason);
  }
}

/** The borrow needs more collateral than the account's LTV allows (COLLATERAL_CANNOT_COVER_NEW_BORROW). */
export class CollateralCannotCoverBorrowError extends AaveActionRefusedError {
  override name = "CollateralCannotCoverBorrowError";
  constructor(
    reserve: ReserveRef,
    readonly collateralNeededBase: bigint,
    readonly collateralBase: bigint,
  ) {
    super(
      "borrow",
      reserve,
      `it needs ${collateralNeededBase} of collateral (base currency) at the account's LTV, the account has ${collateralBase}`,
      { collateralNeededBase: String(collateralNeededBase), collateralBase: String(collateralBase) },
    );
  }
}

/** The action would leave the health factor below the required minimum (HEALTH_FACTOR_LOWER_THAN_LIQUIDATION_THRESHOLD). */
export class HealthFactorTooLowError extends AaveActionRefusedError {
  override name = "HealthFactorTooLowError";
  constructor(
    action: string,
    reserve: ReserveRef,
    readonly healthFactor: bigint,
    readonly minimum: bigint,
  ) {
    super(
      action,
      reserve,
      `the health factor would be ${formatUnits(healthFactor, 18, 4)}, below ${formatUnits(minimum, 18, 4)}`,
      { healthFactor: String(healthFactor), minimum: String(minimum) },
    );
  }
}

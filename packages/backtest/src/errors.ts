import { BallastError } from "@ballast/core";

/** A price history that cannot be used: a bad CSV cell or row (named by file and line), or too few rows. */
export class PriceHistoryError extends BallastError {
  override name = "PriceHistoryError";
  constructor(
    readonly reason: string,
    readonly where: { readonly file?: string; readonly line?: number } = {},
  ) {
    const at = [where.file, where.line].filter((x) => x !== undefined).join(":");
    super(`${at ? `${at}: ` : ""}${reason}`, { context: { ...where, reason } });
  }
}

/** Backtest inputs that do not fit together (a sleeve's symbol without a price column, an empty policy list, …). */
export class BacktestInputError extends BallastError {
  override name = "BacktestInputError";
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`Invalid backtest input ${field}: ${reason}`, { context: { field, reason } });
  }
}

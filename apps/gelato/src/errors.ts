import { BallastError } from "@ballast/core";

/** A user arg, a secret or the task's chain does not fit the portfolio (the handler and the task command throw it). */
export class GelatoConfigError extends BallastError {
  override name = "GelatoConfigError";
  constructor(
    readonly field: string,
    message: string,
    context: Record<string, unknown> = {},
  ) {
    super(`${field}: ${message}`, { context: { field, ...context } });
  }
}

/** A secret the Web3 Function needs is not set on the task (the value itself is never logged). */
export class MissingSecretError extends BallastError {
  override name = "MissingSecretError";
  constructor(readonly secret: string) {
    super(`The task secret ${secret} is not set.`, {
      details: `Set ${secret} in the task's secrets (Gelato app → task → Secrets, or the automate-sdk secrets API).`,
      context: { secret },
    });
  }
}

/** The RPC behind a chain answers for another chain id than the portfolio's config says. */
export class WrongChainError extends BallastError {
  override name = "WrongChainError";
  constructor(
    readonly expected: number,
    readonly actual: number,
    where: string,
  ) {
    super(`${where}: expected chain ${expected}, the provider is on chain ${actual}.`, {
      context: { expected, actual },
    });
  }
}

/** The Safe has not enabled the dedicated msg.sender as a module: Gelato's calls would revert with GS104. */
export class ModuleNotEnabledError extends BallastError {
  override name = "ModuleNotEnabledError";
  constructor(
    readonly safe: string,
    readonly module: string,
    readonly chainId: number,
  ) {
    super(
      `Safe ${safe} on chain ${chainId} has not enabled ${module} (Gelato's dedicated msg.sender) as a module.`,
      {
        details:
          "Have the Safe owners execute enableModule(dedicatedMsgSender) on the Safe (`create-task --dry-run` prints it).",
        context: { safe, module, chainId },
      },
    );
  }
}

/** A Gelato API (stand-in or real) answered with an error or an unexpected body. */
export class GelatoApiError extends BallastError {
  override name = "GelatoApiError";
  constructor(
    readonly endpoint: string,
    message: string,
    params: { status?: number | undefined; cause?: unknown } = {},
  ) {
    super(`Gelato API ${endpoint}: ${message}`, {
      cause: params.cause,
      context: { endpoint, status: params.status },
    });
  }
}

/** The Web3 Function bundle failed to build, or its import graph reaches a Node built-in. */
export class BundleError extends BallastError {
  override name = "BundleError";
}

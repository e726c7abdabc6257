import { BallastError, type BallastErrorParameters } from "@ballast/core";

/** The base of every error the testkit throws. */
export class TestkitError extends BallastError {
  override name = "TestkitError";
  constructor(shortMessage: string, params: BallastErrorParameters = {}) {
    super(shortMessage, params);
  }
}

/** The anvil binary for this platform is not installed. */
export class AnvilBinaryNotFoundError extends TestkitError {
  override name = "AnvilBinaryNotFoundError";
  constructor(
    readonly platformPackage: string,
    cause?: unknown,
  ) {
    super(`The anvil binary (${platformPackage}) is not installed.`, {
      details: "Install @foundry-rs/anvil with its optional platform package (pnpm install).",
      cause,
      context: { platformPackage },
    });
  }
}

/** anvil exited or timed out before it listened on its RPC port. */
export class AnvilStartError extends TestkitError {
  override name = "AnvilStartError";
  constructor(
    reason: string,
    readonly args: readonly string[],
    readonly output: string,
  ) {
    super(`anvil did not start: ${reason}.`, {
      details: output.trim().split("\n").slice(-8).join("\n") || undefined,
      context: { args, reason },
    });
  }
}

/** A deployment transaction reverted or a post-deploy check failed. */
export class DeploymentError extends TestkitError {
  override name = "DeploymentError";
  constructor(
    readonly step: string,
    details?: string,
    cause?: unknown,
  ) {
    super(`Deployment failed at ${step}.`, { details, cause, context: { step } });
  }
}

/** The chain is a fork of a real network: our own deployment is not there. */
export class NoLocalDeploymentError extends TestkitError {
  override name = "NoLocalDeploymentError";
  constructor(readonly chainId: number) {
    super(`Chain ${chainId} is a fork of a real network and has no testkit deployment.`, {
      details: "Skip tests that need the local deployment on forks (useTestChain does so by default).",
      context: { chainId },
    });
  }
}

/** A helper was asked about a token, feed or pool the deployment does not have. */
export class UnknownContractError extends TestkitError {
  override name = "UnknownContractError";
  constructor(
    readonly kind: string,
    readonly key: string,
  ) {
    super(`Unknown ${kind} "${key}" in the testkit deployment.`, { context: { kind, key } });
  }
}

/** A transaction sent by a helper reverted. */
export class TransactionRevertedError extends TestkitError {
  override name = "TransactionRevertedError";
  constructor(
    readonly label: string,
    readonly hash: string,
  ) {
    super(`Transaction "${label}" reverted.`, { context: { label, hash } });
  }
}

/** The test PostgreSQL server did not initialise or start. `portTaken`: its port was taken meanwhile (try another). */
export class PostgresStartError extends TestkitError {
  override name = "PostgresStartError";
  constructor(
    reason: string,
    readonly portTaken = false,
  ) {
    super(`PostgreSQL did not start: ${reason.trim().split("\n").slice(-6).join("\n")}`);
  }
}

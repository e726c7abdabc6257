import type { Address, Call } from "@ballast/core";
import type { Abi } from "viem";
import type { Fees } from "./fees.ts";
import type { GuardReport, Guards } from "./guards.ts";
import type { RawSimulation } from "./simulate.ts";
import type { ConfirmedTx, TxManager, TxRequest } from "./txManager.ts";

/** The kinds of execution account Ballast drives. */
export type ExecutorKind = "eip7702" | "safe-module" | "safe-owner" | "safe-roles";

/** Options of {@link Executor.simulate}. */
export type SimulateOptions = {
  /** Post-conditions to check on the simulated state. */
  readonly guards?: Guards | undefined;
  /** Extra ABIs whose custom errors the revert decoder should know. */
  readonly abis?: readonly Abi[] | undefined;
};

/** A simulation that passed: the exact request that will be sent, the raw result and what the guards saw. */
export type Simulation = RawSimulation & {
  readonly request: TxRequest;
  readonly report: GuardReport | undefined;
};

/** Options of {@link Executor.execute}. */
export type ExecuteOptions = SimulateOptions & {
  /** The plan id journaled with the transaction (one transaction per plan and chain). */
  readonly planId: string;
  /** First-attempt fees instead of the market estimate. */
  readonly fees?: Fees | undefined;
  /** Bound on waiting for confirmation, ms (then TransactionTimeoutError; the transaction stays in flight). */
  readonly timeoutMs?: number | undefined;
  /** Stops waiting for confirmation (WaitAbortedError; the transaction stays in flight). */
  readonly signal?: AbortSignal | undefined;
};

/** The outcome of an executed batch. `simulation` is absent when an already-journaled plan was resumed. */
export type ExecutionResult = {
  readonly planId: string;
  readonly record: ConfirmedTx;
  readonly simulation: Simulation | undefined;
};

/**
 * An execution account: turns a batch of calls into ONE transaction, simulates it, and sends it through the
 * transaction manager. Built by {@link eip7702Executor}, {@link safeModuleExecutor}, {@link safeOwnerExecutor} or
 * {@link safeRolesExecutor}.
 */
export type Executor = {
  readonly kind: ExecutorKind;
  readonly chainId: number;
  /** The account whose balances and positions the calls move. */
  readonly account: Address;
  /** The EOA that signs and pays for the transaction. */
  readonly sender: Address;
  /** The one transaction that runs `calls` atomically from the account. */
  encode(calls: readonly Call[]): Promise<TxRequest>;
  /** Simulates that exact transaction; throws SimulationFailedError (with the failing index) or GuardViolationError. */
  simulate(calls: readonly Call[], options?: SimulateOptions): Promise<Simulation>;
  /**
   * Simulates, then sends and waits for confirmation. A plan already journaled (after a restart) is not
   * simulated or signed again: its transaction is awaited.
   */
  execute(calls: readonly Call[], options: ExecuteOptions): Promise<ExecutionResult>;
};

/** @internal Serializes async work (one batch at a time per executor). */
export function createMutex(): <T>(fn: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
}

/** @internal The execute flow every executor shares: resume a journaled plan, else simulate → send → wait. */
export async function runExecute(params: {
  readonly manager: TxManager;
  readonly options: ExecuteOptions;
  readonly simulate: () => Promise<Simulation>;
  /** Extra check on the confirmed transaction (e.g. the Safe module success event). */
  readonly verify?: (record: ConfirmedTx) => Promise<void>;
}): Promise<ExecutionResult> {
  const { manager, options } = params;
  const existing = await manager.get(options.planId);
  const live = existing && existing.status !== "dropped" && existing.status !== "reverted";
  let simulation: Simulation | undefined;
  if (!live) {
    simulation = await params.simulate();
    await manager.send({
      ...simulation.request,
      planId: options.planId,
      supersede: existing !== undefined,
      ...(options.fees ? { fees: options.fees } : {}),
    });
  }
  const record = await manager.wait(options.planId, {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    signal: options.signal,
  });
  await params.verify?.(record);
  return { planId: options.planId, record, simulation };
}

import type { Logger } from "pino";

/**
 * How long a keeper may take to stop after SIGINT/SIGTERM before it exits anyway. A read or a settle pass stuck on a
 * slow RPC (a request times out after `rpcTimeout`, and is retried) must not hold a supervisor's stop.
 */
export const STOP_GRACE_MS = 3_000;

/**
 * Aborts `stop` on SIGINT or SIGTERM and, with `graceMs` (the CLI's commands), exits the process if it is still running
 * `graceMs` later. Exiting there is as safe as a crash: a transaction is journaled before it is broadcast, each journal
 * write is one database transaction, and the next start settles whatever is in flight. An embedding program (a bench
 * with its own chains to stop) passes no `graceMs`. Returns the function that removes the handlers.
 */
export function stopOnSignals(
  stop: AbortController,
  log: Logger,
  what: string,
  graceMs?: number,
): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, `shutting down: ${what}`);
    stop.abort();
    if (graceMs === undefined) return;
    setTimeout(() => {
      log.warn(
        { graceMs },
        "still busy after the grace period (a slow RPC?): exiting now; the next start settles what is in flight",
      );
      process.exit(process.exitCode ?? 0);
    }, graceMs).unref();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
}

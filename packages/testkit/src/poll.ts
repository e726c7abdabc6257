import { TestkitError } from "./errors.ts";

/** A loop a test runs in the background (a local relayer, resolver, …). */
export type Poller = {
  /** Errors of the polls (the loop keeps running); a test asserts this stays empty. */
  readonly errors: unknown[];
  /** Stops polling and waits for the poll in progress. Idempotent. */
  stop(): Promise<void>;
};

/** Runs `poll` now, then again `ms` after each run ends, until `stop()`; what a run throws goes to `errors`. */
export function pollEvery(poll: () => Promise<void>, ms: number): Poller {
  const errors: unknown[] = [];
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  const loop = () => {
    running = poll()
      .catch((error: unknown) => {
        errors.push(error);
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, ms);
      });
  };
  loop();
  return {
    errors,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/**
 * Resolves with the first value `find` returns, looking every 20 ms while `poller` runs; rejects with the poller's
 * first error, or after `timeoutMs` with a TestkitError saying `what` did not happen (and `details`, if given).
 */
export async function waitForPoller<T>(
  poller: Poller,
  find: () => T | undefined,
  timeoutMs: number,
  what: string,
  details?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (poller.errors.length) throw poller.errors[0];
    if (Date.now() > deadline)
      throw new TestkitError(`${what} after ${timeoutMs} ms`, details ? { details: details() } : {});
    await new Promise((r) => setTimeout(r, 20));
  }
}

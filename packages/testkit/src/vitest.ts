import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { forkUrlFromEnv, type StartTestChainParameters, startTestChain, type TestChain } from "./chain.ts";
import { TestkitError } from "./errors.ts";

/** Options for {@link useTestChain}. */
export type UseTestChainParameters = StartTestChainParameters & {
  /**
   * Skip this file's tests when the chain would be a fork of a real network (`BALLAST_FORK_URL_<CHAINID>` set),
   * because they need the local deployment. Default true; set false for tests that also run on forks.
   */
  requireLocal?: boolean | undefined;
  /** Revert to a snapshot after every test (default true). */
  isolate?: boolean | undefined;
  /** Environment to read `BALLAST_FORK_URL_<CHAINID>` from (default `process.env`); ignored if `forkUrl` is given. */
  env?: Record<string, string | undefined> | undefined;
  /** beforeAll timeout in ms (default 60 s: a cold cache deploys first). */
  timeoutMs?: number | undefined;
};

/**
 * Registers vitest hooks for one chain per test file: starts it in `beforeAll` (from the cached state, or as a
 * fork when `BALLAST_FORK_URL_<CHAINID>` is set), snapshots before and reverts after each test, and always stops
 * it in `afterAll`. Returns a handle whose properties are the started {@link TestChain}'s (usable inside tests).
 */
export function useTestChain(params: UseTestChainParameters): TestChain {
  const forkUrl = params.forkUrl ?? forkUrlFromEnv(params.chainId, params.env);
  let chain: TestChain | undefined;
  if (forkUrl && params.requireLocal !== false) {
    beforeEach((ctx) => {
      ctx.skip(
        `needs the local testkit deployment; chain ${params.chainId} is a fork (BALLAST_FORK_URL_${params.chainId})`,
      );
    });
  } else {
    beforeAll(async () => {
      chain = await startTestChain({ ...params, forkUrl });
    }, params.timeoutMs ?? 60_000);
    afterAll(async () => {
      await chain?.stop();
      chain = undefined;
    });
    if (params.isolate !== false) {
      let snapshot: `0x${string}` | undefined;
      beforeEach(async () => {
        snapshot = await chain?.snapshot();
      });
      afterEach(async () => {
        if (chain && snapshot) await chain.revert(snapshot);
        snapshot = undefined;
      });
    }
  }
  return new Proxy({} as TestChain, {
    get(_target, property) {
      if (chain) return Reflect.get(chain, property);
      // Not a thenable, and inspectable (vitest, util.inspect) before the chain starts.
      if (property === "then" || typeof property === "symbol") return undefined;
      throw new TestkitError(`Test chain ${params.chainId} is not running: use it inside tests or hooks.`, {
        context: { property: String(property) },
      });
    },
    has: (_target, property) => chain !== undefined && property in chain,
    ownKeys: () => (chain ? Reflect.ownKeys(chain) : []),
    getOwnPropertyDescriptor: (_target, property) => {
      if (!chain) return undefined;
      const descriptor = Reflect.getOwnPropertyDescriptor(chain, property);
      return descriptor ? { ...descriptor, configurable: true } : undefined;
    },
  });
}

/**
 * Runs `setup` once before the tests of the enclosing `describe` block and reverts it after them, so each of those
 * tests starts from the state it left (with {@link useTestChain}'s per-test snapshot, what a test does is undone
 * before the next). For set-ups of dozens of transactions (positions opened, liquidity seeded) that every test of a
 * block needs alike: sequential RPC round trips are what a loaded machine slows most. Returns a getter for what
 * `setup` resolved to (usable inside the block's tests).
 */
export function useSharedState<T>(chain: TestChain, setup: () => Promise<T>): () => T {
  let clean: `0x${string}` | undefined;
  let state: { value: T } | undefined;
  beforeAll(async () => {
    clean = await chain.snapshot();
    state = { value: await setup() };
  });
  afterAll(async () => {
    if (clean) await chain.revert(clean);
    clean = undefined;
    state = undefined;
  });
  return () => {
    if (!state) throw new TestkitError("useSharedState: read inside the block's tests, after its setup ran.");
    return state.value;
  };
}

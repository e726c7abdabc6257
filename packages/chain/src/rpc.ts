import {
  type Chain,
  createTransport,
  type EIP1193RequestFn,
  HttpRequestError,
  http,
  shouldThrow,
  TimeoutError,
  type Transport,
} from "viem";
import { ChainMismatchError, RpcRequestError, RpcUnavailableError } from "./errors.ts";

/** Health of one RPC URL as observed from real requests and probes. */
export type RpcStatus = {
  readonly url: string;
  /** Position in the configured list (ties are broken by it). */
  readonly order: number;
  /** False while the URL is cooling down after transport failures. */
  readonly healthy: boolean;
  /** Moving average of request latency, ms (undefined until the first success). */
  readonly latencyMs: number | undefined;
  readonly successes: number;
  readonly failures: number;
  readonly consecutiveFailures: number;
  readonly lastError: string | undefined;
};

/** Options of {@link createRpcPool}. */
export type RpcPoolOptions = {
  /** Per-request timeout, ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** How long a failing URL is ranked last, ms (doubles per consecutive failure, up to 16×). Default 5 000. */
  readonly cooldownMs?: number;
  /** Retries per request on one URL after a retryable transport failure (network, timeout, 408, 429, 5xx). Default 2. */
  readonly retries?: number;
  /** First retry delay, ms (doubles per retry, with jitter). Default 100. */
  readonly retryDelayMs?: number;
  /** Sees every request's outcome (e.g. to count failures per method). */
  readonly onRequest?: (event: RpcRequestEvent) => void;
  /** Clock, for tests. Default `Date.now`. */
  readonly now?: () => number;
};

/**
 * The outcome of one request on one URL (each retry is its own request). `ok: false` for a transport failure or a
 * node error; an execution revert is the node doing its job and counts as `ok`.
 */
export type RpcRequestEvent = {
  readonly chainId: number;
  readonly url: string;
  readonly method: string;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly error?: string;
};

/**
 * A chain's RPC URLs with their live health ranking. A URL that failed (a transport failure) and then answers has
 * _reconnected_: before its answer is used, the pool asks it `eth_chainId`; another chain stops the pool — every
 * request of every URL throws {@link ChainMismatchError} from then on (a node behind the URL was swapped: nothing it or
 * its neighbours say is trusted until a restart checks the config again).
 */
export type RpcPool = {
  readonly chainId: number;
  readonly urls: readonly string[];
  /** The URLs best first: healthy before cooling-down, then by latency, then by configured order. */
  ranked(): RpcStatus[];
  /** A single-URL viem transport whose requests feed this pool's health table. */
  transport(url: string): Transport;
  /** Records the outcome of a request (used by the transports; exposed for custom probes). */
  record(url: string, outcome: { ok: boolean; latencyMs: number; error?: string }): void;
  /** Why the pool stopped (a URL reconnected serving another chain), or undefined while it serves. */
  stopped(): ChainMismatchError | undefined;
};

type MutableStatus = {
  url: string;
  order: number;
  latencyMs: number | undefined;
  successes: number;
  failures: number;
  consecutiveFailures: number;
  lastError: string | undefined;
  downUntil: number;
  /** Failed since its chain id was last confirmed: its next answer is a reconnect, checked before it is used. */
  suspect: boolean;
};

const isTransportFailure = (err: unknown): boolean =>
  err instanceof HttpRequestError || err instanceof TimeoutError;

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const isRetryable = (err: unknown): boolean =>
  err instanceof TimeoutError ||
  (err instanceof HttpRequestError && (err.status === undefined || RETRY_STATUS.has(err.status)));

/** A JSON-RPC error that is the node answering correctly (an execution revert), not a failure of the RPC. */
const isRevert = (err: unknown): boolean => {
  const e = err as { code?: unknown; message?: unknown };
  return e.code === 3 || (typeof e.message === "string" && /revert/i.test(e.message));
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Creates the health-ranked pool of a chain's RPC URLs (no timers: ranking comes from real traffic and probes). */
export function createRpcPool(
  chainId: number,
  urls: readonly string[],
  options: RpcPoolOptions = {},
): RpcPool {
  if (urls.length === 0) throw new RpcUnavailableError(chainId, []);
  const timeout = options.timeoutMs ?? 10_000;
  const cooldown = options.cooldownMs ?? 5_000;
  const now = options.now ?? Date.now;
  const retries = Math.max(0, options.retries ?? 2);
  const retryDelayMs = options.retryDelayMs ?? 100;
  const table: MutableStatus[] = urls.map((url, order) => ({
    url,
    order,
    latencyMs: undefined,
    successes: 0,
    failures: 0,
    consecutiveFailures: 0,
    lastError: undefined,
    downUntil: 0,
    suspect: false,
  }));
  const byUrl = new Map(table.map((s) => [s.url, s]));
  const httpTransports = new Map(urls.map((u) => [u, http(u, { retryCount: 0, timeout })]));

  const record: RpcPool["record"] = (url, { ok, latencyMs, error }) => {
    const s = byUrl.get(url);
    if (!s) return;
    if (ok) {
      s.successes++;
      s.consecutiveFailures = 0;
      s.downUntil = 0;
      s.latencyMs = s.latencyMs === undefined ? latencyMs : s.latencyMs * 0.7 + latencyMs * 0.3;
    } else {
      s.failures++;
      s.consecutiveFailures++;
      s.lastError = error;
      s.suspect = true;
      s.downUntil = now() + cooldown * 2 ** Math.min(s.consecutiveFailures - 1, 4);
    }
  };

  const ranked = (): RpcStatus[] => {
    const t = now();
    return table
      .map((s) => ({
        url: s.url,
        order: s.order,
        healthy: s.downUntil <= t,
        latencyMs: s.latencyMs,
        successes: s.successes,
        failures: s.failures,
        consecutiveFailures: s.consecutiveFailures,
        lastError: s.lastError,
      }))
      .sort(
        (a, b) =>
          Number(b.healthy) - Number(a.healthy) ||
          (a.healthy ? (a.latencyMs ?? Infinity) - (b.latencyMs ?? Infinity) : 0) ||
          a.order - b.order,
      );
  };

  const reconnects = reconnectCheck(chainId);
  const on = { chainId, now, record, options, retries, retryDelayMs, reconnects };

  const transport = (url: string): Transport => {
    const inner = httpTransports.get(url);
    const s = byUrl.get(url);
    if (!inner || !s) throw new RpcUnavailableError(chainId, [url]);
    return ({ chain }) => {
      const t = inner({ chain, retryCount: 0, timeout });
      return createTransport({
        key: "ballast-rpc",
        name: "Ballast RPC",
        type: "ballast-rpc",
        retryCount: 0,
        timeout,
        request: ((args, opts) => requestOn(on, s, t, args, opts)) as EIP1193RequestFn,
      });
    };
  };

  return { chainId, urls, ranked, transport, record, stopped: reconnects.stopped };
}

/** What {@link requestOn} needs of its pool. */
type PoolContext = {
  readonly chainId: number;
  readonly now: () => number;
  readonly record: RpcPool["record"];
  readonly options: RpcPoolOptions;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly reconnects: ReturnType<typeof reconnectCheck>;
};

/** One request on one URL of a pool with its retries, fed into the pool's health table. */
async function requestOn(
  pool: PoolContext,
  s: MutableStatus,
  t: ReturnType<Transport>,
  args: Parameters<EIP1193RequestFn>[0],
  opts?: Parameters<EIP1193RequestFn>[1],
): Promise<unknown> {
  const { chainId, now, record, options, reconnects } = pool;
  for (let attempt = 0; ; attempt++) {
    const stopped = reconnects.stopped();
    if (stopped) throw stopped;
    const start = now();
    try {
      // Asked before a suspect URL is used, and again if it failed while this request was out. A node's JSON-RPC
      // error is an answer too; a failed check is a transport failure of this attempt.
      if (s.suspect) await reconnects.confirm(s, t);
      const res = await t.request(args, opts).catch(async (err: unknown) => {
        if (s.suspect && !isTransportFailure(err)) await reconnects.confirm(s, t);
        throw err;
      });
      if (s.suspect) await reconnects.confirm(s, t);
      record(s.url, { ok: true, latencyMs: now() - start });
      options.onRequest?.({ chainId, url: s.url, method: args.method, ok: true, latencyMs: now() - start });
      return res;
    } catch (err) {
      if (err instanceof ChainMismatchError) throw err;
      const latencyMs = now() - start;
      const transport = isTransportFailure(err);
      // A JSON-RPC error means the node is alive: only transport failures hurt its health.
      record(
        s.url,
        transport ? { ok: false, latencyMs, error: (err as Error).message } : { ok: true, latencyMs },
      );
      const failed = transport || !isRevert(err);
      options.onRequest?.({
        chainId,
        url: s.url,
        method: args.method,
        ok: !failed,
        latencyMs,
        ...(failed ? { error: (err as Error).message.split("\n")[0] ?? "" } : {}),
      });
      if (!transport) throw err;
      if (attempt < pool.retries && isRetryable(err)) {
        await sleep(pool.retryDelayMs * 2 ** attempt * (0.5 + Math.random()));
        continue;
      }
      throw new RpcRequestError(chainId, args.method, s.url, (err as HttpRequestError).status, err);
    }
  }
}

/**
 * The pool's reconnect check: a suspect URL that answers is asked its chain id once (concurrent answers share the
 * question) before any answer is used; another chain stops the pool for good.
 */
function reconnectCheck(chainId: number) {
  let stopped: ChainMismatchError | undefined;
  const confirming = new Map<string, Promise<void>>();
  const confirm = (s: MutableStatus, t: ReturnType<Transport>): Promise<void> => {
    const known = confirming.get(s.url);
    if (known) return known;
    const check = (async () => {
      const id = Number(await t.request({ method: "eth_chainId" }));
      if (id !== chainId) {
        stopped ??= new ChainMismatchError(s.url, chainId, id, undefined, true);
        throw stopped;
      }
      s.suspect = false;
    })().finally(() => confirming.delete(s.url));
    confirming.set(s.url, check);
    return check;
  };
  return { confirm, stopped: (): ChainMismatchError | undefined => stopped };
}

/**
 * A viem transport over the whole pool: each request tries the URLs best-ranked first and moves to the
 * next one on a transport failure or a node error (never on a revert, which any node would repeat).
 */
export function rankedFallback(pool: RpcPool, options: { retryCount?: number } = {}): Transport {
  return ({ chain }: { chain?: Chain | undefined }) => {
    const instances = new Map<string, ReturnType<Transport>>();
    const instance = (url: string) => {
      const known = instances.get(url);
      if (known) return known;
      const t = pool.transport(url)({ chain, retryCount: 0 });
      instances.set(url, t);
      return t;
    };
    return createTransport({
      key: "ballast-fallback",
      name: "Ballast ranked fallback",
      type: "ballast-fallback",
      retryCount: options.retryCount ?? 1,
      request: (async (args: Parameters<EIP1193RequestFn>[0], opts?: Parameters<EIP1193RequestFn>[1]) => {
        const order = pool.ranked();
        let last: unknown;
        for (const s of order) {
          try {
            return await instance(s.url).request(args, opts);
          } catch (err) {
            // A reconnected URL serving another chain stops the chain: no other URL is asked instead.
            if (err instanceof ChainMismatchError || (err instanceof Error && shouldThrow(err))) throw err;
            last = err;
          }
        }
        throw last ?? new RpcUnavailableError(pool.chainId, pool.urls);
      }) as EIP1193RequestFn,
    });
  };
}

import type { z } from "zod";
import {
  OneInchHttpError,
  OneInchNetworkError,
  OneInchResponseError,
  OneInchTimeoutError,
} from "./errors.ts";

/** The public 1inch API gateway. The Swap API lives under `/swap/v6.0`, Fusion under `/fusion`. */
export const ONE_INCH_API_URL = "https://api.1inch.dev";

/** How to reach the 1inch API: base URL, key, per-attempt timeout and retry policy. */
export type OneInchClientParameters = {
  /** Base URL without a trailing slash. Default {@link ONE_INCH_API_URL}. */
  readonly baseUrl?: string;
  /** Developer-portal API key, sent as `Authorization: Bearer <key>`. */
  readonly apiKey?: string;
  /** Time allowed for one attempt, headers and body, in ms. Default 10,000. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt on 429, 5xx, timeouts and network errors. Default 3. */
  readonly retries?: number;
  /** Base of the exponential backoff, in ms (full jitter). Default 250. */
  readonly baseDelayMs?: number;
  /** Cap of one backoff, including a server's Retry-After, in ms. Default 5,000. */
  readonly maxDelayMs?: number;
  /** The fetch implementation. Default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** Waits between retries. Default a `setTimeout` promise. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Random source in [0, 1) for the jitter. Default `Math.random`. */
  readonly random?: () => number;
  /** Extra headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>>;
};

/** A configured 1inch API client: plain data plus injected I/O, passed as the first argument of every call. */
export type OneInchClient = {
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly fetch: typeof globalThis.fetch;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly headers: Readonly<Record<string, string>>;
};

/** Builds a {@link OneInchClient} with defaults filled in. */
export function createOneInchClient(params: OneInchClientParameters = {}): OneInchClient {
  return {
    baseUrl: (params.baseUrl ?? ONE_INCH_API_URL).replace(/\/+$/, ""),
    apiKey: params.apiKey,
    timeoutMs: params.timeoutMs ?? 10_000,
    retries: params.retries ?? 3,
    baseDelayMs: params.baseDelayMs ?? 250,
    maxDelayMs: params.maxDelayMs ?? 5_000,
    fetch: params.fetch ?? globalThis.fetch.bind(globalThis),
    sleep: params.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: params.random ?? Math.random,
    headers: params.headers ?? {},
  };
}

/** One JSON request: absolute URL, method, optional JSON body, and the zod schema of a 2xx answer. */
export type RequestJsonParameters<T> = {
  readonly url: string;
  readonly method?: "GET" | "POST";
  readonly body?: unknown;
  readonly schema: z.ZodType<T>;
  readonly signal?: AbortSignal;
};

/**
 * Sends one request with timeouts and jittered retries (429, 5xx, timeouts, network errors) and validates
 * the 2xx answer with `schema`. An empty 2xx body is validated as `undefined`.
 * Throws {@link OneInchHttpError}, {@link OneInchTimeoutError}, {@link OneInchNetworkError} or {@link OneInchResponseError}.
 */
export async function requestJson<T>(client: OneInchClient, params: RequestJsonParameters<T>): Promise<T> {
  const { url, method = "GET" } = params;
  const headers: Record<string, string> = { accept: "application/json", ...client.headers };
  if (client.apiKey) headers.authorization = `Bearer ${client.apiKey}`;
  if (params.body !== undefined) headers["content-type"] = "application/json";
  const init = { method, headers, body: params.body === undefined ? null : JSON.stringify(params.body) };

  const attempts = client.retries + 1;
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(client, url, init, params.signal);
    const last = attempt >= attempts;
    switch (outcome.kind) {
      case "ok":
        return parseBody(url, outcome.text, params.schema);
      case "status": {
        const retryable = outcome.status === 429 || outcome.status >= 500;
        if (!retryable || last) {
          throw new OneInchHttpError(url, outcome.status, errorDescription(outcome.text), attempt);
        }
        await client.sleep(backoff(client, attempt, outcome.retryAfterMs));
        break;
      }
      case "timeout":
        if (last) throw new OneInchTimeoutError(url, client.timeoutMs, attempt);
        await client.sleep(backoff(client, attempt, undefined));
        break;
      case "network":
        if (last) throw new OneInchNetworkError(url, attempt, outcome.cause);
        await client.sleep(backoff(client, attempt, undefined));
        break;
      default: {
        const unreachable: never = outcome;
        throw unreachable;
      }
    }
  }
}

type Outcome =
  | { kind: "ok"; text: string }
  | { kind: "status"; status: number; text: string; retryAfterMs: number | undefined }
  | { kind: "timeout" }
  | { kind: "network"; cause: unknown };

async function attemptOnce(
  client: OneInchClient,
  url: string,
  init: { method: string; headers: Record<string, string>; body: string | null },
  outer: AbortSignal | undefined,
): Promise<Outcome> {
  outer?.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timeout after ${client.timeoutMs} ms`));
  }, client.timeoutMs);
  const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
  try {
    const res = await client.fetch(url, { ...init, signal });
    const text = await res.text();
    if (res.ok) return { kind: "ok", text };
    return {
      kind: "status",
      status: res.status,
      text,
      retryAfterMs: parseRetryAfter(res.headers.get("retry-after")),
    };
  } catch (cause) {
    if (outer?.aborted) throw outer.reason;
    if (timedOut) return { kind: "timeout" };
    return { kind: "network", cause };
  } finally {
    clearTimeout(timer);
  }
}

/** Full-jitter exponential backoff, at least the server's Retry-After, never above `maxDelayMs`. */
function backoff(client: OneInchClient, attempt: number, retryAfterMs: number | undefined): number {
  const ceiling = Math.min(client.maxDelayMs, client.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.floor(client.random() * ceiling);
  return Math.min(client.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function parseBody<T>(url: string, text: string, schema: z.ZodType<T>): T {
  let json: unknown;
  if (text.trim() === "") json = undefined;
  else {
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new OneInchResponseError(url, `body is not JSON: ${text.slice(0, 120)}`, cause);
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    throw new OneInchResponseError(url, issues, parsed.error);
  }
  return parsed.data;
}

/** The API's error body is `{error, description, statusCode, requestId, meta}`; keep what helps a human. */
function errorDescription(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { description?: unknown; error?: unknown };
    const parts = [body.error, body.description].filter((p): p is string => typeof p === "string");
    if (parts.length) return parts.join(": ");
  } catch {
    // not JSON: fall through
  }
  return text ? text.slice(0, 200) : undefined;
}

/** Joins the client's base URL, a path and query parameters (undefined values are left out). */
export function buildUrl(
  client: OneInchClient,
  path: string,
  query: Readonly<Record<string, string | number | boolean | bigint | undefined>> = {},
): string {
  const url = new URL(`${client.baseUrl}${path}`);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url.toString();
}

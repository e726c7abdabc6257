import type { z } from "zod";
import { AcrossHttpError, AcrossNetworkError, AcrossResponseError, AcrossTimeoutError } from "./errors.ts";

/** The public Across API (mainnets). Testnets: `https://testnet.across.to/api`. */
export const ACROSS_API_URL = "https://app.across.to/api";

/** How to reach the Across API: base URL, key, per-attempt timeout and retry policy. */
export type AcrossClientParameters = {
  /** Base URL without a trailing slash. Default {@link ACROSS_API_URL}. */
  readonly baseUrl?: string;
  /** Integrator API key, sent as `Authorization: Bearer <key>` (never in the URL). */
  readonly apiKey?: string;
  /** Time allowed for one attempt, headers and body, in ms. Default 10,000. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt on 429, 5xx, timeouts and network errors. Default 2. */
  readonly retries?: number;
  /** Base of the exponential backoff with full jitter, in ms. Default 250; capped at 5 s. */
  readonly baseDelayMs?: number;
  /** The fetch implementation. Default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** Waits between retries. Default a `setTimeout` promise. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Random source in [0, 1) for the jitter. Default `Math.random`. */
  readonly random?: () => number;
};

/** A configured Across API client: plain data plus injected I/O, the first argument of every call. */
export type AcrossClient = Required<Omit<AcrossClientParameters, "apiKey">> & {
  readonly apiKey: string | undefined;
};

const MAX_DELAY_MS = 5_000;

/** Builds an {@link AcrossClient} with defaults filled in. */
export function createAcrossClient(params: AcrossClientParameters = {}): AcrossClient {
  return {
    baseUrl: (params.baseUrl ?? ACROSS_API_URL).replace(/\/+$/, ""),
    apiKey: params.apiKey,
    timeoutMs: params.timeoutMs ?? 10_000,
    retries: params.retries ?? 2,
    baseDelayMs: params.baseDelayMs ?? 250,
    fetch: params.fetch ?? globalThis.fetch.bind(globalThis),
    sleep: params.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: params.random ?? Math.random,
  };
}

type Query = Readonly<Record<string, string | number | bigint | boolean | undefined>>;

/**
 * `GET {baseUrl}{path}?{query}` with a per-attempt timeout, retries with full jitter on 429, 5xx, timeouts and
 * network errors, and the 2xx body validated by `schema`. An abort of `signal` rejects with its reason at once.
 * Throws {@link AcrossHttpError}, {@link AcrossTimeoutError}, {@link AcrossNetworkError} or {@link AcrossResponseError}.
 */
export async function getJson<T>(
  client: AcrossClient,
  path: string,
  query: Query,
  schema: z.ZodType<T>,
  signal?: AbortSignal,
): Promise<T> {
  const url = new URL(`${client.baseUrl}${path}`);
  for (const [key, value] of Object.entries(query))
    if (value !== undefined) url.searchParams.set(key, String(value));
  const href = url.toString();
  const headers: Record<string, string> = { accept: "application/json" };
  if (client.apiKey) headers.authorization = `Bearer ${client.apiKey}`;

  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(client, href, headers, signal);
    if (outcome.kind === "ok") return parseBody(href, outcome.text, schema);
    const retryable = outcome.kind !== "status" || outcome.status === 429 || outcome.status >= 500;
    if (!retryable || attempt > client.retries) throw failure(client, href, outcome, attempt);
    const ceiling = Math.min(MAX_DELAY_MS, client.baseDelayMs * 2 ** (attempt - 1));
    await client.sleep(Math.floor(client.random() * ceiling));
  }
}

type Outcome =
  | { kind: "ok"; text: string }
  | { kind: "status"; status: number; text: string }
  | { kind: "timeout" }
  | { kind: "network"; cause: unknown };

async function attemptOnce(
  client: AcrossClient,
  url: string,
  headers: Record<string, string>,
  outer: AbortSignal | undefined,
): Promise<Outcome> {
  outer?.throwIfAborted();
  const timeout = AbortSignal.timeout(client.timeoutMs);
  const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
  try {
    const res = await client.fetch(url, { method: "GET", headers, signal });
    const text = await res.text();
    return res.ok ? { kind: "ok", text } : { kind: "status", status: res.status, text };
  } catch (cause) {
    if (outer?.aborted) throw outer.reason;
    return timeout.aborted ? { kind: "timeout" } : { kind: "network", cause };
  }
}

function failure(
  client: AcrossClient,
  url: string,
  outcome: Exclude<Outcome, { kind: "ok" }>,
  attempts: number,
) {
  switch (outcome.kind) {
    case "status": {
      const body = apiError(outcome.text);
      return new AcrossHttpError(url, outcome.status, body.code, body.message, attempts);
    }
    case "timeout":
      return new AcrossTimeoutError(url, client.timeoutMs, attempts);
    case "network":
      return new AcrossNetworkError(url, attempts, outcome.cause);
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}

/** The API's error body is `{type: "AcrossApiError", code, status, message, param}`; keep what helps a human. */
function apiError(text: string): { code: string | undefined; message: string | undefined } {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown; param?: unknown };
    const code = typeof body.code === "string" ? body.code : undefined;
    const message = typeof body.message === "string" ? body.message : undefined;
    const param = typeof body.param === "string" && body.param ? ` (param ${body.param})` : "";
    if (code || message) return { code, message: message ? `${message}${param}` : undefined };
  } catch {
    // not JSON: fall through
  }
  return { code: undefined, message: text ? text.slice(0, 200) : undefined };
}

function parseBody<T>(url: string, text: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new AcrossResponseError(url, `body is not JSON: ${text.slice(0, 120)}`, cause);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
  throw new AcrossResponseError(url, issues, parsed.error);
}

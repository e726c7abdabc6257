import type { Logger } from "pino";
import { resolveSecret } from "../secrets.ts";
import type { AlertsConfig, SinkConfig } from "./config.ts";
import type { Alert } from "./events.ts";
import { alertBody, retryAfterSeconds, type Sink } from "./sinks.ts";

/** Delivers alerts in the background: filtered, de-duplicated, rate-limited, retried; never throws to the caller. */
export type Notifier = {
  /** Queues an alert for every sink that wants it and returns at once. */
  notify(alert: Alert): void;
  /** Resolves when every queued alert is delivered or given up, or after `timeoutMs`. */
  flush(timeoutMs?: number): Promise<void>;
  /** Counts since start. */
  readonly stats: { delivered: number; failed: number; rateLimited: number; duplicates: number };
};

/** Options of {@link createNotifier}. */
export type NotifierOptions = {
  log: Logger;
  env: Record<string, string | undefined>;
  /** Values that must never be sent or logged besides the sinks' own (RPC URLs, tokens). */
  secrets?: readonly string[];
  /** First retry delay; doubled on each attempt, with jitter. Default 1 s. */
  baseDelayMs?: number;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  /** Unix seconds. */
  now?: () => number;
};

const MAX_RETRY_AFTER_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves a sink's secrets (URL from `env:NAME`, Telegram's bot token) into where to POST. */
export function resolveSink(
  config: SinkConfig,
  index: number,
  env: Record<string, string | undefined>,
): Sink {
  const name = `${config.type}#${index}`;
  const what = `keeper.alerts.sinks.${index}`;
  if (config.type === "telegram") {
    const token = resolveSecret(config.token, env, `${what}.token`);
    return {
      name,
      config,
      url: `${config.apiUrl.replace(/\/$/, "")}/bot${token}/sendMessage`,
      secrets: [token],
    };
  }
  const url = config.url.startsWith("env:") ? resolveSecret(config.url, env, `${what}.url`) : config.url;
  return { name, config, url, secrets: [url] };
}

const wants = (events: readonly string[] | undefined, a: Alert) => !events || events.includes(a.event);

/** Builds the notifier of `keeper.alerts`; throws a SecretError when a sink's variable is not set. */
export function createNotifier(config: AlertsConfig, o: NotifierOptions): Notifier {
  const sinks = config.sinks.map((s, i) => resolveSink(s, i, o.env));
  const secrets = [...sinks.flatMap((s) => s.secrets), ...(o.secrets ?? [])].filter((s) => s.length >= 6);
  const redact = (text: string) => secrets.reduce((t, s) => t.split(s).join("[redacted]"), text);
  const now = o.now ?? (() => Math.floor(Date.now() / 1000));
  const baseDelayMs = o.baseDelayMs ?? 1_000;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const stats = { delivered: 0, failed: 0, rateLimited: 0, duplicates: 0 };
  const lastSent = new Map<string, number>();
  const queues = sinks.map((sink) => ({ sink, tail: Promise.resolve(), sentAt: [] as number[], dropped: 0 }));

  /** One POST; `retry` says whether another attempt may succeed, `waitMs` how long a 429 asked for. */
  async function post(
    sink: Sink,
    body: unknown,
  ): Promise<{ ok: boolean; retry: boolean; waitMs?: number; why: string }> {
    try {
      const res = await fetch(sink.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      if (res.ok) return { ok: true, retry: false, why: "" };
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(text);
      } catch {}
      const after = res.status === 429 ? retryAfterSeconds(res.headers, parsed) : null;
      return {
        ok: false,
        retry: res.status === 429 || res.status >= 500,
        ...(after !== null ? { waitMs: Math.min(after * 1_000, MAX_RETRY_AFTER_MS) } : {}),
        why: `HTTP ${res.status}`,
      };
    } catch (e) {
      return {
        ok: false,
        retry: true,
        why: redact((e as Error).cause ? String((e as Error).cause) : String(e)),
      };
    }
  }

  async function deliver(sink: Sink, alert: Alert): Promise<void> {
    const body = alertBody(sink.config, alert);
    for (let attempt = 1; attempt <= config.attempts; attempt++) {
      const r = await post(sink, body);
      if (r.ok) {
        stats.delivered++;
        o.log.info({ sink: sink.name, event: alert.event, attempt }, "alert delivered");
        return;
      }
      const last = attempt === config.attempts || !r.retry;
      o.log.warn(
        { sink: sink.name, event: alert.event, attempt, why: r.why },
        last ? "alert not delivered" : "alert delivery failed; retrying",
      );
      if (last) break;
      const backoff = baseDelayMs * 2 ** (attempt - 1);
      await sleep(r.waitMs ?? backoff / 2 + Math.random() * (backoff / 2));
    }
    stats.failed++;
  }

  return {
    stats,
    notify(raw) {
      if (!wants(config.events, raw)) return;
      const alert = { ...raw, title: redact(raw.title), lines: raw.lines.map(redact) };
      const key = `${alert.event}|${alert.subject}|${alert.severity}`;
      const t = now();
      const seen = lastSent.get(key);
      if (seen !== undefined && t - seen < config.dedupWindow) {
        stats.duplicates++;
        return;
      }
      lastSent.set(key, t);
      for (const q of queues) {
        if (!wants(q.sink.config.events, alert)) continue;
        q.sentAt = q.sentAt.filter((s) => t - s < config.rateLimit.per);
        if (q.sentAt.length >= config.rateLimit.max) {
          q.dropped++;
          stats.rateLimited++;
          continue;
        }
        q.sentAt.push(t);
        const note = q.dropped > 0 ? [`(${q.dropped} earlier alert(s) held back by the rate limit)`] : [];
        q.dropped = 0;
        const message = { ...alert, lines: [...alert.lines, ...note] };
        q.tail = q.tail.then(() => deliver(q.sink, message)).catch(() => undefined);
      }
    },
    async flush(ms = 15_000) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(queues.map((q) => q.tail)),
        new Promise<void>((r) => {
          timer = setTimeout(r, ms);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}

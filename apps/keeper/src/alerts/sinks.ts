import type { SinkConfig } from "./config.ts";
import type { Alert, Severity } from "./events.ts";

/** A sink with its secrets resolved: where to POST and how to word it. */
export type Sink = {
  /** For logs: the type and position, never the URL (webhook URLs and bot tokens are secrets). */
  name: string;
  config: SinkConfig;
  url: string;
  /** The secret values of this sink (URL, token), redacted from anything logged. */
  secrets: string[];
};

const MARK: Record<Severity, string> = { info: "🟢", warning: "🟠", critical: "🔴" };

/** The alert as short lines for a phone: a marked title, then the details. */
export const alertText = (a: Alert): string => [`${MARK[a.severity]} ${a.title}`, ...a.lines].join("\n");

const escapeSlack = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const escapeDiscord = (s: string) => s.replace(/([*_~`|>\\])/g, "\\$1");

/**
 * The JSON body each service documents:
 * - webhook: Ballast's own `{event, severity, subject, title, lines, text, at}` (`at` ISO 8601);
 * - Slack incoming webhook: `{text}` in mrkdwn (`&`, `<`, `>` escaped);
 * - Discord webhook: `{content, allowed_mentions: {parse: []}}`, at most 2,000 characters, no pings;
 * - Telegram Bot API `sendMessage`: `{chat_id, text, disable_web_page_preview}`, plain text, at most 4,096.
 */
export function alertBody(sink: SinkConfig, a: Alert): Record<string, unknown> {
  switch (sink.type) {
    case "webhook":
      return {
        event: a.event,
        severity: a.severity,
        subject: a.subject,
        title: a.title,
        lines: a.lines,
        text: alertText(a),
        at: new Date(a.at * 1000).toISOString(),
      };
    case "slack":
      return {
        text: [`${MARK[a.severity]} *${escapeSlack(a.title)}*`, ...a.lines.map(escapeSlack)].join("\n"),
      };
    case "discord":
      return {
        content: [`${MARK[a.severity]} **${escapeDiscord(a.title)}**`, ...a.lines.map(escapeDiscord)]
          .join("\n")
          .slice(0, 2_000),
        allowed_mentions: { parse: [] },
      };
    case "telegram":
      return { chat_id: sink.chatId, text: alertText(a).slice(0, 4_096), disable_web_page_preview: true };
  }
}

/** Seconds a 429 asks us to wait: the `Retry-After` header, Discord's `retry_after` or Telegram's `parameters.retry_after`. */
export function retryAfterSeconds(headers: Headers, body: unknown): number | null {
  const header = Number(headers.get("retry-after"));
  if (Number.isFinite(header) && header > 0) return header;
  const b = body as { retry_after?: unknown; parameters?: { retry_after?: unknown } } | null;
  const v = Number(b?.retry_after ?? b?.parameters?.retry_after);
  return Number.isFinite(v) && v > 0 ? v : null;
}

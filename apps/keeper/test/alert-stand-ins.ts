// Local stand-ins for the alert services, speaking each one's documented webhook format:
// - Slack incoming webhooks (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks):
//   POST JSON with `text`; 200 "ok", or 400 "invalid_payload" / "no_text".
// - Discord webhooks (https://discord.com/developers/docs/resources/webhook#execute-webhook): POST JSON with
//   `content` (≤ 2,000 chars) or `embeds`; 204 No Content; 429 with `retry_after` (seconds) when rate-limited.
// - Telegram Bot API sendMessage (https://core.telegram.org/bots/api#sendmessage): POST /bot<token>/sendMessage
//   with `chat_id` and `text` (≤ 4,096); `{ok: true, result: Message}`, or `{ok: false, error_code, description}`.
// - A generic JSON webhook: any JSON object, 200.
import { createServer, type Server } from "node:http";

/** One request a stand-in accepted (or refused), as received. */
export type Received = {
  service: "slack" | "discord" | "telegram" | "webhook";
  path: string;
  raw: string;
  body: unknown;
  status: number;
};

/** Paths of the stand-in's services. */
export const STAND_IN_PATHS = {
  slack: "/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX",
  discord: "/api/webhooks/123456789012345678/discord-webhook-token-abcdef",
  webhook: "/hooks/ballast",
};

/** Options: the Telegram bot token to accept, and failures to inject per service (HTTP statuses, in order). */
export type StandInOptions = { telegramToken: string; fail?: Partial<Record<Received["service"], number[]>> };

export type StandIns = {
  url: string;
  received: Received[];
  /** Requests a service accepted. */
  accepted(service: Received["service"]): Received[];
  close(): Promise<void>;
};

function answer(
  service: Received["service"],
  path: string,
  body: unknown,
  o: StandInOptions,
): [number, string] {
  const b = (body ?? {}) as Record<string, unknown>;
  switch (service) {
    case "slack":
      return typeof b.text === "string" && b.text.length > 0 ? [200, "ok"] : [400, "no_text"];
    case "discord": {
      const content = b.content;
      if (typeof content !== "string" || content.length === 0)
        return [400, JSON.stringify({ message: "Cannot send an empty message", code: 50006 })];
      if (content.length > 2_000) return [400, JSON.stringify({ message: "Invalid Form Body", code: 50035 })];
      return [204, ""];
    }
    case "telegram": {
      if (path !== `/bot${o.telegramToken}/sendMessage`)
        return [401, JSON.stringify({ ok: false, error_code: 401, description: "Unauthorized" })];
      if (
        b.chat_id === undefined ||
        typeof b.text !== "string" ||
        b.text.length === 0 ||
        b.text.length > 4_096
      )
        return [
          400,
          JSON.stringify({ ok: false, error_code: 400, description: "Bad Request: message text is empty" }),
        ];
      return [
        200,
        JSON.stringify({
          ok: true,
          result: { message_id: 1, chat: { id: b.chat_id }, date: 0, text: b.text },
        }),
      ];
    }
    case "webhook":
      return typeof body === "object" && body !== null ? [200, "{}"] : [400, "{}"];
  }
}

const serviceOf = (path: string): Received["service"] | null =>
  path === STAND_IN_PATHS.slack
    ? "slack"
    : path === STAND_IN_PATHS.discord
      ? "discord"
      : path === STAND_IN_PATHS.webhook
        ? "webhook"
        : path.startsWith("/bot")
          ? "telegram"
          : null;

/** Starts the stand-ins on 127.0.0.1 (a free port). */
export async function startStandIns(o: StandInOptions): Promise<StandIns> {
  const received: Received[] = [];
  const fail = Object.fromEntries(Object.entries(o.fail ?? {}).map(([k, v]) => [k, [...v]])) as Record<
    string,
    number[]
  >;
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d: Buffer) => {
      raw += d.toString();
    });
    req.on("end", () => {
      const path = req.url ?? "/";
      const service = serviceOf(path);
      if (!service || req.method !== "POST") return void res.writeHead(404).end();
      let body: unknown = null;
      try {
        body = JSON.parse(raw);
      } catch {}
      const injected = fail[service]?.shift();
      const [status, text] =
        injected === 429
          ? [
              429,
              JSON.stringify({ message: "You are being rate limited.", retry_after: 0.05, global: false }),
            ]
          : injected !== undefined
            ? [injected, "server error"]
            : answer(service, path, body, o);
      received.push({ service, path, raw, body, status });
      res
        .writeHead(status, { "content-type": text.startsWith("{") ? "application/json" : "text/plain" })
        .end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    accepted: (s) => received.filter((r) => r.service === s && r.status < 300),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

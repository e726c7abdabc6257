import pino, { type Logger } from "pino";

/** Structured logs: pretty on a TTY, JSON lines otherwise. Keys named like secrets are redacted. */
export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const pretty = opts.pretty ?? process.stderr.isTTY === true;
  return pino(
    {
      level: opts.level ?? "info",
      redact: {
        paths: ["key", "*.key", "privateKey", "*.privateKey", "apiKey", "*.apiKey", "password"],
        censor: "[redacted]",
      },
    },
    pretty
      ? pino.transport({
          target: "pino-pretty",
          options: { destination: 2, colorize: true, translateTime: "HH:MM:ss" },
        })
      : pino.destination(2),
  );
}

import { redactDeep, redactText } from "@ballast/core";
import pino, { type Logger } from "pino";

/**
 * Structured logs: pretty on a TTY, JSON lines otherwise. Every argument of every log call is redacted
 * deeply before pino sees it ({@link redactDeep}): URLs lose their credentials wherever they are nested
 * (an error's message, its cause, a details string), and secret-named keys are censored.
 */
export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const pretty = opts.pretty ?? process.stderr.isTTY === true;
  return pino(
    {
      level: opts.level ?? "info",
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => redactDeep(a)) as Parameters<typeof method>);
        },
      },
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

/**
 * Makes every string the process writes to stdout and stderr pass through {@link redactText}: the last line
 * of defence for the CLI (tables, `--json`, errors printed with `BALLAST_DEBUG`). The logger writes to the
 * file descriptor directly and redacts on its own.
 */
export function redactProcessOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      write(typeof chunk === "string" ? redactText(chunk) : chunk, ...rest)) as typeof stream.write;
  }
}

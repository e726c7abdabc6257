import { decimalSchema, durationSchema as duration, parseWad } from "@ballast/config";
import { z } from "zod";

/** A secret named by its environment variable: `env:NAME`. */
export const envRef = z
  .string()
  .regex(/^env:[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected "env:VARIABLE_NAME"' });

/** Every event an alert can carry. */
export const ALERT_EVENTS = [
  "rebalance",
  "tx-confirmed",
  "tx-failed",
  "tx-replaced",
  "simulation-refused",
  "health-factor",
  "chain-stale",
  "startup",
] as const;
/** One kind of alert. */
export type AlertEvent = (typeof ALERT_EVENTS)[number];

const events = z.array(z.enum(ALERT_EVENTS)).min(1).optional();
const url = z.union([
  envRef,
  z.url({ protocol: /^https?$/, message: "expected an http(s) URL or env:NAME" }),
]);

const sink = z.discriminatedUnion("type", [
  z.object({ type: z.literal("webhook"), url, events }).strict(),
  z.object({ type: z.literal("slack"), url, events }).strict(),
  z.object({ type: z.literal("discord"), url, events }).strict(),
  z
    .object({
      type: z.literal("telegram"),
      token: envRef,
      chatId: z.union([z.string().min(1), z.number().int()]).transform(String),
      apiUrl: z.url().default("https://api.telegram.org"),
      events,
    })
    .strict(),
]);

/** `keeper.alerts`: where alerts go and which ones. */
export const alertsSchema = z
  .object({
    sinks: z.array(sink).default([]),
    /** Events sent to every sink (a sink's own `events` narrows it further); default: all. */
    events,
    /** Alert when a health factor is below the floor, or within this much above it. */
    healthFactorMargin: decimalSchema(parseWad, "healthFactorMargin").default(10n ** 17n),
    /** A chain that cannot be read for this long alerts once, and again when it recovers. */
    staleAfter: duration.default(300),
    /** The same alert (event and subject) is not repeated within this window. */
    dedupWindow: duration.default(3_600),
    /** At most `max` messages per sink per `per`; the rest are counted and reported with the next one. */
    rateLimit: z
      .object({ max: z.number().int().positive(), per: duration })
      .strict()
      .default({ max: 20, per: 3_600 }),
    /** Delivery attempts per message (retried with exponential back-off on a network error, 429 or 5xx). */
    attempts: z.number().int().min(1).max(10).default(5),
  })
  .strict();

/** A validated `keeper.alerts`. */
export type AlertsConfig = z.output<typeof alertsSchema>;
/** One validated sink. */
export type SinkConfig = AlertsConfig["sinks"][number];

import { parseUnits } from "@ballast/core";
import { z } from "zod";

/** Parses "0.3%" (or "30bps") into basis points, exactly: no float is involved. */
export function parsePercentBps(text: string, field: string): number {
  const t = text.trim();
  if (/bps$/i.test(t)) return Number(parseUnits(t.slice(0, -3), 0, field));
  if (!t.endsWith("%")) throw new Error(`expected a percentage such as "5%" or "30bps", got "${text}"`);
  return Number(parseUnits(t.slice(0, -1), 2, field));
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/** Parses "30s", "15m", "1h", "7d" or "2w" into seconds. */
export function parseDurationSeconds(text: string): number {
  const m = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (!m) throw new Error(`expected a duration such as "30s", "1h" or "7d", got "${text}"`);
  return Number(m[1]) * (UNIT_SECONDS[m[2] as string] as number);
}

/** Parses "100 USD" or "100" into a USD amount with 18 decimals. */
export function parseUsdWad(text: string, field: string): bigint {
  return parseUnits(text.trim().replace(/\s*USD$/i, ""), 18, field);
}

/** Parses a health factor such as "1.8" into a wad. */
export function parseWad(text: string, field: string): bigint {
  return parseUnits(text.trim(), 18, field);
}

/** A duration field ("30s", "1h", "7d") in config, parsed into seconds. */
export const durationSchema = z.string().transform((s, ctx) => {
  try {
    return parseDurationSeconds(s);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
    return z.NEVER;
  }
});

/** A decimal config field ("1.8", 100) parsed by `parse` (exactly, into a bigint). */
export const decimalSchema = (parse: (s: string, field: string) => bigint, field: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    try {
      return parse(String(v), field);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as { shortMessage?: string }).shortMessage ?? String(e) });
      return z.NEVER;
    }
  });

import { parseDurationSeconds, parseUnits } from "@ballast/core";

export { parseDurationSeconds, parsePercentBps } from "@ballast/core";

import { z } from "zod";

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

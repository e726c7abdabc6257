import { parseUnits } from "@ballast/core";
import { z } from "zod";

export { durationSchema } from "@ballast/chain/schema";
export { parseDurationSeconds, parsePercentBps } from "@ballast/core";

/** Parses "100 USD" or "100" into a USD amount with 18 decimals. */
export function parseUsdWad(text: string, field: string): bigint {
  return parseUnits(text.trim().replace(/\s*USD$/i, ""), 18, field);
}

/** Parses a health factor such as "1.8" into a wad. */
export function parseWad(text: string, field: string): bigint {
  return parseUnits(text.trim(), 18, field);
}

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

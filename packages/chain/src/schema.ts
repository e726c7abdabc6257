/**
 * The zod fields of config sections, shared by `@ballast/config` and the protocol packages' plugin sections (which
 * cannot import `@ballast/config`: it depends on the engine's registry, which depends on them). A subpath
 * (`@ballast/chain/schema`), so the package's main entry stays free of zod.
 */
import {
  type Address,
  formatBps,
  parseDurationSeconds,
  parsePercentBps,
  type SecretRef,
  secretRefProblem,
} from "@ballast/core";
import { z } from "zod";
import { addressProblem } from "./address.ts";

/** A 20-byte address; mixed case must be a valid EIP-55 checksum (a typo in a checksummed address is caught here). */
export const addressSchema = z.string().transform((s, ctx) => {
  const problem = addressProblem(s);
  if (problem) {
    ctx.addIssue({ code: "custom", message: problem });
    return z.NEVER;
  }
  return s as Address;
});

/** A secret reference (`env:NAME`, or a keystore file and the variable of its password): never the secret itself. */
export const secretRefSchema = z.unknown().transform((v, ctx) => {
  const problem = secretRefProblem(v);
  if (problem) {
    ctx.addIssue({ code: "custom", message: problem });
    return z.NEVER;
  }
  return v as SecretRef;
});

/** A percentage ("5%", "30bps") as integer bps, within [min, max] bps. */
export const percentSchema = (field: string, range: { min?: number; max?: number } = {}) =>
  z.union([z.string(), z.number()]).transform((s, ctx) => {
    let bps: number;
    try {
      bps = parsePercentBps(String(s), field);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
    const { min = 0, max = Number.MAX_SAFE_INTEGER } = range;
    if (bps < min || bps > max) {
      const within =
        max === Number.MAX_SAFE_INTEGER
          ? `at least ${formatBps(min)}`
          : `between ${formatBps(min)} and ${formatBps(max)}`;
      ctx.addIssue({ code: "custom", message: `expected ${within}, got "${s}"` });
      return z.NEVER;
    }
    return bps;
  });

/** A duration field ("30s", "1h", "7d"), parsed into seconds. */
export const durationSchema = z.string().transform((s, ctx) => {
  try {
    return parseDurationSeconds(s);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
    return z.NEVER;
  }
});

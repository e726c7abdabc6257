import {
  addressSchema,
  ConfigError,
  chainShape,
  checkChain,
  checkSleeves,
  type PolicyConfig,
  parseWith,
  policySchema,
} from "@ballast/config";
import type { Address } from "@ballast/core";
import { z } from "zod";
import { GelatoConfigError } from "./errors.ts";

/** Name of the user arg that carries the portfolio's static addresses (JSON). */
export const PORTFOLIO_ARG = "portfolio";
/** Name of the secret that carries the policy (JSON): user args are public on chain, secrets are not. */
export const POLICY_SECRET = "BALLAST_POLICY";

/**
 * One chain of the portfolio as the Web3 Function sees it: the fields the keeper reads the same way (`chainShape` of
 * `@ballast/config`: id, tokens, price feeds, swap venues, one section per registered protocol), plus the
 * Safe, its module and the completion check.
 */
const chainSchema = z
  .object({
    ...chainShape,
    /** Config name used by the sleeves' `chain`. */
    key: z.string().min(1),
    /** The Safe 1.3.0 that holds the portfolio. */
    safe: addressSchema,
    /** MultiSendCallOnly 1.3.0 (the only DELEGATECALL target). */
    multiSendCallOnly: addressSchema,
    /** Gelato's dedicated msg.sender of the task creator: the Safe's module, and the `from` of the simulation. */
    dedicatedMsgSender: addressSchema,
    /**
     * Symbol of the token used for the completion check (a 1-unit allowance set by the batch and spent right after, so
     * a batch that did not run reverts Gelato's transaction). The Safe must keep ≥ 1 unit of it. Default: the first of
     * `tokens`; `null` turns the check off.
     */
    completionCheckToken: z.string().nullable().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const check = c.completionCheckToken;
    if (typeof check === "string" && !c.tokens[check])
      ctx.addIssue({
        code: "custom",
        path: ["completionCheckToken"],
        message: "expected null or a symbol of `tokens`",
      });
  });

const portfolioSchema = z
  .object({ chains: z.array(chainSchema).min(1) })
  .strict()
  .superRefine((p, ctx) => {
    for (const [i, chain] of p.chains.entries())
      checkChain({ key: chain.key, path: ["chains", i], chain }, ctx, []);
  });

/** One chain of the `portfolio` user arg, validated. */
export type ChainArgs = z.output<typeof chainSchema>;
/** The `portfolio` user arg, validated. */
export type PortfolioArgs = z.output<typeof portfolioSchema>;

/** `a.0.b` → `a[0].b`, as the user args' fields are named in messages. */
const fieldOf = (prefix: string, path: string): string =>
  `${prefix}${path ? "." : ""}${path}`.replace(/\.(\d+)(?=\.|$)/g, "[$1]");

/** Runs the shared validator and reports the first bad field as a {@link GelatoConfigError} under `prefix`. */
function validate<T>(prefix: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const [first, ...rest] = err.issues;
    const more = rest.length
      ? ` (and ${rest.map((i) => `${fieldOf(prefix, i.path)}: ${i.message}`).join("; ")})`
      : "";
    throw new GelatoConfigError(fieldOf(prefix, first?.path ?? ""), `${first?.message ?? "invalid"}${more}`, {
      issues: err.issues,
    });
  }
}

const parseJson = (text: string, field: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new GelatoConfigError(field, `not valid JSON (${(err as Error).message})`);
  }
};

/** The completion-check token of a chain (see `completionCheckToken`), or undefined when off. */
export function completionTokenOf(c: ChainArgs): Address | undefined {
  if (c.completionCheckToken === null) return undefined;
  const symbol = c.completionCheckToken ?? Object.keys(c.tokens)[0];
  return symbol === undefined ? undefined : c.tokens[symbol]?.address;
}

/** Parses the `portfolio` user arg (a JSON string, or an already-parsed object); throws {@link GelatoConfigError}. */
export function parsePortfolioArgs(userArgs: Readonly<Record<string, unknown>>): PortfolioArgs {
  const field = `userArgs.${PORTFOLIO_ARG}`;
  const raw = userArgs[PORTFOLIO_ARG];
  if (raw === undefined) throw new GelatoConfigError(field, "missing (the portfolio's chains, as JSON)");
  const value = typeof raw === "string" ? parseJson(raw, field) : raw;
  return validate(field, () => parseWith(portfolioSchema, value, field));
}

/**
 * Parses the `BALLAST_POLICY` secret: the keeper's `policy` section as JSON (same fields, same units, same defaults:
 * `weight: "30%"`, `bands: { absolute: "5%", … }`, `maxSlippage: "1%"`), checked against the portfolio's chains when
 * given. Throws {@link GelatoConfigError}.
 */
export function parsePolicy(text: string, portfolio?: PortfolioArgs): PolicyConfig {
  const field = `secrets.${POLICY_SECRET}`;
  const raw = parseJson(text, field);
  const schema = portfolio
    ? policySchema.superRefine((policy, ctx) => {
        const chains = portfolio.chains.map((chain, i) => ({
          key: chain.key,
          path: [PORTFOLIO_ARG, "chains", i],
          chain,
        }));
        checkSleeves(chains, policy, ctx, []);
      })
    : policySchema;
  return validate(field, () => parseWith(schema, raw, field));
}

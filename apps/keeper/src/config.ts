import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { addressSchema as address, durationSchema as duration, secretRefSchema } from "@ballast/chain/schema";
import {
  ConfigError,
  chainShapeWith,
  checkPortfolio,
  parseWith,
  policySchema,
  rpcUrlSchema as rpcUrl,
  sharedShapeWith,
} from "@ballast/config";
import { bandWad, formatBps, type Hex } from "@ballast/core";
import { registeredProtocols } from "@ballast/engine";
import { stringToHex } from "viem";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { alertsSchema } from "./alerts/config.ts";
import { dashboardSchema, refineDashboard } from "./dashboard/config.ts";

export type { LimitsConfig, SleeveConfig } from "@ballast/config";
export { ConfigError } from "@ballast/config";

/** Simple7702Account (eth-infinitism, EntryPoint v0.8) as deployed on public chains. */
export const SIMPLE_7702_ACCOUNT = "0x4Cd241E8d1510e30b2076397afc7508Ae59C66c9";
/** Safe 1.3.0 MultiSendCallOnly, canonical deployment. */
export const MULTI_SEND_CALL_ONLY_130 = "0x40A2aCCbd92BCA938b02010E17A5b8929b49130D";

/** The Zodiac Roles role the keeper is a member of, on every chain, unless `account.roles.role` names another. */
export const BALLAST_ROLE = "ballast-keeper";

/**
 * A Zodiac Roles role: its bytes32 key, or its name (at most 31 bytes), which the Roles apps and zodiac-roles-sdk's
 * `encodeKey` store as the UTF-8 bytes right-padded to 32.
 */
const roleKey = z
  .string()
  .min(1)
  .refine(
    (k) => /^0x[0-9a-fA-F]{64}$/.test(k) || (!k.startsWith("0x") && new TextEncoder().encode(k).length <= 31),
    {
      message: "expected a role name of at most 31 bytes or a 0x-prefixed bytes32 key",
    },
  )
  .transform((k): Hex => (k.startsWith("0x") ? (k.toLowerCase() as Hex) : stringToHex(k, { size: 32 })));

const account = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("eip7702"),
      key: secretRefSchema,
      /** The delegation target; default: the public Simple7702Account deployment. */
      implementation: address.default(SIMPLE_7702_ACCOUNT),
      /** The account's address, so read-only commands (status, plan) run without the key. */
      address: address.optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal("safe"),
      safe: address,
      /** How the key reaches the Safe: an enabled module, a 1-of-N owner, or a member of a Zodiac Roles role. */
      as: z.enum(["module", "owner", "roles"]).default("module"),
      key: secretRefSchema,
      multiSendCallOnly: address.default(MULTI_SEND_CALL_ONLY_130),
      /** With `as: roles`: the Roles v2 modifier (the Safe's module) and the role the key is a member of. */
      roles: z
        .object({
          modifier: address,
          /** The role's name (encoded as zodiac-roles-sdk's `encodeKey` does) or its bytes32 key. */
          role: roleKey.prefault(BALLAST_ROLE),
        })
        .strict()
        .optional(),
    })
    .strict()
    .superRefine((a, ctx) => {
      if ((a.as === "roles") !== (a.roles !== undefined))
        ctx.addIssue({
          code: "custom",
          path: ["roles"],
          message:
            a.as === "roles"
              ? "as: roles needs roles: { modifier: 0x…, role: ballast-keeper }"
              : `roles is only read with as: roles (this account is as: ${a.as})`,
        });
    }),
]);

/** What the keeper provides to protocol plugins: it resolves secrets and tracks bridge transfers in its journal. */
export const KEEPER_PROVIDES = ["secrets", "bridges"] as const;

/**
 * A chain as the keeper runs it: the shared fields ({@link chainShape}: id, tokens, price feeds, swap venues, one
 * section per registered protocol) plus how the keeper reaches it and signs.
 */
const chain = z
  .object({
    ...chainShapeWith(KEEPER_PROVIDES),
    /** Display name and block time for chains the registry does not know. */
    name: z.string().optional(),
    blockTime: duration.optional(),
    rpc: z.array(rpcUrl).min(1, { message: "at least one RPC URL" }),
    /** A send-only endpoint (private / MEV-protected relay): every eth_sendRawTransaction goes there, reads stay on rpc. */
    sendRpc: rpcUrl.optional(),
    /** Seconds one RPC request may take before it counts as failed and the next URL (or retry) is tried. */
    rpcTimeout: duration.refine((s) => s >= 1, { message: "expected at least 1s" }).default(10),
    account,
    confirmations: z.number().int().min(1).default(1),
    maxFeePerGasGwei: z.number().positive().default(500),
    /** Block explorer base URL (e.g. https://etherscan.io): the dashboard links transactions to it. */
    explorer: z.url().optional(),
  })
  .strict();

const keeper = z
  .object({
    tick: z
      .union([z.literal("block"), duration], { error: 'expected "block" or a duration such as "30s"' })
      .default("block"),
    journal: z.string().default("./ballast.db"),
    listen: z
      .string()
      .regex(/^[\w.-]+:\d{1,5}$/, { message: 'expected "host:port", e.g. "127.0.0.1:9464"' })
      .default("127.0.0.1:9464"),
    /**
     * How long a cycle waits for its batches to be final; a batch still pending then stays in flight (its chain
     * holds) and later cycles settle it.
     */
    confirmTimeout: duration.default(120),
    /** `/healthz` turns unhealthy once a chain has been unreadable for this many cycles in a row. */
    unhealthyAfter: z.number().int().positive().default(3),
    dashboard: dashboardSchema.prefault({}),
    alerts: alertsSchema.prefault({}),
  })
  .strict()
  .superRefine(refineDashboard);

/** The schema of `ballast.yaml`: chains and policy as both apps read them (`@ballast/config`), and the keeper's own section. */
export const configSchema = z
  .object({
    chains: z.record(z.string(), chain),
    policy: policySchema,
    keeper: keeper.prefault({}),
    ...sharedShapeWith(KEEPER_PROVIDES),
  })
  .strict()
  .superRefine((c, ctx) => {
    checkPortfolio(
      Object.entries(c.chains).map(([key, ch]) => ({ key, path: ["chains", key], chain: ch })),
      c.policy,
      ctx,
      KEEPER_PROVIDES,
      c,
    );
  });

/** A validated config. */
export type Config = z.output<typeof configSchema>;
/** One validated chain entry. */
export type ChainConfig = Config["chains"][string];

/** Validates a parsed config object; throws {@link ConfigError} naming every bad field. */
export function parseConfig(raw: unknown, file = "config"): Config {
  return parseWith(configSchema, raw, file);
}

/** Options of {@link loadConfig}. */
export type LoadConfigOptions = {
  /**
   * For commands that never reach a chain (`backtest`): an unset variable inside `chains.*.rpc` is not an error, the
   * URL becomes `http://offline.invalid`. Everywhere else an unset variable is still reported.
   */
  readonly offline?: boolean;
};

/** Reads, interpolates `${VAR}` from `env`, parses and validates a YAML config file. */
export function loadConfig(
  file: string,
  env: Record<string, string | undefined>,
  options: LoadConfigOptions = {},
): Config {
  return resolvePaths(parseConfig(readConfigDocument(file, env, options), file), dirname(resolve(file)));
}

/** `${VAR}` references in a config string: a name of letters, digits and underscores. */
export const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** `s` with each `${VAR}` read from `env`; a variable not set is replaced by what `unset(name)` returns. */
export function interpolateEnv(
  s: string,
  env: Record<string, string | undefined>,
  unset: (name: string) => string,
): string {
  return s.replace(ENV_REFERENCE, (_, name: string) => env[name] ?? unset(name));
}

/** Reads a YAML config file and interpolates `${VAR}` from `env`, without validating it (see {@link parseConfig}). */
export function readConfigDocument(
  file: string,
  env: Record<string, string | undefined>,
  options: LoadConfigOptions = {},
): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(file, [
      { path: "", message: `cannot read the file (${(e as NodeJS.ErrnoException).code})` },
    ]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigError(file, [{ path: "", message: `not valid YAML: ${(e as Error).message}` }]);
  }
  // `${VAR}` in string values (not in comments) is read from the environment.
  const missing: { path: string; message: string }[] = [];
  const interpolate = (v: unknown, path: string[]): unknown => {
    if (typeof v === "string")
      return interpolateEnv(v, env, (name) => {
        if (options.offline && path[0] === "chains" && (path[2] === "rpc" || path[2] === "sendRpc"))
          return "http://offline.invalid";
        missing.push({
          path: path.join("."),
          message: `environment variable ${name} is referenced but not set`,
        });
        return "";
      });
    if (Array.isArray(v)) return v.map((x, i) => interpolate(x, [...path, String(i)]));
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolate(x, [...path, k])]));
    return v;
  };
  raw = interpolate(raw, []);
  if (missing.length) throw new ConfigError(file, missing);
  return raw;
}

/** Relative paths in a config (the journal, keystore files) are relative to the config file's folder. */
function resolvePaths(config: Config, dir: string): Config {
  const at = (p: string) =>
    isAbsolute(p) || p === ":memory:" || /^[a-z]+:\/\//i.test(p) ? p : resolve(dir, p);
  const key = <K>(k: K): K =>
    typeof k === "object" && k !== null && "keystore" in k ? { ...k, keystore: at(String(k.keystore)) } : k;
  // Secret references inside protocol sections (an API key) may name keystore files too.
  const keys = <T>(v: T): T =>
    Array.isArray(v)
      ? (v.map(keys) as T)
      : v && typeof v === "object"
        ? key(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, keys(x)])) as T)
        : v;
  const sections = registeredProtocols().map(([name]) => name);
  const own = (o: object) => o as Record<string, unknown>;
  for (const chain of Object.values(config.chains)) {
    chain.account = { ...chain.account, key: key(chain.account.key) };
    for (const name of sections)
      if (own(chain)[name] !== undefined) own(chain)[name] = keys(own(chain)[name]);
  }
  for (const name of sections)
    if (own(config)[name] !== undefined) own(config)[name] = keys(own(config)[name]);
  config.keeper = { ...config.keeper, journal: at(config.keeper.journal) };
  return config;
}

/** Things a valid config probably did not mean: a band as wide as its sleeve's weight can empty the sleeve unnoticed. */
export function configWarnings(config: Config): string[] {
  const bands = { absoluteBps: config.policy.bands.absolute, relativeBps: config.policy.bands.relative };
  return config.policy.sleeves.flatMap((s, i) => {
    const band = bandWad({ targetBps: s.weight }, bands);
    const weight = BigInt(Math.abs(s.weight)) * 10n ** 14n; // bps → wad fraction
    return band >= weight
      ? [
          `policy.sleeves.${i} (${s.id}): its band (±${formatBps(Number(band / 10n ** 14n))}) is as wide as its weight (${formatBps(s.weight)}), so it can empty without a rebalance`,
        ]
      : [];
  });
}

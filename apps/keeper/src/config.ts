import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { type AaveMarketName, aaveMarkets } from "@ballast/aave-v3";
import { BallastError, bandWad, DEFAULT_BRIDGE_PREMIUM_BPS, redactUrl } from "@ballast/core";
import { getAddress, isAddress } from "viem";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { alertsSchema } from "./alerts/config.ts";
import { dashboardSchema, refineDashboard } from "./dashboard/config.ts";
import { decimalSchema, durationSchema, parsePercentBps, parseUsdWad, parseWad } from "./units.ts";

/** The config file is missing, unreadable, not YAML, or does not match the schema; `issues` name each field. */
export class ConfigError extends BallastError {
  override name = "ConfigError";
  constructor(
    readonly file: string,
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(`Invalid config ${file}: ${issues.length} problem${issues.length === 1 ? "" : "s"}.`, {
      details: issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("\n"),
      context: { file, issues },
    });
  }
}

/** A 20-byte address; mixed case must be a valid EIP-55 checksum (a typo in a checksummed address is caught here). */
const address = z.string().transform((s, ctx) => {
  if (!isAddress(s, { strict: false })) {
    ctx.addIssue({ code: "custom", message: `expected a 0x-prefixed 20-byte address, got "${s}"` });
    return z.NEVER;
  }
  if (!isAddress(s, { strict: true })) {
    ctx.addIssue({
      code: "custom",
      message: `"${s}" has a bad EIP-55 checksum (a typo?); the checksummed form of these bytes is ${getAddress(s)}`,
    });
    return z.NEVER;
  }
  return s as `0x${string}`;
});

/** Formats bps as the user writes them: 3000 → "30%", 5 → "0.05%". */
export function formatBps(bps: number): string {
  const sign = bps < 0 ? "-" : "";
  const a = Math.abs(bps);
  const frac = a % 100;
  return `${sign}${Math.trunc(a / 100)}${frac ? `.${String(frac).padStart(2, "0").replace(/0$/, "")}` : ""}%`;
}

/** A percentage ("5%", "30bps") as integer bps, within [min, max] bps. */
const percent = (field: string, range: { min?: number; max?: number } = {}) =>
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

/** An RPC endpoint: http(s) only (the value is echoed with its credentials redacted). */
const rpcUrl = z.string().superRefine((s, ctx) => {
  let protocol: string | undefined;
  try {
    protocol = new URL(s).protocol;
  } catch {
    // not a URL at all
  }
  if (protocol === "http:" || protocol === "https:") return;
  const shown = /^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? redactUrl(s) : s;
  ctx.addIssue({ code: "custom", message: `expected an http(s) URL, got "${shown}"` });
});

const duration = durationSchema;

const decimalTo = decimalSchema;

/** A secret reference: `env:NAME` (read from the environment) or a keystore file with its password in the environment. */
const secretRef = z.union([
  z.string().regex(/^env:[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected "env:VARIABLE_NAME"' }),
  z
    .object({ keystore: z.string().min(1), password: z.string().regex(/^env:[A-Za-z_][A-Za-z0-9_]*$/) })
    .strict(),
]);

/** Simple7702Account (eth-infinitism, EntryPoint v0.8) as deployed on public chains. */
export const SIMPLE_7702_ACCOUNT = "0x4Cd241E8d1510e30b2076397afc7508Ae59C66c9";
/** Safe 1.3.0 MultiSendCallOnly, canonical deployment. */
export const MULTI_SEND_CALL_ONLY_130 = "0x40A2aCCbd92BCA938b02010E17A5b8929b49130D";

const account = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("eip7702"),
      key: secretRef,
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
      as: z.enum(["module", "owner"]).default("module"),
      key: secretRef,
      multiSendCallOnly: address.default(MULTI_SEND_CALL_ONLY_130),
    })
    .strict(),
]);

const token = z.object({ address, decimals: z.number().int().min(0).max(36) }).strict();

const aaveMarket = z.union([
  z
    .object({
      poolAddressesProvider: address,
      pool: address,
      uiPoolDataProvider: address,
      /** UiPoolDataProviderV3 ABI generation: "latest" (current markets) or "legacy" (periphery-v3 3.0.x). */
      version: z.enum(["latest", "legacy"]).default("latest"),
    })
    .strict(),
  z.string().refine((name) => Object.hasOwn(aaveMarkets, name), {
    message: `expected market addresses or a known market name (${Object.keys(aaveMarkets).join(", ")})`,
  }),
]);

const uniswap = z
  .object({
    factory: address,
    positionManager: address,
    quoter: address,
    router: address,
    feeTiers: z.array(z.number().int().positive()).default([100, 500, 3000, 10000]),
  })
  .strict();

const oneInch = z
  .object({
    baseUrl: z.url().default("https://api.1inch.dev"),
    apiKey: secretRef.optional(),
    router: address.optional(),
  })
  .strict();

/**
 * Across bridge legs. Per chain: the origin SpokePool (from the config, never from the API) and the tokens it may
 * bridge (a route exists between two chains for each symbol both list); globally (top-level `across`): the API and
 * the limits every quote is checked against.
 */
const acrossChain = z
  .object({
    spokePool: address,
    tokens: z.array(z.string()).min(1),
    /** The planner's estimate of the fee (what a quote usually asks), to let bridges compete with swaps. */
    fee: percent("across.fee", { max: 10_000 }).default(5),
  })
  .strict();
const across = z
  .object({
    api: z.url().default("https://app.across.to/api"),
    apiKey: secretRef.optional(),
    /** A quote whose fee is above this share of the input is refused (nothing is sent). */
    maxFee: percent("across.maxFee", { max: 10_000 }).default(50),
    /** Time relayers have to fill before the deposit expires and is refunded on the origin. */
    fillDeadline: duration
      .refine((s) => s >= 60 && s <= 21_000, { message: "expected between 1m and 5h50m" })
      .default(3_600),
  })
  .strict();

const chain = z
  .object({
    chainId: z.number().int().positive(),
    /** Display name and block time for chains the registry does not know. */
    name: z.string().optional(),
    blockTime: duration.optional(),
    rpc: z.array(rpcUrl).min(1, { message: "at least one RPC URL" }),
    /** A send-only endpoint (private / MEV-protected relay): every eth_sendRawTransaction goes there, reads stay on rpc. */
    sendRpc: rpcUrl.optional(),
    /** Seconds one RPC request may take before it counts as failed and the next URL (or retry) is tried. */
    rpcTimeout: duration.refine((s) => s >= 1, { message: "expected at least 1s" }).default(10),
    /** Per token symbol: its oracle feed's `maxAge` on this chain (heartbeat plus margin; must answer latestRoundData). */
    priceFeeds: z.record(z.string(), z.object({ maxAge: duration }).strict()).default({}),
    account,
    tokens: z.record(z.string().regex(/^[A-Za-z0-9.]+$/), token),
    aave: aaveMarket.optional(),
    uniswap: uniswap.optional(),
    oneInch: oneInch.optional(),
    across: acrossChain.optional(),
    swap: z
      .array(z.enum(["1inch", "uniswap-v3"]))
      .min(1)
      .default(["uniswap-v3"]),
    confirmations: z.number().int().min(1).default(1),
    maxFeePerGasGwei: z.number().positive().default(500),
    /** Block explorer base URL (e.g. https://etherscan.io): the dashboard links transactions to it. */
    explorer: z.url().optional(),
  })
  .strict();

const sleeve = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-_]*$/i, { message: "expected letters, digits, - or _" }),
    chain: z.string(),
    kind: z.enum(["token", "aave-supply", "aave-borrow", "uniswap-v3-lp"]),
    asset: z.string().optional(),
    pool: z
      .string()
      .regex(/^[A-Za-z0-9.]+\/[A-Za-z0-9.]+\/\d+$/, {
        message: 'expected "TOKEN0/TOKEN1/FEE", e.g. "WETH/USDC/500"',
      })
      .optional(),
    range: percent("range").optional(),
    weight: z.union([z.string(), z.number()]).transform((v, ctx) => {
      try {
        const s = String(v).trim();
        const neg = s.startsWith("-");
        const bps = parsePercentBps(neg ? s.slice(1) : s, "weight");
        return neg ? -bps : bps;
      } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message });
        return z.NEVER;
      }
    }),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.kind === "uniswap-v3-lp") {
      if (!s.pool) ctx.addIssue({ code: "custom", path: ["pool"], message: "an LP sleeve needs pool" });
      if (s.range === undefined)
        ctx.addIssue({ code: "custom", path: ["range"], message: "an LP sleeve needs range" });
    } else if (!s.asset)
      ctx.addIssue({ code: "custom", path: ["asset"], message: `a ${s.kind} sleeve needs asset` });
    if ((s.kind === "aave-borrow") !== s.weight < 0)
      ctx.addIssue({
        code: "custom",
        path: ["weight"],
        message:
          s.kind === "aave-borrow"
            ? "a borrow sleeve has a negative weight"
            : "only borrow sleeves are negative",
      });
  });

const usd = (field: string) => decimalTo(parseUsdWad, field);
const WAD_USD = 10n ** 18n;

/**
 * Risk controls (see the README's "Risk controls"): turnover caps and the circuit breaker. The defaults are far above
 * what a $100k portfolio moves in normal drift and still stop a runaway loop.
 */
const limits = z
  .object({
    /** Largest single leg (USD). */
    maxTradeUsd: usd("limits.maxTradeUsd").default(50_000n * WAD_USD),
    /** Largest turnover of one cycle (USD, value taken out of sleeves, all chains). */
    maxCycleUsd: usd("limits.maxCycleUsd").default(100_000n * WAD_USD),
    /** Largest turnover over any rolling 24 hours, all chains, from the journal (USD). */
    maxDailyUsd: usd("limits.maxDailyUsd").default(250_000n * WAD_USD),
    /** A plan over a cap: "scale" it down to fit (the planner's own scaling) or "hold" it. */
    onExceed: z.enum(["scale", "hold"]).default("scale"),
    /** Circuit breaker: realised cost (NAV change at constant prices) over `lossWindow` that stops sending (USD). */
    maxLossUsd: usd("limits.maxLossUsd").default(2_500n * WAD_USD),
    lossWindow: duration.default(86_400),
    /** Circuit breaker: consecutive failed or refused batches on a chain that stop sending there. */
    maxConsecutiveFailures: z.number().int().min(1).default(3),
  })
  .strict();

const policy = z
  .object({
    sleeves: z.array(sleeve).min(1),
    bands: z
      .object({
        absolute: percent("bands.absolute", { max: 10_000 }),
        relative: percent("bands.relative", { max: 1_000_000 }),
      })
      .strict(),
    /** Which rules may trigger: bands only, the calendar only, or either; default hybrid with a calendar, else band. */
    trigger: z.enum(["band", "calendar", "hybrid"]).optional(),
    calendar: duration.optional(),
    cooldown: duration.default(3_600),
    rebalanceTo: z.enum(["target", "band-edge"]).default("target"),
    minTrade: decimalTo(parseUsdWad, "minTrade").default(100n * 10n ** 18n),
    maxSlippage: percent("maxSlippage", { max: 9_999 }).default(30),
    maxValueLoss: percent("maxValueLoss", { max: 10_000 }).default(50),
    healthFactorFloor: decimalTo(parseWad, "healthFactorFloor")
      .refine((wad) => wad >= 10n ** 18n, {
        message: "expected a health factor of at least 1 (below 1 the account is liquidatable)",
      })
      .default(18n * 10n ** 17n),
    maxCostOfDriftRemoved: percent("maxCostOfDriftRemoved", { max: 1_000_000 }).default(1_000),
    /** How bridges compete with swaps: what a cross-chain move must save (of what it moves), or least bridging. */
    bridge: z
      .object({
        premium: percent("bridge.premium", { max: 10_000 }).default(DEFAULT_BRIDGE_PREMIUM_BPS),
        objective: z.enum(["cost", "least-bridging"]).default("cost"),
      })
      .strict()
      .prefault({}),
    /** Price sanity: most the oracle, a pool and a swap quote may disagree before the cycle holds. */
    maxPriceDeviation: percent("maxPriceDeviation", { min: 1, max: 10_000 }).default(100),
    /** Price sanity: oldest acceptable Chainlink round (`updatedAt`) of any feed without its own `maxAge`. */
    maxPriceAge: duration.default(90_000),
    limits: limits.prefault({}),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.trigger !== undefined && p.trigger !== "band" && p.calendar === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["calendar"],
        message: `trigger "${p.trigger}" needs a calendar period such as "7d"`,
      });
  });

const keeper = z
  .object({
    tick: z.union([z.literal("block"), duration]).default("block"),
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

/** The schema of `ballast.yaml`. */
export const configSchema = z
  .object({
    chains: z.record(z.string(), chain),
    policy,
    keeper: keeper.prefault({}),
    across: across.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    checkAcross(c, ctx);
    for (const [key, ch] of Object.entries(c.chains)) {
      const named = typeof ch.aave === "string" ? aaveMarkets[ch.aave as AaveMarketName] : undefined;
      if (named && Object.hasOwn(aaveMarkets, ch.aave as string) && named.chainId !== ch.chainId)
        ctx.addIssue({
          code: "custom",
          path: ["chains", key, "aave"],
          message: `${ch.aave} is on chain ${named.chainId}, not ${ch.chainId}`,
        });
    }
    checkWeights(c.policy.sleeves, ctx);
    for (const [key, ch] of Object.entries(c.chains))
      for (const sym of Object.keys(ch.priceFeeds))
        if (!ch.tokens[sym])
          ctx.addIssue({
            code: "custom",
            path: ["chains", key, "priceFeeds", sym],
            message: `unknown token "${sym}" on chain ${key}; known: ${Object.keys(ch.tokens).join(", ")}`,
          });
    c.policy.sleeves.forEach((s, i) => {
      const ch = c.chains[s.chain];
      if (!ch) {
        ctx.addIssue({
          code: "custom",
          path: ["policy", "sleeves", i, "chain"],
          message: `unknown chain "${s.chain}"; configured: ${Object.keys(c.chains).join(", ")}`,
        });
        return;
      }
      const symbols = s.pool ? s.pool.split("/").slice(0, 2) : s.asset ? [s.asset] : [];
      for (const sym of symbols)
        if (!ch.tokens[sym])
          ctx.addIssue({
            code: "custom",
            path: ["policy", "sleeves", i, s.pool ? "pool" : "asset"],
            message: `unknown token "${sym}" on chain ${s.chain}; known: ${Object.keys(ch.tokens).join(", ")}`,
          });
      if ((s.kind === "aave-supply" || s.kind === "aave-borrow") && !ch.aave)
        ctx.addIssue({
          code: "custom",
          path: ["chains", s.chain, "aave"],
          message: `sleeve ${s.id} needs an Aave market`,
        });
      if (s.kind === "uniswap-v3-lp" && !ch.uniswap)
        ctx.addIssue({
          code: "custom",
          path: ["chains", s.chain, "uniswap"],
          message: `sleeve ${s.id} needs Uniswap`,
        });
    });
  });

/** Every chain's `across.tokens` are its tokens; a chain with `across` needs the top-level `across` (the API). */
function checkAcross(
  c: {
    chains: Record<string, { tokens: Record<string, unknown>; across?: { tokens: string[] } | undefined }>;
    across?: unknown;
  },
  ctx: z.RefinementCtx,
): void {
  for (const [key, ch] of Object.entries(c.chains)) {
    if (!ch.across) continue;
    if (c.across === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["across"],
        message: `chains.${key}.across needs the top-level across (api)`,
      });
    ch.across.tokens.forEach((sym, i) => {
      if (!ch.tokens[sym])
        ctx.addIssue({
          code: "custom",
          path: ["chains", key, "across", "tokens", i],
          message: `unknown token "${sym}" on chain ${key}; known: ${Object.keys(ch.tokens).join(", ")}`,
        });
    });
  }
}

/** Sleeve ids are unique and the weights sum to 100% of NAV (debt sleeves count negative). */
function checkWeights(sleeves: readonly { id: string; weight: number }[], ctx: z.RefinementCtx): void {
  const first = new Map<string, number>();
  sleeves.forEach((s, i) => {
    const seen = first.get(s.id);
    if (seen !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["policy", "sleeves", i, "id"],
        message: `duplicate sleeve id "${s.id}" (also policy.sleeves.${seen}.id)`,
      });
    else first.set(s.id, i);
  });
  const sum = sleeves.reduce((a, s) => a + s.weight, 0);
  if (sum !== 10_000)
    ctx.addIssue({
      code: "custom",
      path: ["policy", "sleeves"],
      message: `weights sum to ${formatBps(sum)} (${sleeves.map((s) => `${s.id} ${formatBps(s.weight)}`).join(", ")}); they must sum to 100%: ${sum < 10_000 ? `add ${formatBps(10_000 - sum)}` : `remove ${formatBps(sum - 10_000)}`}`,
    });
}

/** A validated config. */
export type Config = z.output<typeof configSchema>;
/** One validated chain entry. */
export type ChainConfig = Config["chains"][string];
/** The validated `policy.limits`. */
export type LimitsConfig = Config["policy"]["limits"];
/** One validated sleeve entry. */
export type SleeveConfig = Config["policy"]["sleeves"][number];

/** Validates a parsed config object; throws {@link ConfigError} naming every bad field. */
export function parseConfig(raw: unknown, file = "config"): Config {
  const r = configSchema.safeParse(raw);
  if (r.success) return r.data;
  throw new ConfigError(
    file,
    r.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
  );
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
      return v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
        const value = env[name];
        if (
          value === undefined &&
          options.offline &&
          path[0] === "chains" &&
          (path[2] === "rpc" || path[2] === "sendRpc")
        )
          return "http://offline.invalid";
        if (value === undefined)
          missing.push({
            path: path.join("."),
            message: `environment variable ${name} is referenced but not set`,
          });
        return value ?? "";
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
  for (const chain of Object.values(config.chains)) {
    chain.account = { ...chain.account, key: key(chain.account.key) };
    if (chain.oneInch?.apiKey) chain.oneInch = { ...chain.oneInch, apiKey: key(chain.oneInch.apiKey) };
  }
  if (config.across?.apiKey) config.across = { ...config.across, apiKey: key(config.across.apiKey) };
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

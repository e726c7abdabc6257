import { addressSchema, percentSchema } from "@ballast/chain/schema";
import {
  type AppCapability,
  BallastError,
  type ConfigSchema,
  DEFAULT_BRIDGE_PREMIUM_BPS,
  formatBps,
  type ProtocolPlugin,
  redactText,
  redactUrl,
} from "@ballast/core";
import {
  type ProtocolKey,
  type protocolRegistry,
  registeredProtocols,
  type SectionOf,
} from "@ballast/engine";
import { z } from "zod";
import { decimalSchema, durationSchema, parsePercentBps, parseUsdWad, parseWad } from "./units.ts";

export { addressSchema, formatBps, percentSchema };

/** The config does not match the schema (or cannot be read); `issues` name each field by its path in the file. */
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

/** Field names whose values are never shown in a message (a key, a token, a password …). */
const SECRET_FIELD = /key|token|secret|password|passphrase|mnemonic|auth/i;

/** The user's own value at `path` in `raw`, as a message shows it: a scalar (URLs redacted), never a secret field's. */
function shownValue(raw: unknown, path: readonly PropertyKey[]): string | undefined {
  if (path.some((k) => typeof k === "string" && SECRET_FIELD.test(k))) return undefined;
  let v = raw;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  if (typeof v === "string") return `"${redactText(v)}"`;
  return typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
}

/**
 * Validates `raw` with `schema`; throws {@link ConfigError} naming every bad field (`file` names the source). The
 * schema's generic messages ("Invalid input", "Too small") get the user's value.
 */
export function parseWith<T extends z.ZodType>(schema: T, raw: unknown, file: string): z.output<T> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  throw new ConfigError(
    file,
    r.error.issues.map((i) => {
      // Custom messages are written for the field; zod's own are generic and get the value.
      const shown = i.code === "custom" || /\bgot\b/.test(i.message) ? undefined : shownValue(raw, i.path);
      return {
        path: i.path.map(String).join("."),
        message: shown ? `${i.message}, got ${shown}` : i.message,
      };
    }),
  );
}

/** An RPC endpoint: http(s) only (the value is echoed with its credentials redacted). */
export const rpcUrlSchema = z.string().superRefine((s, ctx) => {
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

/**
 * A Standard Schema validator as a zod field (its issues keep their paths inside the field). `continues`: the config's
 * own checks still run when it fails (for a field they only test for presence).
 */
const standardField = <T>(schema: ConfigSchema<T>, what: string, continues = false) =>
  z.unknown().transform((value, ctx) => {
    const r = schema["~standard"].validate(value);
    if (r instanceof Promise) throw new TypeError(`the ${what} schema must be synchronous`);
    if (!r.issues) return r.value;
    for (const i of r.issues)
      ctx.addIssue({
        code: "custom",
        message: i.message,
        path: (i.path ?? []).map((p) => (typeof p === "object" ? p.key : p)) as PropertyKey[],
        ...(continues ? { continue: true } : {}),
      });
    return z.NEVER;
  }) as unknown as z.ZodType<T, unknown>;

/** The registered plugins an app providing `provides` runs (each needs only what the app provides). */
export const pluginsFor = (provides: readonly AppCapability[]) =>
  registeredProtocols().filter(([, p]) => (p.requires ?? []).every((r) => provides.includes(r)));

/** Every registered protocol's section, optional, by its registry key (those the app runs; see {@link pluginsFor}). */
const protocolSections = (provides: readonly AppCapability[]) =>
  Object.fromEntries(
    pluginsFor(provides).map(([key, plugin]) => [key, standardField(plugin.configSchema, key).optional()]),
  ) as { [K in ProtocolKey]: z.ZodOptional<z.ZodType<SectionOf<K>, unknown>> };

/** A plugin's top-level section type (see `ProtocolPlugin.shared`). */
type SharedOf<K extends ProtocolKey> =
  (typeof protocolRegistry)[K] extends ProtocolPlugin<unknown, infer S> ? S : never;
/** The registry keys of plugins with a top-level section. */
type SharedKey = { [K in ProtocolKey]: [SharedOf<K>] extends [never] ? never : K }[ProtocolKey];

/**
 * The top-level sections of the plugins an app runs (e.g. `across:` with the bridge's API and limits), optional, by
 * registry key: an app's config object spreads them beside `chains` and `policy`.
 */
export const sharedShapeWith = (provides: readonly AppCapability[]) =>
  Object.fromEntries(
    pluginsFor(provides).flatMap(([key, plugin]) =>
      plugin.shared ? [[key, standardField(plugin.shared.configSchema, key, true).optional()]] : [],
    ),
  ) as { [K in SharedKey]: z.ZodOptional<z.ZodType<SharedOf<K>, unknown>> };

/** A configured token: its address and decimals (the symbol is its key in `tokens`). */
const tokenSchema = z.object({ address: addressSchema, decimals: z.number().int().min(0).max(36) }).strict();

/**
 * The fields of a chain both apps read the same way: its id, tokens, price feeds, the swap venues in preference order
 * and one optional section per registered protocol the app runs (see {@link pluginsFor}). Each app extends it with how
 * it reaches the chain and signs.
 */
export const chainShapeWith = (provides: readonly AppCapability[]) => ({
  chainId: z.number().int().positive(),
  tokens: z.record(z.string().regex(/^[A-Za-z0-9.]+$/), tokenSchema),
  /** Per token symbol: its oracle feed's `maxAge` on this chain (heartbeat plus margin; must answer latestRoundData). */
  priceFeeds: z.record(z.string(), z.object({ maxAge: durationSchema }).strict()).default({}),
  /** Swap venues in preference order (default: every venue its protocol sections offer). */
  swap: z.array(z.string()).min(1).optional(),
  ...protocolSections(provides),
});

/** {@link chainShapeWith} of an app that provides nothing beyond reading and simulating (no secrets, no bridges). */
export const chainShape = chainShapeWith([]);

/** Every sleeve kind a config may name, with its holding kind. */
const sleeveKinds: Readonly<Record<string, string>> = Object.assign(
  { token: "token" },
  ...registeredProtocols().map(([, p]) => p.sleeveKinds),
);

/** A signed weight ("30%", "-10%") in bps. */
const weightSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    const s = String(v).trim();
    const neg = s.startsWith("-");
    const bps = parsePercentBps(neg ? s.slice(1) : s, "weight");
    return neg ? -bps : bps;
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
    return z.NEVER;
  }
});

/** A sleeve as written: `kind` is "token" or a registered protocol's sleeve kind. */
const sleeveSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-_]*$/i, { message: "expected letters, digits, - or _" }),
    chain: z.string(),
    kind: z.enum(Object.keys(sleeveKinds) as [string, ...string[]]),
    asset: z.string().optional(),
    pool: z
      .string()
      .regex(/^[A-Za-z0-9.]+\/[A-Za-z0-9.]+\/\d+$/, {
        message: 'expected "TOKEN0/TOKEN1/FEE", e.g. "WETH/USDC/500"',
      })
      .optional(),
    range: percentSchema("range").optional(),
    weight: weightSchema,
  })
  .strict()
  .superRefine((s, ctx) => {
    const holds = sleeveKinds[s.kind];
    if (holds === "lp") {
      if (!s.pool) ctx.addIssue({ code: "custom", path: ["pool"], message: "an LP sleeve needs pool" });
      if (s.range === undefined)
        ctx.addIssue({ code: "custom", path: ["range"], message: "an LP sleeve needs range" });
    } else if (!s.asset)
      ctx.addIssue({ code: "custom", path: ["asset"], message: `a ${s.kind} sleeve needs asset` });
    const debt = holds === "debt";
    if (debt !== s.weight < 0)
      ctx.addIssue({
        code: "custom",
        path: ["weight"],
        message: debt ? "a borrow sleeve has a negative weight" : "only borrow sleeves are negative",
      });
  });

const usd = (field: string) => decimalSchema(parseUsdWad, field);
const WAD_USD = 10n ** 18n;

/**
 * Risk controls (see the keeper README's "Risk controls"): turnover caps and the circuit breaker. The defaults are far
 * above what a $100k portfolio moves in normal drift and still stop a runaway loop.
 */
const limitsSchema = z
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
    lossWindow: durationSchema.default(86_400),
    /** Circuit breaker: consecutive failed or refused batches on a chain that stop sending there. */
    maxConsecutiveFailures: z.number().int().min(1).default(3),
  })
  .strict();

/**
 * Large swaps as 1inch Fusion orders (off when absent; keeper README "Fusion orders"): a swap leg worth more than
 * `aboveUsd` on a chain whose venues include 1inch is signed as a Fusion order after its batch (which carries the exact
 * approval of the Limit Order Protocol) confirms, and is in flight until filled, expired or cancelled.
 */
const fusionSchema = z
  .object({
    aboveUsd: usd("fusion.aboveUsd"),
    /** The auction preset asked of the quoter. */
    preset: z.enum(["fast", "medium", "slow"]).default("medium"),
    /** Longest an order may stay open: past it the keeper treats it as expired. */
    maxWait: durationSchema
      .refine((s) => s >= 60 && s <= 86_400, { message: "expected between 1m and 24h" })
      .default(1_800),
    /** How a swap whose order expired (or was cancelled or refused) is re-planned: atomically, or as a new order. */
    retry: z.enum(["atomic", "fusion"]).default("atomic"),
  })
  .strict();

/** The `policy` section: sleeves, bands, triggers, cost and slippage limits, price sanity, risk limits. */
export const policySchema = z
  .object({
    sleeves: z.array(sleeveSchema).min(1),
    bands: z
      .object({
        absolute: percentSchema("bands.absolute", { max: 10_000 }),
        relative: percentSchema("bands.relative", { max: 1_000_000 }),
      })
      .strict(),
    /** Which rules may trigger: bands only, the calendar only, or either; default hybrid with a calendar, else band. */
    trigger: z.enum(["band", "calendar", "hybrid"]).optional(),
    calendar: durationSchema.optional(),
    cooldown: durationSchema.default(3_600),
    rebalanceTo: z.enum(["target", "band-edge"]).default("target"),
    minTrade: decimalSchema(parseUsdWad, "minTrade").default(100n * 10n ** 18n),
    /** The one slippage limit: swap guards (planned and encoded) and LP deposit/withdrawal minimums. */
    maxSlippage: percentSchema("maxSlippage", { max: 9_999 }).default(30),
    maxValueLoss: percentSchema("maxValueLoss", { max: 10_000 }).default(50),
    healthFactorFloor: decimalSchema(parseWad, "healthFactorFloor")
      .refine((wad) => wad >= 10n ** 18n, {
        message: "expected a health factor of at least 1 (below 1 the account is liquidatable)",
      })
      .default(18n * 10n ** 17n),
    maxCostOfDriftRemoved: percentSchema("maxCostOfDriftRemoved", { max: 1_000_000 }).default(1_000),
    /** How bridges compete with swaps: what a cross-chain move must save (of what it moves), or least bridging. */
    bridge: z
      .object({
        premium: percentSchema("bridge.premium", { max: 10_000 }).default(DEFAULT_BRIDGE_PREMIUM_BPS),
        objective: z.enum(["cost", "least-bridging"]).default("cost"),
      })
      .strict()
      .prefault({}),
    /** Price sanity: most the oracle, a pool and a swap quote may disagree before the cycle holds. */
    maxPriceDeviation: percentSchema("maxPriceDeviation", { min: 1, max: 10_000 }).default(100),
    /** Price sanity: oldest acceptable Chainlink round (`updatedAt`) of any feed without its own `maxAge`. */
    maxPriceAge: durationSchema.default(90_000),
    limits: limitsSchema.prefault({}),
    fusion: fusionSchema.optional(),
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

/** A validated policy. */
export type PolicyConfig = z.output<typeof policySchema>;
/** One validated sleeve entry. */
export type SleeveConfig = PolicyConfig["sleeves"][number];
/** The validated `policy.limits`. */
export type LimitsConfig = PolicyConfig["limits"];
/** The validated `policy.fusion`. */
export type FusionConfig = NonNullable<PolicyConfig["fusion"]>;

/** The shared part of a validated chain entry. */
export type PortfolioChain = z.output<z.ZodObject<typeof chainShape>>;

/** The validated top-level plugin sections (see {@link sharedShapeWith}). */
export type SharedSections = z.output<z.ZodObject<ReturnType<typeof sharedShapeWith>>>;

/** A chain as the portfolio check sees it: its name (`SleeveConfig.chain`), where it sits in the file, its entry. */
export type NamedChain = {
  readonly key: string;
  readonly path: readonly PropertyKey[];
  readonly chain: PortfolioChain;
};

/**
 * Checks a whole portfolio (the refinement both apps run on their config): each protocol section fits its chain and
 * has its top-level section when it needs one (`shared`), the swap venues exist, price feeds and sleeves name
 * configured tokens and chains, each sleeve's kind has its protocol section on its chain, sleeve ids are unique and the
 * weights sum to 100% of NAV. `provides`: what the app provides (see {@link pluginsFor}).
 */
export function checkPortfolio(
  chains: readonly NamedChain[],
  policy: PolicyConfig,
  ctx: z.RefinementCtx,
  provides: readonly AppCapability[] = [],
  shared: SharedSections = {},
): void {
  for (const c of chains) {
    for (const [name, plugin] of pluginsFor(provides))
      if (plugin.shared && c.chain[name] !== undefined && shared[name as SharedKey] === undefined)
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `${[...c.path, name].map(String).join(".")} needs the top-level ${name} (${plugin.shared.needs})`,
        });
    checkChain(c, ctx, provides);
  }
  checkSleeves(chains, policy, ctx);
}

/**
 * The policy's side of {@link checkPortfolio}: unique ids, weights summing to 100%, sleeves that fit their chains.
 * `at` is where the policy sits in the document.
 */
export function checkSleeves(
  chains: readonly NamedChain[],
  policy: PolicyConfig,
  ctx: z.RefinementCtx,
  at: readonly PropertyKey[] = ["policy"],
): void {
  checkWeights(policy.sleeves, ctx, at);
  const byKey = new Map(chains.map((c) => [c.key, c]));
  policy.sleeves.forEach((s, i) => {
    const sleeve = [...at, "sleeves", i];
    const named = byKey.get(s.chain);
    if (!named) {
      ctx.addIssue({
        code: "custom",
        path: [...sleeve, "chain"],
        message: `unknown chain "${s.chain}"; configured: ${chains.map((c) => c.key).join(", ")}`,
      });
      return;
    }
    const { chain } = named;
    const symbols = s.pool ? s.pool.split("/").slice(0, 2) : s.asset ? [s.asset] : [];
    for (const sym of symbols)
      if (!chain.tokens[sym])
        ctx.addIssue({
          code: "custom",
          path: [...sleeve, s.pool ? "pool" : "asset"],
          message: `unknown token "${sym}" on chain ${s.chain}; known: ${Object.keys(chain.tokens).join(", ")}`,
        });
    for (const [key, plugin] of registeredProtocols())
      if (Object.hasOwn(plugin.sleeveKinds, s.kind) && chain[key] === undefined)
        ctx.addIssue({
          code: "custom",
          path: [...named.path, key],
          message: `sleeve ${s.id} needs ${plugin.label}`,
        });
  });
}

/** One chain's own checks: protocol sections on their chain, known venues (with their sections), feeds of its tokens. */
export function checkChain(
  { key, path, chain }: NamedChain,
  ctx: z.RefinementCtx,
  provides: readonly AppCapability[],
): void {
  const plugins = pluginsFor(provides);
  const seen = { key, chainId: chain.chainId, tokens: Object.keys(chain.tokens), swap: chain.swap };
  for (const [name, plugin] of plugins) {
    const section = chain[name];
    for (const issue of section === undefined ? [] : (plugin.checkChain?.(section, seen) ?? []))
      ctx.addIssue({ code: "custom", path: [...path, name, ...(issue.path ?? [])], message: issue.message });
  }
  (chain.swap ?? []).forEach((venue, i) => {
    const owner = plugins.find(([, p]) => p.venue?.name === venue);
    const known = plugins.flatMap(([, p]) => (p.venue ? [p.venue.name] : []));
    if (!owner)
      ctx.addIssue({
        code: "custom",
        path: [...path, "swap", i],
        message: `unknown swap venue "${venue}"; known: ${known.join(", ")}`,
      });
    else if (!owner[1].venue?.listedOnly && chain[owner[0]] === undefined)
      ctx.addIssue({
        code: "custom",
        path: [...path, "swap", i],
        message: `${venue} needs chains.${key}.${owner[0]}`,
      });
  });
  for (const sym of Object.keys(chain.priceFeeds))
    if (!chain.tokens[sym])
      ctx.addIssue({
        code: "custom",
        path: [...path, "priceFeeds", sym],
        message: `unknown token "${sym}" on chain ${key}; known: ${Object.keys(chain.tokens).join(", ")}`,
      });
}

/** Sleeve ids are unique and the weights sum to 100% of NAV (debt sleeves count negative). */
function checkWeights(
  sleeves: readonly { id: string; weight: number }[],
  ctx: z.RefinementCtx,
  at: readonly PropertyKey[],
): void {
  const first = new Map<string, number>();
  sleeves.forEach((s, i) => {
    const seen = first.get(s.id);
    if (seen !== undefined)
      ctx.addIssue({
        code: "custom",
        path: [...at, "sleeves", i, "id"],
        message: `duplicate sleeve id "${s.id}" (also ${[...at, "sleeves", seen, "id"].map(String).join(".")})`,
      });
    else first.set(s.id, i);
  });
  const sum = sleeves.reduce((a, s) => a + s.weight, 0);
  if (sum !== 10_000)
    ctx.addIssue({
      code: "custom",
      path: [...at, "sleeves"],
      message: `weights sum to ${formatBps(sum)} (${sleeves.map((s) => `${s.id} ${formatBps(s.weight)}`).join(", ")}); they must sum to 100%: ${sum < 10_000 ? `add ${formatBps(10_000 - sum)}` : `remove ${formatBps(sum - 10_000)}`}`,
    });
}

import type { ContractKind } from "./contract-kind.ts";
import { BallastError } from "./errors.ts";
import type { Address, Asset, AssetId, Call, Composition, Holding, HoldingKind, PriceBook } from "./model.ts";
import type { LegAction, SleeveLeg } from "./plan.ts";
import type { BridgeVenue, SwapQuote, SwapVenue } from "./venue.ts";

/**
 * The one shape every protocol adapter (a lending market, a DEX's LP positions, a bridge) implements for the engine.
 * Types only: no I/O. The engine runs the reads in the chain's single Multicall3 `eth_call`, hands the results back to
 * `decode`, and asks `encode` for the calls of each leg; it never names a protocol. {@link SwapVenue} is the model.
 */
export type Protocol<S = unknown> = {
  /** `Holding.protocol` of what it reads and `SleeveLeg.protocol` of the legs it realizes (e.g. "aave-v3"). */
  readonly name: string;
  /** The sleeve kinds a user may write for it (e.g. "aave-supply"), each with its holding kind. */
  readonly sleeveKinds: Readonly<Record<string, HoldingKind>>;
  /** Resolves a sleeve spec statically (no reads); throws {@link SleeveSpecError} naming the bad field. */
  resolveSleeve(spec: SleeveSpec, chain: Pick<ProtocolChain, "key" | "chainId" | "tokens">): SleeveTarget;
  /** The reads of one chain (and how to decode them); `sleeves` are this protocol's resolved sleeves there. */
  read(request: ReadRequest): ReadStep<ProtocolRead<S>>;
  /**
   * What one dollar of a sleeve holds at the read state, when it is not 100% of `target.asset`; `field` names the
   * sleeve in errors (a pool not read: {@link SleeveSpecError}; a token without a price: `MissingPriceError`).
   */
  composition?(target: SleeveTarget, state: S, prices: PriceBook, field: string): Composition | undefined;
  /** Fills `prices` (in place) for registered assets no oracle priced, from the read state; returns the ids added. */
  derivePrices?(state: S, prices: Map<AssetId, bigint>, assets: ReadonlyMap<AssetId, Asset>): AssetId[];
  /**
   * The read as it would be had USD prices moved by `moves` (asset id → factor) since the block read: what depends on
   * prices (an LP position's principal, a pool's price) is re-derived, what does not (balances, lending positions)
   * stays. The engine scales the read's own `prices`. For what-if planning only: never encoded into a batch.
   */
  atPrices?(read: ProtocolRead<S>, moves: PriceMoves): ProtocolRead<S>;
  /**
   * The sleeve a user would write to manage `holding` (one it read), without id, chain and weight: the inverse of
   * `resolveSleeve`, for `init --discover`. Symbols come from `assets`.
   */
  sleeveSpecOf?(holding: Holding, state: S, assets: ReadonlyMap<AssetId, Asset>): DiscoveredSleeve;
  /** The state as the batch's swaps leave it (e.g. the prices of the pools they trade through), for the entries. */
  afterSwaps?(state: S, quotes: readonly SwapQuote[]): S;
  /** Encodes one leg (pure, sync); throws {@link LegEncodeError} when the leg cannot be realized. */
  encode(leg: SleeveLeg, ctx: EncodeContext<S>): LegEncoding<S>;
  /** Tokens the value-loss guard must price besides the asset itself (e.g. aTokens at +price, debt tokens at −price). */
  guardTokens?(state: S, asset: Asset, priceUsdWad: bigint): readonly PricedToken[];
  /**
   * What the price guard checks before money moves (see {@link PriceSources}): the oracle it read (a lending market's)
   * and the market prices to hold against it (a DEX's pools). Absent: the protocol contributes none.
   */
  priceSources?(state: S): PriceSources;
  /** ABIs of its contracts, to decode revert reasons in a simulation. */
  readonly abis: readonly (readonly unknown[])[];
  /**
   * The account it holds on a chain as `status --json` lists it under `key` (e.g. a lending market's totals and health
   * factor), from the read state, JSON-ready (decimal strings, numbers, null). Absent: it has no account to show.
   */
  readonly account?: { readonly key: string; json(state: S): Readonly<Record<string, unknown>> };
};

/** A hypothetical move of USD prices: asset id → the factor `num / den` (e.g. 8/10 for −20%). */
export type PriceMoves = ReadonlyMap<AssetId, { readonly num: bigint; readonly den: bigint }>;

/**
 * How a protocol package joins Ballast: its section under `chains.<name>` of the config (the section's name is its key
 * in the engine's registry) and what a valid section builds: the {@link Protocol} adapter of its positions, the swap
 * venue it offers (a DEX, an aggregator), the bridge it offers, and the contracts the batch firewall lets a batch call
 * for it. Both apps validate and build chains through these, so adding a protocol is its package plus one registry
 * line.
 */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds plugins of different sections (`protocol(section)` is contravariant)
export type ProtocolPlugin<Section = any, Shared = any> = {
  /** What a sleeve of its kinds needs on its chain, for messages ("an Aave market"). */
  readonly label: string;
  /** The sleeve kinds it owns, each with its holding kind: a sleeve of one of them needs the section on its chain. */
  readonly sleeveKinds: Readonly<Record<string, HoldingKind>>;
  /** Validates the section (zod and others implement Standard Schema); issue paths are relative to the section. */
  readonly configSchema: ConfigSchema<Section>;
  /** What an app must provide to run it (an app without one does not accept the section). */
  readonly requires?: readonly AppCapability[];
  /**
   * Its section at the top level of the config, shared by every chain's (e.g. a bridge's API and limits), needed once
   * a chain has the section; `needs` says what it holds, for the message when it is missing.
   */
  readonly shared?: { readonly configSchema: ConfigSchema<Shared>; readonly needs: string };
  /** What is wrong with a valid section on a chain (a market of another chain, an unknown token), paths relative to it. */
  checkChain?(section: Section, chain: PluginChain): readonly ConfigIssue[];
  /** The adapter of its positions, bound to a valid section (none: it holds no positions, e.g. a venue or a bridge). */
  protocol?(section: Section): Protocol;
  /** The contracts a batch may call for it, each with its kind (what the firewall and the Roles permissions allow). */
  firewall(
    section: Section,
    chain: Pick<PluginChain, "chainId" | "swap">,
  ): readonly { readonly address: Address; readonly kind: ContractKind }[];
  /** The swap venue it offers: its name in `chains.<name>.swap`, and how to build it. */
  readonly venue?: {
    readonly name: string;
    /**
     * Used only where `swap` lists it (not among the defaults); its section may then be left out (its defaults). Such
     * a plugin is active on a chain exactly when `swap` lists its venue.
     */
    readonly listedOnly?: boolean;
    create(section: Section, params: PluginBuild): SwapVenue;
  };
  /** The bridge it offers from a chain with the section (`shared`: the top-level section). */
  readonly bridge?: { create(section: Section, shared: Shared, params: PluginBuild): BridgeVenue };
  /**
   * Its production deployments by chain id, each its section as a config writes it (defaults left out): what `init`
   * writes for a chain it knows by name.
   */
  readonly deployments?: Readonly<Record<number, unknown>>;
  /**
   * Tokens an account may hold through it on a chain (e.g. a lending market's reserves), read with `client` (a viem
   * `Client`): `init --discover` checks them besides the token list's.
   */
  tokenCandidates?(section: Section, client: unknown): Promise<readonly Address[]>;
};

/** What an app provides to the plugins it runs: secrets (an API key), bridges (in-flight transfers, a journal). */
export type AppCapability = "secrets" | "bridges";

/** A chain as a plugin's checks and firewall see it: its config name, id, token symbols and listed swap venues. */
export type PluginChain = {
  readonly key: string;
  readonly chainId: number;
  readonly tokens: readonly string[];
  readonly swap: readonly string[] | undefined;
};

/** What a plugin builds with, besides its section: the chain, a viem client, token symbols, the app's secrets. */
export type PluginBuild = {
  readonly chainId: number;
  /** A viem `Client` of the chain. */
  readonly client: unknown;
  readonly tokens: readonly Asset[];
  /** Lower-cased address → symbol, of the configured tokens. */
  readonly symbols: Readonly<Record<string, string>>;
  /**
   * Resolves a {@link SecretRef} of the section; `field` is its path inside the section ("apiKey"), inside the
   * top-level one when `shared`. Throws when the app cannot (an app that resolves none does not run such a plugin).
   */
  secret(ref: SecretRef, field: string, shared?: boolean): string;
};

/** A secret as the config names it: `env:NAME`, or a keystore file and the variable holding its password. */
export type SecretRef = string | { readonly keystore: string; readonly password: string };

/** What is wrong with a {@link SecretRef} as written, or undefined. */
export function secretRefProblem(value: unknown): string | undefined {
  const env = /^env:[A-Za-z_][A-Za-z0-9_]*$/;
  if (typeof value === "string") return env.test(value) ? undefined : 'expected "env:VARIABLE_NAME"';
  const v = value as { keystore?: unknown; password?: unknown } | null;
  const ok =
    typeof v === "object" &&
    v !== null &&
    Object.keys(v).every((k) => k === "keystore" || k === "password") &&
    typeof v.keystore === "string" &&
    v.keystore.length > 0 &&
    typeof v.password === "string" &&
    env.test(v.password);
  return ok ? undefined : 'expected "env:VARIABLE_NAME" or { keystore: FILE, password: "env:VARIABLE_NAME" }';
}

/** A problem in a section, at `path` relative to it. */
export type ConfigIssue = { readonly path?: readonly PropertyKey[]; readonly message: string };

/** A validator in the Standard Schema v1 shape (what `zod` schemas implement), synchronous. */
export type ConfigSchema<Out> = {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    validate(value: unknown): ConfigSchemaResult<Out> | Promise<ConfigSchemaResult<Out>>;
  };
};

/** What a {@link ConfigSchema} returns: the value, or issues with their paths. */
export type ConfigSchemaResult<Out> =
  | { readonly value: Out; readonly issues?: undefined }
  | {
      readonly issues: readonly {
        readonly message: string;
        readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
      }[];
    };

/** A sleeve as the user writes it (symbols, not addresses); the protocol owning `kind` resolves it. */
export type SleeveSpec = {
  readonly id: string;
  /** The chain's config key. */
  readonly chain: string;
  /** "token" (idle in the wallet) or a kind of a registered protocol ("aave-supply", "uniswap-v3-lp", …). */
  readonly kind: string;
  /** Token symbol (single-asset sleeves). */
  readonly asset?: string;
  /** Pool sleeves: `{symbol0, symbol1, fee}` or `"WETH/USDC/500"` (symbols in either order). */
  readonly pool?: { readonly symbol0: string; readonly symbol1: string; readonly fee: number } | string;
  /** Pool sleeves: range half-width in bps of the price for new positions. */
  readonly rangeBps?: number;
  /** Signed target weight in bps of NAV (borrow sleeves negative). */
  readonly weightBps: number;
};

/** What {@link Protocol.sleeveSpecOf} says of a holding: the sleeve spec's protocol fields. */
export type DiscoveredSleeve = Pick<SleeveSpec, "kind" | "asset" | "pool" | "rangeBps">;

/** A chain as a protocol sees it: where it reads and for whom. */
export type ProtocolChain = {
  /** Config name, for messages. */
  readonly key: string;
  readonly chainId: number;
  /** The portfolio account. */
  readonly account: Address;
  /** The configured tokens (symbol → address). */
  readonly tokens: readonly Asset[];
  readonly multicall3: Address;
};

/** A pool a two-asset sleeve names: `token0`/`token1` in the pool's order, `fee` in the pool's unit (hundredths of a bp). */
export type PairPool = {
  readonly address: Address;
  readonly token0: Asset;
  readonly token1: Asset;
  readonly fee: number;
  readonly rangeBps: number;
};

/** A sleeve spec resolved by its protocol: the slot its holdings fill and what it names. */
export type SleeveTarget = {
  readonly protocol: string;
  readonly kind: HoldingKind;
  /** The holding `ref` (asset id, or a pool id). */
  readonly ref: string;
  /** Single-asset sleeves. */
  readonly asset?: Asset;
  /** Two-asset pool sleeves. */
  readonly pool?: PairPool;
};

/** One contract read for the chain's Multicall3 `aggregate3`, in viem's shape (`abi` is a viem `Abi`). */
export type ContractRead = {
  readonly address: Address;
  readonly abi: readonly unknown[];
  readonly functionName: string;
  readonly args: readonly unknown[];
};

/** The outcome of one read in a batch (viem's `allowFailure: true` shape). */
export type ReadResult =
  | { readonly status: "success"; readonly result: unknown }
  | { readonly status: "failure"; readonly error: Error };

/** What a protocol is asked to read on one chain. */
export type ReadRequest = {
  readonly chain: ProtocolChain;
  /** This protocol's sleeves on the chain (e.g. pools to read although no position is open). */
  readonly sleeves: readonly SleeveTarget[];
  /** What its previous read left for this one ({@link ProtocolRead.hint}), e.g. known LP keys. */
  readonly hint?: unknown;
};

/**
 * Reads as data and their decoder. Decoding either finishes or asks for another round at the same block (e.g. LP NFTs
 * seen for the first time, whose pools are only known once their positions are read).
 */
export type ReadStep<T> = {
  readonly calls: readonly ContractRead[];
  /** Decodes the results of `calls`, in order; throws a typed error when a required read failed. */
  decode(results: readonly ReadResult[]): { readonly done: T } | { readonly next: ReadStep<T> };
};

/** What a protocol read on one chain: core data for the snapshot, and its own state for encoding. */
export type ProtocolRead<S = unknown> = {
  readonly holdings: readonly Holding[];
  /** Assets it found beyond the configured tokens (e.g. a reserve the account holds). */
  readonly assets: readonly Asset[];
  /** Prices it read (an oracle), USD wad per whole token. */
  readonly prices: PriceBook;
  /** Risk parameters: liquidation thresholds in bps by asset id (lending markets). */
  readonly liquidationThresholdBps?: ReadonlyMap<AssetId, bigint>;
  /** JSON-safe facts for the next read ({@link ReadRequest.hint}): pass them back for a one-call fetch. */
  readonly hint?: unknown;
  readonly state: S;
  readonly warnings?: readonly string[];
};

/** What {@link Protocol.encode} knows besides the leg. */
export type EncodeContext<S> = {
  readonly chain: ProtocolChain;
  /** The protocol's state after the legs before this one (see {@link LegEncoding.state}). */
  readonly state: S;
  /** The leg's resolved sleeve. */
  readonly target: SleeveTarget | undefined;
  readonly assets: ReadonlyMap<AssetId, Asset>;
  readonly prices: PriceBook;
  /** The policy's slippage limit, for the minimum amounts of pool deposits and withdrawals. */
  readonly slippageBps: number;
  /** The policy's health-factor floor (wad), for the guard of a leg that moves a lending position; none: no guard. */
  readonly healthFactorFloorWad: bigint | undefined;
  /** Unix seconds after which time-bound calls revert. */
  readonly deadline: bigint;
  /** Entries: what the leg may spend of each asset (its amounts, scaled down when the funds fall short). */
  readonly funded: ReadonlyMap<AssetId, bigint>;
  /** The account's worst-case balance of `asset` at this point of the batch, less what later legs will spend. */
  spare(asset: AssetId): bigint;
};

/** How a leg moves one asset: `min` bounds the balance change (guards), `funds` changes what later legs may spend. */
export type LegEffect = { readonly asset: AssetId; readonly min: bigint; readonly funds: bigint };

/** A leg as encoded: its calls and what they do to the account. */
export type LegEncoding<S> = {
  readonly calls: readonly Call[];
  readonly effects: readonly LegEffect[];
  /** For the report: base units per token put in (negative) or guaranteed out (positive). */
  readonly flows: readonly { readonly token: Address; readonly amount: bigint }[];
  /** The action as realized when it differs from the leg's (an `increase` that had to mint). */
  readonly action?: LegAction;
  /** Why the leg got no call (nothing to work with). */
  readonly skipped?: string;
  readonly note?: string;
  /** The protocol's state after this leg, for the next one (e.g. projected lending positions). */
  readonly state?: S;
  /** USD the leg puts into (+) or takes out of (−) positions the value-loss guard cannot price (LP). */
  readonly unpricedUsd?: bigint;
  /** Post-conditions on the account's state the batch must keep (e.g. a lending market's health-factor floor). */
  readonly floors?: readonly FloorGuard[];
};

/**
 * A lower bound on a number the account's state gives after the batch, contributed by the protocol that moves it (a
 * lending market's health factor): the simulation runs `read` in the same Multicall3 call as the balance guards, takes
 * output `output` of its result and refuses the batch below `min`. Plain data: the chain knows no protocol.
 */
export type FloorGuard = {
  /** What it bounds, naming it in a violation and in the report ("healthFactor"). */
  readonly kind: string;
  /** Where it is read, for messages (e.g. the lending pool's address). */
  readonly subject: string;
  readonly read: ContractRead;
  /** Index of the bounded value among the read's outputs. */
  readonly output: number;
  readonly min: bigint;
};

/** A protocol's contribution to the price guard ({@link Protocol.priceSources}). */
export type PriceSources = {
  /** An oracle: its prices (USD wad by asset id) and the Chainlink-style feed behind each token it prices. */
  readonly oracle?: {
    readonly prices: PriceBook;
    readonly feeds: readonly { readonly token: Address; readonly symbol: string; readonly feed: Address }[];
  };
  /** Market prices to compare with the oracle (e.g. each pool's mid price). */
  readonly markets?: readonly MarketPrice[];
};

/**
 * One market's price of `base` in USD, given the oracle's price of `quote` (a pool's mid price, for instance);
 * `source` names it in a fault ("pool WETH/USDC/500").
 */
export type MarketPrice = {
  readonly base: Address;
  readonly quote: Address;
  observe(
    base: Asset,
    quote: Asset,
    quotePriceUsdWad: bigint,
  ): { readonly source: string; readonly priceUsdWad: bigint };
};

/** A token the value-loss guard prices (chain's `TokenPrice`). */
export type PricedToken = {
  readonly token: Address;
  readonly decimals: number;
  readonly priceUsdWad: bigint;
};

/** A protocol refused to encode a leg; the engine reports it with the chain and the step. */
export class LegEncodeError extends BallastError {
  override name = "LegEncodeError";
  constructor(
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`Cannot encode the leg: ${reason}.`, { cause });
  }
}

/** A sleeve spec a protocol cannot resolve; `field` is relative to the sleeve ("asset", "pool", "kind", …). */
export class SleeveSpecError extends BallastError {
  override name = "SleeveSpecError";
  constructor(
    readonly field: string,
    readonly expected: string,
  ) {
    super(`Invalid sleeve ${field}: ${expected}.`);
  }
}

/** Finds a configured token by symbol (exact first, then case-insensitive); throws {@link SleeveSpecError} on `field`. */
export function tokenBySymbol(
  chain: Pick<ProtocolChain, "key" | "tokens">,
  symbol: string,
  field: string,
): Asset {
  const exact = chain.tokens.filter((t) => t.symbol === symbol);
  const found =
    exact.length > 0 ? exact : chain.tokens.filter((t) => t.symbol.toLowerCase() === symbol.toLowerCase());
  if (found.length === 0)
    throw new SleeveSpecError(
      field,
      `chain "${chain.key}" has no token "${symbol}" (tokens: ${chain.tokens.map((t) => t.symbol).join(", ") || "none"})`,
    );
  if (found.length > 1)
    throw new SleeveSpecError(field, `symbol "${symbol}" names several tokens on chain "${chain.key}"`);
  return found[0] as Asset;
}

/** The asset a single-asset sleeve names; throws {@link SleeveSpecError} on "asset". */
export function sleeveAsset(spec: SleeveSpec, chain: Pick<ProtocolChain, "key" | "tokens">): Asset {
  if (!spec.asset) throw new SleeveSpecError("asset", `a ${spec.kind} sleeve names its asset`);
  return tokenBySymbol(chain, spec.asset, "asset");
}

/** Parses `"WETH/USDC/500"` (or the object form) into two symbols and a fee; throws {@link SleeveSpecError} on "pool". */
export function parsePoolSpec(pool: NonNullable<SleeveSpec["pool"]>): {
  symbol0: string;
  symbol1: string;
  fee: number;
} {
  if (typeof pool !== "string") return pool;
  const parts = pool.split("/").map((s) => s.trim());
  const [a, b, f] = parts;
  const fee = Number(f);
  if (parts.length !== 3 || !a || !b || !Number.isInteger(fee) || fee <= 0)
    throw new SleeveSpecError("pool", `expected "SYMBOL/SYMBOL/FEE" such as "WETH/USDC/500", got "${pool}"`);
  return { symbol0: a, symbol1: b, fee };
}

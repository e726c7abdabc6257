import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  aggregateReads,
  ChainMismatchError,
  MULTICALL3_ADDRESS,
  memoryTxStore,
  multicall3Abi,
} from "@ballast/chain";
import {
  type Address,
  type Asset,
  type AssetId,
  assetId,
  BallastError,
  type ChainSnapshot,
  type DiscoveredSleeve,
  formatUsd,
  type Holding,
  holdingUsd,
  redactUrl,
  usdValue,
} from "@ballast/core";
import {
  type ChainFetch,
  type ChainSetup,
  fetchChainSnapshot,
  mergePrices,
  registeredProtocols,
} from "@ballast/engine";
import { type Client, createPublicClient, erc20Abi, getAddress, http } from "viem";
import { parse as parseYaml } from "yaml";
import { ENV_REFERENCE, interpolateEnv, parseConfig } from "../config.ts";
import { IncompleteCycleError } from "../keeper.ts";
import { buildRuntime } from "../setup.ts";
import { KNOWN_CHAINS } from "./known-chains.ts";

/** Discovery cannot go on with what it was given (no chain, a missing variable, nothing found): exit code 2. */
export class DiscoverError extends BallastError {
  override name = "DiscoverError";
}

/** A chain could not be read during discovery: exit code 3. */
export class DiscoverReadError extends IncompleteCycleError {
  override name = "DiscoverReadError";
}

type Env = Record<string, string | undefined>;

/** Whose portfolio: an EOA (EIP-7702 keeper account) or a Safe. */
export type DiscoverOwner = { readonly address: Address } | { readonly safe: Address };

/** Inputs of {@link discover}. */
export type DiscoverOptions = {
  readonly owner: DiscoverOwner;
  /** Chain names (default: every chain of `chainsFrom`, else every known chain whose RPC variable is set). */
  readonly chains?: readonly string[] | undefined;
  /** A config whose `chains:` entries (RPC, protocols, candidate tokens) add to or replace the known chains. */
  readonly chainsFrom?: string | undefined;
  /** Holdings worth less (absolute USD wad) are left out as dust. */
  readonly minUsd: bigint;
  /** Token addresses to check besides the token list (on every chain). */
  readonly tokens?: readonly Address[] | undefined;
  readonly env: Env;
  /** Token list entries (`{chainId, address}`); default: `@uniswap/default-token-list` when installed. */
  readonly tokenList?: (() => readonly { chainId: number; address: string }[]) | undefined;
};

/** One chain to discover: its config entry (no account, candidate tokens apart) and where to reach it. */
export type DiscoverChain = {
  readonly name: string;
  readonly chainId: number;
  readonly entry: Readonly<Record<string, unknown>>;
  /** The first RPC URL with `${VAR}` read from the environment; `rpcVar` the variable when there is one. */
  readonly url: string;
  readonly rpcVar: string | undefined;
  readonly candidates: readonly Address[];
};

/** A holding (or several, of one sleeve) that discovery found, with its USD value at the read prices. */
export type Found = {
  readonly chain: string;
  readonly spec: DiscoveredSleeve;
  readonly holdings: readonly string[];
  readonly usd: bigint;
};

/** Something held that the config will not manage, and why. */
export type LeftOut = {
  readonly chain: string;
  readonly what: string;
  readonly usd: bigint;
  readonly why: string;
};

/** What {@link discover} found: per chain its entry with tokens, the sleeves to write, what it left out. */
export type Discovery = {
  readonly chains: readonly { readonly chain: DiscoverChain; readonly tokens: readonly Asset[] }[];
  readonly found: readonly Found[];
  readonly leftOut: readonly LeftOut[];
};

/**
 * Finds what `owner` holds on each chain: wallet balances of the candidate tokens (token list, `--token`, the
 * `chainsFrom` config's tokens), Aave positions and Uniswap V3 LP NFTs, read through the keeper's own protocols and
 * engine fetch, valued with the engine's prices. Symbols and decimals come from the chain. Throws
 * {@link DiscoverError} (usage, nothing found, an LP of unlisted tokens), {@link DiscoverReadError} (an RPC that does
 * not answer) or `ChainMismatchError`.
 */
export async function discover(o: DiscoverOptions): Promise<Discovery> {
  const chains = selectChains(o);
  const account = "safe" in o.owner ? o.owner.safe : o.owner.address;
  const tokens = await Promise.all(chains.map((c) => readTokenFacts(c, account)));
  const fetches = await readPortfolio(o, chains, tokens);
  const found: Found[] = [];
  const leftOut: LeftOut[] = [];
  // Valued as the cycle values: every chain's prices, then the same symbol's price on another chain.
  const registry = new Map(fetches.flatMap((f) => f.assets.map((a) => [a.id, a] as const)));
  const { prices } = mergePrices({
    assets: registry,
    chains: fetches.map((f) => f.snapshot as ChainSnapshot),
  });
  chains.forEach((c, i) => {
    const fetch = fetches[i] as ChainFetch & { setup: ChainSetup };
    const r = valueChain(c, fetch, { minUsd: o.minUsd, native: (tokens[i] as TokenFacts).native, prices });
    found.push(...r.found);
    leftOut.push(...r.leftOut);
  });
  if (found.length === 0)
    throw new DiscoverError(
      `${account} holds nothing worth ${formatUsd(o.minUsd)} or more on ${chains.map((c) => c.name).join(", ")}.`,
      {
        details: [
          `Checked ${tokens.reduce((n, t) => n + t.assets.length, 0)} tokens, Aave positions and Uniswap V3 LP NFTs. Check the address (--address, or --safe for a Safe), add tokens with --token 0x…, or lower --min-usd.`,
          ...leftOut.map((l) => `Left out on ${l.chain}: ${l.what} (${formatUsd(l.usd)}): ${l.why}`),
        ].join("\n"),
      },
    );
  return {
    chains: chains.map((chain, i) => ({ chain, tokens: (tokens[i] as TokenFacts).assets })),
    found,
    leftOut,
  };
}

/**
 * The chains to discover: known by name (candidate tokens from the token list) or from `chainsFrom` (its tokens), plus
 * `--token`s; each with its URL resolved from the environment.
 */
export function selectChains(
  o: Pick<DiscoverOptions, "chains" | "chainsFrom" | "env" | "tokens" | "tokenList">,
): DiscoverChain[] {
  const fromFile = o.chainsFrom ? chainsOfFile(o.chainsFrom) : {};
  const names = o.chains?.length
    ? [...o.chains]
    : o.chainsFrom
      ? Object.keys(fromFile)
      : Object.keys(KNOWN_CHAINS).filter((n) => o.env[KNOWN_CHAINS[n]?.rpcVar ?? ""] !== undefined);
  if (names.length === 0)
    throw new DiscoverError("No chain to discover: no RPC variable is set.", {
      details: `Set one or more of ${Object.values(KNOWN_CHAINS)
        .map((k) => k.rpcVar)
        .join(", ")}, name chains with --chains, or give chain entries with --chains-from ballast.yaml.`,
    });
  const list = names.some((n) => !fromFile[n]) ? tokenListOf(o) : [];
  const extra = (o.tokens ?? []).map((t) => getAddress(t));
  return names.map((name) => {
    const known = KNOWN_CHAINS[name];
    const c = fromFile[name] ?? (known && { chainId: known.chainId, entry: known.entry, candidates: [] });
    if (!c)
      throw new DiscoverError(`Unknown chain "${name}".`, {
        details: `Known: ${[...new Set([...Object.keys(KNOWN_CHAINS), ...Object.keys(fromFile)])].join(", ")}; give others with --chains-from (a config with their chainId, rpc and protocols).`,
      });
    const listed = fromFile[name]
      ? []
      : list.filter((t) => t.chainId === c.chainId).map((t) => getAddress(t.address));
    const { url, rpcVar } = resolveUrl(
      name,
      String((c.entry.rpc as unknown[] | undefined)?.[0] ?? ""),
      o.env,
    );
    const candidates = [...new Set([...c.candidates, ...listed, ...extra])];
    return { name, chainId: c.chainId, entry: c.entry, url, rpcVar, candidates };
  });
}

/** `chains.<name>` entries of a config file, raw (so `${VAR}` stays for the file discovery writes). */
function chainsOfFile(
  file: string,
): Record<string, { chainId: number; entry: Record<string, unknown>; candidates: Address[] }> {
  let raw: { chains?: Record<string, Record<string, unknown>> };
  try {
    raw = parseYaml(readFileSync(file, "utf8")) as typeof raw;
  } catch (e) {
    throw new DiscoverError(`--chains-from ${file}: ${(e as Error).message}`);
  }
  const out: ReturnType<typeof chainsOfFile> = {};
  for (const [name, c] of Object.entries(raw?.chains ?? {})) {
    const { account, tokens, ...entry } = c;
    const implementation = (account as { implementation?: unknown } | undefined)?.implementation;
    const chainId = Number(entry.chainId);
    if (!Number.isSafeInteger(chainId) || chainId <= 0)
      throw new DiscoverError(`--chains-from ${file}: chains.${name}.chainId is missing or not a chain id`);
    const candidates = Object.values((tokens ?? {}) as Record<string, { address?: string }>).flatMap((t) =>
      t?.address ? [getAddress(t.address)] : [],
    );
    out[name] = { chainId, entry: { ...entry, ...(implementation ? { implementation } : {}) }, candidates };
  }
  if (Object.keys(out).length === 0) throw new DiscoverError(`--chains-from ${file}: no chains: entries`);
  return out;
}

function resolveUrl(name: string, rpc: string, env: Env): { url: string; rpcVar: string | undefined } {
  const rpcVar = [...rpc.matchAll(ENV_REFERENCE)][0]?.[1];
  const missing: string[] = [];
  const url = interpolateEnv(rpc, env, (v) => {
    missing.push(v);
    return "";
  });
  if (!rpc || missing.length > 0)
    throw new DiscoverError(`Chain "${name}" needs an RPC URL: set ${missing.join(", ") || "its rpc"}.`, {
      details: `The written config reads it from the same variable${missing.length > 1 ? "s" : ""} (\${${missing[0] ?? "VAR"}}).`,
    });
  return { url, rpcVar };
}

/** The default token list, when installed (an optional dependency: its data is GPL-licensed, Ballast's code is not). */
function tokenListOf(o: Pick<DiscoverOptions, "tokenList">): readonly { chainId: number; address: string }[] {
  if (o.tokenList) return o.tokenList();
  try {
    const list = createRequire(import.meta.url)("@uniswap/default-token-list") as {
      tokens: { chainId: number; address: string }[];
    };
    return list.tokens;
  } catch {
    return [];
  }
}

type TokenFacts = { readonly assets: Asset[]; readonly native: bigint };

/**
 * One `eth_call` per chain: each candidate's `symbol()` and `decimals()` (a token that does not answer both is
 * skipped) and the account's native balance; first the chain id, checked against the entry's.
 */
async function readTokenFacts(c: DiscoverChain, account: Address): Promise<TokenFacts> {
  const client = createPublicClient({ transport: http(c.url, { timeout: 10_000, retryCount: 1 }) });
  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch (e) {
    throw new DiscoverReadError(
      `Chain "${c.name}": the RPC ${redactUrl(c.url)}${c.rpcVar ? ` (from \${${c.rpcVar}})` : ""} did not answer.`,
      { cause: e, details: (e as Error).message.split("\n")[0] },
    );
  }
  if (chainId !== c.chainId) throw new ChainMismatchError(c.url, c.chainId, chainId, c.name);
  const reserves = await protocolTokens(c, client);
  const candidates = [...new Set([...c.candidates, ...reserves])];
  const mc = MULTICALL3_ADDRESS;
  const reads = [
    { address: mc, abi: multicall3Abi, functionName: "getEthBalance", args: [account] },
    ...candidates.flatMap((address) =>
      (["symbol", "decimals"] as const).map((functionName) => ({
        address,
        abi: erc20Abi,
        functionName,
        args: [],
      })),
    ),
  ];
  const results = await aggregateReads(client, { reads }).catch((e) => {
    throw new DiscoverReadError(`Chain "${c.name}": reading ${candidates.length} tokens failed.`, {
      cause: e,
    });
  });
  const native = results[0]?.status === "success" ? (results[0].result as bigint) : 0n;
  const assets: Asset[] = [];
  const taken = new Set<string>();
  candidates.forEach((address, i) => {
    const [s, d] = [results[1 + 2 * i], results[2 + 2 * i]];
    if (s?.status !== "success" || d?.status !== "success" || typeof s.result !== "string") return;
    const symbol = configSymbol(s.result, address, taken);
    taken.add(symbol);
    assets.push({
      id: assetId(c.chainId, address),
      chainId: c.chainId,
      address,
      symbol,
      decimals: Number(d.result),
    });
  });
  return { assets, native };
}

/**
 * The tokens the chain's protocol sections offer (`ProtocolPlugin.tokenCandidates`, e.g. an Aave market's reserves):
 * candidates too, listed or not. A section that does not validate offers none (the config check names it later).
 */
async function protocolTokens(c: DiscoverChain, client: Client): Promise<Address[]> {
  const found: Address[] = [];
  for (const [key, plugin] of registeredProtocols()) {
    if (c.entry[key] === undefined || !plugin.tokenCandidates) continue;
    const valid = plugin.configSchema["~standard"].validate(c.entry[key]);
    if (valid instanceof Promise || valid.issues) continue;
    try {
      found.push(...(await plugin.tokenCandidates(valid.value, client)));
    } catch (e) {
      throw new DiscoverReadError(`Chain "${c.name}": reading the tokens of ${plugin.label} failed.`, {
        cause: e,
      });
    }
  }
  return found;
}

/** A token symbol as a config key ([A-Za-z0-9.]); a taken one gets the address's first hex digits. */
function configSymbol(symbol: string, address: Address, taken: ReadonlySet<string>): string {
  const clean = symbol.replace(/[^A-Za-z0-9.]/g, "") || `T${address.slice(2, 8)}`;
  return taken.has(clean) ? `${clean}.${address.slice(2, 6).toLowerCase()}` : clean;
}

/**
 * Reads every chain through the keeper's own set-up and the engine's fetch (Aave positions, LP NFTs, balances), as
 * `status` will with the written config: the same protocols, the same one multicall.
 */
async function readPortfolio(
  o: DiscoverOptions,
  chains: readonly DiscoverChain[],
  facts: readonly TokenFacts[],
): Promise<(ChainFetch & { setup: ChainSetup })[]> {
  const raw = {
    chains: Object.fromEntries(
      chains.map((c, i) => [
        c.name,
        {
          ...configEntry(c, o.owner, "env:BALLAST_DISCOVER_NO_KEY"),
          rpc: [c.url],
          tokens: Object.fromEntries(
            (facts[i] as TokenFacts).assets.map((a) => [
              a.symbol,
              { address: a.address, decimals: a.decimals },
            ]),
          ),
        },
      ]),
    ),
    policy: {
      sleeves: [
        { id: "all", chain: chains[0]?.name, kind: "token", asset: firstSymbol(facts), weight: "100%" },
      ],
      bands: { absolute: "5%", relative: "25%" },
    },
    keeper: { journal: ":memory:" },
  };
  const config = parseConfig(raw, "the discovered chains");
  const runtime = buildRuntime(config, {}, { store: memoryTxStore(), needKeys: false });
  return Promise.all(
    runtime.map(async (r, i) => {
      try {
        return { ...(await fetchChainSnapshot(r.setup)), setup: r.setup };
      } catch (e) {
        const c = chains[i] as DiscoverChain;
        throw new DiscoverReadError(`Chain "${c.name}": reading the portfolio failed.`, { cause: e });
      }
    }),
  );
}

const firstSymbol = (facts: readonly TokenFacts[]) =>
  facts.find((f) => f.assets.length > 0)?.assets[0]?.symbol ?? "WETH";

/** A chain's config entry for `owner` (its candidate tokens apart): the account replaces whatever the source had. */
export function configEntry(c: DiscoverChain, owner: DiscoverOwner, key: string): Record<string, unknown> {
  const { implementation, ...entry } = c.entry;
  const account =
    "safe" in owner
      ? { type: "safe", safe: owner.safe, as: "module", key }
      : { type: "eip7702", key, address: owner.address, ...(implementation ? { implementation } : {}) };
  return { ...entry, account };
}

/**
 * Values one chain's read and groups its holdings into sleeves (one per wallet token, Aave reserve and side, LP pool).
 * Left out: dust under `minUsd`, native ETH (gas, not a managed asset), and an LP whose tokens are not listed (an
 * error: its value would silently read zero).
 */
function valueChain(
  c: DiscoverChain,
  fetch: ChainFetch & { setup: ChainSetup },
  o: { minUsd: bigint; native: bigint; prices: ReadonlyMap<AssetId, bigint> },
): { found: Found[]; leftOut: LeftOut[] } {
  const { minUsd, native, prices } = o;
  const assets = new Map(fetch.assets.map((a) => [a.id, a]));
  unlistedTokens(c, fetch, assets);
  const groups = new Map<string, { spec: DiscoveredSleeve; holdings: Holding[] }>();
  for (const h of fetch.snapshot.holdings) {
    const spec = specOf(h, fetch, assets);
    const key = JSON.stringify(spec);
    const g = groups.get(key) ?? { spec, holdings: [] };
    g.holdings.push(h);
    groups.set(key, g);
  }
  const found: Found[] = [];
  const leftOut: LeftOut[] = [];
  for (const { spec, holdings } of groups.values()) {
    const unpriced = holdings
      .flatMap((h) => h.exposures)
      .find((e) => e.amount !== 0n && !prices.has(e.asset));
    const what = describe(spec);
    if (unpriced) {
      leftOut.push({
        chain: c.name,
        what,
        usd: 0n,
        why: `no price for ${assets.get(unpriced.asset)?.symbol}`,
      });
      continue;
    }
    const usd = holdings.reduce((s, h) => s + holdingUsd(h, assets, prices), 0n);
    if ((usd < 0n ? -usd : usd) < minUsd)
      leftOut.push({ chain: c.name, what, usd, why: `dust: under ${formatUsd(minUsd)} (--min-usd)` });
    else found.push({ chain: c.name, spec, holdings: holdings.map((h) => h.id), usd });
  }
  if (native > 0n) leftOut.push(nativeLeftOut(c, native, assets, prices));
  return { found, leftOut };
}

/** An LP (or any protocol holding) of a token the chain's list does not have: name it and how to add it. */
function unlistedTokens(c: DiscoverChain, fetch: ChainFetch, assets: ReadonlyMap<AssetId, Asset>): void {
  for (const read of Object.values(fetch.reads))
    for (const h of read.holdings) {
      const missing = h.exposures.filter((e) => !assets.has(e.asset)).map((e) => e.asset.split(":")[1]);
      if (missing.length > 0)
        throw new DiscoverError(
          `Chain "${c.name}": ${h.id} holds tokens that are not on the token list: ${missing.join(", ")}.`,
          {
            details: `Add them with ${missing.map((m) => `--token ${m}`).join(" ")} and run again.`,
          },
        );
    }
}

/** The sleeve spec that claims a holding: a wallet token's, or its protocol's ({@link Protocol.sleeveSpecOf}). */
function specOf(
  h: Holding,
  fetch: ChainFetch & { setup: ChainSetup },
  assets: ReadonlyMap<AssetId, Asset>,
): DiscoveredSleeve {
  if (h.protocol === "wallet") return { kind: "token", asset: assets.get(h.ref as AssetId)?.symbol ?? h.ref };
  const protocol = fetch.setup.protocols.find((p) => p.name === h.protocol);
  const spec = protocol?.sleeveSpecOf?.(h, fetch.reads[h.protocol]?.state, assets);
  if (!spec) throw new DiscoverError(`No sleeve kind can manage ${h.id} (protocol ${h.protocol}).`);
  return spec;
}

function nativeLeftOut(
  c: DiscoverChain,
  native: bigint,
  assets: ReadonlyMap<AssetId, Asset>,
  prices: ReadonlyMap<AssetId, bigint>,
): LeftOut {
  const weth = [...assets.values()].find((a) => a.symbol === "WETH");
  const price = weth ? prices.get(weth.id) : undefined;
  const usd = price ? usdValue(native, 18, price) : 0n;
  return {
    chain: c.name,
    what: "native ETH",
    usd,
    why: "gas money, not a managed asset (wrap it to WETH to manage it)",
  };
}

/** A sleeve spec in words, for tables. */
export const describe = (s: DiscoveredSleeve): string =>
  s.pool !== undefined
    ? `${s.kind} ${typeof s.pool === "string" ? s.pool : ""}`
    : `${s.kind} ${s.asset ?? ""}`;

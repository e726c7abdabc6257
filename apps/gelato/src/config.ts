import type { AaveMarketVersion } from "@ballast/aave-v3";
import type { Address } from "@ballast/core";
import type { PolicyRules, SleeveSpec } from "@ballast/engine";
import { getAddress, isAddress, parseUnits } from "viem";
import { GelatoConfigError } from "./errors.ts";

/** Name of the user arg that carries the portfolio's static addresses (JSON). */
export const PORTFOLIO_ARG = "portfolio";
/** Name of the secret that carries the policy (sleeves and rules, JSON): user args are public on chain, secrets are not. */
export const POLICY_SECRET = "BALLAST_POLICY";

/** One chain of the portfolio as the Web3 Function sees it: the Safe, its module, and the protocols. */
export type ChainArgs = {
  /** Config name used by the sleeves' `chain`. */
  readonly key: string;
  readonly chainId: number;
  /** The Safe 1.3.0 that holds the portfolio. */
  readonly safe: Address;
  /** MultiSendCallOnly 1.3.0 (the only DELEGATECALL target). */
  readonly multiSendCallOnly: Address;
  /** Gelato's dedicated msg.sender of the task creator: the Safe's module, and the `from` of the simulation. */
  readonly dedicatedMsgSender: Address;
  readonly tokens: Readonly<Record<string, { readonly address: Address; readonly decimals: number }>>;
  readonly aave?: {
    readonly pool: Address;
    readonly poolAddressesProvider: Address;
    readonly uiPoolDataProvider: Address;
    readonly version?: AaveMarketVersion;
  };
  readonly uniswap?: {
    readonly factory: Address;
    readonly positionManager: Address;
    readonly quoter: Address;
    readonly router: Address;
    readonly feeTiers: readonly number[];
  };
  /**
   * Symbol of the token used for the completion check (a 1-unit allowance set by the batch and spent right after, so
   * a batch that did not run reverts Gelato's transaction). The Safe must keep ≥ 1 unit of it. Default: the first of
   * `tokens`; `null` turns the check off.
   */
  readonly completionCheckToken?: string | null;
};

/** The `portfolio` user arg, parsed. */
export type PortfolioArgs = { readonly chains: readonly ChainArgs[] };

/** The `BALLAST_POLICY` secret, parsed: the engine's sleeves and rules. */
export type PolicyConfig = { readonly sleeves: readonly SleeveSpec[]; readonly rules: PolicyRules };

type Json = Record<string, unknown>;

const obj = (v: unknown, field: string): Json => {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new GelatoConfigError(field, "expected an object");
  return v as Json;
};
const str = (v: unknown, field: string): string => {
  if (typeof v !== "string" || v === "") throw new GelatoConfigError(field, "expected a non-empty string");
  return v;
};
const int = (v: unknown, field: string, min = 0): number => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min)
    throw new GelatoConfigError(field, `expected an integer ≥ ${min}`);
  return v;
};
const signedInt = (v: unknown, field: string): number => {
  if (typeof v !== "number" || !Number.isInteger(v))
    throw new GelatoConfigError(field, "expected an integer");
  return v;
};
const addr = (v: unknown, field: string): Address => {
  if (typeof v !== "string" || !isAddress(v, { strict: false }))
    throw new GelatoConfigError(field, "expected a 0x-prefixed 20-byte address");
  return getAddress(v);
};
/** A decimal string or number ("100", "1.8") as an 18-decimal wad. */
const wad = (v: unknown, field: string): bigint => {
  const s = typeof v === "number" ? String(v) : v;
  if (typeof s !== "string" || !/^\d+(\.\d+)?$/.test(s))
    throw new GelatoConfigError(field, 'expected a non-negative decimal, e.g. "100" or "1.8"');
  return parseUnits(s, 18);
};
const opt = <T>(o: Json, k: string, f: (v: unknown, field: string) => T, prefix: string): T | undefined =>
  o[k] === undefined ? undefined : f(o[k], `${prefix}.${k}`);

const parseJson = (text: string, field: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new GelatoConfigError(field, `not valid JSON (${(err as Error).message})`);
  }
};

function parseChain(v: unknown, f: string): ChainArgs {
  const c = obj(v, f);
  const tokens = obj(c.tokens, `${f}.tokens`);
  const parsedTokens: Record<string, { address: Address; decimals: number }> = {};
  for (const [symbol, t] of Object.entries(tokens)) {
    const tt = obj(t, `${f}.tokens.${symbol}`);
    parsedTokens[symbol] = {
      address: addr(tt.address, `${f}.tokens.${symbol}.address`),
      decimals: int(tt.decimals, `${f}.tokens.${symbol}.decimals`),
    };
  }
  const aave =
    c.aave === undefined
      ? undefined
      : (() => {
          const a = obj(c.aave, `${f}.aave`);
          const version = a.version;
          if (version !== undefined && version !== "legacy" && version !== "latest")
            throw new GelatoConfigError(`${f}.aave.version`, 'expected "legacy" or "latest"');
          return {
            pool: addr(a.pool, `${f}.aave.pool`),
            poolAddressesProvider: addr(a.poolAddressesProvider, `${f}.aave.poolAddressesProvider`),
            uiPoolDataProvider: addr(a.uiPoolDataProvider, `${f}.aave.uiPoolDataProvider`),
            ...(version === undefined ? {} : { version: version as AaveMarketVersion }),
          };
        })();
  const uniswap =
    c.uniswap === undefined
      ? undefined
      : (() => {
          const u = obj(c.uniswap, `${f}.uniswap`);
          if (!Array.isArray(u.feeTiers) || u.feeTiers.length === 0)
            throw new GelatoConfigError(`${f}.uniswap.feeTiers`, "expected a non-empty array of fee tiers");
          return {
            factory: addr(u.factory, `${f}.uniswap.factory`),
            positionManager: addr(u.positionManager, `${f}.uniswap.positionManager`),
            quoter: addr(u.quoter, `${f}.uniswap.quoter`),
            router: addr(u.router, `${f}.uniswap.router`),
            feeTiers: u.feeTiers.map((x, i) => int(x, `${f}.uniswap.feeTiers[${i}]`, 1)),
          };
        })();
  const check = c.completionCheckToken;
  if (check !== undefined && check !== null && (typeof check !== "string" || !parsedTokens[check]))
    throw new GelatoConfigError(`${f}.completionCheckToken`, "expected null or a symbol of `tokens`");
  return {
    key: str(c.key, `${f}.key`),
    chainId: int(c.chainId, `${f}.chainId`, 1),
    safe: addr(c.safe, `${f}.safe`),
    multiSendCallOnly: addr(c.multiSendCallOnly, `${f}.multiSendCallOnly`),
    dedicatedMsgSender: addr(c.dedicatedMsgSender, `${f}.dedicatedMsgSender`),
    tokens: parsedTokens,
    ...(aave ? { aave } : {}),
    ...(uniswap ? { uniswap } : {}),
    ...(check === undefined ? {} : { completionCheckToken: check as string | null }),
  };
}

/** The completion-check token of a chain (see {@link ChainArgs.completionCheckToken}), or undefined when off. */
export function completionTokenOf(c: ChainArgs): Address | undefined {
  if (c.completionCheckToken === null) return undefined;
  const symbol = c.completionCheckToken ?? Object.keys(c.tokens)[0];
  return symbol === undefined ? undefined : c.tokens[symbol]?.address;
}

/** Parses the `portfolio` user arg (a JSON string, or an already-parsed object); throws {@link GelatoConfigError}. */
export function parsePortfolioArgs(userArgs: Readonly<Record<string, unknown>>): PortfolioArgs {
  const raw = userArgs[PORTFOLIO_ARG];
  if (raw === undefined)
    throw new GelatoConfigError(`userArgs.${PORTFOLIO_ARG}`, "missing (the portfolio's chains, as JSON)");
  const value = typeof raw === "string" ? parseJson(raw, `userArgs.${PORTFOLIO_ARG}`) : raw;
  const p = obj(value, `userArgs.${PORTFOLIO_ARG}`);
  if (!Array.isArray(p.chains) || p.chains.length === 0)
    throw new GelatoConfigError(`userArgs.${PORTFOLIO_ARG}.chains`, "expected a non-empty array");
  return { chains: p.chains.map((c, i) => parseChain(c, `userArgs.${PORTFOLIO_ARG}.chains[${i}]`)) };
}

const KINDS = ["token", "aave-supply", "aave-borrow", "uniswap-v3-lp"] as const;

/** Parses the `BALLAST_POLICY` secret (JSON: `{ sleeves, rules }`); throws {@link GelatoConfigError}. */
export function parsePolicy(text: string): PolicyConfig {
  const f = `secrets.${POLICY_SECRET}`;
  const p = obj(parseJson(text, f), f);
  if (!Array.isArray(p.sleeves) || p.sleeves.length === 0)
    throw new GelatoConfigError(`${f}.sleeves`, "expected a non-empty array");
  const sleeves: SleeveSpec[] = p.sleeves.map((v, i) => {
    const sf = `${f}.sleeves[${i}]`;
    const s = obj(v, sf);
    const kind = s.kind as (typeof KINDS)[number];
    if (!KINDS.includes(kind))
      throw new GelatoConfigError(`${sf}.kind`, `expected one of ${KINDS.join(", ")}`);
    const pool = s.pool === undefined ? undefined : str(s.pool, `${sf}.pool`);
    const asset = opt(s, "asset", str, sf);
    const rangeBps = opt(s, "rangeBps", int, sf);
    return {
      id: str(s.id, `${sf}.id`),
      chain: str(s.chain, `${sf}.chain`),
      kind,
      weightBps: signedInt(s.weightBps, `${sf}.weightBps`),
      ...(asset === undefined ? {} : { asset }),
      ...(pool === undefined ? {} : { pool }),
      ...(rangeBps === undefined ? {} : { rangeBps }),
    };
  });
  const rf = `${f}.rules`;
  const r = obj(p.rules, rf);
  const b = obj(r.bands, `${rf}.bands`);
  const rebalanceTo = r.rebalanceTo ?? "target";
  if (rebalanceTo !== "target" && rebalanceTo !== "band-edge")
    throw new GelatoConfigError(`${rf}.rebalanceTo`, 'expected "target" or "band-edge"');
  const absoluteBps = opt(b, "absoluteBps", int, `${rf}.bands`);
  const relativeBps = opt(b, "relativeBps", int, `${rf}.bands`);
  const calendarSeconds = opt(r, "calendarSeconds", int, rf);
  const cooldownSeconds = opt(r, "cooldownSeconds", int, rf);
  const maxCostOfDriftRemovedBps = opt(r, "maxCostOfDriftRemovedBps", int, rf);
  const maxTurnoverUsd = opt(r, "maxTurnoverUsd", wad, rf);
  const healthFactorFloorWad = opt(r, "healthFactorFloor", wad, rf);
  const rules: PolicyRules = {
    bands: {
      ...(absoluteBps === undefined ? {} : { absoluteBps }),
      ...(relativeBps === undefined ? {} : { relativeBps }),
    },
    rebalanceTo,
    minTradeUsd: wad(r.minTradeUsd, `${rf}.minTradeUsd`),
    maxSlippageBps: int(r.maxSlippageBps, `${rf}.maxSlippageBps`),
    maxValueLossBps: int(r.maxValueLossBps, `${rf}.maxValueLossBps`),
    ...(calendarSeconds === undefined ? {} : { calendarSeconds }),
    ...(cooldownSeconds === undefined ? {} : { cooldownSeconds }),
    ...(maxCostOfDriftRemovedBps === undefined ? {} : { maxCostOfDriftRemovedBps }),
    ...(maxTurnoverUsd === undefined ? {} : { maxTurnoverUsd }),
    ...(healthFactorFloorWad === undefined ? {} : { healthFactorFloorWad }),
  };
  return { sleeves, rules };
}

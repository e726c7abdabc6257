import { readFileSync, writeFileSync } from "node:fs";
import {
  BacktestInputError,
  type BacktestProgress,
  type BacktestReport,
  type BridgeCost,
  backtest,
  backtestToJson,
  formatBacktestTable,
  type MarketRates,
  type PolicyVariant,
  type PriceHistory,
  PriceHistoryError,
  parsePriceCsv,
  parseTimestamp,
  renderBacktestSvg,
  sliceHistory,
  syntheticHistory,
} from "@ballast/backtest";
import { parseDurationSeconds, parsePercentBps, parseUsdWad } from "@ballast/config";
import { parse as parseYaml } from "yaml";
import { ConfigError, configSchema, parseConfig, readConfigDocument } from "./config.ts";
import { progressOn } from "./progress.ts";
import { chainStatics, policyOf } from "./setup.ts";

/** The options of `ballast backtest`, as commander hands them over (strings are parsed here). */
export type BacktestOptions = {
  readonly config: string;
  readonly prices?: string;
  readonly synthetic?: boolean;
  readonly from?: string;
  readonly to?: string;
  readonly compare?: string;
  readonly nav: string;
  readonly supplyApr: string;
  readonly borrowApr: string;
  readonly lpFeeApr: string;
  readonly liquidationThreshold: string;
  /** False with `--no-bridge`. */
  readonly bridge: boolean;
  readonly bridgeFee: string;
  readonly bridgeFixed: string;
  readonly seed: number;
  readonly steps?: number;
  readonly interval: string;
  readonly vol: string;
  readonly drift: string;
  readonly correlation: string;
  readonly stable: string;
  readonly startPrices?: string;
  readonly chart: string | false;
  readonly json?: boolean;
};

type Env = Record<string, string | undefined>;

/** Parses a `--from`/`--to` value: unix seconds or an ISO 8601 date (UTC when no zone is given). */
export function parseWhen(text: string, option: string): number {
  const t = parseTimestamp(text);
  if (t === undefined)
    throw new BacktestInputError(option, `expected unix seconds or an ISO date, got "${text}"`);
  return t;
}

const optionError = (option: string, message: string) => new BacktestInputError(option, message);

function percent(text: string, option: string): number {
  try {
    return parsePercentBps(text, option);
  } catch (e) {
    throw optionError(option, (e as Error).message);
  }
}

function usd(text: string, option: string): bigint {
  try {
    return parseUsdWad(text, option);
  } catch (e) {
    throw optionError(option, (e as Error).message);
  }
}

/** The bridge cost every route is charged, or none with `--no-bridge` (each chain then rebalances on its own). */
function bridgeOf(o: BacktestOptions): BridgeCost | undefined {
  if (!o.bridge) return undefined;
  return { feeBps: percent(o.bridgeFee, "--bridge-fee"), fixedUsd: usd(o.bridgeFixed, "--bridge-fixed") };
}

/** The price history: the CSV (sliced to --from/--to) or a seeded synthetic path over the config's symbols. */
function historyOf(o: BacktestOptions, symbols: readonly string[]): PriceHistory {
  const from = o.from === undefined ? undefined : parseWhen(o.from, "--from");
  const to = o.to === undefined ? undefined : parseWhen(o.to, "--to");
  if (o.prices !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.prices, "utf8");
    } catch (e) {
      throw new PriceHistoryError(`cannot read the file (${(e as NodeJS.ErrnoException).code})`, {
        file: o.prices,
      });
    }
    return sliceHistory(parsePriceCsv(text, o.prices), {
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
    });
  }
  const interval = (() => {
    try {
      return parseDurationSeconds(o.interval);
    } catch (e) {
      throw optionError("--interval", (e as Error).message);
    }
  })();
  const start = from ?? 1_735_689_600; // 2025-01-01T00:00Z: a fixed default, so the same flags give the same path
  const steps = o.steps ?? (to !== undefined ? Math.floor((to - start) / interval) + 1 : 8_760);
  const correlation = Number(o.correlation);
  if (!(correlation >= 0 && correlation <= 1))
    throw optionError("--correlation", `expected a number in [0, 1], got "${o.correlation}"`);
  const startPrices: Record<string, bigint> = {};
  for (const pair of (o.startPrices ?? "").split(",").filter((s) => s.trim() !== "")) {
    const [symbol, price] = pair.split("=").map((s) => s.trim());
    if (!symbol || !price) throw optionError("--start-prices", `expected SYMBOL=USD pairs, got "${pair}"`);
    startPrices[symbol] = usd(price, "--start-prices");
  }
  return syntheticHistory({
    symbols,
    stable: o.stable.split(",").map((s) => s.trim()),
    startPrices,
    start,
    steps,
    intervalSeconds: interval,
    seed: o.seed,
    volatility: percent(o.vol, "--vol") / 10_000,
    drift: percent(o.drift, "--drift") / 10_000,
    correlation,
  });
}

/**
 * The variants of a `--compare` file: `policies:` is a list of `{ name, …policy fields }`; each variant is the config's
 * own policy with those fields replaced (a `bands` entry replaces both bands), validated by the config's schema, so an
 * error names `policies.N.field` in that file.
 */
export function loadPolicyVariants(file: string, base: unknown): PolicyVariant[] {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, "utf8"));
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ConfigError(file, [{ path: "", message: `cannot read it as YAML (${reason})` }]);
  }
  const list = (doc as { policies?: unknown } | null)?.policies;
  if (!Array.isArray(list) || list.length === 0)
    throw new ConfigError(file, [{ path: "policies", message: "expected a list of policy variants" }]);
  const baseDoc = base as { policy?: Record<string, unknown> };
  return list.map((v: unknown, i: number): PolicyVariant => {
    const { name, ...over } = (v ?? {}) as Record<string, unknown>;
    if (typeof name !== "string" || name.trim() === "")
      throw new ConfigError(file, [{ path: `policies.${i}.name`, message: "each variant needs a name" }]);
    if ("sleeves" in over)
      throw new ConfigError(file, [
        {
          path: `policies.${i}.sleeves`,
          message: "variants share the config's sleeves; change only the rules",
        },
      ]);
    const r = configSchema.safeParse({ ...baseDoc, policy: { ...baseDoc.policy, ...over } });
    if (!r.success)
      throw new ConfigError(
        file,
        r.error.issues.map((issue) => ({
          path: (issue.path[0] === "policy" ? ["policies", i, ...issue.path.slice(1)] : issue.path).join("."),
          message: issue.message,
        })),
      );
    return { name, rules: policyOf(r.data).rules };
  });
}

/** Runs `ballast backtest`: no RPC, no key; the config's chains, sleeves and policy (or the --compare variants). */
export function runBacktestCommand(o: BacktestOptions, env: Env): BacktestReport {
  if ((o.prices === undefined) === (o.synthetic !== true))
    throw optionError("--prices / --synthetic", "give exactly one: a price CSV or --synthetic");
  const doc = readConfigDocument(o.config, env, { offline: true });
  const config = parseConfig(doc, o.config);
  const chains = Object.entries(config.chains).map(([key, c]) => chainStatics(key, c));
  const { sleeves, rules } = policyOf(config);
  const symbols = [...new Set(chains.flatMap((c) => c.tokens.map((t) => t.symbol)))].sort();
  const policies = o.compare ? loadPolicyVariants(o.compare, doc) : [{ name: "config", rules }];
  const rates: MarketRates = {
    supplyAprBps: percent(o.supplyApr, "--supply-apr"),
    borrowAprBps: percent(o.borrowApr, "--borrow-apr"),
    lpFeeAprBps: percent(o.lpFeeApr, "--lp-fee-apr"),
    liquidationThresholdBps: percent(o.liquidationThreshold, "--liquidation-threshold"),
  };
  const bridge = bridgeOf(o);
  const initialNavUsd = usd(o.nav, "--nav");
  // A live progress line at a terminal, one line per walk on a pipe, nothing under --json.
  const progress = progressOn(process.stderr, { quiet: o.json ?? false });
  try {
    return backtest({
      chains,
      sleeves,
      policies,
      history: historyOf(o, symbols),
      initialNavUsd,
      rates,
      ...(bridge ? { bridge } : {}),
      onProgress: ({ walk, done, total }: BacktestProgress) =>
        progress.update(`replaying ${walk}`, `${Math.floor((done * 100) / total)}%`),
    });
  } finally {
    progress.done();
  }
}

/** Prints the report (table or JSON) and writes the chart; returns the chart's path when one was written. */
export function printBacktest(report: BacktestReport, o: BacktestOptions): string | undefined {
  if (o.chart !== false) writeFileSync(o.chart, renderBacktestSvg(report));
  if (o.json) console.log(JSON.stringify(backtestToJson(report), null, 2));
  else {
    console.log(formatBacktestTable(report));
    if (o.chart !== false) console.log(`\nChart: ${o.chart}`);
  }
  return o.chart === false ? undefined : o.chart;
}

import { parseTimestamp } from "@ballast/backtest";
import { parseDurationSeconds } from "@ballast/config";
import { toJsonValue } from "@ballast/core";
import { ConfigError } from "./config.ts";
import { fromJson, type HistoryEntry } from "./journal.ts";
import { type Paint, paint } from "./paint.ts";

/**
 * Parses `--since`: a duration back from `now` (`24h`, `7d`), unix seconds, or an ISO 8601 date (UTC when no zone is
 * given). Throws {@link ConfigError} (exit 2) naming the option.
 */
export function parseSince(text: string, now: number): number {
  if (/^\d+\s*[smhdw]$/.test(text.trim())) return now - parseDurationSeconds(text);
  const t = parseTimestamp(text);
  if (t === undefined)
    throw new ConfigError("--since", [
      {
        path: "--since",
        message: `expected a duration back from now ("24h", "7d"), unix seconds or an ISO date, got "${text}"`,
      },
    ]);
  return t;
}

/** A history row for scripts: its journaled record as a nested object (bigints as decimal strings), not a string. */
export function historyJson(r: HistoryEntry) {
  const { json, ...rest } = r;
  return { ...rest, time: new Date(r.at * 1000).toISOString(), record: toJsonValue(fromJson(json)) };
}

/**
 * One history row as a line: time, kind (dry runs marked), chain, plan id, summary, how often a decision repeated;
 * coloured when `p` paints.
 */
export function historyLine(r: HistoryEntry, p: Paint = paint(false)): string {
  const kind = r.dryRun ? (r.kind === "decision" ? "dry run" : `dry ${r.kind}`) : r.kind;
  const tint =
    r.kind === "transaction" || r.kind === "transfer" || r.kind === "order"
      ? /confirmed|filled \+/.test(r.summary)
        ? p.green
        : /reverted|dropped|failed|unsent|refunded|expired|refused|cancelled/.test(r.summary)
          ? p.red
          : p.yellow
      : r.kind === "decision" && r.summary.startsWith("fire") && !r.dryRun
        ? p.bold
        : r.dryRun
          ? p.dim
          : (s: string) => s;
  const chain = r.chainId ? `${r.chainId}  ` : "";
  const plan = r.planId ? `${r.planId.slice(0, 12)}  ` : "";
  const repeats =
    r.repeats > 1
      ? p.dim(` (×${r.repeats} since ${new Date((r.firstAt ?? r.at) * 1000).toISOString()})`)
      : "";
  return `${p.dim(new Date(r.at * 1000).toISOString())}  ${tint(kind.padEnd(11))}  ${chain}${plan}${r.summary}${repeats}`;
}

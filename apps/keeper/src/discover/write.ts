import { type Asset, formatUsd } from "@ballast/core";
import { registeredProtocols } from "@ballast/engine";
import { stringify } from "yaml";
import {
  configEntry,
  DiscoverError,
  type DiscoverOwner,
  type Discovery,
  describe,
  type Found,
} from "./discover.ts";

/** A found sleeve with its id and today's signed weight in bps of NAV. */
export type DiscoveredSleeveRow = Found & { readonly id: string; readonly weightBps: number };

/**
 * Today's weights in whole bps of NAV (signed: debts negative), summing to exactly 10,000: each floored, then the
 * remainder handed out one bp at a time to the largest fractional parts (ties: the order found).
 */
export function todaysWeights(usd: readonly bigint[]): number[] {
  const nav = usd.reduce((a, b) => a + b, 0n);
  if (nav <= 0n)
    throw new DiscoverError(
      "The debts found outweigh the assets: weights of a non-positive NAV are undefined.",
    );
  const exact = usd.map((v) => v * 10_000n);
  const floors = exact.map((x) => (x >= 0n ? x / nav : -((-x + nav - 1n) / nav)));
  let left = 10_000n - floors.reduce((a, b) => a + b, 0n);
  const order = exact
    .map((x, i) => ({ i, rest: x - (floors[i] as bigint) * nav }))
    .sort((a, b) => (a.rest === b.rest ? a.i - b.i : a.rest > b.rest ? -1 : 1));
  const out = floors.map(Number);
  for (const { i } of order) {
    if (left <= 0n) break;
    out[i] = (out[i] as number) + 1;
    left--;
  }
  return out;
}

/** A sleeve kind's word in ids: "idle" (a wallet token), "debt" (a borrow), else the section that owns it ("aave"). */
function kindWord(kind: string): string {
  if (kind === "token") return "idle";
  const owner = registeredProtocols().find(([, p]) => Object.hasOwn(p.sleeveKinds, kind));
  if (!owner) return kind;
  return owner[1].sleeveKinds[kind] === "debt" ? "debt" : owner[0];
}

/** Sleeve ids from what they hold: `<chain>-<asset>-<kind>` (LP: the pool's symbols), made unique. */
export function sleeveRows(found: readonly Found[]): DiscoveredSleeveRow[] {
  const weights = todaysWeights(found.map((f) => f.usd));
  const taken = new Set<string>();
  return found.map((f, i) => {
    const what =
      typeof f.spec.pool === "string"
        ? `${f.spec.pool.split("/").slice(0, 2).join("-")}-lp`
        : `${f.spec.asset}-${kindWord(f.spec.kind)}`;
    const base = `${f.chain}-${what}`.toLowerCase().replace(/[^a-z0-9-_]/g, "");
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    taken.add(id);
    return { ...f, id, weightBps: weights[i] as number };
  });
}

const percent = (bps: number) => `${(bps / 100).toFixed(2).replace(/\.?0+$/, "")}%`;

/**
 * The config `init --discover` writes: every chain's entry (its RPC as `${VAR}`, protocols) with the tokens the sleeves
 * use, one sleeve per holding at today's weight, and the policy defaults, commented.
 */
export function discoveredConfigYaml(
  d: Discovery,
  owner: DiscoverOwner,
  opts: { readonly at: Date; readonly account: string },
): string {
  const rows = sleeveRows(d.found);
  const chains: Record<string, unknown> = {};
  for (const { chain, tokens } of d.chains) {
    const used = new Set(rows.filter((r) => r.chain === chain.name).flatMap((r) => symbolsOf(r)));
    if (used.size === 0) continue;
    const listed = tokens.filter((t: Asset) => used.has(t.symbol));
    const { chainId, name, blockTime, rpc, sendRpc, rpcTimeout, account, ...rest } = configEntry(
      chain,
      owner,
      "env:BALLAST_KEY",
    );
    chains[chain.name] = {
      ...Object.fromEntries(
        Object.entries({ chainId, name, blockTime, rpc, sendRpc, rpcTimeout }).filter(
          ([, v]) => v !== undefined,
        ),
      ),
      account,
      tokens: Object.fromEntries(listed.map((t) => [t.symbol, { address: t.address, decimals: t.decimals }])),
      ...rest,
    };
  }
  const sleeves = rows
    .map((r) => {
      const fields = [
        `id: ${r.id}`,
        `chain: ${r.chain}`,
        `kind: ${r.spec.kind}`,
        ...(r.spec.asset ? [`asset: ${r.spec.asset}`] : []),
        ...(typeof r.spec.pool === "string" ? [`pool: ${r.spec.pool}`] : []),
        ...(r.spec.rangeBps ? [`range: ${percent(r.spec.rangeBps)}`] : []),
        `weight: ${percent(r.weightBps)}`,
      ];
      return `    - { ${fields.join(", ")} }   # ${formatUsd(r.usd)}`;
    })
    .join("\n");
  return `# ballast.yaml — written by \`ballast init --discover\` for ${opts.account} on ${opts.at.toISOString()}.
# Every sleeve's target is its weight today: change the targets to where the portfolio should be.
# Validate with \`ballast status\`; \`ballast plan --what-if "ETH=-20%"\` shows what a price move would do.

${stringify({ chains }, { lineWidth: 0 }).trimEnd()}

policy:
  sleeves:
${sleeves}
  bands: { absolute: 5%, relative: 25% }   # fire when a sleeve is 5 points or 25% of its target away
  # calendar: 7d                           # and/or on a calendar
  cooldown: 1h
  rebalanceTo: target                      # or band-edge
  minTrade: 100 USD
  maxSlippage: 0.3%
  maxValueLoss: 0.5%                       # of NAV, per rebalance, checked in simulation
  healthFactorFloor: 1.8
  maxCostOfDriftRemoved: 10%               # cost gate
  # maxPriceDeviation: 1%                  # price sanity (keeper README "Price sanity")
  # limits: { maxTradeUsd: 50000 USD, maxCycleUsd: 100000 USD, maxDailyUsd: 250000 USD }   # risk controls

keeper:
  tick: block                              # or an interval such as 30s
  journal: ./ballast.db
  listen: 127.0.0.1:9464                   # /metrics, /healthz and the dashboard
`;
}

const symbolsOf = (r: DiscoveredSleeveRow): string[] =>
  typeof r.spec.pool === "string" ? r.spec.pool.split("/").slice(0, 2) : r.spec.asset ? [r.spec.asset] : [];

/** The table `init --discover` prints: what it found (with weights) and what it left out. */
export function renderDiscovery(d: Discovery): string {
  const rows = sleeveRows(d.found);
  const lines = [
    "Found",
    ...rows.map(
      (r) =>
        `  ${r.id.padEnd(28)} ${r.chain.padEnd(10)} ${describe(r.spec).padEnd(34)} ${formatUsd(r.usd).padStart(14)}  ${percent(r.weightBps).padStart(8)}`,
    ),
    `  NAV ${formatUsd(d.found.reduce((a, f) => a + f.usd, 0n))}`,
  ];
  if (d.leftOut.length > 0)
    lines.push(
      "",
      "Left out",
      ...d.leftOut.map(
        (l) => `  ${l.chain.padEnd(10)} ${l.what.padEnd(34)} ${formatUsd(l.usd).padStart(14)}  ${l.why}`,
      ),
    );
  return lines.join("\n");
}

import {
  type AssetId,
  type AssetRegistry,
  healthFactors,
  type PortfolioState,
  toJsonValue,
} from "@ballast/core";
import type { ChainSetup, CycleResult } from "@ballast/engine";
import { formatUnits } from "viem";

/** One token amount for scripts: base units and decimals (exact), and the same as a decimal string. */
export type JsonAmount = {
  asset: string;
  symbol: string;
  chainId: number;
  /** Signed base units. */
  amount: string;
  decimals: number;
  /** `amount` scaled by `decimals`, exact (e.g. "-1234.5"). */
  value: string;
};

const usd = (wad: bigint) => formatUnits(wad, 18);

/** A signed amount of an asset as {@link JsonAmount} (the asset id when it is not in the registry). */
export function jsonAmount(asset: AssetId, amount: bigint, assets: AssetRegistry): JsonAmount {
  const a = assets.get(asset);
  const decimals = a?.decimals ?? 0;
  return {
    asset,
    symbol: a?.symbol ?? asset,
    chainId: a?.chainId ?? Number(asset.split(":")[0]),
    amount: amount.toString(),
    decimals,
    value: formatUnits(amount, decimals),
  };
}

/**
 * `ballast status --json`: per sleeve its weights (wads and bps as strings, as before) plus its amounts per token and
 * its USD value as decimal strings; per chain the holdings with their amounts; each Aave account's totals (USD decimal
 * strings, health factor, LTV and liquidation threshold in bps: each protocol's `account`, under its key); the decision
 * and health factors.
 */
export function statusJson(
  result: CycleResult & { state: PortfolioState },
  setups: readonly Pick<ChainSetup, "chainId" | "protocols">[],
  extra: Record<string, unknown>,
) {
  const { state } = result;
  const assets = state.snapshot.assets;
  const amounts = (units: ReadonlyMap<AssetId, bigint>) =>
    [...units].map(([asset, amount]) => jsonAmount(asset, amount, assets));
  return {
    navUsd: state.navUsd.toString(),
    nav: usd(state.navUsd),
    sleeves: state.sleeves.map((s) => ({
      ...(toJsonValue({
        id: s.sleeve.id,
        chainId: s.sleeve.chainId,
        valueUsd: s.valueUsd,
        weightWad: s.weightWad,
        targetBps: s.sleeve.targetBps,
        driftWad: s.driftWad,
        bandWad: s.bandWad,
        outOfBand: s.outOfBand,
      }) as object),
      value: usd(s.valueUsd),
      amounts: amounts(s.units),
    })),
    chains: state.snapshot.chains.map((c) => ({
      chainId: c.chainId,
      chain: result.fetches[c.chainId]?.key ?? String(c.chainId),
      blockNumber: c.blockNumber.toString(),
      holdings: c.holdings.map((h) => ({
        id: h.id,
        protocol: h.protocol,
        kind: h.kind,
        amounts: h.exposures.map((e) => jsonAmount(e.asset, e.amount, assets)),
      })),
    })),
    ...protocolAccounts(result, setups),
    healthFactors: toJsonValue(healthFactors(state)),
    decision: toJsonValue(result.decision),
    ...extra,
  };
}

/**
 * The accounts the protocols show (`Protocol.account`, e.g. `aave`: each Aave account's totals), by key: one entry per
 * chain that read it, with the chain's id and name; a key of a configured protocol is listed even when empty.
 */
function protocolAccounts(
  result: CycleResult,
  setups: readonly Pick<ChainSetup, "chainId" | "protocols">[],
): Record<string, Record<string, unknown>[]> {
  const accounts: Record<string, Record<string, unknown>[]> = {};
  for (const p of setups.flatMap((s) => s.protocols)) if (p.account) accounts[p.account.key] = [];
  for (const f of Object.values(result.fetches))
    for (const p of setups.find((s) => s.chainId === f.chainId)?.protocols ?? []) {
      const read = f.reads[p.name];
      if (p.account && read)
        accounts[p.account.key]?.push({ chainId: f.chainId, chain: f.key, ...p.account.json(read.state) });
    }
  return accounts;
}

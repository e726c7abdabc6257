import { AAVE_V3_PROTOCOL, type AavePositions, aaveAccountSummary } from "@ballast/aave-v3";
import {
  type AssetId,
  type AssetRegistry,
  healthFactors,
  type PortfolioState,
  toJsonValue,
} from "@ballast/core";
import type { CycleResult } from "@ballast/engine";
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
 * strings, health factor, LTV and liquidation threshold in bps); the decision and health factors.
 */
export function statusJson(result: CycleResult & { state: PortfolioState }, extra: Record<string, unknown>) {
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
    aave: Object.values(result.fetches).flatMap((f) => {
      const aave = f.reads[AAVE_V3_PROTOCOL]?.state as AavePositions | undefined;
      if (!aave) return [];
      const s = aaveAccountSummary(aave);
      const a = aave.account;
      return [
        {
          chainId: f.chainId,
          chain: f.key,
          collateral: usd(s.collateralUsd),
          debt: usd(s.debtUsd),
          net: usd(s.netUsd),
          healthFactor: a.totalDebtBase === 0n ? null : formatUnits(s.healthFactor, 18),
          ltvBps: Number(a.ltv),
          liquidationThresholdBps: Number(a.currentLiquidationThreshold),
        },
      ];
    }),
    healthFactors: toJsonValue(healthFactors(state)),
    decision: toJsonValue(result.decision),
    ...extra,
  };
}

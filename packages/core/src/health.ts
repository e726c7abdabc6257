import { MissingLiquidationThresholdError } from "./errors.ts";
import { mulDiv, usdValue, WAD } from "./math.ts";
import type { AssetId, HoldingKind } from "./model.ts";
import type { HealthFactorPolicy } from "./policy.ts";
import type { PortfolioState } from "./state.ts";
import { assetOf, priceOf } from "./valuation.ts";

/** One lending account (a chain and a protocol) whose health factor the policy guards. */
export type HealthGroup = { readonly chainId: number; readonly protocol: string };

/** Collateral (supply) and debt units of one lending account, per asset (debt units ≤ 0). */
export type HealthPosition = HealthGroup & {
  readonly supply: ReadonlyMap<AssetId, bigint>;
  readonly debt: ReadonlyMap<AssetId, bigint>;
};

/** Key of a health group. */
export const healthKey = (g: HealthGroup): string => `${g.chainId}|${g.protocol}`;

/**
 * Health factor (wad) of a position: Σ collateral USD × liquidation threshold / debt USD; `null` when there is no debt.
 * Collateral rounds down, debt up. Throws {@link MissingLiquidationThresholdError} for collateral without a threshold.
 */
export function healthFactorOf(
  position: Pick<HealthPosition, "supply" | "debt">,
  hf: HealthFactorPolicy,
  assets: PortfolioState["snapshot"]["assets"],
  prices: PortfolioState["prices"],
): bigint | null {
  let debt = 0n;
  for (const [id, units] of position.debt) {
    if (units === 0n) continue;
    const a = assetOf(assets, id, `debt[${id}]`);
    debt += usdValue(units < 0n ? -units : units, a.decimals, priceOf(prices, id, `debt[${id}]`), "up");
  }
  if (debt === 0n) return null;
  let coll = 0n;
  for (const [id, units] of position.supply) {
    if (units <= 0n) continue;
    const lt = hf.liquidationThresholdBps[id];
    if (lt === undefined)
      throw new MissingLiquidationThresholdError(id, `policy.healthFactor.liquidationThresholdBps["${id}"]`);
    const a = assetOf(assets, id, `collateral[${id}]`);
    coll += mulDiv(
      usdValue(units, a.decimals, priceOf(prices, id, `collateral[${id}]`)),
      BigInt(lt),
      10_000n,
    );
  }
  return mulDiv(coll, WAD, debt);
}

const add = (m: Map<AssetId, bigint>, id: AssetId, x: bigint) => m.set(id, (m.get(id) ?? 0n) + x);

/**
 * The lending positions of a portfolio state, grouped per (chain, protocol): every group that has a debt sleeve or a
 * debt holding, with all its supply and debt units (managed and unmanaged). Sorted by chain, then protocol.
 */
export function healthPositions(state: PortfolioState): HealthPosition[] {
  const groups = new Map<
    string,
    { g: HealthGroup; supply: Map<AssetId, bigint>; debt: Map<AssetId, bigint> }
  >();
  const touch = (chainId: number, protocol: string) => {
    const k = healthKey({ chainId, protocol });
    let e = groups.get(k);
    if (!e) {
      e = { g: { chainId, protocol }, supply: new Map(), debt: new Map() };
      groups.set(k, e);
    }
    return e;
  };
  const isDebt = (kind: HoldingKind) => kind === "debt";
  for (const s of state.sleeves) if (isDebt(s.sleeve.kind)) touch(s.sleeve.chainId, s.sleeve.protocol);
  for (const h of state.unmanaged) if (isDebt(h.kind)) touch(h.chainId, h.protocol);
  const fill = (chainId: number, protocol: string, kind: HoldingKind, units: Iterable<[AssetId, bigint]>) => {
    if (kind !== "supply" && kind !== "debt") return;
    const e = groups.get(healthKey({ chainId, protocol }));
    if (!e) return;
    for (const [id, x] of units) add(kind === "supply" ? e.supply : e.debt, id, x);
  };
  for (const s of state.sleeves) fill(s.sleeve.chainId, s.sleeve.protocol, s.sleeve.kind, s.units);
  for (const h of state.unmanaged)
    fill(
      h.chainId,
      h.protocol,
      h.kind,
      h.exposures.map((e) => [e.asset, e.amount]),
    );
  return [...groups.values()]
    .sort(
      (a, b) =>
        a.g.chainId - b.g.chainId || (a.g.protocol < b.g.protocol ? -1 : a.g.protocol > b.g.protocol ? 1 : 0),
    )
    .map((e) => ({ chainId: e.g.chainId, protocol: e.g.protocol, supply: e.supply, debt: e.debt }));
}

/** Current health factor per lending account of the state (`null` = no debt); empty when the policy has no HF inputs. */
export function healthFactors(
  state: PortfolioState,
): { chainId: number; protocol: string; healthFactorWad: bigint | null }[] {
  const hf = state.policy.healthFactor;
  if (!hf) return [];
  return healthPositions(state).map((p) => ({
    chainId: p.chainId,
    protocol: p.protocol,
    healthFactorWad: healthFactorOf(p, hf, state.snapshot.assets, state.prices),
  }));
}

import { InvalidAmountError, InvalidSnapshotError, MissingPriceError, UnknownAssetError } from "./errors.ts";
import { usdValue } from "./math.ts";
import type { Asset, AssetId, Exposure, Holding, PriceBook, Snapshot } from "./model.ts";

/** The asset registry a valuation reads (the snapshot's `assets`). */
export type AssetRegistry = ReadonlyMap<AssetId, Asset>;

/** Looks up an asset, throwing {@link UnknownAssetError} naming `field` when it is not registered. */
export function assetOf(assets: AssetRegistry, id: AssetId, field: string): Asset {
  const a = assets.get(id);
  if (!a) throw new UnknownAssetError(id, field);
  return a;
}

/** Looks up a price (USD wad per whole token), throwing {@link MissingPriceError} naming `field` when absent. */
export function priceOf(prices: PriceBook, id: AssetId, field: string): bigint {
  const p = prices.get(id);
  if (p === undefined) throw new MissingPriceError(id, field);
  return p;
}

/**
 * Merges the per-chain price books of a snapshot into one, validating every price is positive.
 * An asset's price comes from its own chain's snapshot when that chain quotes it, else from the first chain that does.
 */
export function priceBookOf(snapshot: Snapshot): Map<AssetId, bigint> {
  const out = new Map<AssetId, bigint>();
  const own = new Set<AssetId>();
  snapshot.chains.forEach((chain, ci) => {
    for (const [id, price] of chain.prices) {
      const field = `snapshot.chains[${ci}].prices["${id}"]`;
      if (typeof price !== "bigint" || price <= 0n)
        throw new InvalidAmountError(field, price, "a positive price");
      const isOwn = id.startsWith(`${chain.chainId}:`);
      if (isOwn && !own.has(id)) {
        out.set(id, price);
        own.add(id);
      } else if (!out.has(id)) out.set(id, price);
    }
  });
  return out;
}

/** USD value (wad) of one signed exposure; assets round down, debts round up in magnitude (conservative). */
export function exposureUsd(
  exposure: Exposure,
  assets: AssetRegistry,
  prices: PriceBook,
  field: string,
): bigint {
  if (exposure.amount === 0n) return 0n;
  // The field names are built only for the error (this runs per exposure of every plan).
  const asset = assets.get(exposure.asset) ?? assetOf(assets, exposure.asset, `${field}.asset`);
  const price = prices.get(exposure.asset) ?? priceOf(prices, exposure.asset, `${field}.asset`);
  return usdValue(exposure.amount, asset.decimals, price, exposure.amount < 0n ? "up" : "down");
}

/** USD value (wad, signed: negative for debt) of a holding: the sum of its exposures. */
export function holdingUsd(
  holding: Holding,
  assets: AssetRegistry,
  prices: PriceBook,
  field = "holding",
): bigint {
  let v = 0n;
  holding.exposures.forEach((e, i) => {
    v += exposureUsd(e, assets, prices, `${field}.exposures[${i}]`);
  });
  return v;
}

/** Net asset value of a set of holdings: assets minus debts, USD wad. */
export function netAssetValue(
  holdings: readonly Holding[],
  assets: AssetRegistry,
  prices: PriceBook,
): bigint {
  let v = 0n;
  holdings.forEach((h, i) => {
    v += holdingUsd(h, assets, prices, `holdings[${i}]`);
  });
  return v;
}

/**
 * Checks a snapshot is self-consistent: registry keys match asset ids, decimals are sane, chain ids and holding ids are
 * unique, holdings sit on their chain, exposures name known assets of that chain with the sign their kind allows
 * (token/supply/lp ≥ 0, debt ≤ 0). Throws a typed error naming the field.
 */
export function validateSnapshot(snapshot: Snapshot): void {
  for (const [key, a] of snapshot.assets) {
    const field = `snapshot.assets["${key}"]`;
    if (a.id !== key)
      throw new InvalidSnapshotError(`${field}.id`, `the key and the asset id differ (${a.id})`);
    if (!a.id.startsWith(`${a.chainId}:`))
      throw new InvalidSnapshotError(`${field}.chainId`, `asset id ${a.id} is not on chain ${a.chainId}`);
    if (!Number.isInteger(a.decimals) || a.decimals < 0 || a.decimals > 77)
      throw new InvalidSnapshotError(
        `${field}.decimals`,
        `expected an integer in [0, 77], got ${a.decimals}`,
      );
    if (!a.symbol) throw new InvalidSnapshotError(`${field}.symbol`, "expected a non-empty symbol");
  }
  const chains = new Set<number>();
  const holdings = new Set<string>();
  snapshot.chains.forEach((chain, ci) => {
    const cf = `snapshot.chains[${ci}]`;
    if (!Number.isSafeInteger(chain.chainId) || chain.chainId <= 0)
      throw new InvalidSnapshotError(`${cf}.chainId`, `expected a positive integer, got ${chain.chainId}`);
    if (chains.has(chain.chainId))
      throw new InvalidSnapshotError(`${cf}.chainId`, `chain ${chain.chainId} appears twice`);
    chains.add(chain.chainId);
    chain.holdings.forEach((h, hi) => {
      // Field names are written only for an error: a snapshot of 10,000 holdings is validated on every cycle.
      if (holdings.has(h.id))
        throw new InvalidSnapshotError(
          `${cf}.holdings[${hi}].id`,
          `holding id "${h.id}" also at ${holdingField(snapshot, firstWithId(snapshot, h.id))}`,
        );
      holdings.add(h.id);
      if (h.chainId !== chain.chainId)
        throw new InvalidSnapshotError(
          `${cf}.holdings[${hi}].chainId`,
          `holding is on chain ${h.chainId}, snapshot is chain ${chain.chainId}`,
        );
      h.exposures.forEach((e, ei) => {
        validateExposure(snapshot, h, e, () => `${cf}.holdings[${hi}].exposures[${ei}]`);
      });
    });
  });
}

function validateExposure(snapshot: Snapshot, h: Holding, e: Exposure, field: () => string): void {
  const asset = snapshot.assets.get(e.asset) ?? assetOf(snapshot.assets, e.asset, `${field()}.asset`);
  if (asset.chainId !== h.chainId)
    throw new InvalidSnapshotError(
      `${field()}.asset`,
      `asset ${e.asset} is not on the holding's chain ${h.chainId}`,
    );
  if (typeof e.amount !== "bigint") throw new InvalidAmountError(`${field()}.amount`, e.amount, "a bigint");
  if (h.kind === "debt" ? e.amount > 0n : e.amount < 0n)
    throw new InvalidAmountError(
      `${field()}.amount`,
      e.amount,
      h.kind === "debt" ? "a debt amount ≤ 0" : `a ${h.kind} amount ≥ 0`,
    );
}

/** The first holding of a snapshot with an id. */
const firstWithId = (snapshot: Snapshot, id: string): Holding =>
  snapshot.chains.flatMap((c) => c.holdings).find((h) => h.id === id) as Holding;

/** A holding's field in the snapshot (`snapshot.chains[i].holdings[j]`), found by identity: for error messages. */
export function holdingField(snapshot: Snapshot, h: Holding): string {
  for (const [ci, c] of snapshot.chains.entries()) {
    const hi = c.holdings.indexOf(h);
    if (hi >= 0) return `snapshot.chains[${ci}].holdings[${hi}]`;
  }
  return "snapshot.chains[].holdings[]";
}

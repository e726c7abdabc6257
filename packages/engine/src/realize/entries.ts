import { type Address, type AssetId, min, mulDiv, type SleeveLeg } from "@ballast/core";
import { formatTokenAmount } from "../errors.ts";
import { type Batch, type Run, withOutcome } from "./batch.ts";
import { encodeLeg, noCall } from "./encode.ts";

/**
 * Entries (pure), against the protocols' states as the swaps leave them: what each entry may spend is its amounts,
 * every consumer of an asset scaled by available / needed when short ({@link entryFunding}); a protocol also learns
 * the account's worst-case balance at its step less what later entries spend (a "repay everything" needs its whole
 * allowance there). `buy-hold` needs no call.
 */
export function realizeEntries(run: Run, batch: Batch, entries: readonly SleeveLeg[]): Batch {
  const wallet = walletBalances(run);
  const { funded, warnings } = entryFunding(run, batch, wallet, entries);
  const later = (from: number, id: AssetId): bigint =>
    funded.slice(from).reduce((s, f) => s + (f.get(id) ?? 0n), 0n);
  return entries.reduce(
    (b, leg, k) => {
      if (!leg.needsCall) return withOutcome(b, noCall(leg));
      const got = funded[k] as ReadonlyMap<AssetId, bigint>;
      const trimmed = leg.amounts.some((a) => (got.get(a.asset) ?? a.amount) < a.amount);
      const spare = (id: AssetId) => (wallet.get(id) ?? 0n) + (b.min.get(id) ?? 0n) - later(k + 1, id);
      const note = trimmed ? "scaled to the available funds (swap minOut / LP mins)" : undefined;
      return withOutcome(b, encodeLeg(run, b, leg, got, spare, note));
    },
    withOutcome(batch, { warnings }),
  );
}

/** The account's idle balances as read. */
function walletBalances(run: Run): ReadonlyMap<AssetId, bigint> {
  const wallet = new Map<AssetId, bigint>();
  for (const h of run.fetch.snapshot.holdings)
    if (h.protocol === "wallet")
      for (const e of h.exposures) wallet.set(e.asset, (wallet.get(e.asset) ?? 0n) + e.amount);
  return wallet;
}

/**
 * What each entry may spend (an empty map for those needing no call): its amounts, scaled by available / needed per
 * asset when short, where available = the guaranteed funds + the {@link cushion}. A swap surplus no balance covers is
 * reported: it stays idle, outside the sleeves, when the swap pays its quote.
 */
function entryFunding(
  run: Run,
  batch: Batch,
  wallet: ReadonlyMap<AssetId, bigint>,
  entries: readonly SleeveLeg[],
): { readonly funded: readonly ReadonlyMap<AssetId, bigint>[]; readonly warnings: readonly string[] } {
  const need = new Map<AssetId, bigint>();
  for (const e of entries)
    if (e.needsCall) for (const a of e.amounts) need.set(a.asset, (need.get(a.asset) ?? 0n) + a.amount);
  const available = new Map<AssetId, bigint>();
  const warnings: string[] = [];
  for (const [id, n] of need) {
    const funds = batch.funds.get(id) ?? 0n;
    const extra = cushion(batch, wallet, id);
    available.set(id, funds + extra);
    const idle = min(n - funds - extra, (batch.surplus.get(id) ?? 0n) - extra);
    if (idle > 0n) {
      const a = run.state.snapshot.assets.get(id);
      warnings.push(
        `up to ${formatTokenAmount(idle, (a?.address ?? id) as Address, a)} (swap output above its minOut) stays idle outside the sleeves: no idle balance covers a swap that pays only its minOut`,
      );
    }
  }
  const scaled = (amount: bigint, id: AssetId): bigint => {
    const n = need.get(id) ?? 0n;
    const h = available.get(id) ?? 0n;
    return n <= h ? amount : h <= 0n ? 0n : mulDiv(amount, h, n);
  };
  const funded = entries.map((e) =>
    e.needsCall
      ? new Map(e.amounts.map((a) => [a.asset, scaled(a.amount, a.asset)]))
      : new Map<AssetId, bigint>(),
  );
  return { funded, warnings };
}

/**
 * What entries may spend of `asset` beyond the guaranteed funds: the swaps' quoted output above their minOut, as far as
 * the wallet's own balance (less what `sell` exits already release) covers it. An entry sized so never fails when a
 * swap returns only its minOut: the shortfall is paid from that balance, and the batch still lands.
 */
function cushion(batch: Batch, wallet: ReadonlyMap<AssetId, bigint>, asset: AssetId): bigint {
  const free = (wallet.get(asset) ?? 0n) - (batch.sold.get(asset) ?? 0n);
  return free <= 0n ? 0n : min(free, batch.surplus.get(asset) ?? 0n);
}

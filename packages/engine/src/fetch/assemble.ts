import type { Asset, AssetId, ChainSnapshot, Holding, Protocol, ProtocolRead } from "@ballast/core";
import type { ChainFetch, ChainSetup } from "../types.ts";
import type { ChainHead } from "./head.ts";

/** The holding id of an idle token balance. */
export const walletHoldingId = (chainId: number, token: `0x${string}`): string =>
  `wallet:${chainId}:${token.toLowerCase()}`;

/**
 * Assembles a chain's read (pure): the asset registry (tokens, then what the protocols found), wallet and protocol
 * holdings (a holding of a token that is not registered is ignored, with a warning), oracle prices of registered
 * assets, then prices derived from the protocols' state (pools) for what no oracle priced.
 */
export function chainFetchOf(
  setup: ChainSetup,
  head: ChainHead,
  reads: readonly ProtocolRead[],
  ethCalls: number,
): ChainFetch {
  const { chainId, key } = setup;
  const assets = new Map<AssetId, Asset>();
  for (const a of [...setup.tokens, ...reads.flatMap((x) => x.assets)])
    if (!assets.has(a.id)) assets.set(a.id, a);
  const { holdings, warnings } = holdingsOf(setup, head.balances, reads, assets);
  const prices = new Map<AssetId, bigint>();
  for (const x of reads)
    for (const [id, p] of x.prices) if (assets.has(id) && p > 0n && !prices.has(id)) prices.set(id, p);
  const derived = setup.protocols.flatMap(
    (p: Protocol, i) => p.derivePrices?.(reads[i]?.state, prices, assets) ?? [],
  );
  if (derived.length > 0 && reads.some((x) => x.prices.size > 0))
    warnings.push(`priced from pools on "${key}" (no oracle price): ${derived.join(", ")}`);
  for (const x of reads) warnings.push(...(x.warnings ?? []));
  const { blockNumber, timestamp } = head;
  const snapshot: ChainSnapshot = { chainId, blockNumber, timestamp, holdings, prices };
  const byName = (f: (x: ProtocolRead) => unknown) =>
    Object.fromEntries(setup.protocols.map((p, i) => [p.name, f(reads[i] as ProtocolRead)]));
  return {
    chainId,
    key,
    snapshot,
    assets: [...assets.values()],
    reads: byName((x) => x) as Record<string, ProtocolRead>,
    hints: Object.fromEntries(Object.entries(byName((x) => x.hint)).filter(([, h]) => h !== undefined)),
    ethCalls,
    warnings,
  };
}

/** The wallet's non-zero balances, then the protocols' holdings of registered assets (the others: a warning each). */
function holdingsOf(
  setup: ChainSetup,
  balances: readonly bigint[],
  reads: readonly ProtocolRead[],
  assets: ReadonlyMap<AssetId, Asset>,
): { holdings: Holding[]; warnings: string[] } {
  const { chainId, key } = setup;
  const warnings: string[] = [];
  const holdings: Holding[] = setup.tokens.flatMap((token, i) => {
    const amount = balances[i] ?? 0n;
    return amount > 0n
      ? [
          {
            id: walletHoldingId(chainId, token.address),
            chainId,
            protocol: "wallet",
            kind: "token" as const,
            ref: token.id,
            exposures: [{ asset: token.id, amount }],
          },
        ]
      : [];
  });
  for (const h of reads.flatMap((x) => x.holdings)) {
    const unknown = h.exposures.filter((e) => !assets.has(e.asset)).map((e) => e.asset);
    if (unknown.length === 0) holdings.push(h);
    else
      warnings.push(
        `${h.id} on "${key}" holds a token that is not configured (${unknown.join(", ")}): ignored`,
      );
  }
  return { holdings, warnings };
}

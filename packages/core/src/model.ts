/** A 20-byte hex address. Core treats it as an opaque, lower-cased string. */
export type Address = `0x${string}`;
/** Hex-encoded bytes. */
export type Hex = `0x${string}`;

/**
 * Identity of one token on one chain: `${chainId}:${lower-cased address}`.
 * Build it with {@link assetId}; never compare addresses by hand.
 */
export type AssetId = `${number}:${Lowercase<Address>}`;

/** Builds the canonical id of a token on a chain. */
export const assetId = (chainId: number, address: Address): AssetId =>
  `${chainId}:${address.toLowerCase() as Lowercase<Address>}`;

/** A token on a chain. `symbol` also names the economic asset: USDC on chain 1 and on 8453 share it, so a bridge can join them. */
export type Asset = {
  readonly id: AssetId;
  readonly chainId: number;
  readonly address: Address;
  readonly symbol: string;
  readonly decimals: number;
};

/** What a holding is, economically. */
export type HoldingKind = "token" | "supply" | "debt" | "lp";

/** A signed amount of one asset, in base units (negative for debt). */
export type Exposure = { readonly asset: AssetId; readonly amount: bigint };

/**
 * One position of the portfolio as the adapters read it.
 * `ref` says which slot it fills: the asset id for token/supply/debt, the pool id (`${chainId}:${pool address}`)
 * for an LP position. A holding belongs to the sleeve with the same chainId, protocol, kind and ref.
 */
export type Holding = {
  readonly id: string;
  readonly chainId: number;
  /** "wallet", "aave-v3", "uniswap-v3", … */
  readonly protocol: string;
  readonly kind: HoldingKind;
  readonly ref: string;
  readonly exposures: readonly Exposure[];
};

/** USD per whole token, 18 decimals, by asset id. */
export type PriceBook = ReadonlyMap<AssetId, bigint>;

/** Everything read from one chain at one block. Plain data. */
export type ChainSnapshot = {
  readonly chainId: number;
  readonly blockNumber: bigint;
  /** Block timestamp, seconds. */
  readonly timestamp: bigint;
  readonly holdings: readonly Holding[];
  /** Prices read on this chain (oracle or pool), USD wad per whole token. */
  readonly prices: PriceBook;
};

/** The whole portfolio at one moment: one snapshot per chain plus the asset registry. */
export type Snapshot = {
  readonly assets: ReadonlyMap<AssetId, Asset>;
  readonly chains: readonly ChainSnapshot[];
};

/**
 * What one dollar of a sleeve holds: a set of assets and their shares (wad fractions summing to 1e18).
 * 100% USDC for an Aave USDC supply; x% WETH + y% USDC for an LP at the pool's price and range.
 * Adapters compute it; core never does protocol math.
 */
export type Composition = readonly { readonly asset: AssetId; readonly shareWad: bigint }[];

/** One contract call for a batch: the shape every encoder returns. */
export type Call = { readonly to: Address; readonly data: Hex; readonly value: bigint };

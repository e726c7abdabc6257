import {
  type Address,
  type Asset,
  type AssetId,
  type Call,
  type EncodeContext,
  type FloorGuard,
  LegEncodeError,
  type LegEncoding,
  type Protocol,
  type ProtocolChain,
  type ProtocolRead,
  type ReadRequest,
  type ReadStep,
  type SleeveLeg,
  sleeveAsset,
  WAD,
} from "@ballast/core";
import { aavePoolAbi } from "./abi.ts";
import { encodeBorrow, encodeRepay, encodeSupply, encodeWithdraw, repayAllowance } from "./encode.ts";
import { aaveHealthFactorGuard } from "./guard.ts";
import { MAX_UINT256 } from "./math.ts";
import { type AaveAction, projectAaveActions } from "./project.ts";
import { aaveReads, decodeAaveReads } from "./reads.ts";
import type { AaveMarket, AaveMarketVersion, AavePositions } from "./types.ts";
import {
  AAVE_V3_PROTOCOL,
  aaveAccountJson,
  aaveHoldings,
  aaveLiquidationThresholds,
  aavePriceBook,
} from "./value.ts";

/** The Aave V3 market of one chain, as configured. `version` picks the UiPoolDataProvider layout (default "latest"). */
export type AaveV3Config = {
  readonly pool: Address;
  readonly poolAddressesProvider: Address;
  readonly uiPoolDataProvider: Address;
  /** "latest" for aave-v3-origin 3.6 (production and the testkit default), "legacy" for v3.0–3.1 periphery. */
  readonly version?: AaveMarketVersion | undefined;
};

/** The market of a config on a chain, in the adapter's shape. */
export const aaveMarketOf = (
  config: AaveV3Config,
  chain: Pick<ProtocolChain, "chainId" | "key">,
): AaveMarket => ({
  chainId: chain.chainId,
  name: chain.key,
  pool: config.pool,
  poolAddressesProvider: config.poolAddressesProvider,
  uiPoolDataProvider: config.uiPoolDataProvider,
  version: config.version ?? "latest",
});

/**
 * Aave V3 as a {@link Protocol}: sleeves `aave-supply` / `aave-borrow`; reads reserves, oracle prices, user reserves and
 * account data in the chain's one multicall; realizes `withdraw`, `borrow`, `supply`, `repay` with the adapter's
 * pre-checks, projecting the positions leg by leg so each check sees the batch so far.
 *
 * @example
 * const setup = { ...chain, protocols: [aaveV3Protocol(aaveMarkets.AaveV3Base)] };
 */
export function aaveV3Protocol(
  config: AaveV3Config,
): Protocol<AavePositions> & { readonly config: AaveV3Config } {
  return {
    name: AAVE_V3_PROTOCOL,
    config,
    sleeveKinds: { "aave-supply": "supply", "aave-borrow": "debt" },
    resolveSleeve(spec, chain) {
      const asset = sleeveAsset(spec, chain);
      const kind = spec.kind === "aave-supply" ? "supply" : "debt";
      return { protocol: AAVE_V3_PROTOCOL, kind, ref: asset.id, asset };
    },
    read: (request) => aaveReadStep(config, request),
    sleeveSpecOf: (holding, _state, assets) => ({
      kind: holding.kind === "debt" ? "aave-borrow" : "aave-supply",
      asset: assets.get(holding.ref as AssetId)?.symbol ?? holding.ref,
    }),
    encode: (leg, ctx) => encodeAaveLeg(config, leg, ctx),
    guardTokens(state, asset, priceUsdWad) {
      const reserve = state.reserves.find((r) => r.assetId === asset.id);
      if (!reserve) return [];
      return [
        { token: reserve.aToken, decimals: reserve.decimals, priceUsdWad },
        { token: reserve.variableDebtToken, decimals: reserve.decimals, priceUsdWad: -priceUsdWad },
      ];
    },
    priceSources: (state) => ({
      oracle: {
        prices: aavePriceBook(state),
        feeds: state.reserves.map((r) => ({ token: r.asset, symbol: r.symbol, feed: r.priceOracle })),
      },
    }),
    abis: [aavePoolAbi],
    account: { key: "aave", json: aaveAccountJson },
  };
}

function aaveReadStep(config: AaveV3Config, { chain }: ReadRequest): ReadStep<ProtocolRead<AavePositions>> {
  const params = { market: aaveMarketOf(config, chain), user: chain.account, multicall3: chain.multicall3 };
  return {
    calls: aaveReads(params),
    decode(results) {
      const positions = decodeAaveReads({ ...params, results });
      const known = new Set(chain.tokens.map((t) => t.id));
      const assets: Asset[] = [];
      for (const u of positions.userReserves) {
        const r = positions.reserves[u.index];
        if ((u.supplied === 0n && u.debt === 0n) || known.has(u.assetId) || !r) continue;
        known.add(u.assetId);
        assets.push({
          id: u.assetId,
          chainId: chain.chainId,
          address: r.asset,
          symbol: r.symbol,
          decimals: r.decimals,
        });
      }
      return {
        done: {
          holdings: aaveHoldings(positions),
          assets,
          prices: aavePriceBook(positions),
          liquidationThresholdBps: aaveLiquidationThresholds(positions),
          state: positions,
        },
      };
    },
  };
}

const amountOf = (leg: SleeveLeg, asset: AssetId): bigint =>
  leg.amounts.find((a) => a.asset === asset)?.amount ?? 0n;

/** One Aave leg: the adapter's encoder (with its pre-checks) and the positions projected past it. */
function encodeAaveLeg(
  config: AaveV3Config,
  leg: SleeveLeg,
  ctx: EncodeContext<AavePositions>,
): LegEncoding<AavePositions> {
  const id = leg.ref as AssetId;
  const token = ctx.assets.get(id);
  if (!token) throw new LegEncodeError(`asset ${id} is not registered`);
  const step = (action: AaveAction, encode: (positions: AavePositions) => Call[]) => {
    try {
      const calls = encode(ctx.state);
      const state = projectAaveActions(ctx.state, [action]).positions;
      const floor = ctx.healthFactorFloorWad;
      const floors =
        floor === undefined
          ? []
          : [aaveHealthFactorGuard({ pool: config.pool, account: ctx.chain.account, floorWad: floor })];
      return { calls, state, floors };
    } catch (err) {
      throw new LegEncodeError(`the Aave adapter refused the ${action.type}`, err);
    }
  };
  const asset = token.address;
  const moved = (min: bigint, funds: bigint, note?: string): Omit<LegEncoding<AavePositions>, "calls"> => ({
    effects: [{ asset: id, min, funds }],
    flows: [{ token: asset, amount: min }],
    ...(note ? { note } : {}),
  });
  switch (leg.action) {
    case "withdraw": {
      const planned = amountOf(leg, id);
      const amount = leg.fractionWad >= WAD ? MAX_UINT256 : planned;
      const done = step({ type: "withdraw", asset, amount }, (positions) =>
        encodeWithdraw({ positions, asset, amount }),
      );
      return {
        ...done,
        ...moved(planned, planned, amount === MAX_UINT256 ? "withdraws everything (max)" : undefined),
      };
    }
    case "borrow": {
      const amount = amountOf(leg, id);
      const done = step({ type: "borrow", asset, amount }, (positions) =>
        encodeBorrow({ positions, asset, amount }),
      );
      return { ...done, ...moved(amount, amount) };
    }
    case "supply": {
      const amount = ctx.funded.get(id) ?? 0n;
      if (amount <= 0n) return skipped(`supply of ${token.symbol} skipped, no guaranteed funds`);
      const done = step({ type: "supply", asset, amount }, (positions) =>
        encodeSupply({ positions, asset, amount }),
      );
      return { ...done, ...moved(-amount, -amount) };
    }
    case "repay":
      return encodeRepayLeg(leg, ctx, token, step, moved);
    default:
      throw new LegEncodeError(`Aave V3 cannot "${leg.action}"`);
  }
}

const skipped = (why: string): LegEncoding<AavePositions> => ({
  calls: [],
  effects: [],
  flows: [],
  skipped: why,
});

/**
 * A repay: "max" (every wei, including interest accrued until inclusion) when the leg repays all of the debt and the
 * account will hold the max repay's allowance at that point of the batch; else the explicit funded amount.
 */
function encodeRepayLeg(
  leg: SleeveLeg,
  ctx: EncodeContext<AavePositions>,
  token: Asset,
  step: (
    action: AaveAction,
    encode: (p: AavePositions) => Call[],
  ) => { calls: Call[]; state: AavePositions; floors: FloorGuard[] },
  moved: (min: bigint, funds: bigint, note?: string) => Omit<LegEncoding<AavePositions>, "calls">,
): LegEncoding<AavePositions> {
  const asset = token.address;
  const x = ctx.funded.get(token.id) ?? 0n;
  if (x <= 0n) return skipped(`repay of ${token.symbol} skipped, no guaranteed funds`);
  let amount = x;
  let pull = x;
  let note: string | undefined;
  if (leg.fractionWad >= WAD && x === amountOf(leg, token.id)) {
    const allowance = repayAllowance(ctx.state, asset, MAX_UINT256);
    if (ctx.spare(token.id) >= allowance) {
      amount = MAX_UINT256;
      pull = allowance;
      note = "repays everything (max)";
    } else
      note = "explicit amount (the account cannot cover a max repay's allowance): dust interest may stay";
  }
  const done = step({ type: "repay", asset, amount }, (positions) =>
    encodeRepay({ positions, asset, amount }),
  );
  return { ...done, ...moved(-pull, -x, note) };
}

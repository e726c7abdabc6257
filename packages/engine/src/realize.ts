import {
  type AaveAction,
  type AavePositions,
  encodeBorrow,
  encodeRepay,
  encodeSupply,
  encodeWithdraw,
  MAX_UINT256,
  projectAaveActions,
  repayAllowance,
} from "@ballast/aave-v3";
import { findRpcRequestError, type Guards, type RpcRequestError, type TokenPrice } from "@ballast/chain";
import {
  type Address,
  type Asset,
  type AssetId,
  BallastError,
  type Call,
  type ChainPlan,
  type Leg,
  mulDiv,
  type Plan,
  type Policy,
  type PortfolioState,
  type SleeveLeg,
  type SwapLeg,
  type SwapQuote,
  type SwapRequest,
  usdValue,
  WAD,
} from "@ballast/core";
import {
  combinePositionManagerCalls,
  depositAmounts,
  encodeDecrease,
  encodeIncrease,
  encodeMint,
  type LpPosition,
  lpHolding,
} from "@ballast/uniswap-v3";
import { isAddressEqual } from "viem";
import {
  asBallastError,
  formatTokenAmount,
  LegRealizationError,
  NoSwapVenueError,
  type TokenLabel,
  type VenueAttempt,
} from "./errors.ts";
import { lpEntryRange, poolPositions, type SleeveSlot } from "./policy.ts";
import type { ChainError, ChainFetch, ChainSetup, RealizedLeg } from "./types.ts";

/** Seconds after the snapshot's block timestamp that swaps and LP actions stay valid, by default. */
export const DEFAULT_DEADLINE_SECONDS = 1_800;

/** A chain's legs turned into calls, before simulation. */
export type RealizedChain = {
  readonly chainId: number;
  readonly key: string;
  /** Every call of the batch, in leg order. */
  readonly calls: readonly Call[];
  readonly legs: readonly Leg[];
  readonly realized: readonly RealizedLeg[];
  readonly quotes: readonly SwapQuote[];
  /** Post-conditions for the simulation (and the send). */
  readonly guards: Guards;
  /** True when some Aave leg has calls (the health-factor guard applies). */
  readonly touchesAave: boolean;
  readonly warnings: readonly string[];
};

/** Inputs of {@link realizeChainPlan}. */
export type RealizeChainPlanParameters = {
  readonly setup: ChainSetup;
  readonly fetch: ChainFetch;
  readonly chainPlan: ChainPlan;
  readonly state: PortfolioState;
  readonly policy: Policy;
  /** The resolved sleeves (LP sleeves' pools and ranges). */
  readonly slots: readonly SleeveSlot[];
  /** The plan's value-loss limit (USD wad), before the LP adjustment. */
  readonly maxValueLossUsd: bigint;
  /** Unix seconds; default the chain's snapshot timestamp + {@link DEFAULT_DEADLINE_SECONDS}. */
  readonly deadline?: bigint | undefined;
};

const add = (m: Map<AssetId, bigint>, a: AssetId, x: bigint) => m.set(a, (m.get(a) ?? 0n) + x);
const amountOf = (leg: SleeveLeg, asset: AssetId): bigint =>
  leg.amounts.find((a) => a.asset === asset)?.amount ?? 0n;

/**
 * Turns one chain's legs into calls, in leg order (exits → swaps → entries), and the guards its simulation checks.
 *
 * - `sell` / `buy-hold` need no call. `withdraw` (Aave): the leg's amount, or `MAX` when `fractionWad` = 1e18.
 *   `borrow` (Aave, variable): the leg's amount. `decrease` (LP): `fractionWad` of each position's liquidity with mins
 *   from `policy.maxSlippageBps`, `collect` of everything owed, `burn` when the whole position goes.
 * - Swaps: quoted through the chain's venues in order with `minAmountOut` = the leg's minOut; the first quote that
 *   meets it is used (its exact approval + swap calls). None → {@link NoSwapVenueError}.
 * - Funding: exits give their amounts (LP decreases: principal at the read price + fees), swaps give their encoded
 *   `minAmountOut` (not the expected output). A swap or entry that needs more of an asset than that is scaled down
 *   (all consumers of the asset proportionally); what a swap returns above its minOut stays idle in the account.
 * - Entries: `supply` (exact approval), `repay` (`MAX` when `fractionWad` = 1e18 — or the sleeve's target is 0 —
 *   and the account will hold the repay allowance, else the explicit amount), `mint` / `increase` (LP: desired amounts = what the range takes of the
 *   funded amounts at the current price, mins from the slippage limit; `increase` tops up the sleeve's first position
 *   when it holds the current tick, else a new position of ±rangeBps is minted).
 *
 * Throws {@link NoSwapVenueError} or {@link LegRealizationError}.
 */
export async function realizeChainPlan(params: RealizeChainPlanParameters): Promise<RealizedChain> {
  const { setup, fetch, chainPlan, state, policy } = params;
  const { chainId, key, account } = setup;
  const assets = state.snapshot.assets;
  const prices = state.prices;
  const slippageBps = policy.maxSlippageBps;
  const deadline = params.deadline ?? fetch.snapshot.timestamp + BigInt(DEFAULT_DEADLINE_SECONDS);
  const asset = (id: AssetId, step: number, action: string): Asset => {
    const a = assets.get(id);
    if (!a) throw new LegRealizationError(key, chainId, step, action, `asset ${id} is not registered`);
    return a;
  };
  const idOf = (token: Address): AssetId => `${chainId}:${token.toLowerCase()}` as AssetId;
  const usdOf = (id: AssetId, amount: bigint): bigint => {
    const a = assets.get(id);
    const p = prices.get(id);
    return a && p !== undefined && amount > 0n ? usdValue(amount, a.decimals, p) : 0n;
  };
  const fail = (leg: Leg, reason: string, cause?: unknown): never => {
    throw new LegRealizationError(
      key,
      chainId,
      leg.step,
      leg.type === "swap" ? "swap" : leg.action,
      reason,
      cause,
    );
  };
  const lpById = new Map(fetch.lpPositions.map((p) => [lpHolding(chainId, p).id, p]));
  const wallet = new Map<AssetId, bigint>();
  for (const h of fetch.snapshot.holdings)
    if (h.protocol === "wallet") for (const e of h.exposures) add(wallet, e.asset, e.amount);

  /** Guaranteed amount available to later legs, per asset. */
  const avail = new Map<AssetId, bigint>();
  /** Lower bound of the account's balance change over the batch, per asset. */
  const delta = new Map<AssetId, bigint>();
  const touched = new Set<AssetId>();
  let aave: AavePositions | undefined = fetch.aave;
  let touchesAave = false;
  let lpEntryUsd = 0n;
  let lpExitUsd = 0n;
  const realized: RealizedLeg[] = [];
  const quotes: SwapQuote[] = [];
  const warnings: string[] = [];
  /** Records a leg that gets no call because it has nothing to work with, and says why. */
  const skip = (leg: SleeveLeg, why: string) => {
    warnings.push(`step ${leg.step}: ${why}`);
    realized.push({
      step: leg.step,
      action: leg.action,
      sleeveId: leg.sleeveId,
      calls: [],
      flows: [],
      note: "skipped",
    });
  };
  /** Records a flow in the guards' ledger; with `fund`, also in the funding ledger of later legs. */
  const flow = (id: AssetId, amount: bigint, fund: boolean) => {
    touched.add(id);
    add(delta, id, amount);
    if (fund || amount < 0n) add(avail, id, amount);
  };
  const aaveStep = (leg: SleeveLeg, action: AaveAction, encode: (p: AavePositions) => Call[]): Call[] => {
    if (!aave) return fail(leg, `chain "${key}" has no Aave positions read`);
    let calls: Call[];
    try {
      calls = encode(aave);
      aave = projectAaveActions(aave, [action]).positions;
    } catch (err) {
      return fail(leg, `the Aave adapter refused the ${action.type}`, err);
    }
    touchesAave = true;
    return calls;
  };
  const tokenOf = (id: AssetId, leg: Leg) => asset(id, leg.step, leg.type === "swap" ? "swap" : leg.action);

  const legs = chainPlan.legs;
  // 1. Exits.
  for (const leg of legs) {
    if (leg.type !== "exit") continue;
    switch (leg.action) {
      case "sell": {
        for (const a of leg.amounts) add(avail, a.asset, a.amount);
        realized.push({ step: leg.step, action: leg.action, sleeveId: leg.sleeveId, calls: [], flows: [] });
        break;
      }
      case "withdraw": {
        const id = leg.ref as AssetId;
        const token = tokenOf(id, leg);
        const planned = amountOf(leg, id);
        const amount = leg.fractionWad >= WAD ? MAX_UINT256 : planned;
        const calls = aaveStep(leg, { type: "withdraw", asset: token.address, amount }, (positions) =>
          encodeWithdraw({ positions, asset: token.address, amount }),
        );
        flow(id, planned, true);
        realized.push({
          step: leg.step,
          action: leg.action,
          sleeveId: leg.sleeveId,
          calls,
          flows: [{ token: token.address, amount: planned }],
          ...(amount === MAX_UINT256 ? { note: "withdraws everything (max)" } : {}),
        });
        break;
      }
      case "borrow": {
        const id = leg.ref as AssetId;
        const token = tokenOf(id, leg);
        const amount = amountOf(leg, id);
        const calls = aaveStep(leg, { type: "borrow", asset: token.address, amount }, (positions) =>
          encodeBorrow({ positions, asset: token.address, amount }),
        );
        flow(id, amount, true);
        realized.push({
          step: leg.step,
          action: leg.action,
          sleeveId: leg.sleeveId,
          calls,
          flows: [{ token: token.address, amount }],
        });
        break;
      }
      case "decrease": {
        const calls: Call[] = [];
        const flows: { token: Address; amount: bigint }[] = [];
        const full = leg.fractionWad >= WAD;
        for (const hid of leg.holdingIds) {
          const position = lpById.get(hid);
          if (!position) return fail(leg, `LP holding ${hid} was not read`);
          const liquidity = full ? position.liquidity : mulDiv(position.liquidity, leg.fractionWad, WAD);
          if (!full && liquidity === 0n) continue;
          let out: ReturnType<typeof encodeDecrease>;
          try {
            out = encodeDecrease({ position, liquidity, slippageBps, deadline, recipient: account });
          } catch (err) {
            return fail(leg, `the Uniswap adapter refused to decrease #${position.tokenId}`, err);
          }
          calls.push(...out.calls);
          const w = out.withdrawal;
          const id0 = idOf(position.token0);
          const id1 = idOf(position.token1);
          // Guards count the guaranteed payout (mins + fees); later legs are funded with the expected one (the
          // principal at the read price, exact unless the pool trades before the batch: then the batch reverts).
          flow(id0, w.guaranteed.amount0, false);
          flow(id1, w.guaranteed.amount1, false);
          add(avail, id0, w.principal.amount0 + w.fees.amount0);
          add(avail, id1, w.principal.amount1 + w.fees.amount1);
          flows.push(
            { token: position.token0, amount: w.guaranteed.amount0 },
            { token: position.token1, amount: w.guaranteed.amount1 },
          );
          lpExitUsd +=
            usdOf(id0, w.principal.amount0 + w.fees.amount0) +
            usdOf(id1, w.principal.amount1 + w.fees.amount1);
        }
        // decrease, collect (and burn) of every position of the leg: one position-manager `multicall`.
        const npm = lpById.get(leg.holdingIds[0] ?? "")?.positionManager;
        const combined = npm ? combinePositionManagerCalls(npm, calls) : calls;
        realized.push({ step: leg.step, action: leg.action, sleeveId: leg.sleeveId, calls: combined, flows });
        break;
      }
      default:
        return fail(leg, `an exit cannot be "${leg.action}"`);
    }
  }

  // 2. Swaps: inputs capped at what is guaranteed, proportionally per asset.
  const swaps = legs.filter((l): l is SwapLeg => l.type === "swap");
  const swapNeed = new Map<AssetId, bigint>();
  for (const s of swaps) add(swapNeed, s.assetIn, s.amountIn);
  const swapHave = new Map(
    [...swapNeed.keys()].map((a) => [a, (avail.get(a) ?? 0n) > 0n ? (avail.get(a) as bigint) : 0n]),
  );
  for (const leg of swaps) {
    const need = swapNeed.get(leg.assetIn) ?? 0n;
    const have = swapHave.get(leg.assetIn) ?? 0n;
    const amountIn = need <= have ? leg.amountIn : mulDiv(leg.amountIn, have, need);
    const tokenIn = tokenOf(leg.assetIn, leg);
    const tokenOut = tokenOf(leg.assetOut, leg);
    if (amountIn <= 0n) {
      warnings.push(`step ${leg.step}: swap skipped, nothing of ${tokenIn.symbol} is guaranteed to be there`);
      realized.push({ step: leg.step, action: "swap", calls: [], flows: [], note: "skipped: no funds" });
      continue;
    }
    const minOut = amountIn === leg.amountIn ? leg.minOut : mulDiv(leg.minOut, amountIn, leg.amountIn, "up");
    const quote = await quoteSwap(
      setup,
      leg.step,
      {
        chainId,
        tokenIn: tokenIn.address,
        tokenOut: tokenOut.address,
        amountIn,
        account,
        minAmountOut: minOut,
        deadline,
      },
      { in: tokenIn, out: tokenOut },
    );
    quotes.push(quote);
    flow(leg.assetIn, -amountIn, false);
    flow(leg.assetOut, quote.minAmountOut, true);
    realized.push({
      step: leg.step,
      action: "swap",
      calls: quote.calls,
      flows: [
        { token: tokenIn.address, amount: -amountIn },
        { token: tokenOut.address, amount: quote.minAmountOut },
      ],
      ...(amountIn < leg.amountIn ? { note: `amountIn scaled to the guaranteed ${amountIn}` } : {}),
    });
  }

  // 3. Entries: every consumer of an asset scaled by guaranteed / needed when short.
  const entries = legs.filter((l): l is SleeveLeg => l.type === "entry");
  const entryNeed = new Map<AssetId, bigint>();
  for (const e of entries) if (e.needsCall) for (const a of e.amounts) add(entryNeed, a.asset, a.amount);
  const scaled = (leg: SleeveLeg, id: AssetId): bigint => {
    const planned = amountOf(leg, id);
    const need = entryNeed.get(id) ?? 0n;
    const have = avail.get(id) ?? 0n;
    if (need <= have) return planned;
    return have <= 0n ? 0n : mulDiv(planned, have, need);
  };
  const funded = new Map(
    entries
      .filter((e) => e.needsCall)
      .map((e) => [e, new Map(e.amounts.map((a) => [a.asset, scaled(e, a.asset)]))]),
  );
  const laterNeed = (from: number, id: AssetId): bigint => {
    let s = 0n;
    for (const e of entries.slice(from)) s += funded.get(e)?.get(id) ?? 0n;
    return s;
  };
  for (const [k, leg] of entries.entries()) {
    const got = funded.get(leg);
    const trimmed = leg.amounts.some((a) => (got?.get(a.asset) ?? a.amount) < a.amount);
    const note = trimmed ? "scaled to the guaranteed funds (swap minOut / LP mins)" : undefined;
    switch (leg.action) {
      case "buy-hold": {
        realized.push({ step: leg.step, action: leg.action, sleeveId: leg.sleeveId, calls: [], flows: [] });
        break;
      }
      case "supply": {
        const id = leg.ref as AssetId;
        const token = tokenOf(id, leg);
        const amount = got?.get(id) ?? 0n;
        if (amount <= 0n) {
          skip(leg, `supply of ${token.symbol} skipped, no guaranteed funds`);
          break;
        }
        const calls = aaveStep(leg, { type: "supply", asset: token.address, amount }, (positions) =>
          encodeSupply({ positions, asset: token.address, amount }),
        );
        flow(id, -amount, false);
        realized.push({
          step: leg.step,
          action: leg.action,
          sleeveId: leg.sleeveId,
          calls,
          flows: [{ token: token.address, amount: -amount }],
          ...(note ? { note } : {}),
        });
        break;
      }
      case "repay": {
        const id = leg.ref as AssetId;
        const token = tokenOf(id, leg);
        const planned = amountOf(leg, id);
        const x = got?.get(id) ?? 0n;
        if (x <= 0n) {
          skip(leg, `repay of ${token.symbol} skipped, no guaranteed funds`);
          break;
        }
        let amount = x;
        let pull = x;
        let repayNote = note;
        if (leg.fractionWad >= WAD && x === planned && aave) {
          const allowance = repayAllowance(aave, token.address, MAX_UINT256);
          // The account's balance at this point, at worst: the idle balance + the batch so far − later consumers.
          const bound = (wallet.get(id) ?? 0n) + (delta.get(id) ?? 0n) - laterNeed(k + 1, id);
          if (bound >= allowance) {
            amount = MAX_UINT256;
            pull = allowance;
          } else
            repayNote =
              "explicit amount (the account cannot cover a max repay's allowance): dust interest may stay";
        }
        const calls = aaveStep(leg, { type: "repay", asset: token.address, amount }, (positions) =>
          encodeRepay({ positions, asset: token.address, amount }),
        );
        add(avail, id, -x);
        touched.add(id);
        add(delta, id, -pull);
        realized.push({
          step: leg.step,
          action: leg.action,
          sleeveId: leg.sleeveId,
          calls,
          flows: [{ token: token.address, amount: -pull }],
          ...(repayNote
            ? { note: repayNote }
            : amount === MAX_UINT256
              ? { note: "repays everything (max)" }
              : {}),
        });
        break;
      }
      case "mint":
      case "increase": {
        const slot = params.slots.find((s) => s.spec.id === leg.sleeveId);
        const pool = slot?.pool ? fetch.pools.get(slot.pool.address.toLowerCase()) : undefined;
        if (!slot?.pool || !pool) return fail(leg, `the pool of LP sleeve "${leg.sleeveId}" was not read`);
        const { token0, token1 } = slot.pool;
        const a0 = got?.get(token0.id) ?? 0n;
        const a1 = got?.get(token1.id) ?? 0n;
        const range = lpEntryRange(pool, poolPositions(fetch, slot.pool.address), slot.pool.rangeBps);
        const target: LpPosition | undefined =
          range.tokenId === undefined
            ? undefined
            : fetch.lpPositions.find((p) => p.tokenId === range.tokenId);
        const use = depositAmounts({
          sqrtPriceX96: pool.sqrtPriceX96,
          tickLower: range.tickLower,
          tickUpper: range.tickUpper,
          amount0Desired: a0,
          amount1Desired: a1,
        });
        if (use.liquidity === 0n || (use.amount0 === 0n && use.amount1 === 0n)) {
          skip(leg, `LP entry of "${leg.sleeveId}" skipped, the funds mint no liquidity`);
          break;
        }
        const setupUni = setup.uniswap;
        if (!setupUni) return fail(leg, `chain "${key}" has no Uniswap V3 configured`);
        let calls: Call[];
        try {
          calls = target
            ? encodeIncrease({
                positionManager: setupUni.positionManager,
                position: target,
                sqrtPriceX96: pool.sqrtPriceX96,
                amount0Desired: use.amount0,
                amount1Desired: use.amount1,
                slippageBps,
                deadline,
              }).calls
            : encodeMint({
                positionManager: setupUni.positionManager,
                token0: token0.address,
                token1: token1.address,
                fee: slot.pool.fee,
                tickLower: range.tickLower,
                tickUpper: range.tickUpper,
                tickSpacing: pool.tickSpacing,
                amount0Desired: use.amount0,
                amount1Desired: use.amount1,
                sqrtPriceX96: pool.sqrtPriceX96,
                slippageBps,
                recipient: account,
                deadline,
              }).calls;
        } catch (err) {
          return fail(leg, "the Uniswap adapter refused the LP entry", err);
        }
        flow(token0.id, -use.amount0, false);
        flow(token1.id, -use.amount1, false);
        lpEntryUsd += usdOf(token0.id, use.amount0) + usdOf(token1.id, use.amount1);
        const how =
          leg.action === "increase" && !target
            ? `minted a new ±${slot.pool.rangeBps} bps range: the first position does not hold the current tick`
            : undefined;
        const notes = [note, how].filter((n): n is string => n !== undefined);
        realized.push({
          step: leg.step,
          action: target ? "increase" : "mint",
          sleeveId: leg.sleeveId,
          calls,
          flows: [
            { token: token0.address, amount: -use.amount0 },
            { token: token1.address, amount: -use.amount1 },
          ],
          ...(notes.length > 0 ? { note: notes.join("; ") } : {}),
        });
        break;
      }
      default:
        return fail(leg, `an entry cannot be "${leg.action}"`);
    }
  }

  const calls = realized.flatMap((r) => r.calls);
  const guards = batchGuards({
    setup,
    fetch,
    state,
    delta,
    touched,
    maxValueLossUsd: params.maxValueLossUsd + lpEntryUsd - lpExitUsd,
    healthFactorFloorWad: touchesAave ? policy.healthFactor?.floorWad : undefined,
  });
  return { chainId, key, calls, legs, realized, quotes, guards, touchesAave, warnings };
}

/** Quotes a swap through the chain's venues in preference order; the first valid quote that meets minOut wins. */
export async function quoteSwap(
  setup: ChainSetup,
  step: number,
  request: SwapRequest,
  labels: { readonly in?: TokenLabel; readonly out?: TokenLabel } = {},
): Promise<SwapQuote> {
  const out = (amount: bigint) => formatTokenAmount(amount, request.tokenOut, labels.out);
  const attempts: VenueAttempt[] = [];
  let rpcFailure: RpcRequestError | undefined;
  for (const venue of setup.venues) {
    let q: SwapQuote;
    try {
      q = await venue.quote(request);
    } catch (err) {
      rpcFailure ??= findRpcRequestError(err);
      attempts.push({
        venue: venue.name,
        error: err instanceof BallastError ? err.shortMessage : String(err),
      });
      continue;
    }
    const problem =
      q.chainId !== request.chainId
        ? `quoted chain ${q.chainId}`
        : !isAddressEqual(q.tokenIn, request.tokenIn) || !isAddressEqual(q.tokenOut, request.tokenOut)
          ? "quoted other tokens"
          : q.amountIn !== request.amountIn
            ? `quoted amountIn ${q.amountIn}`
            : q.minAmountOut < request.minAmountOut || q.amountOut < request.minAmountOut
              ? `quote ${out(q.amountOut)} (guard ${out(q.minAmountOut)}) below minOut ${out(request.minAmountOut)}`
              : q.calls.length === 0
                ? "no calls"
                : undefined;
    if (problem) {
      attempts.push({ venue: venue.name, error: problem });
      continue;
    }
    return q;
  }
  // An RPC that did not answer (rate limit, timeout) is an RPC error, not a market without a route.
  if (rpcFailure) throw rpcFailure;
  throw new NoSwapVenueError(
    setup.key,
    setup.chainId,
    step,
    request.tokenIn,
    request.tokenOut,
    request.amountIn,
    request.minAmountOut,
    attempts,
    labels,
  );
}

/** Inputs of {@link batchGuards}. */
export type BatchGuardsParameters = {
  readonly setup: ChainSetup;
  readonly fetch: ChainFetch;
  readonly state: PortfolioState;
  /** Lower bound of each touched asset's balance change. */
  readonly delta: ReadonlyMap<AssetId, bigint>;
  readonly touched: ReadonlySet<AssetId>;
  /** Largest acceptable loss over the priced tokens (the LP deposits already added, LP exits subtracted). */
  readonly maxValueLossUsd: bigint;
  readonly healthFactorFloorWad?: bigint | undefined;
};

/**
 * The simulation's post-conditions for a chain batch:
 * - a balance-delta guard per touched token: the change must be ≥ guaranteed inflows (swap minOuts, exits; LP
 *   decrease mins + fees) − largest outflows (approved amounts);
 * - the value loss over wallet tokens, aTokens (at their underlying's price) and variable debt tokens (at minus it),
 *   with the limit raised by what LP entries deposit and lowered by what LP exits take out (positions are not tokens);
 * - Aave's health factor after the batch ≥ the floor, when the batch touches Aave and the policy has a floor.
 */
export function batchGuards(params: BatchGuardsParameters): Guards {
  const { setup, fetch, state } = params;
  const assets = state.snapshot.assets;
  const chainAssets = fetch.assets
    .map((a) => assets.get(a.id) ?? a)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const balanceDeltas = [...params.touched].sort().map((id) => {
    const a = assets.get(id);
    return {
      token: (a?.address ?? id.split(":")[1]) as Address,
      min: params.delta.get(id) ?? 0n,
      label: `${a?.symbol ?? id} balance change (swap minOuts, exits, approved amounts)`,
    };
  });
  const prices: TokenPrice[] = [];
  for (const a of chainAssets) {
    const p = state.prices.get(a.id);
    if (p === undefined) continue;
    prices.push({ token: a.address, decimals: a.decimals, priceUsdWad: p });
    const reserve = fetch.aave?.reserves.find((r) => r.assetId === a.id);
    if (reserve) {
      prices.push({ token: reserve.aToken, decimals: reserve.decimals, priceUsdWad: p });
      prices.push({ token: reserve.variableDebtToken, decimals: reserve.decimals, priceUsdWad: -p });
    }
  }
  return {
    balanceDeltas,
    prices,
    maxValueLossUsd: params.maxValueLossUsd,
    ...(params.healthFactorFloorWad !== undefined && setup.aave
      ? { healthFactor: { pool: setup.aave.pool, floorWad: params.healthFactorFloorWad } }
      : {}),
  };
}

/** Inputs of {@link realizePlan}. */
export type RealizePlanParameters = {
  readonly plan: Plan;
  readonly state: PortfolioState;
  readonly policy: Policy;
  readonly slots: readonly SleeveSlot[];
  readonly chains: readonly { readonly setup: ChainSetup; readonly fetch: ChainFetch }[];
  readonly deadlineSeconds?: number | undefined;
};

/**
 * Realizes every chain of a plan (in parallel; one chain's failure does not stop the others). Chains at either end
 * of a cross-chain transfer get no batch: the engine does not bridge, and their legs need the bridged funds (or
 * would strand them). Chains whose legs need no call get no batch either.
 */
export async function realizePlan(
  params: RealizePlanParameters,
): Promise<{ realized: RealizedChain[]; errors: ChainError[]; warnings: string[] }> {
  const warnings: string[] = [];
  const bridged = new Set(params.plan.transfers.flatMap((t) => [t.fromChainId, t.toChainId]));
  const jobs = params.plan.chains.map(async (chainPlan) => {
    const c = params.chains.find((x) => x.setup.chainId === chainPlan.chainId);
    if (!c) return undefined;
    if (bridged.has(chainPlan.chainId) || chainPlan.awaitsTransfers) {
      warnings.push(
        `chain "${c.setup.key}" (${chainPlan.chainId}) is part of a cross-chain transfer: its ${chainPlan.legs.length} legs are reported, not realized (the engine does not bridge)`,
      );
      return undefined;
    }
    if (!chainPlan.legs.some((l) => l.type === "swap" || l.needsCall)) return undefined;
    try {
      return {
        ok: await realizeChainPlan({
          setup: c.setup,
          fetch: c.fetch,
          chainPlan,
          state: params.state,
          policy: params.policy,
          slots: params.slots,
          maxValueLossUsd: params.plan.guards.maxValueLossUsd,
          deadline: c.fetch.snapshot.timestamp + BigInt(params.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS),
        }),
      };
    } catch (err) {
      return {
        error: {
          chainId: c.setup.chainId,
          key: c.setup.key,
          error: asBallastError(
            err,
            (cause) =>
              new LegRealizationError(
                c.setup.key,
                c.setup.chainId,
                0,
                "realize",
                "unexpected failure",
                cause,
              ),
          ),
        } satisfies ChainError,
      };
    }
  });
  const out = await Promise.all(jobs);
  const realized: RealizedChain[] = [];
  const errors: ChainError[] = [];
  for (const o of out) {
    if (!o) continue;
    if ("ok" in o) realized.push(o.ok);
    else errors.push(o.error);
  }
  return { realized, errors, warnings };
}

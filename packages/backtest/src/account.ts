import {
  type AssetId,
  amountFor,
  BPS,
  type Leg,
  type LegAction,
  mulDiv,
  type Plan,
  type Policy,
  type PortfolioState,
  portfolioState,
  type SleeveLeg,
  type SwapLeg,
  type Transfer,
  WAD,
} from "@ballast/core";
import { buildPolicy, type PolicyRules, type SleeveSlot } from "@ballast/engine";
import {
  getAmountsForLiquidity,
  getLiquidityForAmounts,
  getPositionPrincipal,
  getSqrtRatioAtTick,
  isInRange,
  type LpPosition,
  lpEntryRange,
  lpValueShares,
  type PoolSnapshot,
} from "@ballast/uniswap-v3";
import {
  type Book,
  emptyBook,
  lpHoldingId,
  type Market,
  newPosition,
  readBook,
  type World,
} from "./world.ts";

/** Rates the backtest assumes (the price history has none): Aave interest, LP fee income, liquidation thresholds. */
export type MarketRates = {
  /** Aave supply APR, bps per year, for every asset. */
  readonly supplyAprBps: number;
  /** Aave borrow APR, bps per year, for every asset. */
  readonly borrowAprBps: number;
  /** Fees an in-range LP position earns, bps of its principal per year. */
  readonly lpFeeAprBps: number;
  /** Liquidation threshold of every collateral asset, bps (the health-factor rule's input). */
  readonly liquidationThresholdBps: number;
};

/** What one applied leg cost, USD wad (a sleeve leg costs gas only; a swap also its fee and slippage; a transfer its bridge fee). */
export type LegCost = {
  readonly chainId: number;
  readonly step: number;
  readonly action: LegAction | "swap" | "transfer";
  readonly usd: bigint;
  readonly feesUsd: bigint;
  readonly slippageUsd: bigint;
  readonly gasUsd: bigint;
  readonly bridgeUsd: bigint;
};

const YEAR_SECONDS = 31_536_000n;

const add = (m: Map<AssetId, bigint>, a: AssetId, x: bigint): void => {
  m.set(a, (m.get(a) ?? 0n) + x);
};
/** Takes up to `x` of `a` from `m`; returns what it took. */
const take = (m: Map<AssetId, bigint>, a: AssetId, x: bigint): bigint => {
  const have = m.get(a) ?? 0n;
  const t = x < have ? x : have;
  m.set(a, have - t);
  return t;
};

/**
 * Values the account the way the keeper does: the engine's `buildPolicy` (LP compositions at the pool's price and the
 * entry range) with the backtest's liquidation thresholds, then core's `portfolioState`.
 */
export function valueBook(
  world: World,
  book: Book,
  market: Market,
  rules: PolicyRules,
  rates: MarketRates,
): { state: PortfolioState; policy: Policy } {
  const { snapshot, fetched } = readBook(world, book, market);
  const built = buildPolicy({
    specs: world.specs,
    chains: world.chains,
    slots: world.slots,
    fetched,
    prices: market.prices,
    rules,
  });
  const policy: Policy = built.healthFactor
    ? {
        ...built,
        healthFactor: {
          floorWad: built.healthFactor.floorWad,
          liquidationThresholdBps: Object.fromEntries(
            [...market.prices.keys()].map((id) => [id, rates.liquidationThresholdBps]),
          ),
        },
      }
    : built;
  return { state: portfolioState(snapshot, policy, { prices: market.prices }), policy };
}

/** Adds `a0`/`a1` (at most) from the wallet to the sleeve's entry position: the one holding the tick, or a new one. */
function enterLp(world: World, book: Book, slot: SleeveSlot, market: Market, a0: bigint, a1: bigint): void {
  const spec = slot.pool as NonNullable<SleeveSlot["pool"]>;
  const pool = market.pools.get(spec.address.toLowerCase()) as NonNullable<
    ReturnType<Market["pools"]["get"]>
  >;
  const mine = book.lp.filter((p) => p.pool.toLowerCase() === spec.address.toLowerCase());
  const range = lpEntryRange(pool, mine, spec.rangeBps);
  const [sqrtA, sqrtB] = [getSqrtRatioAtTick(range.tickLower), getSqrtRatioAtTick(range.tickUpper)];
  const have0 = book.wallet.get(spec.token0.id) ?? 0n;
  const have1 = book.wallet.get(spec.token1.id) ?? 0n;
  const liquidity = getLiquidityForAmounts(
    pool.sqrtPriceX96,
    sqrtA,
    sqrtB,
    a0 < have0 ? a0 : have0,
    a1 < have1 ? a1 : have1,
  );
  if (liquidity === 0n) return;
  const used = getAmountsForLiquidity(pool.sqrtPriceX96, sqrtA, sqrtB, liquidity, true);
  take(book.wallet, spec.token0.id, used.amount0);
  take(book.wallet, spec.token1.id, used.amount1);
  const at = range.tokenId === undefined ? -1 : book.lp.findIndex((p) => p.tokenId === range.tokenId);
  if (at >= 0) {
    const p = book.lp[at] as LpPosition;
    book.lp[at] = { ...p, liquidity: p.liquidity + liquidity };
  } else {
    book.lp.push(newPosition(world, slot.chainId, pool, range, liquidity, book.nextTokenId));
    book.nextTokenId += 1n;
  }
}

/** Decreases every named position by the leg's fraction and collects that share of its fees into the wallet. */
function exitLp(book: Book, leg: SleeveLeg): void {
  const all = leg.fractionWad >= WAD;
  book.lp = book.lp
    .map((p) => {
      if (!leg.holdingIds.includes(lpHoldingId(leg.chainId, p))) return p;
      const part = (x: bigint) => (all ? x : mulDiv(x, leg.fractionWad, WAD));
      const removed = part(p.liquidity);
      const principal = getPositionPrincipal({
        sqrtPriceX96: p.poolState.sqrtPriceX96,
        tick: p.poolState.tick,
        tickLower: p.tickLower,
        tickUpper: p.tickUpper,
        liquidity: removed,
      });
      const [fee0, fee1] = [part(p.tokensOwed0), part(p.tokensOwed1)];
      add(book.wallet, `${leg.chainId}:${p.token0.toLowerCase()}` as AssetId, principal.amount0 + fee0);
      add(book.wallet, `${leg.chainId}:${p.token1.toLowerCase()}` as AssetId, principal.amount1 + fee1);
      return {
        ...p,
        liquidity: p.liquidity - removed,
        tokensOwed0: p.tokensOwed0 - fee0,
        tokensOwed1: p.tokensOwed1 - fee1,
      };
    })
    .filter((p) => p.liquidity > 0n || p.tokensOwed0 > 0n || p.tokensOwed1 > 0n);
}

function applySleeveLeg(world: World, book: Book, leg: SleeveLeg, market: Market): void {
  const all = leg.fractionWad >= WAD;
  switch (leg.action) {
    case "sell":
    case "buy-hold":
      return; // the wallet is the token sleeve: nothing moves
    case "withdraw":
      for (const { asset, amount } of leg.amounts)
        add(book.wallet, asset, take(book.supply, asset, all ? (book.supply.get(asset) ?? 0n) : amount));
      return;
    case "borrow":
      for (const { asset, amount } of leg.amounts) {
        add(book.debt, asset, amount);
        add(book.wallet, asset, amount);
      }
      return;
    case "supply":
      for (const { asset, amount } of leg.amounts) add(book.supply, asset, take(book.wallet, asset, amount));
      return;
    case "repay":
      for (const { asset, amount } of leg.amounts) {
        const owed = book.debt.get(asset) ?? 0n;
        const paid = take(book.wallet, asset, all || amount > owed ? owed : amount);
        book.debt.set(asset, owed - paid);
      }
      return;
    case "decrease":
      exitLp(book, leg);
      return;
    case "mint":
    case "increase": {
      const slot = world.slots.find((s) => s.spec.id === leg.sleeveId) as SleeveSlot;
      const pool = slot.pool as NonNullable<SleeveSlot["pool"]>;
      const of = (id: AssetId) => leg.amounts.find((a) => a.asset === id)?.amount ?? 0n;
      enterLp(world, book, slot, market, of(pool.token0.id), of(pool.token1.id));
      return;
    }
    default: {
      const never: never = leg.action;
      throw new Error(`unknown leg action ${String(never)}`);
    }
  }
}

/** Sells what the wallet holds of `amountIn` (at most); the output is the planner's `expectedOut`, pro rata. */
function applySwap(book: Book, leg: SwapLeg): void {
  const sold = take(book.wallet, leg.assetIn, leg.amountIn);
  add(
    book.wallet,
    leg.assetOut,
    sold === leg.amountIn ? leg.expectedOut : mulDiv(leg.expectedOut, sold, leg.amountIn),
  );
}

function applyTransfer(book: Book, t: Transfer): void {
  const sent = take(book.wallet, t.assetFrom, t.amount);
  add(
    book.wallet,
    t.assetTo,
    sent === t.amount ? t.expectedReceived : mulDiv(t.expectedReceived, sent, t.amount),
  );
}

/**
 * Applies a plan to the account with the modelled costs: swaps yield the planner's `expectedOut` (fee and slippage
 * taken), transfers their `expectedReceived` (the route's fee and fixed cost taken); gas is paid outside the portfolio
 * (the native balance) and only reported. A bridged plan settles within the step, in the order its funds need: every
 * chain's exits first, then the swaps and entries of chains that receive nothing, then the transfers, then the swaps
 * and entries of the chains that receive. Returns what each leg cost, in that order.
 */
export function applyPlan(world: World, book: Book, plan: Plan, market: Market): LegCost[] {
  const costs: LegCost[] = [];
  const zero = { feesUsd: 0n, slippageUsd: 0n, bridgeUsd: 0n };
  const run = (legs: readonly Leg[]) => {
    for (const leg of legs) {
      if (leg.type === "swap") {
        applySwap(book, leg);
        const { chainId, step, usd, feeUsd, slippageUsd, gasUsd } = leg;
        costs.push({
          chainId,
          step,
          action: "swap",
          usd,
          feesUsd: feeUsd,
          slippageUsd,
          gasUsd,
          bridgeUsd: 0n,
        });
      } else {
        applySleeveLeg(world, book, leg, market);
        const { chainId, step, action, usd, gasUsd } = leg;
        costs.push({ chainId, step, action, usd, gasUsd, ...zero });
      }
    }
  };
  const isExit = (l: Leg) => l.type === "exit";
  for (const c of plan.chains) run(c.legs.filter(isExit));
  for (const c of plan.chains) if (!c.awaitsTransfers) run(c.legs.filter((l) => !isExit(l)));
  for (const t of plan.transfers) {
    applyTransfer(book, t);
    costs.push({
      chainId: t.fromChainId,
      step: 0,
      action: "transfer",
      usd: t.usd,
      ...zero,
      gasUsd: t.gasUsd,
      bridgeUsd: t.costUsd,
    });
  }
  for (const c of plan.chains) if (c.awaitsTransfers) run(c.legs.filter((l) => !isExit(l)));
  return costs;
}

/**
 * An account holding exactly the target at `navUsd`: each sleeve gets |target| × NAV at the market's prices (LP
 * sleeves as liquidity in their entry range, split as the position maths says). No cost is charged for it. With
 * `previous`, an LP sleeve keeps the range of its first position while that one holds the tick (the keeper's entry
 * range), so a reset does not re-center a position that is in range.
 */
export function openBook(world: World, market: Market, navUsd: bigint, previous?: Book): Book {
  const book = emptyBook();
  if (previous) book.nextTokenId = previous.nextTokenId;
  for (const slot of world.slots) {
    const value = mulDiv(navUsd, BigInt(Math.abs(slot.spec.weightBps)), BPS);
    const units = (id: AssetId, usd: bigint, rounding: "up" | "down" = "down") =>
      amountFor(usd, world.assets.get(id)?.decimals ?? 18, market.prices.get(id) as bigint, rounding);
    if (slot.pool) {
      const pool = market.pools.get(slot.pool.address.toLowerCase()) as PoolSnapshot;
      const address = slot.pool.address.toLowerCase();
      const kept = (previous?.lp ?? []).filter((p) => p.pool.toLowerCase() === address);
      const range = lpEntryRange(pool, kept, slot.pool.rangeBps);
      if (range.tokenId !== undefined) {
        const first = kept[0] as LpPosition;
        book.lp.push({ ...first, liquidity: 0n, tokensOwed0: 0n, tokensOwed1: 0n });
      }
      const { share0Wad } = lpValueShares({
        sqrtPriceX96: pool.sqrtPriceX96,
        tickLower: range.tickLower,
        tickUpper: range.tickUpper,
        prices: {
          token0: market.prices.get(slot.pool.token0.id) as bigint,
          token1: market.prices.get(slot.pool.token1.id) as bigint,
        },
        decimals: { token0: slot.pool.token0.decimals, token1: slot.pool.token1.decimals },
      });
      const v0 = mulDiv(value, share0Wad, WAD);
      const a0 = units(slot.pool.token0.id, v0);
      const a1 = units(slot.pool.token1.id, value - v0);
      add(book.wallet, slot.pool.token0.id, a0);
      add(book.wallet, slot.pool.token1.id, a1);
      enterLp(world, book, slot, market, a0, a1);
      continue;
    }
    const id = (slot.asset as NonNullable<SleeveSlot["asset"]>).id;
    if (slot.kind === "token") add(book.wallet, id, units(id, value));
    else if (slot.kind === "supply") add(book.supply, id, units(id, value));
    else add(book.debt, id, units(id, value, "up"));
  }
  return book;
}

/** Interest and LP fees over `seconds` at the rates (positions earn only while the pool's tick is in their range). */
export function accrue(book: Book, seconds: number, rates: MarketRates): void {
  const per = BPS * YEAR_SECONDS;
  const dt = BigInt(seconds);
  for (const [a, v] of book.supply) book.supply.set(a, v + mulDiv(v, BigInt(rates.supplyAprBps) * dt, per));
  for (const [a, v] of book.debt) book.debt.set(a, v + mulDiv(v, BigInt(rates.borrowAprBps) * dt, per, "up"));
  if (rates.lpFeeAprBps === 0) return;
  book.lp = book.lp.map((p) => {
    if (p.liquidity === 0n || !isInRange(p)) return p;
    const principal = getPositionPrincipal({
      sqrtPriceX96: p.poolState.sqrtPriceX96,
      tick: p.poolState.tick,
      tickLower: p.tickLower,
      tickUpper: p.tickUpper,
      liquidity: p.liquidity,
    });
    const fee = BigInt(rates.lpFeeAprBps) * dt;
    return {
      ...p,
      tokensOwed0: p.tokensOwed0 + mulDiv(principal.amount0, fee, per),
      tokensOwed1: p.tokensOwed1 + mulDiv(principal.amount1, fee, per),
    };
  });
}

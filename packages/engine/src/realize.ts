import { findRpcRequestError, type Guards, type RpcRequestError, type TokenPrice } from "@ballast/chain";
import {
  type Address,
  type Asset,
  type AssetId,
  assetId,
  BallastError,
  type BridgeQuote,
  type Call,
  type ChainPlan,
  type EncodeContext,
  type FloorGuard,
  type Leg,
  LegEncodeError,
  type LegEncoding,
  min,
  mulDiv,
  type Plan,
  type Policy,
  type PortfolioState,
  type Protocol,
  type SleeveLeg,
  type SwapLeg,
  type SwapQuote,
  type SwapRequest,
  type Transfer,
  usdValue,
} from "@ballast/core";
import { isAddressEqual } from "viem";
import {
  asBallastError,
  formatTokenAmount,
  LegRealizationError,
  NoSwapVenueError,
  type TokenLabel,
  type VenueAttempt,
} from "./errors.ts";
import { protocolChain } from "./fetch.ts";
import type { SleeveSlot } from "./policy.ts";
import type { ChainError, ChainFetch, ChainSetup, RealizedLeg, SwapOrder } from "./types.ts";

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
  /** The bridge deposits at the end of the batch (journal each before sending). */
  readonly bridges: readonly BridgeQuote[];
  /** Swaps placed as orders after the batch lands (the batch carries their approvals). */
  readonly orders: readonly SwapOrder[];
  /** Post-conditions for the simulation (and the send). */
  readonly guards: Guards;
  readonly warnings: readonly string[];
};

/** Inputs of {@link realizeChainPlan}. */
export type RealizeChainPlanParameters = {
  readonly setup: ChainSetup;
  readonly fetch: ChainFetch;
  readonly chainPlan: ChainPlan;
  readonly state: PortfolioState;
  readonly policy: Policy;
  /** The resolved sleeves (what each leg's sleeve names). */
  readonly slots: readonly SleeveSlot[];
  /** The plan's value-loss limit (USD wad), before the adjustment for value moved into or out of unpriced positions. */
  readonly maxValueLossUsd: bigint;
  /** Unix seconds; default the chain's snapshot timestamp + {@link DEFAULT_DEADLINE_SECONDS}. */
  readonly deadline?: bigint | undefined;
  /** The plan's transfers out of this chain: their deposits end the batch, through `setup.bridge`. */
  readonly transfers?: readonly Transfer[];
};

/**
 * The running account of one chain's batch, passed from phase to phase and leg to leg: what later legs may spend, the
 * lower bound of each balance change (the guards), the protocols' projected states and what was realized.
 */
type Ledger = {
  /** Guaranteed amount available to later legs, per asset. */
  readonly funds: Map<AssetId, bigint>;
  /** Lower bound of the account's balance change over the batch, per asset. */
  readonly min: Map<AssetId, bigint>;
  readonly touched: Set<AssetId>;
  /** Each protocol's state as projected past the legs so far, by name. */
  readonly states: Map<string, unknown>;
  /** What the swaps are quoted to return above their encoded minOut, per asset (entries may use it, see {@link cushion}). */
  readonly surplus: Map<AssetId, bigint>;
  /** What `sell` exits release from the wallet's own balance, per asset (already counted in `funds`). */
  readonly sold: Map<AssetId, bigint>;
  readonly realized: RealizedLeg[];
  readonly quotes: SwapQuote[];
  readonly bridges: BridgeQuote[];
  readonly orders: SwapOrder[];
  readonly warnings: string[];
  /** USD moved into (+) or out of (−) positions the value-loss guard cannot price. */
  unpricedUsd: bigint;
  /** The floors the legs' protocols contributed (a lending market's health factor), by kind and contract. */
  readonly floors: Map<string, FloorGuard>;
};

/** What every phase reads: the chain, its read, the valuation and the policy's limits. */
type Run = {
  readonly setup: ChainSetup;
  readonly fetch: ChainFetch;
  readonly state: PortfolioState;
  readonly slots: readonly SleeveSlot[];
  readonly slippageBps: number;
  readonly healthFactorFloorWad: bigint | undefined;
  readonly deadline: bigint;
};

const add = (m: Map<AssetId, bigint>, a: AssetId, x: bigint) => m.set(a, (m.get(a) ?? 0n) + x);

/**
 * Turns one chain's legs into calls, in leg order (exits → swaps → entries), and the guards its simulation checks:
 * 1. exits ({@link encodeExits}, pure): each leg by the protocol it names (`sell` needs no call);
 * 2. swaps ({@link quoteSwaps}, async): inputs capped at what is guaranteed, quoted through the chain's venues in order
 *    with `minAmountOut` = the leg's minOut; the first quote that meets it is used. None → {@link NoSwapVenueError};
 * 3. entries ({@link encodeEntries}, pure), against the protocols' states as the swaps leave them (`afterSwaps`: pool
 *    prices): every consumer of an asset scaled by available / needed when short;
 *    `buy-hold` needs no call;
 * 4. bridge deposits ({@link bridgeOut}, async): each transfer out of the chain, capped at what is guaranteed,
 *    quoted by the chain's bridge with the plan's expected arrival less the slippage limit as the minimum.
 * Funding: exits give their expected amounts, swaps their encoded `minAmountOut`, and entries may also spend a swap's
 * quoted output above it as far as the wallet's own balance covers a swap that pays only its minOut ({@link cushion});
 * the rest stays idle, reported. Throws {@link NoSwapVenueError} or {@link LegRealizationError}.
 */
export async function realizeChainPlan(params: RealizeChainPlanParameters): Promise<RealizedChain> {
  const { setup, fetch, chainPlan, policy } = params;
  const run: Run = {
    setup,
    fetch,
    state: params.state,
    slots: params.slots,
    slippageBps: policy.maxSlippageBps,
    healthFactorFloorWad: policy.healthFactor?.floorWad,
    deadline: params.deadline ?? fetch.snapshot.timestamp + BigInt(DEFAULT_DEADLINE_SECONDS),
  };
  const ledger: Ledger = {
    funds: new Map(),
    min: new Map(),
    touched: new Set(),
    surplus: new Map(),
    sold: new Map(),
    states: new Map(Object.entries(fetch.reads).map(([name, read]) => [name, read.state])),
    realized: [],
    quotes: [],
    bridges: [],
    orders: [],
    warnings: [],
    unpricedUsd: 0n,
    floors: new Map(),
  };
  const legs = chainPlan.legs;
  encodeExits(
    run,
    ledger,
    legs.filter((l): l is SleeveLeg => l.type === "exit"),
  );
  await quoteSwaps(
    run,
    ledger,
    legs.filter((l): l is SwapLeg => l.type === "swap"),
  );
  for (const p of setup.protocols)
    if (p.afterSwaps && ledger.states.has(p.name))
      ledger.states.set(p.name, p.afterSwaps(ledger.states.get(p.name), ledger.quotes));
  encodeEntries(
    run,
    ledger,
    awaitingOrders(
      ledger,
      legs.filter((l): l is SleeveLeg => l.type === "entry"),
    ),
  );
  await bridgeOut(run, ledger, params.transfers ?? [], legs.length);
  const guards = batchGuards({
    setup,
    fetch,
    state: params.state,
    delta: ledger.min,
    touched: ledger.touched,
    maxValueLossUsd: params.maxValueLossUsd + ledger.unpricedUsd,
    floors: [...ledger.floors.values()],
  });
  const calls = ledger.realized.flatMap((r) => r.calls);
  return {
    chainId: setup.chainId,
    key: setup.key,
    calls,
    legs,
    realized: ledger.realized,
    quotes: ledger.quotes,
    bridges: ledger.bridges,
    orders: ledger.orders,
    guards,
    warnings: ledger.warnings,
  };
}

const failure = (run: Run, leg: Leg, reason: string, cause?: unknown) =>
  new LegRealizationError(
    run.setup.key,
    run.setup.chainId,
    leg.step,
    leg.type === "swap" ? "swap" : leg.action,
    reason,
    cause,
  );

/** Asks the protocol the leg names to encode it; its refusal becomes a {@link LegRealizationError} of the step. */
function encodeLeg(
  run: Run,
  ledger: Ledger,
  leg: SleeveLeg,
  funded: ReadonlyMap<AssetId, bigint>,
  spare: (asset: AssetId) => bigint,
): LegEncoding<unknown> {
  const protocol: Protocol | undefined = run.setup.protocols.find((p) => p.name === leg.protocol);
  if (!protocol) throw failure(run, leg, `chain "${run.setup.key}" has no ${leg.protocol} configured`);
  const ctx: EncodeContext<unknown> = {
    chain: protocolChain(run.setup),
    state: ledger.states.get(protocol.name),
    target: run.slots.find((s) => s.spec.id === leg.sleeveId),
    assets: run.state.snapshot.assets,
    prices: run.state.prices,
    slippageBps: run.slippageBps,
    healthFactorFloorWad: run.healthFactorFloorWad,
    deadline: run.deadline,
    funded,
    spare,
  };
  try {
    return protocol.encode(leg, ctx);
  } catch (err) {
    if (err instanceof LegEncodeError) throw failure(run, leg, err.reason, err.cause);
    throw failure(run, leg, `${protocol.name} refused the leg`, err);
  }
}

/** Records an encoded leg: its effects on the ledger, the protocol's projected state, and the realized leg. */
function record(ledger: Ledger, leg: SleeveLeg, enc: LegEncoding<unknown>, note?: string): void {
  if (enc.skipped !== undefined) {
    ledger.warnings.push(`step ${leg.step}: ${enc.skipped}`);
    ledger.realized.push({
      step: leg.step,
      action: leg.action,
      sleeveId: leg.sleeveId,
      calls: [],
      flows: [],
      note: "skipped",
    });
    return;
  }
  for (const e of enc.effects) {
    ledger.touched.add(e.asset);
    add(ledger.min, e.asset, e.min);
    add(ledger.funds, e.asset, e.funds);
  }
  if (enc.state !== undefined) ledger.states.set(leg.protocol, enc.state);
  ledger.unpricedUsd += enc.unpricedUsd ?? 0n;
  for (const f of enc.floors ?? []) ledger.floors.set(`${f.kind}:${f.read.address.toLowerCase()}`, f);
  const notes = [note, enc.note].filter((n): n is string => n !== undefined);
  ledger.realized.push({
    step: leg.step,
    action: enc.action ?? leg.action,
    sleeveId: leg.sleeveId,
    calls: enc.calls,
    flows: enc.flows,
    ...(notes.length > 0 ? { note: notes.join("; ") } : {}),
  });
}

const noCall = (ledger: Ledger, leg: SleeveLeg) =>
  ledger.realized.push({ step: leg.step, action: leg.action, sleeveId: leg.sleeveId, calls: [], flows: [] });

/** Exits (pure): `sell` releases idle funds without a call; every other exit is its protocol's to encode. */
function encodeExits(run: Run, ledger: Ledger, exits: readonly SleeveLeg[]): void {
  const none = new Map<AssetId, bigint>();
  for (const leg of exits) {
    if (!leg.needsCall) {
      for (const a of leg.amounts) {
        add(ledger.funds, a.asset, a.amount);
        add(ledger.sold, a.asset, a.amount);
      }
      noCall(ledger, leg);
      continue;
    }
    record(
      ledger,
      leg,
      encodeLeg(run, ledger, leg, none, () => 0n),
    );
  }
}

/** Swaps (async): each input capped at what is guaranteed (proportionally per asset), quoted through the venues. */
async function quoteSwaps(run: Run, ledger: Ledger, swaps: readonly SwapLeg[]): Promise<void> {
  const { setup } = run;
  const need = new Map<AssetId, bigint>();
  for (const s of swaps) add(need, s.assetIn, s.amountIn);
  const have = new Map(
    [...need.keys()].map((a) => [a, (ledger.funds.get(a) ?? 0n) > 0n ? (ledger.funds.get(a) as bigint) : 0n]),
  );
  for (const leg of swaps) {
    const n = need.get(leg.assetIn) ?? 0n;
    const h = have.get(leg.assetIn) ?? 0n;
    const amountIn = n <= h ? leg.amountIn : mulDiv(leg.amountIn, h, n);
    const tokenIn = tokenOf(run, leg, leg.assetIn);
    const tokenOut = tokenOf(run, leg, leg.assetOut);
    if (amountIn <= 0n) {
      ledger.warnings.push(
        `step ${leg.step}: swap skipped, nothing of ${tokenIn.symbol} is guaranteed to be there`,
      );
      ledger.realized.push({
        step: leg.step,
        action: "swap",
        calls: [],
        flows: [],
        note: "skipped: no funds",
      });
      continue;
    }
    const minOut = amountIn === leg.amountIn ? leg.minOut : mulDiv(leg.minOut, amountIn, leg.amountIn, "up");
    const request: SwapRequest = {
      chainId: setup.chainId,
      tokenIn: tokenIn.address,
      tokenOut: tokenOut.address,
      amountIn,
      account: setup.account,
      minAmountOut: minOut,
      deadline: run.deadline,
      slippageBps: run.slippageBps,
    };
    if (asOrder(run, ledger, leg, request)) continue;
    const quote = await quoteSwap(setup, leg.step, request, { in: tokenIn, out: tokenOut });
    ledger.quotes.push(quote);
    for (const [asset, x] of [
      [leg.assetIn, -amountIn],
      [leg.assetOut, quote.minAmountOut],
    ] as const) {
      ledger.touched.add(asset);
      add(ledger.min, asset, x);
      add(ledger.funds, asset, x);
    }
    if (quote.amountOut > quote.minAmountOut)
      add(ledger.surplus, leg.assetOut, quote.amountOut - quote.minAmountOut);
    ledger.realized.push({
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
}

/**
 * A swap worth more than the chain's order route's threshold becomes an order (1inch Fusion): the batch carries only
 * the route's exact approval, the input stays in the account until the order is filled (it is not available to later
 * legs), and its output arrives after the batch — entries that need it wait ({@link awaitingOrders}). False when the
 * swap stays atomic.
 */
function asOrder(run: Run, ledger: Ledger, leg: SwapLeg, request: SwapRequest): boolean {
  const route = run.setup.orders;
  const price = run.state.prices.get(leg.assetIn);
  const tokenIn = run.state.snapshot.assets.get(leg.assetIn);
  if (!route || price === undefined || !tokenIn) return false;
  const usd = usdValue(request.amountIn, tokenIn.decimals, price);
  if (usd <= route.aboveUsd) return false;
  ledger.orders.push({
    route: route.name,
    label: route.label,
    chainId: run.setup.chainId,
    step: leg.step,
    tokenIn: request.tokenIn,
    tokenOut: request.tokenOut,
    amountIn: request.amountIn,
    minAmountOut: request.minAmountOut,
    usd,
  });
  ledger.touched.add(leg.assetIn);
  add(ledger.min, leg.assetIn, -request.amountIn);
  add(ledger.funds, leg.assetIn, -request.amountIn);
  ledger.realized.push({
    step: leg.step,
    action: "swap",
    calls: [...route.approval(request.tokenIn, request.amountIn)],
    flows: [],
    note: `${route.name} order after the batch: at least ${request.minAmountOut} out`,
  });
  return true;
}

/** The entries that can run now: those needing an order's output wait for a later cycle (it arrives after the batch). */
function awaitingOrders(ledger: Ledger, entries: readonly SleeveLeg[]): SleeveLeg[] {
  const arriving = new Set(ledger.orders.map((o) => assetId(o.chainId, o.tokenOut)));
  if (arriving.size === 0) return [...entries];
  return entries.filter((leg) => {
    const waits = leg.amounts.some((a) => arriving.has(a.asset));
    if (!waits) return true;
    ledger.warnings.push(`step ${leg.step}: waits for an order's output (a later cycle)`);
    ledger.realized.push({
      step: leg.step,
      action: leg.action,
      sleeveId: leg.sleeveId,
      calls: [],
      flows: [],
      note: "waits for an order",
    });
    return false;
  });
}

function tokenOf(run: Run, leg: Leg, id: AssetId): Asset {
  const a = run.state.snapshot.assets.get(id);
  if (!a) throw failure(run, leg, `asset ${id} is not registered`);
  return a;
}

/**
 * What entries may spend of `asset` beyond the guaranteed funds: the swaps' quoted output above their minOut, as far as
 * the wallet's own balance (less what `sell` exits already release) covers it. An entry sized so never fails when a
 * swap returns only its minOut: the shortfall is paid from that balance, and the batch still lands.
 */
function cushion(ledger: Ledger, wallet: ReadonlyMap<AssetId, bigint>, asset: AssetId): bigint {
  const free = (wallet.get(asset) ?? 0n) - (ledger.sold.get(asset) ?? 0n);
  return free <= 0n ? 0n : min(free, ledger.surplus.get(asset) ?? 0n);
}

/**
 * Entries (pure): what each entry may spend is its amounts, every consumer of an asset scaled by available / needed
 * when short, where available = the guaranteed funds + the {@link cushion}; a protocol also learns the account's
 * worst-case balance at its step less what later entries spend (a "repay everything" needs its whole allowance there).
 * A swap surplus no balance covers is reported: it stays idle, outside the sleeves, when the swap pays its quote.
 */
function encodeEntries(run: Run, ledger: Ledger, entries: readonly SleeveLeg[]): void {
  const wallet = new Map<AssetId, bigint>();
  for (const h of run.fetch.snapshot.holdings)
    if (h.protocol === "wallet") for (const e of h.exposures) add(wallet, e.asset, e.amount);
  const need = new Map<AssetId, bigint>();
  for (const e of entries) if (e.needsCall) for (const a of e.amounts) add(need, a.asset, a.amount);
  const available = new Map<AssetId, bigint>();
  for (const [id, n] of need) {
    const funds = ledger.funds.get(id) ?? 0n;
    const extra = cushion(ledger, wallet, id);
    available.set(id, funds + extra);
    const idle = min(n - funds - extra, (ledger.surplus.get(id) ?? 0n) - extra);
    if (idle > 0n) {
      const a = run.state.snapshot.assets.get(id);
      ledger.warnings.push(
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
  const later = (from: number, id: AssetId): bigint =>
    funded.slice(from).reduce((s, f) => s + (f.get(id) ?? 0n), 0n);
  entries.forEach((leg, k) => {
    if (!leg.needsCall) {
      noCall(ledger, leg);
      return;
    }
    const got = funded[k] as Map<AssetId, bigint>;
    const trimmed = leg.amounts.some((a) => (got.get(a.asset) ?? a.amount) < a.amount);
    const spare = (id: AssetId) => (wallet.get(id) ?? 0n) + (ledger.min.get(id) ?? 0n) - later(k + 1, id);
    const enc = encodeLeg(run, ledger, leg, got, spare);
    record(ledger, leg, enc, trimmed ? "scaled to the available funds (swap minOut / LP mins)" : undefined);
  });
}

/**
 * Bridge deposits (async), last in the batch: each transfer's amount capped at what the legs before guarantee,
 * quoted by the chain's bridge (which refuses a quote it does not trust) with `minAmountOut` = the plan's expected
 * arrival, scaled to the amount, less the slippage limit. What leaves for the destination raises the value-loss
 * limit by what arrives there, so the guard counts only the bridge's fee as lost.
 */
async function bridgeOut(
  run: Run,
  ledger: Ledger,
  transfers: readonly Transfer[],
  steps: number,
): Promise<void> {
  for (const [i, t] of transfers.entries()) {
    const step = steps + i + 1;
    const fail = (reason: string, cause?: unknown) =>
      new LegRealizationError(run.setup.key, run.setup.chainId, step, "bridge", reason, cause);
    const bridge = run.setup.bridge;
    if (!bridge) throw fail(`chain "${run.setup.key}" has no bridge configured`);
    const tokenIn = run.state.snapshot.assets.get(t.assetFrom);
    const tokenOut = run.state.snapshot.assets.get(t.assetTo);
    const priceOut = run.state.prices.get(t.assetTo);
    if (!tokenIn || !tokenOut || priceOut === undefined)
      throw fail(`asset ${t.assetFrom} or ${t.assetTo} unknown`);
    const have = ledger.funds.get(t.assetFrom) ?? 0n;
    const amountIn = t.amount <= have ? t.amount : have > 0n ? have : 0n;
    if (amountIn <= 0n) {
      ledger.warnings.push(
        `step ${step}: transfer skipped, nothing of ${tokenIn.symbol} is guaranteed to be there`,
      );
      ledger.realized.push({ step, action: "bridge", calls: [], flows: [], note: "skipped: no funds" });
      continue;
    }
    const expected =
      amountIn === t.amount ? t.expectedReceived : mulDiv(t.expectedReceived, amountIn, t.amount);
    const minAmountOut = mulDiv(expected, BigInt(10_000 - run.slippageBps), 10_000n, "up");
    let quote: BridgeQuote;
    try {
      quote = await bridge.quote({
        fromChainId: t.fromChainId,
        toChainId: t.toChainId,
        tokenIn: tokenIn.address,
        tokenOut: tokenOut.address,
        decimalsIn: tokenIn.decimals,
        decimalsOut: tokenOut.decimals,
        amountIn,
        minAmountOut,
        account: run.setup.account,
        now: Number(run.fetch.snapshot.timestamp),
      });
    } catch (err) {
      throw fail(`${bridge.name} refused the transfer to chain ${t.toChainId}`, err);
    }
    if (
      quote.amountIn !== amountIn ||
      quote.amountOut < minAmountOut ||
      !isAddressEqual(quote.tokenIn, tokenIn.address) ||
      !isAddressEqual(quote.tokenOut, tokenOut.address) ||
      quote.toChainId !== t.toChainId ||
      quote.calls.length === 0
    )
      throw fail(`${bridge.name} quoted another transfer than the one asked`);
    ledger.touched.add(t.assetFrom);
    add(ledger.min, t.assetFrom, -amountIn);
    add(ledger.funds, t.assetFrom, -amountIn);
    ledger.unpricedUsd += usdValue(quote.amountOut, tokenOut.decimals, priceOut);
    ledger.bridges.push(quote);
    ledger.realized.push({
      step,
      action: "bridge",
      calls: quote.calls,
      flows: [{ token: tokenIn.address, amount: -amountIn }],
      note: `${bridge.name} to chain ${t.toChainId}: ${quote.amountOut} ${tokenOut.symbol} expected, fee ${quote.feeIn}`,
    });
  }
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
  /** Largest acceptable loss over the priced tokens (value put into unpriced positions added, taken out subtracted). */
  readonly maxValueLossUsd: bigint;
  /** The floors the legs contributed (a lending market's health factor, when a leg moves it and the policy has one). */
  readonly floors?: readonly FloorGuard[];
};

/**
 * The simulation's post-conditions for a chain batch:
 * - a balance-delta guard per touched token: the change must be ≥ guaranteed inflows (swap minOuts, exits; LP
 *   decrease mins + fees) − largest outflows (approved amounts);
 * - the value loss over wallet tokens and the tokens the protocols price with them (aTokens at their underlying's
 *   price, variable debt tokens at minus it), with the limit raised by what enters unpriced positions (LP) and lowered
 *   by what leaves them;
 * - the floors the legs' protocols contributed: a lending market's health factor after the batch ≥ the policy's floor,
 *   when the batch moves it and the policy has one.
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
    for (const protocol of setup.protocols) {
      const read = fetch.reads[protocol.name];
      if (read && protocol.guardTokens) prices.push(...protocol.guardTokens(read.state, a, p));
    }
  }
  return {
    balanceDeltas,
    prices,
    maxValueLossUsd: params.maxValueLossUsd,
    ...(params.floors?.length ? { floors: params.floors } : {}),
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
 * Realizes every chain of a plan (in parallel; one chain's failure does not stop the others). A chain that receives a
 * transfer gets no batch this cycle: its legs need what is on its way, and run in a later cycle once it has arrived
 * (two-cycle settlement; a chain that both sends and receives waits too). A sending chain's batch ends with its
 * deposits. Chains whose legs need no call and that send nothing get no batch.
 */
export async function realizePlan(
  params: RealizePlanParameters,
): Promise<{ realized: RealizedChain[]; errors: ChainError[]; warnings: string[] }> {
  const warnings: string[] = [];
  const receiving = new Set(params.plan.transfers.map((t) => t.toChainId));
  const jobs = params.plan.chains.map(async (chainPlan) => {
    const c = params.chains.find((x) => x.setup.chainId === chainPlan.chainId);
    if (!c) return undefined;
    if (receiving.has(chainPlan.chainId) || chainPlan.awaitsTransfers) {
      warnings.push(
        `chain "${c.setup.key}" (${chainPlan.chainId}) awaits a cross-chain transfer: its ${chainPlan.legs.length} legs run in a later cycle, once it has arrived`,
      );
      return undefined;
    }
    const transfers = params.plan.transfers.filter((t) => t.fromChainId === chainPlan.chainId);
    if (transfers.length === 0 && !chainPlan.legs.some((l) => l.type === "swap" || l.needsCall))
      return undefined;
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
          transfers,
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

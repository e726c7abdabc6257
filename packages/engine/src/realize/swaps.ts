import { findRpcRequestError, type RpcRequestError } from "@ballast/chain";
import {
  type AssetId,
  BallastError,
  mulDiv,
  type SwapLeg,
  type SwapQuote,
  type SwapRequest,
} from "@ballast/core";
import { isAddressEqual } from "viem";
import { formatTokenAmount, NoSwapVenueError, type TokenLabel, type VenueAttempt } from "../errors.ts";
import type { ChainSetup } from "../types.ts";
import { type Batch, type LegOutcome, type Run, tokenOf, withOutcome } from "./batch.ts";
import { orderOf } from "./orders.ts";

/**
 * Swaps (async): each input capped at what is guaranteed before the swaps (proportionally per asset), then placed as an
 * order ({@link orderOf}) or quoted through the chain's venues ({@link quoteSwap}) with `minAmountOut` = the leg's
 * minOut, scaled with the input. The batch it returns holds the protocols' states as the swaps leave them (a DEX's
 * pool prices: `Protocol.afterSwaps`), which entries are sized against.
 */
export async function realizeSwaps(run: Run, batch: Batch, swaps: readonly SwapLeg[]): Promise<Batch> {
  const amountIn = swapInputs(batch, swaps);
  let b = batch;
  for (const [i, leg] of swaps.entries()) b = withOutcome(b, await swapOutcome(run, leg, amountIn[i] ?? 0n));
  const states = new Map(b.states);
  for (const p of run.setup.protocols)
    if (p.afterSwaps && states.has(p.name)) states.set(p.name, p.afterSwaps(states.get(p.name), b.quotes));
  return { ...b, states };
}

/** Each swap's input: its amount, or its share of the guaranteed funds when the swaps of that asset need more. */
function swapInputs(batch: Batch, swaps: readonly SwapLeg[]): bigint[] {
  const need = new Map<AssetId, bigint>();
  for (const s of swaps) need.set(s.assetIn, (need.get(s.assetIn) ?? 0n) + s.amountIn);
  return swaps.map((leg) => {
    const n = need.get(leg.assetIn) ?? 0n;
    const funds = batch.funds.get(leg.assetIn) ?? 0n;
    const h = funds > 0n ? funds : 0n;
    return n <= h ? leg.amountIn : mulDiv(leg.amountIn, h, n);
  });
}

async function swapOutcome(run: Run, leg: SwapLeg, amountIn: bigint): Promise<LegOutcome> {
  const { setup } = run;
  const tokenIn = tokenOf(run, leg, leg.assetIn);
  const tokenOut = tokenOf(run, leg, leg.assetOut);
  if (amountIn <= 0n)
    return {
      warnings: [`step ${leg.step}: swap skipped, nothing of ${tokenIn.symbol} is guaranteed to be there`],
      realized: { step: leg.step, action: "swap", calls: [], flows: [], note: "skipped: no funds" },
    };
  const request: SwapRequest = {
    chainId: setup.chainId,
    tokenIn: tokenIn.address,
    tokenOut: tokenOut.address,
    amountIn,
    account: setup.account,
    minAmountOut: amountIn === leg.amountIn ? leg.minOut : mulDiv(leg.minOut, amountIn, leg.amountIn, "up"),
    deadline: run.deadline,
    slippageBps: run.slippageBps,
  };
  const order = orderOf(run, leg, request);
  if (order) return order;
  const quote = await quoteSwap(setup, leg.step, request, { in: tokenIn, out: tokenOut });
  const { minAmountOut } = quote;
  return {
    quote,
    effects: [
      { asset: leg.assetIn, min: -amountIn, funds: -amountIn },
      { asset: leg.assetOut, min: minAmountOut, funds: minAmountOut },
    ],
    ...(quote.amountOut > minAmountOut
      ? { surplus: { asset: leg.assetOut, amount: quote.amountOut - minAmountOut } }
      : {}),
    realized: {
      step: leg.step,
      action: "swap",
      calls: quote.calls,
      flows: [
        { token: tokenIn.address, amount: -amountIn },
        { token: tokenOut.address, amount: minAmountOut },
      ],
      ...(amountIn < leg.amountIn ? { note: `amountIn scaled to the guaranteed ${amountIn}` } : {}),
    },
  };
}

/** Quotes a swap through the chain's venues in preference order; the first valid quote that meets minOut wins. */
export async function quoteSwap(
  setup: ChainSetup,
  step: number,
  request: SwapRequest,
  labels: { readonly in?: TokenLabel; readonly out?: TokenLabel } = {},
): Promise<SwapQuote> {
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
    const problem = quoteProblem(q, request, labels.out);
    if (!problem) return q;
    attempts.push({ venue: venue.name, error: problem });
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

/** Why a venue's quote does not answer the request, or undefined when it does. */
function quoteProblem(q: SwapQuote, request: SwapRequest, label: TokenLabel | undefined): string | undefined {
  const out = (amount: bigint) => formatTokenAmount(amount, request.tokenOut, label);
  if (q.chainId !== request.chainId) return `quoted chain ${q.chainId}`;
  if (!isAddressEqual(q.tokenIn, request.tokenIn) || !isAddressEqual(q.tokenOut, request.tokenOut))
    return "quoted other tokens";
  if (q.amountIn !== request.amountIn) return `quoted amountIn ${q.amountIn}`;
  if (q.minAmountOut < request.minAmountOut || q.amountOut < request.minAmountOut)
    return `quote ${out(q.amountOut)} (guard ${out(q.minAmountOut)}) below minOut ${out(request.minAmountOut)}`;
  if (q.calls.length === 0) return "no calls";
  return undefined;
}

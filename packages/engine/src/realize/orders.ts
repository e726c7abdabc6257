import { assetId, type SleeveLeg, type SwapLeg, type SwapRequest, usdValue } from "@ballast/core";
import { type Batch, type LegOutcome, type Run, withOutcome } from "./batch.ts";
import { noCall } from "./encode.ts";

/**
 * A swap worth more than the chain's order route's threshold as an order (signed, and settled after the batch by
 * someone else): the batch carries only the route's exact approval, the input stays in the account until the order is
 * filled (it is not available to later legs), and its output arrives after the batch — entries that need it wait
 * ({@link awaitingOrders}). Undefined when the swap stays atomic.
 */
export function orderOf(run: Run, leg: SwapLeg, request: SwapRequest): LegOutcome | undefined {
  const route = run.setup.orders;
  const price = run.state.prices.get(leg.assetIn);
  const tokenIn = run.state.snapshot.assets.get(leg.assetIn);
  if (!route || price === undefined || !tokenIn) return undefined;
  const usd = usdValue(request.amountIn, tokenIn.decimals, price);
  if (usd <= route.aboveUsd) return undefined;
  const { amountIn, minAmountOut } = request;
  return {
    order: {
      route: route.name,
      label: route.label,
      chainId: run.setup.chainId,
      step: leg.step,
      tokenIn: request.tokenIn,
      tokenOut: request.tokenOut,
      amountIn,
      minAmountOut,
      usd,
    },
    effects: [{ asset: leg.assetIn, min: -amountIn, funds: -amountIn }],
    realized: {
      step: leg.step,
      action: "swap",
      calls: [...route.approval(request.tokenIn, amountIn)],
      flows: [],
      note: `${route.name} order after the batch: at least ${minAmountOut} out`,
    },
  };
}

/**
 * The entries that can run now, and the batch noting those that wait for a later cycle: an entry needing an order's
 * output waits for it (it arrives after the batch).
 */
export function awaitingOrders(
  batch: Batch,
  entries: readonly SleeveLeg[],
): { readonly batch: Batch; readonly ready: readonly SleeveLeg[] } {
  const arriving = new Set(batch.orders.map((o) => assetId(o.chainId, o.tokenOut)));
  const waits = (leg: SleeveLeg) => leg.amounts.some((a) => arriving.has(a.asset));
  return {
    batch: entries.filter(waits).reduce(
      (b, leg) =>
        withOutcome(b, {
          ...noCall(leg, "waits for an order"),
          warnings: [`step ${leg.step}: waits for an order's output (a later cycle)`],
        }),
      batch,
    ),
    ready: entries.filter((leg) => !waits(leg)),
  };
}

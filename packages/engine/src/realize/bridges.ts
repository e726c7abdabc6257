import { type BridgeQuote, mulDiv, type Transfer, usdValue } from "@ballast/core";
import { isAddressEqual } from "viem";
import { LegRealizationError } from "../errors.ts";
import { type Batch, type LegOutcome, type Run, withOutcome } from "./batch.ts";

/**
 * Bridge deposits (async), last in the batch, numbered after its `steps` legs: each transfer's amount capped at what
 * the legs before guarantee, quoted by the chain's bridge (which refuses a quote it does not trust) with
 * `minAmountOut` = the plan's expected arrival, scaled to the amount, less the slippage limit. What leaves for the
 * destination raises the value-loss limit by what arrives there, so the guard counts only the bridge's fee as lost.
 */
export async function realizeBridges(
  run: Run,
  batch: Batch,
  transfers: readonly Transfer[],
  steps: number,
): Promise<Batch> {
  let b = batch;
  for (const [i, t] of transfers.entries()) b = withOutcome(b, await bridgeOutcome(run, b, t, steps + i + 1));
  return b;
}

async function bridgeOutcome(run: Run, batch: Batch, t: Transfer, step: number): Promise<LegOutcome> {
  const fail = (reason: string, cause?: unknown) =>
    new LegRealizationError(run.setup.key, run.setup.chainId, step, "bridge", reason, cause);
  const bridge = run.setup.bridge;
  if (!bridge) throw fail(`chain "${run.setup.key}" has no bridge configured`);
  const tokenIn = run.state.snapshot.assets.get(t.assetFrom);
  const tokenOut = run.state.snapshot.assets.get(t.assetTo);
  const priceOut = run.state.prices.get(t.assetTo);
  if (!tokenIn || !tokenOut || priceOut === undefined)
    throw fail(`asset ${t.assetFrom} or ${t.assetTo} unknown`);
  const have = batch.funds.get(t.assetFrom) ?? 0n;
  const amountIn = t.amount <= have ? t.amount : have > 0n ? have : 0n;
  if (amountIn <= 0n)
    return {
      warnings: [`step ${step}: transfer skipped, nothing of ${tokenIn.symbol} is guaranteed to be there`],
      realized: { step, action: "bridge", calls: [], flows: [], note: "skipped: no funds" },
    };
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
  return {
    bridge: quote,
    effects: [{ asset: t.assetFrom, min: -amountIn, funds: -amountIn }],
    unpricedUsd: usdValue(quote.amountOut, tokenOut.decimals, priceOut),
    realized: {
      step,
      action: "bridge",
      calls: quote.calls,
      flows: [{ token: tokenIn.address, amount: -amountIn }],
      note: `${bridge.name} to chain ${t.toChainId}: ${quote.amountOut} ${tokenOut.symbol} expected, fee ${quote.feeIn}`,
    },
  };
}

import type { Address, Call, SwapQuote, SwapRequest, SwapVenue } from "@ballast/core";
import { encodeFunctionData, erc20Abi, isAddressEqual } from "viem";
import { InsufficientOutputError, UnknownRouterError, UnsupportedSwapError } from "./errors.ts";
import type { OneInchClient } from "./http.ts";
import { DEFAULT_ROUTERS, type TrustedRouter } from "./routers.ts";
import { type ExtraQuery, getQuote, getSwap } from "./swap-api.ts";
import { verifySwap } from "./verify.ts";

/** 1inch's placeholder for the chain's native coin. */
export const NATIVE_TOKEN: Address = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE";

/** Options of the 1inch Swap API venue. */
export type OneInchVenueParameters = {
  readonly client: OneInchClient;
  /** Routers trusted per chain; an entry replaces the default for that chain. */
  readonly routers?: Readonly<Record<number, TrustedRouter>>;
  /** Also trust {@link DEFAULT_ROUTERS} (AggregationRouterV6) on chains without an entry. Default true. */
  readonly useDefaultRouters?: boolean;
  /** Accept calldata the decoder can only partly verify (unoswap: output token). Default false: refuse. */
  readonly allowPartiallyVerified?: boolean;
  /**
   * Fixed slippage in bps for `/swap`. When absent the venue first calls `/quote` and derives the slippage
   * that puts the calldata's `minReturn` at the request's `minAmountOut` (rounded toward a higher minimum).
   */
  readonly slippageBps?: number;
  /** Extra documented query parameters sent with `/quote` and `/swap` (e.g. `protocols`). */
  readonly extra?: ExtraQuery;
  /** Venue name in quotes. Default "1inch". */
  readonly name?: string;
};

/** Picks the router trusted on `chainId`: the explicit one, else the default, else throws {@link UnknownRouterError}. */
export function trustedRouterFor(
  chainId: number,
  routers: Readonly<Record<number, TrustedRouter>> = {},
  useDefaultRouters = true,
): TrustedRouter {
  const router = routers[chainId] ?? (useDefaultRouters ? DEFAULT_ROUTERS[chainId] : undefined);
  if (!router) throw new UnknownRouterError(chainId);
  return router;
}

/** The slippage (bps, rounded down) that turns `quoted` into at least `minAmountOut`; capped at the API's 50%. */
export function slippageFor(quoted: bigint, minAmountOut: bigint): number {
  if (quoted < minAmountOut) throw new InsufficientOutputError("quote.dstAmount", quoted, minAmountOut);
  if (quoted === 0n) return 0;
  const bps = ((quoted - minAmountOut) * 10_000n) / quoted;
  return Number(bps > 5_000n ? 5_000n : bps);
}

/** The exact-amount ERC-20 approval of `spender` (always first in a swap's calls). */
export function approveCall(token: Address, spender: Address, amount: bigint): Call {
  return {
    to: token,
    data: encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [spender, amount] }),
    value: 0n,
  };
}

/**
 * The 1inch Swap API as a core `SwapVenue`: quote → verified calldata → `[approve(router, amountIn), swap]`.
 * The spender is always the trusted router, never the API's word. `disableEstimate=true` is sent because the
 * approval is in the same batch, so the API's own simulation would fail; the batch is simulated by the caller.
 * 1inch calldata carries no deadline, so `request.deadline` is not encoded.
 */
export function oneInchVenue(params: OneInchVenueParameters): SwapVenue {
  const name = params.name ?? "1inch";
  return {
    name,
    async quote(request: SwapRequest): Promise<SwapQuote> {
      if (request.amountIn <= 0n) throw new UnsupportedSwapError("amountIn must be positive");
      if (isAddressEqual(request.tokenIn, NATIVE_TOKEN)) {
        throw new UnsupportedSwapError("native-coin input (wrap it first; the batch approves ERC-20s only)");
      }
      if (isAddressEqual(request.tokenIn, request.tokenOut)) {
        throw new UnsupportedSwapError("tokenIn equals tokenOut");
      }
      const router = trustedRouterFor(request.chainId, params.routers, params.useDefaultRouters);
      const common = {
        chainId: request.chainId,
        src: request.tokenIn,
        dst: request.tokenOut,
        amount: request.amountIn,
        ...(params.extra ? { extra: params.extra } : {}),
      };
      const slippageBps =
        params.slippageBps ??
        slippageFor((await getQuote(params.client, common)).dstAmount, request.minAmountOut);
      const response = await getSwap(params.client, {
        ...common,
        from: request.account,
        origin: request.account,
        slippageBps,
        disableEstimate: true,
        allowPartialFill: false,
        includeTokensInfo: true,
      });
      const verified = verifySwap({
        expected: request,
        response,
        router,
        ...(params.allowPartiallyVerified ? { allowPartiallyVerified: true } : {}),
      });
      return {
        venue: name,
        chainId: request.chainId,
        tokenIn: request.tokenIn,
        tokenOut: request.tokenOut,
        amountIn: request.amountIn,
        amountOut: verified.amountOut,
        minAmountOut: verified.minAmountOut,
        spender: router.address,
        calls: [approveCall(request.tokenIn, router.address, request.amountIn), verified.call],
        route: `1inch ${verified.decoded.method}${response.srcToken && response.dstToken ? ` ${response.srcToken.symbol} -> ${response.dstToken.symbol}` : ""}`,
        ...(verified.gas !== undefined ? { gas: verified.gas } : {}),
      };
    },
  };
}

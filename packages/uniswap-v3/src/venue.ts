import { aggregateReads, MULTICALL3_ADDRESS, multicall3Abi } from "@ballast/chain";
import {
  type Address,
  BPS,
  type Call,
  type ContractRead,
  max,
  mulDiv,
  type SwapQuote,
  type SwapRequest,
  type SwapVenue,
} from "@ballast/core";
import { type Abi, type Chain, type Client, encodeFunctionData, isAddressEqual, type Transport } from "viem";
import { quoterV2Abi, swapRouterAbi } from "./abi.ts";
import { DEFAULT_FEE_TIERS } from "./constants.ts";
import { approveCall, assertSlippage } from "./encode.ts";
import { InsufficientOutputError, NoRouteError, UniswapReadError, UnsupportedSwapError } from "./errors.ts";
import { describePath, encodePath, type SwapPath } from "./path.ts";

/** The best path QuoterV2 found, and what it says about it. */
export type UniswapRoute = {
  readonly path: SwapPath;
  readonly amountIn: bigint;
  readonly amountOut: bigint;
  /** QuoterV2's gas estimate of the swap. */
  readonly gasEstimate: bigint;
  /** The pools' sqrt prices after the swap, one per hop. */
  readonly sqrtPriceX96After: readonly bigint[];
};

/** Inputs of {@link quoteExactInput}. */
export type QuoteExactInputParameters = {
  readonly quoter: Address;
  readonly tokenIn: Address;
  readonly tokenOut: Address;
  readonly amountIn: bigint;
  /** Fee tiers tried on every hop (default 0.01%, 0.05%, 0.3%, 1%). */
  readonly feeTiers?: readonly number[];
  /** Tokens tried as the middle of two-hop paths (e.g. WETH, USDC). */
  readonly intermediaries?: readonly Address[];
  readonly blockNumber?: bigint;
  readonly multicallAddress?: Address;
};

/** The best route and the chain's timestamp at the quoted block (for a deadline from chain time). */
export type QuoteExactInputReturnType = {
  readonly route: UniswapRoute;
  readonly timestamp: bigint;
  /** Paths tried (single and multi-hop). */
  readonly tried: number;
};

/** Every single-hop and two-hop path the configuration allows, single-hop first. */
export function candidatePaths(
  tokenIn: Address,
  tokenOut: Address,
  feeTiers: readonly number[],
  intermediaries: readonly Address[] = [],
): SwapPath[] {
  const paths: SwapPath[] = feeTiers.map((fee) => ({ tokens: [tokenIn, tokenOut], fees: [fee] }));
  for (const mid of intermediaries) {
    if (isAddressEqual(mid, tokenIn) || isAddressEqual(mid, tokenOut)) continue;
    for (const f1 of feeTiers) {
      for (const f2 of feeTiers) paths.push({ tokens: [tokenIn, mid, tokenOut], fees: [f1, f2] });
    }
  }
  return paths;
}

/**
 * Quotes an exact-input swap on every candidate path through QuoterV2 and returns the best: ONE eth_call
 * (QuoterV2 is non-view, so each quote is a call inside Multicall3; paths without a pool fail harmlessly).
 * Throws {@link NoRouteError} when no path quotes.
 */
export async function quoteExactInput(
  client: Client<Transport, Chain | undefined>,
  params: QuoteExactInputParameters,
): Promise<QuoteExactInputReturnType> {
  const paths = candidatePaths(
    params.tokenIn,
    params.tokenOut,
    params.feeTiers ?? DEFAULT_FEE_TIERS,
    params.intermediaries,
  );
  const mc = params.multicallAddress ?? MULTICALL3_ADDRESS;
  const reads: ContractRead[] = paths.map((path) =>
    path.fees.length === 1
      ? {
          address: params.quoter,
          abi: quoterV2Abi as Abi,
          functionName: "quoteExactInputSingle",
          args: [
            {
              tokenIn: params.tokenIn,
              tokenOut: params.tokenOut,
              amountIn: params.amountIn,
              fee: path.fees[0]!,
              sqrtPriceLimitX96: 0n,
            },
          ],
        }
      : {
          address: params.quoter,
          abi: quoterV2Abi as Abi,
          functionName: "quoteExactInput",
          args: [encodePath(path), params.amountIn],
        },
  );
  reads.push({ address: mc, abi: multicall3Abi as Abi, functionName: "getCurrentBlockTimestamp", args: [] });
  const results = await aggregateReads(client, {
    reads,
    multicallAddress: mc,
    ...(params.blockNumber !== undefined ? { blockNumber: params.blockNumber } : {}),
  });
  const ts = results[paths.length];
  if (ts?.status !== "success") throw new UniswapReadError("Multicall3.getCurrentBlockTimestamp()");
  let best: UniswapRoute | undefined;
  paths.forEach((path, i) => {
    const r = results[i];
    if (r?.status !== "success") return;
    const [amountOut, after, , gasEstimate] = r.result as readonly [
      bigint,
      bigint | readonly bigint[],
      unknown,
      bigint,
    ];
    if (amountOut === 0n) return;
    if (best && amountOut <= best.amountOut) return; // ties keep the earlier (fewer hops, lower fee) path
    best = {
      path,
      amountIn: params.amountIn,
      amountOut,
      gasEstimate,
      sqrtPriceX96After: typeof after === "bigint" ? [after] : [...after],
    };
  });
  if (!best) throw new NoRouteError(params.tokenIn, params.tokenOut, paths.length);
  return { route: best, timestamp: ts.result as bigint, tried: paths.length };
}

/** Inputs of {@link encodeSwap}. */
export type EncodeSwapParameters = {
  readonly router: Address;
  readonly path: SwapPath;
  readonly amountIn: bigint;
  readonly amountOutMinimum: bigint;
  readonly recipient: Address;
  readonly deadline: bigint;
};

/** The SwapRouter call for an exact-input swap: `exactInputSingle` for one hop, `exactInput` otherwise. */
export function encodeSwap(p: EncodeSwapParameters): Call {
  const [tokenIn, tokenOut] = [p.path.tokens[0], p.path.tokens[p.path.tokens.length - 1]];
  if (!tokenIn || !tokenOut) throw new UnsupportedSwapError("empty path");
  const data =
    p.path.fees.length === 1
      ? encodeFunctionData({
          abi: swapRouterAbi,
          functionName: "exactInputSingle",
          args: [
            {
              tokenIn,
              tokenOut,
              fee: p.path.fees[0]!,
              recipient: p.recipient,
              deadline: p.deadline,
              amountIn: p.amountIn,
              amountOutMinimum: p.amountOutMinimum,
              sqrtPriceLimitX96: 0n,
            },
          ],
        })
      : encodeFunctionData({
          abi: swapRouterAbi,
          functionName: "exactInput",
          args: [
            {
              path: encodePath(p.path),
              recipient: p.recipient,
              deadline: p.deadline,
              amountIn: p.amountIn,
              amountOutMinimum: p.amountOutMinimum,
            },
          ],
        });
  return { to: p.router, data, value: 0n };
}

/** Options of {@link uniswapV3Venue}. */
export type UniswapV3VenueParameters = {
  readonly client: Client<Transport, Chain | undefined>;
  readonly quoter: Address;
  /** SwapRouter (v3-periphery): the approval's spender and the swap's target. */
  readonly router: Address;
  readonly feeTiers?: readonly number[];
  readonly intermediaries?: readonly Address[];
  /** Deadline when the request has none: the quoted block's timestamp + this many seconds. Default 1,200. */
  readonly deadlineSeconds?: bigint;
  readonly multicallAddress?: Address;
  /** Token symbols by lower-cased address, for the human route description. */
  readonly symbols?: Readonly<Record<string, string>>;
  /** Venue name in quotes. Default "uniswap-v3". */
  readonly name?: string;
};

/**
 * Uniswap V3 on-chain as a core `SwapVenue`: best of the configured paths through QuoterV2 (one eth_call), then
 * `[approve(router, amountIn), exactInput…]` with `amountOutMinimum` = max(request minimum, quote − the request's
 * `slippageBps`) and a deadline. Throws {@link NoRouteError} or {@link InsufficientOutputError}.
 */
export function uniswapV3Venue(params: UniswapV3VenueParameters): SwapVenue {
  const name = params.name ?? "uniswap-v3";
  return {
    name,
    async quote(request: SwapRequest): Promise<SwapQuote> {
      if (request.amountIn <= 0n) throw new UnsupportedSwapError("amountIn must be positive");
      if (isAddressEqual(request.tokenIn, request.tokenOut))
        throw new UnsupportedSwapError("tokenIn equals tokenOut");
      const chainId = params.client.chain?.id;
      if (chainId !== undefined && chainId !== request.chainId) {
        throw new UnsupportedSwapError(`the venue's client is on chain ${chainId}, not ${request.chainId}`);
      }
      const { route, timestamp } = await quoteExactInput(params.client, {
        quoter: params.quoter,
        tokenIn: request.tokenIn,
        tokenOut: request.tokenOut,
        amountIn: request.amountIn,
        ...(params.feeTiers ? { feeTiers: params.feeTiers } : {}),
        ...(params.intermediaries ? { intermediaries: params.intermediaries } : {}),
        ...(params.multicallAddress ? { multicallAddress: params.multicallAddress } : {}),
      });
      if (route.amountOut < request.minAmountOut) {
        throw new InsufficientOutputError(route.amountOut, request.minAmountOut);
      }
      const minAmountOut =
        request.slippageBps === undefined
          ? request.minAmountOut
          : max(
              request.minAmountOut,
              mulDiv(route.amountOut, BPS - assertSlippage(request.slippageBps), BPS, "up"),
            );
      const deadline = request.deadline ?? timestamp + (params.deadlineSeconds ?? 1_200n);
      return {
        venue: name,
        chainId: request.chainId,
        tokenIn: request.tokenIn,
        tokenOut: request.tokenOut,
        amountIn: request.amountIn,
        amountOut: route.amountOut,
        minAmountOut,
        spender: params.router,
        calls: [
          approveCall(request.tokenIn, params.router, request.amountIn),
          encodeSwap({
            router: params.router,
            path: route.path,
            amountIn: request.amountIn,
            amountOutMinimum: minAmountOut,
            recipient: request.account,
            deadline,
          }),
        ],
        gas: route.gasEstimate,
        route: describePath(route.path, params.symbols),
        poolsAfter: route.path.fees.map((fee, i) => ({
          tokenA: route.path.tokens[i] as Address,
          tokenB: route.path.tokens[i + 1] as Address,
          fee,
          sqrtPriceX96: route.sqrtPriceX96After[i] as bigint,
        })),
      };
    },
  };
}

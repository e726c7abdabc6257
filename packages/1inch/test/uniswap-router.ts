import type { Hex } from "@ballast/core";
import { decodeFunctionData, encodeFunctionData, getAddress, parseAbi } from "viem";
import type { CalldataDecoder } from "../src/routers.ts";
import type { SwapAsk } from "./stand-in/swap-api.ts";

/** Uniswap V3 periphery `SwapRouter.exactInputSingle` (v1.0, with a deadline in the params). */
export const swapRouterAbi = parseAbi([
  "struct ExactInputSingleParams { address tokenIn; address tokenOut; uint24 fee; address recipient; uint256 deadline; uint256 amountIn; uint256 amountOutMinimum; uint160 sqrtPriceLimitX96; }",
  "function exactInputSingle(ExactInputSingleParams params) payable returns (uint256 amountOut)",
]);

/**
 * A decoder for the local chain's Uniswap SwapRouter, configured as the "1inch router" of the test chain:
 * `exactInputSingle` names every field the verifier checks, so it is fully verifiable.
 */
export const decodeExactInputSingle: CalldataDecoder = (data: Hex) => {
  try {
    const { args } = decodeFunctionData({ abi: swapRouterAbi, data });
    const [p] = args;
    return {
      method: "exactInputSingle",
      srcToken: getAddress(p.tokenIn),
      dstToken: getAddress(p.tokenOut),
      amount: p.amountIn,
      minReturn: p.amountOutMinimum,
      recipient: getAddress(p.recipient),
      unverified: [],
    };
  } catch {
    return undefined;
  }
};

/** The stand-in's "pathfinder" for the local chain: one Uniswap V3 pool, exact input, minReturn as the guard. */
export const exactInputSingleCalldata =
  (fee: number, deadline: bigint) =>
  (ask: SwapAsk): Hex =>
    encodeFunctionData({
      abi: swapRouterAbi,
      functionName: "exactInputSingle",
      args: [
        {
          tokenIn: ask.src,
          tokenOut: ask.dst,
          fee,
          recipient: ask.receiver,
          deadline,
          amountIn: ask.amount,
          amountOutMinimum: ask.minReturn,
          sqrtPriceLimitX96: 0n,
        },
      ],
    });

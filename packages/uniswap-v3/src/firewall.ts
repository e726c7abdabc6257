import type { Address, ContractKind, Hex, RoleScope } from "@ballast/core";
import { parseAbi } from "viem";

const recipientOf = (args: readonly unknown[]): Address =>
  (args[0] as { readonly recipient: Address }).recipient;

/** A tuple parameter of `arity` fields whose field `at` must be the Safe. */
const avatarAt = (at: number, arity: number): RoleScope => ({
  tuple: Array.from({ length: arity }, (_v, i) => (i === at ? "avatar" : undefined)),
});

const MINT = "(address,address,uint24,int24,int24,uint256,uint256,uint256,uint256,address recipient,uint256)";
const INCREASE = "(uint256,uint256,uint256,uint256,uint256,uint256)";
const DECREASE = "(uint256,uint128,uint256,uint256,uint256)";
const COLLECT = "(uint256,address recipient,uint128,uint128)";

/**
 * The NonfungiblePositionManager as a contract a batch may call: mint and collect to our account, increase, decrease,
 * burn, and a `multicall` whose elements are checked the same way. A Roles role gets all but `multicall`: Roles v2
 * cannot check its elements (an OR over differently shaped calldata fails its integrity check, UnsuitableChildTypeTree),
 * so allowing it would let a multicall carry a collect to anyone; the adapter sends an LP exit as separate calls.
 */
export const uniswapPositionManagerKind: ContractKind = {
  name: "uniswap-position-manager",
  abi: parseAbi([
    "struct MintParams { address token0; address token1; uint24 fee; int24 tickLower; int24 tickUpper; uint256 amount0Desired; uint256 amount1Desired; uint256 amount0Min; uint256 amount1Min; address recipient; uint256 deadline; }",
    "struct IncreaseLiquidityParams { uint256 tokenId; uint256 amount0Desired; uint256 amount1Desired; uint256 amount0Min; uint256 amount1Min; uint256 deadline; }",
    "struct DecreaseLiquidityParams { uint256 tokenId; uint128 liquidity; uint256 amount0Min; uint256 amount1Min; uint256 deadline; }",
    "struct CollectParams { uint256 tokenId; address recipient; uint128 amount0Max; uint128 amount1Max; }",
    "function mint(MintParams params)",
    "function increaseLiquidity(IncreaseLiquidityParams params)",
    "function decreaseLiquidity(DecreaseLiquidityParams params)",
    "function collect(CollectParams params)",
    "function burn(uint256 tokenId)",
    "function multicall(bytes[] data)",
  ]),
  inspect: ({ functionName: f, args }) =>
    f === "multicall"
      ? { recipients: [], nested: args[0] as readonly Hex[] }
      : { recipients: f === "mint" || f === "collect" ? [recipientOf(args)] : [] },
  roles: [
    { signature: `mint(${MINT})`, params: { scopes: [avatarAt(9, 11)], types: [`tuple${MINT}`] } },
    { signature: `increaseLiquidity(${INCREASE})` },
    { signature: `decreaseLiquidity(${DECREASE})` },
    { signature: `collect(${COLLECT})`, params: { scopes: [avatarAt(1, 4)], types: [`tuple${COLLECT}`] } },
    { signature: "burn(uint256)" },
  ],
};

const SINGLE = "(address,address,uint24,address recipient,uint256,uint256,uint256,uint160)";
const PATH = "(bytes,address recipient,uint256,uint256,uint256)";

/** The SwapRouter as a contract a batch may call: `exactInputSingle` and `exactInput`, paying our account. */
export const uniswapSwapRouterKind: ContractKind = {
  name: "uniswap-swap-router",
  abi: parseAbi([
    "struct ExactInputSingleParams { address tokenIn; address tokenOut; uint24 fee; address recipient; uint256 deadline; uint256 amountIn; uint256 amountOutMinimum; uint160 sqrtPriceLimitX96; }",
    "struct ExactInputParams { bytes path; address recipient; uint256 deadline; uint256 amountIn; uint256 amountOutMinimum; }",
    "function exactInputSingle(ExactInputSingleParams params)",
    "function exactInput(ExactInputParams params)",
  ]),
  inspect: ({ args }) => ({ recipients: [recipientOf(args)] }),
  roles: [
    {
      signature: `exactInputSingle(${SINGLE})`,
      params: { scopes: [avatarAt(3, 8)], types: [`tuple${SINGLE}`] },
    },
    { signature: `exactInput(${PATH})`, params: { scopes: [avatarAt(1, 5)], types: [`tuple${PATH}`] } },
  ],
};

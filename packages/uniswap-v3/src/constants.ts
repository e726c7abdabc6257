import type { Address, Hex } from "@ballast/core";

/** 2^96: the fixed-point unit of `sqrtPriceX96`. */
export const Q96 = 2n ** 96n;
/** 2^128: the fixed-point unit of fee growth (`…X128`). */
export const Q128 = 2n ** 128n;
/** 2^256: the modulus of Solidity's uint256 arithmetic (fee growth wraps around it). */
export const Q256 = 2n ** 256n;
/** The largest uint128 (also `collect`'s "everything" amount). */
export const MAX_UINT128 = Q128 - 1n;
/** The largest uint256. */
export const MAX_UINT256 = Q256 - 1n;

/** `keccak256` of the UniswapV3Pool creation code, used to derive pool addresses with CREATE2. */
export const POOL_INIT_CODE_HASH: Hex = "0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54";

/** Uniswap V3 contracts as deployed on Ethereum mainnet (and, with the same addresses, several other chains). */
export const UNISWAP_V3_MAINNET = {
  factory: "0x1F98431c8aD98523631AE4a59f267346ea31F984",
  positionManager: "0xC36442b4a4522E871399CD717aBDD847Ab11FE88",
  swapRouter: "0xE592427A0AEce92De3Edee1F18E0157C05861564",
  quoterV2: "0x61fFE014bA17989E743c5F6cB21bF9697530B21e",
} as const satisfies Record<string, Address>;

/** The fee tiers (hundredths of a bip) a venue tries by default: 0.01%, 0.05%, 0.3%, 1%. */
export const DEFAULT_FEE_TIERS: readonly number[] = [100, 500, 3000, 10000];

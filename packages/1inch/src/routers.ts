import type { Address, Hex } from "@ballast/core";
import { decodeFunctionData, getAddress, parseAbi, slice } from "viem";

/**
 * What a decoder could read from swap calldata. Fields the calldata does not carry are listed in
 * `unverified`; the verifier refuses such calldata unless its policy allows partial verification.
 */
export type DecodedSwap = {
  /** Function name, e.g. "swap" or "unoswapTo2". */
  readonly method: string;
  readonly srcToken: Address;
  /** `undefined` when the calldata does not name it (unoswap: implied by the pools). */
  readonly dstToken: Address | undefined;
  /** Exact input amount. */
  readonly amount: bigint;
  /** The output guard enforced by the router. */
  readonly minReturn: bigint;
  /** Who receives the output: an address, or "sender" when the router pays `msg.sender`. */
  readonly recipient: Address | "sender";
  /** Names of request fields the calldata alone cannot confirm (e.g. ["dstToken"]). */
  readonly unverified: readonly string[];
  /** True when the calldata allows spending less than `amount` (1inch `_PARTIAL_FILL`). */
  readonly partialFill?: boolean;
  /** True when the router pulls the input through Permit2 rather than a plain allowance. */
  readonly permit2?: boolean;
};

/** Decodes a router's calldata; returns `undefined` for a selector it does not know. Must not throw on junk. */
export type CalldataDecoder = (data: Hex) => DecodedSwap | undefined;

/** A router trusted on one chain: its address and how to read its calldata. */
export type TrustedRouter = { readonly address: Address; readonly decode: CalldataDecoder };

/** 1inch AggregationRouterV6 (also Limit Order Protocol v4), same address on most chains. */
export const AGGREGATION_ROUTER_V6: Address = "0x111111125421cA6dc452d289314280a0f8842A65";
/** AggregationRouterV6 on zkSync Era, where CREATE2 addresses differ. */
export const AGGREGATION_ROUTER_V6_ZKSYNC: Address = "0x6fd4383cB451173D5f9304F041C7BCBf27d561fF";

/** The AggregationRouterV6 functions this package can decode. */
export const aggregationRouterV6Abi = parseAbi([
  "struct SwapDescription { address srcToken; address dstToken; address srcReceiver; address dstReceiver; uint256 amount; uint256 minReturnAmount; uint256 flags; }",
  "function swap(address executor, SwapDescription desc, bytes data) payable returns (uint256 returnAmount, uint256 spentAmount)",
  "function unoswap(uint256 token, uint256 amount, uint256 minReturn, uint256 dex) returns (uint256 returnAmount)",
  "function unoswap2(uint256 token, uint256 amount, uint256 minReturn, uint256 dex, uint256 dex2) returns (uint256 returnAmount)",
  "function unoswap3(uint256 token, uint256 amount, uint256 minReturn, uint256 dex, uint256 dex2, uint256 dex3) returns (uint256 returnAmount)",
  "function unoswapTo(uint256 to, uint256 token, uint256 amount, uint256 minReturn, uint256 dex) returns (uint256 returnAmount)",
  "function unoswapTo2(uint256 to, uint256 token, uint256 amount, uint256 minReturn, uint256 dex, uint256 dex2) returns (uint256 returnAmount)",
  "function unoswapTo3(uint256 to, uint256 token, uint256 amount, uint256 minReturn, uint256 dex, uint256 dex2, uint256 dex3) returns (uint256 returnAmount)",
]);

const PARTIAL_FILL = 1n << 0n;
const USE_PERMIT2 = 1n << 2n;
const LOW_160 = (1n << 160n) - 1n;
const ZERO: Address = "0x0000000000000000000000000000000000000000";

/** The low 160 bits of a 1inch `Address` (uint256 with flags in the high bits) as a checksummed address. */
const addressOf = (word: bigint): Address =>
  getAddress(`0x${(word & LOW_160).toString(16).padStart(40, "0")}`);

/**
 * Decodes AggregationRouterV6 calldata.
 * `swap`: src, dst, amount, minReturn and dstReceiver are all in the SwapDescription — fully verifiable.
 * `unoswap*`: src, amount, minReturn and recipient are verifiable; the output token is implied by the pools
 * (`dex` words), so `dstToken` is reported as unverified.
 */
export const decodeAggregationRouterV6: CalldataDecoder = (data) => {
  let decoded: ReturnType<typeof decodeFunctionData<typeof aggregationRouterV6Abi>>;
  try {
    decoded = decodeFunctionData({ abi: aggregationRouterV6Abi, data });
  } catch {
    return undefined;
  }
  switch (decoded.functionName) {
    case "swap": {
      const [, desc] = decoded.args;
      const dstReceiver = getAddress(desc.dstReceiver);
      return {
        method: "swap",
        srcToken: getAddress(desc.srcToken),
        dstToken: getAddress(desc.dstToken),
        amount: desc.amount,
        minReturn: desc.minReturnAmount,
        recipient: dstReceiver === ZERO ? "sender" : dstReceiver,
        unverified: [],
        partialFill: (desc.flags & PARTIAL_FILL) !== 0n,
        permit2: (desc.flags & USE_PERMIT2) !== 0n,
      };
    }
    case "unoswap":
    case "unoswap2":
    case "unoswap3": {
      const [token, amount, minReturn] = decoded.args;
      return {
        method: decoded.functionName,
        srcToken: addressOf(token),
        dstToken: undefined,
        amount,
        minReturn,
        recipient: "sender",
        unverified: ["dstToken"],
      };
    }
    case "unoswapTo":
    case "unoswapTo2":
    case "unoswapTo3": {
      const [to, token, amount, minReturn] = decoded.args;
      return {
        method: decoded.functionName,
        srcToken: addressOf(token),
        dstToken: undefined,
        amount,
        minReturn,
        recipient: addressOf(to),
        unverified: ["dstToken"],
      };
    }
    default: {
      const unreachable: never = decoded;
      return unreachable;
    }
  }
};

const V6_CHAINS = [1, 10, 56, 100, 130, 137, 146, 250, 8453, 42161, 43114, 59144] as const;

/** Routers trusted by default: AggregationRouterV6 on the chains 1inch serves, with its decoder. */
export const DEFAULT_ROUTERS: Readonly<Record<number, TrustedRouter>> = Object.freeze({
  ...Object.fromEntries(
    V6_CHAINS.map((id) => [id, { address: AGGREGATION_ROUTER_V6, decode: decodeAggregationRouterV6 }]),
  ),
  324: { address: AGGREGATION_ROUTER_V6_ZKSYNC, decode: decodeAggregationRouterV6 },
});

/** The 4-byte selector of calldata (or the whole data when shorter). */
export const selectorOf = (data: Hex): Hex => (data.length >= 10 ? slice(data, 0, 4) : data);

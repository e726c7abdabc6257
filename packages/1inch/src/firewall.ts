import type { Address, ContractKind, RoleFunction } from "@ballast/core";
import { getAddress, isAddressEqual, parseAbi, zeroAddress } from "viem";

const LOW_160 = (1n << 160n) - 1n;
/** The address in a 1inch `Address` word (uint256 with flags in the high bits). */
const wordAddress = (word: unknown): Address =>
  getAddress(`0x${((word as bigint) & LOW_160).toString(16).padStart(40, "0")}`);

const DESC = "(address,address,address,address dstReceiver,uint256,uint256,uint256)";
const words = (n: number): string[] => Array.from({ length: n }, () => "uint256");
const _ = undefined;

/** `swap` paying the Safe, `unoswap*` (they pay the caller, the Safe), `unoswapTo*` to the Safe. */
const roles: RoleFunction[] = [
  {
    signature: `swap(address,${DESC},bytes)`,
    params: {
      scopes: [_, { tuple: [_, _, _, "avatar", _, _, _] }, _],
      types: ["address", `tuple${DESC}`, "bytes"],
    },
  },
  ...[4, 5, 6].map((n) => ({ signature: `unoswap${n === 4 ? "" : n - 3}(${words(n).join(",")})` })),
  ...[5, 6, 7].map((n) => ({
    signature: `unoswapTo${n === 5 ? "" : n - 4}(${words(n).join(",")})`,
    params: { scopes: ["avatar" as const], types: words(n) },
  })),
];

/**
 * The AggregationRouterV6 as a contract a batch may call: `swap` paying our account (`dstReceiver`; zero pays the
 * caller), `unoswap*` (they pay the caller, our account), `unoswapTo*` to our account. A Roles role gets the same.
 */
export const oneInchRouterKind: ContractKind = {
  name: "1inch-router",
  // Its own list, not the decoder's ABI: a function added there for decoding is not thereby allowed in a batch.
  abi: parseAbi([
    "struct SwapDescription { address srcToken; address dstToken; address srcReceiver; address dstReceiver; uint256 amount; uint256 minReturnAmount; uint256 flags; }",
    "function swap(address executor, SwapDescription desc, bytes data)",
    "function unoswap(uint256 token, uint256 amount, uint256 minReturn, uint256 dex)",
    "function unoswap2(uint256 token, uint256 amount, uint256 minReturn, uint256 dex, uint256 dex2)",
    "function unoswap3(uint256 token, uint256 amount, uint256 minReturn, uint256 dex, uint256 dex2, uint256 dex3)",
    "function unoswapTo(uint256 to, uint256 token, uint256 amount, uint256 minReturn, uint256 dex)",
    "function unoswapTo2(uint256 to, uint256 token, uint256 amount, uint256 minReturn, uint256 dex, uint256 dex2)",
    "function unoswapTo3(uint256 to, uint256 token, uint256 amount, uint256 minReturn, uint256 dex, uint256 dex2, uint256 dex3)",
  ]),
  inspect: ({ functionName: f, args }) => {
    if (f === "swap") {
      const receiver = (args[1] as { readonly dstReceiver: Address }).dstReceiver;
      return { recipients: isAddressEqual(receiver, zeroAddress) ? [] : [receiver] };
    }
    return { recipients: f.startsWith("unoswapTo") ? [wordAddress(args[0])] : [] };
  },
  roles,
};

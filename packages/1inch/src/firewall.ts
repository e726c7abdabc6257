import type { Address, ContractKind } from "@ballast/core";
import { getAddress, isAddressEqual, zeroAddress } from "viem";
import { aggregationRouterV6Abi } from "./routers.ts";

const LOW_160 = (1n << 160n) - 1n;

/**
 * The AggregationRouterV6 as a contract a batch may call: `swap` paying our account (`dstReceiver`; zero pays the
 * caller), `unoswap*` (they pay the caller, our account), `unoswapTo*` to our account. A Roles role gets the same.
 */
export const oneInchRouterKind: ContractKind = {
  name: "1inch-router",
  abi: aggregationRouterV6Abi,
  inspect: ({ functionName: f, args }) => {
    if (f === "swap") {
      const receiver = (args[1] as { readonly dstReceiver: Address }).dstReceiver;
      return { recipients: isAddressEqual(receiver, zeroAddress) ? [] : [receiver] };
    }
    const to = (word: unknown): Address =>
      getAddress(`0x${((word as bigint) & LOW_160).toString(16).padStart(40, "0")}`);
    return { recipients: f.startsWith("unoswapTo") ? [to(args[0])] : [] };
  },
  roles: (() => {
    const desc = "(address,address,address,address dstReceiver,uint256,uint256,uint256)";
    const words = (n: number) => Array.from({ length: n }, () => "uint256");
    return [
      {
        signature: `swap(address,${desc},bytes)`,
        params: {
          scopes: [
            undefined,
            { tuple: [undefined, undefined, undefined, "avatar", undefined, undefined, undefined] },
            undefined,
          ],
          types: ["address", `tuple${desc}`, "bytes"],
        },
      },
      ...[4, 5, 6].map((n) => ({ signature: `unoswap${n === 4 ? "" : n - 3}(${words(n).join(",")})` })),
      ...[5, 6, 7].map((n) => ({
        signature: `unoswapTo${n === 5 ? "" : n - 4}(${words(n).join(",")})`,
        params: { scopes: ["avatar" as const], types: words(n) },
      })),
    ];
  })(),
};

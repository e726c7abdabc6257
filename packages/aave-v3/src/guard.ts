import type { Address, FloorGuard } from "@ballast/core";
import { aavePoolAbi } from "./abi.ts";

/**
 * The health-factor floor a batch that moves an Aave position must keep: the simulation reads `account`'s
 * `getUserAccountData` on `pool` after the batch (its sixth output, a wad) and refuses the batch below `floorWad`.
 */
export function aaveHealthFactorGuard(params: {
  readonly pool: Address;
  readonly account: Address;
  readonly floorWad: bigint;
}): FloorGuard {
  return {
    kind: "healthFactor",
    subject: params.pool,
    read: {
      address: params.pool,
      abi: aavePoolAbi,
      functionName: "getUserAccountData",
      args: [params.account],
    },
    output: 5,
    min: params.floorWad,
  };
}

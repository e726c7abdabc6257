import type { ContractKind } from "@ballast/core";
import type { Hex } from "viem";
import { spokePoolAbi } from "./abi.ts";
import { fromBytes32 } from "./deposit.ts";

/**
 * The origin SpokePool as a contract a batch may call: `deposit` only. A deposit is refunded to its depositor and
 * filled to its recipient: both must be our account. No message (a message makes the destination call the recipient
 * with it). No Roles permission: the deposit names its depositor and recipient as bytes32 words, which Roles' avatar
 * condition (an address) cannot match, so a Safe behind Roles does not bridge (the batch firewall checks both words).
 */
export const acrossSpokePoolKind: ContractKind = {
  name: "across-spoke-pool",
  abi: spokePoolAbi.filter((item) => item.type === "function" && item.name === "deposit"),
  inspect: ({ args }) => ({
    recipients: [fromBytes32(args[0] as Hex), fromBytes32(args[1] as Hex)],
    ...((args[11] as Hex) === "0x" ? {} : { refused: "a deposit with a message (calls the recipient)" }),
  }),
  roles: [],
};

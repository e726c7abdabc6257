import type { Address, ContractKind } from "@ballast/core";
import { parseAbi } from "viem";

/** The argument of each pool function that names who gets the tokens or the position (the others name nobody). */
const BENEFICIARY: Readonly<Record<string, number>> = { supply: 2, withdraw: 2, borrow: 4, repay: 3 };

/**
 * The Aave pool as a contract a batch may call: supply, withdraw, borrow and repay with our account as beneficiary,
 * repay with aTokens, the collateral switch. A Roles role gets the first five, each for a configured token only.
 */
export const aavePoolKind: ContractKind = {
  name: "aave-pool",
  abi: parseAbi([
    "function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode)",
    "function withdraw(address asset, uint256 amount, address to)",
    "function borrow(address asset, uint256 amount, uint256 interestRateMode, uint16 referralCode, address onBehalfOf)",
    "function repay(address asset, uint256 amount, uint256 interestRateMode, address onBehalfOf)",
    "function repayWithATokens(address asset, uint256 amount, uint256 interestRateMode)",
    "function setUserUseReserveAsCollateral(address asset, bool useAsCollateral)",
  ]),
  inspect: ({ functionName, args }) => {
    const at = BENEFICIARY[functionName];
    return { recipients: at === undefined ? [] : [args[at] as Address] };
  },
  roles: [
    {
      signature: "supply(address,uint256,address,uint16)",
      params: {
        scopes: ["token", undefined, "avatar", undefined],
        types: ["address", "uint256", "address", "uint16"],
      },
    },
    {
      signature: "withdraw(address,uint256,address)",
      params: { scopes: ["token", undefined, "avatar"], types: ["address", "uint256", "address"] },
    },
    {
      signature: "borrow(address,uint256,uint256,uint16,address)",
      params: {
        scopes: ["token", undefined, undefined, undefined, "avatar"],
        types: ["address", "uint256", "uint256", "uint16", "address"],
      },
    },
    {
      signature: "repay(address,uint256,uint256,address)",
      params: {
        scopes: ["token", undefined, undefined, "avatar"],
        types: ["address", "uint256", "uint256", "address"],
      },
    },
    {
      signature: "repayWithATokens(address,uint256,uint256)",
      params: { scopes: ["token"], types: ["address", "uint256", "uint256"] },
    },
  ],
};

import { AGGREGATION_ROUTER_V6, DEFAULT_ROUTERS } from "@ballast/1inch";
import type { FirewallPolicy } from "@ballast/chain";
import type { Address } from "@ballast/core";
import type { ChainConfig } from "./config.ts";

/**
 * The batch firewall's allow-list for one chain, from the config alone: the configured tokens; the Aave pool, the
 * Uniswap position manager and SwapRouter, the 1inch router (when 1inch is a venue), the configured Across SpokePool
 * (its `deposit` only, our account at both ends) as callable contracts and
 * spenders; the portfolio account as the only recipient; MultiSendCallOnly or the EIP-7702 implementation.
 */
export function firewallPolicyOf(
  c: ChainConfig,
  account: Address,
  aave: { readonly pool: Address } | undefined,
): FirewallPolicy {
  const oneInch = c.swap.includes("1inch")
    ? (c.oneInch?.router ?? DEFAULT_ROUTERS[c.chainId]?.address ?? AGGREGATION_ROUTER_V6)
    : undefined;
  return {
    chainId: c.chainId,
    accounts: [account],
    tokens: Object.values(c.tokens).map((t) => t.address),
    contracts: [
      ...(aave ? [{ address: aave.pool, kind: "aave-pool" as const }] : []),
      ...(c.uniswap
        ? [
            { address: c.uniswap.positionManager, kind: "uniswap-position-manager" as const },
            { address: c.uniswap.router, kind: "uniswap-swap-router" as const },
          ]
        : []),
      ...(oneInch ? [{ address: oneInch, kind: "1inch-router" as const }] : []),
      ...(c.across ? [{ address: c.across.spokePool, kind: "across-spoke-pool" as const }] : []),
    ],
    ...(c.account.type === "safe"
      ? { multiSend: c.account.multiSendCallOnly }
      : { delegation: c.account.implementation }),
  };
}

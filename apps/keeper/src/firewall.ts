import type { FirewallPolicy } from "@ballast/chain";
import { firewallContractsOf } from "@ballast/config";
import type { Address } from "@ballast/core";
import type { ChainConfig } from "./config.ts";

/**
 * The batch firewall's allow-list for one chain, from the config alone: the configured tokens; the contracts of its
 * active protocol plugins (each names its own: a lending pool, a position manager and router, an aggregator's router
 * when `swap` lists it, a bridge's SpokePool) as callable contracts and spenders; the portfolio account as the only
 * recipient; MultiSendCallOnly or the EIP-7702 implementation.
 */
export function firewallPolicyOf(c: ChainConfig, account: Address): FirewallPolicy {
  return {
    chainId: c.chainId,
    accounts: [account],
    tokens: Object.values(c.tokens).map((t) => t.address),
    contracts: firewallContractsOf(c),
    ...(c.account.type === "safe"
      ? { multiSend: c.account.multiSendCallOnly }
      : { delegation: c.account.implementation }),
  };
}

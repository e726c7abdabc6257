import { AGGREGATION_ROUTER_V6, DEFAULT_ROUTERS, oneInchRouterKind } from "@ballast/1inch";
import { acrossSpokePoolKind } from "@ballast/across";
import type { FirewallPolicy } from "@ballast/chain";
import { firewallContractsOf } from "@ballast/config";
import type { Address } from "@ballast/core";
import type { ChainConfig } from "./config.ts";

/**
 * The batch firewall's allow-list for one chain, from the config alone: the configured tokens; the contracts of its
 * protocol sections (each registered protocol names its own, e.g. a lending pool, a position manager and router), the
 * 1inch router (when 1inch is a venue) and the configured Across SpokePool (its `deposit` only, our account at both
 * ends) as callable contracts and spenders; the portfolio account as the only recipient; MultiSendCallOnly or the
 * EIP-7702 implementation.
 */
export function firewallPolicyOf(c: ChainConfig, account: Address): FirewallPolicy {
  const oneInch = c.swap?.includes("1inch")
    ? (c.oneInch?.router ?? DEFAULT_ROUTERS[c.chainId]?.address ?? AGGREGATION_ROUTER_V6)
    : undefined;
  const lop = oneInch && c.oneInch?.fusion ? fusionProtocolOf(c) : undefined;
  return {
    chainId: c.chainId,
    accounts: [account],
    tokens: Object.values(c.tokens).map((t) => t.address),
    contracts: [
      ...firewallContractsOf(c),
      ...(oneInch ? [{ address: oneInch, kind: oneInchRouterKind }] : []),
      // Fusion orders: the batch approves the Limit Order Protocol (exactly the order's input).
      ...(lop && lop.toLowerCase() !== oneInch?.toLowerCase()
        ? [{ address: lop, kind: oneInchRouterKind }]
        : []),
      ...(c.across ? [{ address: c.across.spokePool, kind: acrossSpokePoolKind }] : []),
    ],
    ...(c.account.type === "safe"
      ? { multiSend: c.account.multiSendCallOnly }
      : { delegation: c.account.implementation }),
  };
}

/** The Limit Order Protocol Fusion orders on this chain are signed for and approved to. */
export const fusionProtocolOf = (c: ChainConfig): Address =>
  c.oneInch?.fusion?.limitOrderProtocol ?? DEFAULT_ROUTERS[c.chainId]?.address ?? AGGREGATION_ROUTER_V6;

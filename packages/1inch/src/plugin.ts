import { addressSchema as address, secretRefSchema as secret } from "@ballast/chain/schema";
import type { Address, Call, ProtocolPlugin } from "@ballast/core";
import { z } from "zod";
import { oneInchRouterKind } from "./firewall.ts";
import { createOneInchClient } from "./http.ts";
import { AGGREGATION_ROUTER_V6, DEFAULT_ROUTERS, decodeAggregationRouterV6 } from "./routers.ts";
import { approveCall, oneInchVenue } from "./venue.ts";

/**
 * Fusion orders on a chain (used when `policy.fusion` is set and `swap` lists 1inch): the Limit Order Protocol the
 * orders are signed for and approved to (default the chain's AggregationRouterV6) and the settlement extensions an
 * order may name (any other is refused before signing); `url` overrides `{baseUrl}/fusion`.
 */
const fusionConfigSchema = z
  .object({
    url: z.url().optional(),
    limitOrderProtocol: address.optional(),
    settlements: z.array(address).min(1),
  })
  .strict();

/**
 * The `chains.<name>.oneInch` section: the Swap API (its key a secret reference, resolved by the app), optionally the
 * router swaps must go through (it must speak AggregationRouterV6: that decoder verifies its calldata) and Fusion
 * orders ({@link fusionConfigSchema}).
 */
export const oneInchConfigSchema = z
  .object({
    baseUrl: z.url().default("https://api.1inch.dev"),
    apiKey: secret.optional(),
    router: address.optional(),
    fusion: fusionConfigSchema.optional(),
  })
  .strict();

/** A valid `oneInch` section. */
export type OneInchSection = z.output<typeof oneInchConfigSchema>;

/** The router a chain's 1inch swaps go through: the configured one, else 1inch's deployment on the chain. */
export const oneInchRouterOf = (section: OneInchSection, chainId: number): Address =>
  section.router ?? DEFAULT_ROUTERS[chainId]?.address ?? AGGREGATION_ROUTER_V6;

/** The Limit Order Protocol a chain's Fusion orders are signed for and approved to. */
export const fusionProtocolOf = (section: OneInchSection, chainId: number): Address =>
  section.fusion?.limitOrderProtocol ?? DEFAULT_ROUTERS[chainId]?.address ?? AGGREGATION_ROUTER_V6;

/** The batch's approval for a chain's Fusion order: exactly its input, to the configured Limit Order Protocol. */
export const fusionApprovalOf =
  (section: OneInchSection, chainId: number) =>
  (token: Address, amount: bigint): Call =>
    approveCall(token, fusionProtocolOf(section, chainId), amount);

/**
 * 1inch for the engine's registry: the swap venue `1inch`, used where a chain's `swap` lists it (its `oneInch` section
 * then optional), and its router for the batch firewall. Its API key is a secret, so an app runs it only if it
 * resolves secrets.
 */
export const oneInchPlugin: ProtocolPlugin<OneInchSection> = {
  label: "1inch",
  sleeveKinds: {},
  configSchema: oneInchConfigSchema,
  requires: ["secrets"],
  firewall: (section, chain) => {
    const router = oneInchRouterOf(section, chain.chainId);
    // Fusion orders: the batch approves the Limit Order Protocol (exactly the order's input).
    const lop = section.fusion ? fusionProtocolOf(section, chain.chainId) : undefined;
    return [
      { address: router, kind: oneInchRouterKind },
      ...(lop && lop.toLowerCase() !== router.toLowerCase()
        ? [{ address: lop, kind: oneInchRouterKind }]
        : []),
    ];
  },
  venue: {
    name: "1inch",
    listedOnly: true,
    create: (section, { chainId, secret }) =>
      oneInchVenue({
        client: createOneInchClient({
          baseUrl: section.baseUrl,
          ...(section.apiKey ? { apiKey: secret(section.apiKey, "apiKey") } : {}),
        }),
        ...(section.router
          ? { routers: { [chainId]: { address: section.router, decode: decodeAggregationRouterV6 } } }
          : {}),
      }),
  },
};

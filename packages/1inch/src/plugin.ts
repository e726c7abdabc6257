import { addressProblem } from "@ballast/chain";
import { type Address, type ProtocolPlugin, type SecretRef, secretRefProblem } from "@ballast/core";
import { z } from "zod";
import { oneInchRouterKind } from "./firewall.ts";
import { createOneInchClient } from "./http.ts";
import { AGGREGATION_ROUTER_V6, DEFAULT_ROUTERS, decodeAggregationRouterV6 } from "./routers.ts";
import { oneInchVenue } from "./venue.ts";

const address = z.string().superRefine((s, ctx) => {
  const problem = addressProblem(s);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
}) as unknown as z.ZodType<Address>;

const secret = z.unknown().superRefine((v, ctx) => {
  const problem = secretRefProblem(v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
}) as unknown as z.ZodType<SecretRef>;

/**
 * The `chains.<name>.oneInch` section: the Swap API (its key a secret reference, resolved by the app) and, optionally,
 * the router swaps must go through (it must speak AggregationRouterV6: that decoder verifies its calldata).
 */
export const oneInchConfigSchema = z
  .object({
    baseUrl: z.url().default("https://api.1inch.dev"),
    apiKey: secret.optional(),
    router: address.optional(),
  })
  .strict();

/** A valid `oneInch` section. */
export type OneInchSection = z.output<typeof oneInchConfigSchema>;

/** The router a chain's 1inch swaps go through: the configured one, else 1inch's deployment on the chain. */
export const oneInchRouterOf = (section: OneInchSection, chainId: number): Address =>
  section.router ?? DEFAULT_ROUTERS[chainId]?.address ?? AGGREGATION_ROUTER_V6;

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
  firewall: (section, chain) => [
    { address: oneInchRouterOf(section, chain.chainId), kind: oneInchRouterKind },
  ],
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

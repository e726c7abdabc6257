import {
  addressSchema as address,
  durationSchema,
  percentSchema,
  secretRefSchema as secret,
} from "@ballast/chain/schema";
import type { ProtocolPlugin } from "@ballast/core";
import type { Client } from "viem";
import { z } from "zod";
import { acrossBridge } from "./bridge.ts";
import { acrossSpokePoolKind } from "./firewall.ts";
import { createAcrossClient } from "./http.ts";

/** A share of the input ("0.05%", "5bps") as integer bps, at most 100%. */
const share = (field: string) => percentSchema(field, { max: 10_000 });

/**
 * The `chains.<name>.across` section: the origin SpokePool (from the config, never from the API), the tokens it may
 * bridge (a route exists between two chains for each symbol both list) and the planner's estimate of the fee.
 */
export const acrossConfigSchema = z
  .object({
    spokePool: address,
    tokens: z.array(z.string()).min(1),
    /** The planner's estimate of the fee (what a quote usually asks), to let bridges compete with swaps. */
    fee: share("across.fee").default(5),
  })
  .strict();

/** The top-level `across` section: the API and the limits every quote is checked against. */
export const acrossSharedSchema = z
  .object({
    api: z.url().default("https://app.across.to/api"),
    apiKey: secret.optional(),
    /** A quote whose fee is above this share of the input is refused (nothing is sent). */
    maxFee: share("across.maxFee").default(50),
    /** Time relayers have to fill before the deposit expires and is refunded on the origin. */
    fillDeadline: durationSchema
      .refine((s) => s >= 60 && s <= 21_000, { message: "expected between 1m and 5h50m" })
      .default(3_600),
  })
  .strict();

/** A valid `across` section of a chain. */
export type AcrossSection = z.output<typeof acrossConfigSchema>;
/** A valid top-level `across` section. */
export type AcrossShared = z.output<typeof acrossSharedSchema>;

/**
 * Across for the engine's registry: the bridge from each chain with an `across` section (the top-level `across` gives
 * the API and limits), and its SpokePool for the batch firewall (its `deposit` only). Transfers in flight need an app
 * that tracks them.
 */
export const acrossPlugin: ProtocolPlugin<AcrossSection, AcrossShared> = {
  label: "Across",
  sleeveKinds: {},
  configSchema: acrossConfigSchema,
  requires: ["secrets", "bridges"],
  shared: { configSchema: acrossSharedSchema, needs: "api" },
  checkChain: (section, chain) =>
    section.tokens.flatMap((sym, i) =>
      chain.tokens.includes(sym)
        ? []
        : [
            {
              path: ["tokens", i],
              message: `unknown token "${sym}" on chain ${chain.key}; known: ${chain.tokens.join(", ")}`,
            },
          ],
    ),
  firewall: (section) => [{ address: section.spokePool, kind: acrossSpokePoolKind }],
  bridge: {
    create: (section, shared, { chainId, client, tokens, secret }) => {
      const bridged = new Set(section.tokens);
      return acrossBridge({
        client: createAcrossClient({
          baseUrl: shared.api,
          ...(shared.apiKey ? { apiKey: secret(shared.apiKey, "apiKey", true) } : {}),
        }),
        chainId,
        publicClient: client as Client,
        spokePool: section.spokePool,
        tokens: tokens.filter((t) => bridged.has(t.symbol)).map((t) => t.address),
        maxFeeBps: shared.maxFee,
        feeBps: section.fee,
        fillDeadlineSec: shared.fillDeadline,
      });
    },
  },
};

import { addressSchema as address } from "@ballast/chain/schema";
import type { ProtocolPlugin } from "@ballast/core";
import type { Chain, Client, Transport } from "viem";
import { z } from "zod";
import { DEFAULT_FEE_TIERS } from "./constants.ts";
import { uniswapPositionManagerKind, uniswapSwapRouterKind } from "./firewall.ts";
import { type UniswapV3Config, uniswapV3Protocol } from "./protocol.ts";
import { uniswapV3Venue } from "./venue.ts";

/** The `chains.<name>.uniswap` section: the deployment, and the fee tiers swaps are routed through. */
export const uniswapV3ConfigSchema = z
  .object({
    factory: address,
    positionManager: address,
    quoter: address,
    router: address,
    feeTiers: z
      .array(z.number().int().positive())
      .min(1)
      .default([...DEFAULT_FEE_TIERS]),
  })
  .strict();

/** A valid `uniswap` section (the deployment). */
export type UniswapV3Section = UniswapV3Config;

/**
 * Uniswap V3 for the engine's registry: the `uniswap` section, its LP adapter, the position manager and SwapRouter for
 * the batch firewall, and the on-chain swap venue `uniswap-v3`.
 */
export const uniswapV3Plugin: ProtocolPlugin<UniswapV3Section> = {
  label: "Uniswap",
  sleeveKinds: { "uniswap-v3-lp": "lp" },
  configSchema: uniswapV3ConfigSchema,
  protocol: (section) => uniswapV3Protocol(section),
  firewall: (section) => [
    { address: section.positionManager, kind: uniswapPositionManagerKind },
    { address: section.router, kind: uniswapSwapRouterKind },
  ],
  venue: {
    name: "uniswap-v3",
    create: (section, { client, symbols }) =>
      uniswapV3Venue({
        client: client as Client<Transport, Chain | undefined>,
        quoter: section.quoter,
        router: section.router,
        feeTiers: section.feeTiers,
        symbols,
      }),
  },
};

import { addressSchema as address } from "@ballast/chain/schema";
import type { ProtocolPlugin } from "@ballast/core";
import type { Chain, Client, Transport } from "viem";
import { z } from "zod";
import { DEFAULT_FEE_TIERS, UNISWAP_V3_MAINNET } from "./constants.ts";
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

/** The original deployment (its SwapRouter, the one the venue encodes), on Ethereum and the chains sharing its addresses. */
const mainnet = {
  factory: UNISWAP_V3_MAINNET.factory,
  positionManager: UNISWAP_V3_MAINNET.positionManager,
  quoter: UNISWAP_V3_MAINNET.quoterV2,
  router: UNISWAP_V3_MAINNET.swapRouter,
};

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
  deployments: {
    1: mainnet,
    10: mainnet,
    137: mainnet,
    42161: mainnet,
    // Base has SwapRouter02 only, whose exactInputSingle has no deadline: the venue encodes the original SwapRouter,
    // so on Base swaps need another venue (see the keeper README); LP positions are read all the same.
    8453: {
      factory: "0x33128a8fC17869897dcE68Ed026d694621f6FDfD",
      positionManager: "0x03a520b32C04BF3bEEf7BEb72E919cf822Ed34f1",
      quoter: "0x3d4e44Eb1374240CE5F1B871ab261CD16335B76a",
      router: "0x2626664c2603336E57B271c5C0b26F421741e481",
    },
  },
};

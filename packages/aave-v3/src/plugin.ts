import { addressSchema as address } from "@ballast/chain/schema";
import type { Address, ProtocolPlugin } from "@ballast/core";
import { type Client, getAddress, parseAbi } from "viem";
import { readContract } from "viem/actions";
import { z } from "zod";
import { aavePoolKind } from "./firewall.ts";
import { aaveMarkets, getAaveMarket } from "./markets.ts";
import { type AaveV3Config, aaveV3Protocol } from "./protocol.ts";

/**
 * The `chains.<name>.aave` section: the market's addresses (`version` picks the UiPoolDataProvider layout, "latest"
 * for current markets, "legacy" for periphery-v3 3.0.x), or a production market's address-book name.
 */
export const aaveV3ConfigSchema = z.union([
  z
    .object({
      poolAddressesProvider: address,
      pool: address,
      uiPoolDataProvider: address,
      version: z.enum(["latest", "legacy"]).default("latest"),
    })
    .strict(),
  z.string().refine((name) => Object.hasOwn(aaveMarkets, name), {
    message: `expected market addresses or a known market name (${Object.keys(aaveMarkets).join(", ")})`,
  }),
]);

/** A valid `aave` section: the market (its addresses), or a market name. */
export type AaveV3Section = AaveV3Config | string;

/** The market a section names. */
export const aaveV3ConfigOf = (section: AaveV3Section): AaveV3Config =>
  typeof section === "string" ? getAaveMarket(section) : section;

/** Aave V3 for the engine's registry: the `aave` section, its adapter and its pool for the batch firewall. */
export const aaveV3Plugin: ProtocolPlugin<AaveV3Section> = {
  label: "an Aave market",
  sleeveKinds: { "aave-supply": "supply", "aave-borrow": "debt" },
  configSchema: aaveV3ConfigSchema,
  checkChain(section, { chainId }) {
    if (typeof section !== "string") return [];
    const market = getAaveMarket(section);
    return market.chainId === chainId
      ? []
      : [{ message: `${section} is on chain ${market.chainId}, not ${chainId}` }];
  },
  protocol: (section) => aaveV3Protocol(aaveV3ConfigOf(section)),
  firewall: (section) => [{ address: aaveV3ConfigOf(section).pool, kind: aavePoolKind }],
  deployments: {
    1: "AaveV3Ethereum",
    10: "AaveV3Optimism",
    137: "AaveV3Polygon",
    8453: "AaveV3Base",
    42161: "AaveV3Arbitrum",
  },
  tokenCandidates: (section, client) => aaveReserveTokens(aaveV3ConfigOf(section).pool, client as Client),
};

const reservesListAbi = parseAbi(["function getReservesList() view returns (address[])"]);

/** The underlying tokens of a market's reserves (`Pool.getReservesList()`). */
async function aaveReserveTokens(pool: Address, client: Client): Promise<Address[]> {
  const list = await readContract(client, {
    address: pool,
    abi: reservesListAbi,
    functionName: "getReservesList",
  });
  return list.map((a) => getAddress(a));
}

import { registeredProtocols } from "@ballast/engine";

/**
 * A chain `init --discover` knows by name: a config's `chains.<name>` entry without the account and the tokens (which
 * discovery finds), and the variable its RPC URL comes from. Protocol sections: each registered plugin's production
 * deployment on the chain (`ProtocolPlugin.deployments`: the Aave address book's market, Uniswap's published
 * deployment), and `swap` the venues they offer.
 */
export type KnownChain = {
  /** `chains.<name>` as written into the config: chainId, rpc (`${VAR}`), aave, uniswap, swap … */
  readonly entry: Readonly<Record<string, unknown>>;
  /** The token list's chain id and the variable `rpc` names. */
  readonly chainId: number;
  readonly rpcVar: string;
};

const known = (chainId: number, rpcVar: string, explorer: string): KnownChain => {
  const deployed = registeredProtocols().flatMap(([key, plugin]) => {
    const section = plugin.deployments?.[chainId];
    return section === undefined ? [] : [{ key, section, venue: plugin.venue }];
  });
  const swap = deployed.flatMap((d) => (d.venue && !d.venue.listedOnly ? [d.venue.name] : []));
  return {
    chainId,
    rpcVar,
    entry: {
      chainId,
      rpc: [`\${${rpcVar}}`],
      ...Object.fromEntries(deployed.map((d) => [d.key, d.section])),
      ...(swap.length > 0 ? { swap } : {}),
      explorer,
    },
  };
};

/** Chains known by name; `--chains-from` adds or replaces entries. */
export const KNOWN_CHAINS: Readonly<Record<string, KnownChain>> = {
  ethereum: known(1, "ETH_RPC_URL", "https://etherscan.io"),
  arbitrum: known(42161, "ARB_RPC_URL", "https://arbiscan.io"),
  optimism: known(10, "OP_RPC_URL", "https://optimistic.etherscan.io"),
  polygon: known(137, "POLYGON_RPC_URL", "https://polygonscan.com"),
  base: known(8453, "BASE_RPC_URL", "https://basescan.org"),
};

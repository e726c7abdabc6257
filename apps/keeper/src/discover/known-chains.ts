import { UNISWAP_V3_MAINNET } from "@ballast/uniswap-v3";

/**
 * A chain `init --discover` knows by name: a config's `chains.<name>` entry without the account and the tokens (which
 * discovery finds), and the variable its RPC URL comes from. Addresses: the Aave address book (markets by name) and
 * Uniswap's published deployments.
 */
export type KnownChain = {
  /** `chains.<name>` as written into the config: chainId, rpc (`${VAR}`), aave, uniswap, swap … */
  readonly entry: Readonly<Record<string, unknown>>;
  /** The token list's chain id and the variable `rpc` names. */
  readonly chainId: number;
  readonly rpcVar: string;
};

const uniswapMainnet = {
  factory: UNISWAP_V3_MAINNET.factory,
  positionManager: UNISWAP_V3_MAINNET.positionManager,
  quoter: UNISWAP_V3_MAINNET.quoterV2,
  router: UNISWAP_V3_MAINNET.swapRouter,
};

const known = (
  chainId: number,
  rpcVar: string,
  aave: string,
  uniswap: Record<string, string>,
  explorer: string,
): KnownChain => ({
  chainId,
  rpcVar,
  entry: { chainId, rpc: [`\${${rpcVar}}`], aave, uniswap, swap: ["uniswap-v3"], explorer },
});

/** Chains known by name; `--chains-from` adds or replaces entries. */
export const KNOWN_CHAINS: Readonly<Record<string, KnownChain>> = {
  ethereum: known(1, "ETH_RPC_URL", "AaveV3Ethereum", uniswapMainnet, "https://etherscan.io"),
  arbitrum: known(42161, "ARB_RPC_URL", "AaveV3Arbitrum", uniswapMainnet, "https://arbiscan.io"),
  optimism: known(10, "OP_RPC_URL", "AaveV3Optimism", uniswapMainnet, "https://optimistic.etherscan.io"),
  polygon: known(137, "POLYGON_RPC_URL", "AaveV3Polygon", uniswapMainnet, "https://polygonscan.com"),
  // Base has SwapRouter02 only, whose exactInputSingle has no deadline: Ballast's Uniswap venue encodes the original
  // SwapRouter, so on Base swaps need another venue (see the keeper README); LP positions are read all the same.
  base: known(
    8453,
    "BASE_RPC_URL",
    "AaveV3Base",
    {
      factory: "0x33128a8fC17869897dcE68Ed026d694621f6FDfD",
      positionManager: "0x03a520b32C04BF3bEEf7BEb72E919cf822Ed34f1",
      quoter: "0x3d4e44Eb1374240CE5F1B871ab261CD16335B76a",
      router: "0x2626664c2603336E57B271c5C0b26F421741e481",
    },
    "https://basescan.org",
  ),
};

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Abi, Address, Hex } from "viem";
import { DeploymentError } from "./errors.ts";

/** A Hardhat artifact as published in the npm packages (only the fields the testkit uses). */
export type Artifact = {
  contractName: string;
  abi: Abi;
  bytecode: Hex;
  /** Runtime bytecode (published artifacts only). */
  deployedBytecode?: Hex;
  linkReferences?: Record<string, Record<string, { start: number; length: number }[]>>;
};

const require = createRequire(import.meta.url);

/** Where each contract's published artifact lives (package-relative paths, resolved with Node's resolver). */
export const ARTIFACT_PATHS = {
  // Aave V3 core
  PoolAddressesProvider:
    "@aave/core-v3/artifacts/contracts/protocol/configuration/PoolAddressesProvider.sol/PoolAddressesProvider.json",
  ACLManager: "@aave/core-v3/artifacts/contracts/protocol/configuration/ACLManager.sol/ACLManager.json",
  Pool: "@aave/core-v3/artifacts/contracts/protocol/pool/Pool.sol/Pool.json",
  PoolConfigurator:
    "@aave/core-v3/artifacts/contracts/protocol/pool/PoolConfigurator.sol/PoolConfigurator.json",
  DefaultReserveInterestRateStrategy:
    "@aave/core-v3/artifacts/contracts/protocol/pool/DefaultReserveInterestRateStrategy.sol/DefaultReserveInterestRateStrategy.json",
  AToken: "@aave/core-v3/artifacts/contracts/protocol/tokenization/AToken.sol/AToken.json",
  VariableDebtToken:
    "@aave/core-v3/artifacts/contracts/protocol/tokenization/VariableDebtToken.sol/VariableDebtToken.json",
  StableDebtToken:
    "@aave/core-v3/artifacts/contracts/protocol/tokenization/StableDebtToken.sol/StableDebtToken.json",
  AaveOracle: "@aave/core-v3/artifacts/contracts/misc/AaveOracle.sol/AaveOracle.json",
  AaveProtocolDataProvider:
    "@aave/core-v3/artifacts/contracts/misc/AaveProtocolDataProvider.sol/AaveProtocolDataProvider.json",
  BorrowLogic: "@aave/core-v3/artifacts/contracts/protocol/libraries/logic/BorrowLogic.sol/BorrowLogic.json",
  BridgeLogic: "@aave/core-v3/artifacts/contracts/protocol/libraries/logic/BridgeLogic.sol/BridgeLogic.json",
  EModeLogic: "@aave/core-v3/artifacts/contracts/protocol/libraries/logic/EModeLogic.sol/EModeLogic.json",
  FlashLoanLogic:
    "@aave/core-v3/artifacts/contracts/protocol/libraries/logic/FlashLoanLogic.sol/FlashLoanLogic.json",
  LiquidationLogic:
    "@aave/core-v3/artifacts/contracts/protocol/libraries/logic/LiquidationLogic.sol/LiquidationLogic.json",
  PoolLogic: "@aave/core-v3/artifacts/contracts/protocol/libraries/logic/PoolLogic.sol/PoolLogic.json",
  SupplyLogic: "@aave/core-v3/artifacts/contracts/protocol/libraries/logic/SupplyLogic.sol/SupplyLogic.json",
  ConfiguratorLogic:
    "@aave/core-v3/artifacts/contracts/protocol/libraries/logic/ConfiguratorLogic.sol/ConfiguratorLogic.json",
  WETH9: "@aave/core-v3/artifacts/contracts/dependencies/weth/WETH9.sol/WETH9.json",
  MintableERC20: "@aave/core-v3/artifacts/contracts/mocks/tokens/MintableERC20.sol/MintableERC20.json",
  MockAggregator:
    "@aave/core-v3/artifacts/contracts/mocks/oracle/CLAggregators/MockAggregator.sol/MockAggregator.json",
  // Aave V3 periphery
  UiPoolDataProviderV3:
    "@aave/periphery-v3/artifacts/contracts/misc/UiPoolDataProviderV3.sol/UiPoolDataProviderV3.json",
  WalletBalanceProvider:
    "@aave/periphery-v3/artifacts/contracts/misc/WalletBalanceProvider.sol/WalletBalanceProvider.json",
  // Uniswap V3
  UniswapV3Factory: "@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
  UniswapV3Pool: "@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json",
  NonfungiblePositionManager:
    "@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json",
  SwapRouter: "@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json",
  QuoterV2: "@uniswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json",
  // Safe 1.3.0
  GnosisSafe: "@gnosis.pm/safe-contracts/build/artifacts/contracts/GnosisSafe.sol/GnosisSafe.json",
  GnosisSafeProxyFactory:
    "@gnosis.pm/safe-contracts/build/artifacts/contracts/proxies/GnosisSafeProxyFactory.sol/GnosisSafeProxyFactory.json",
  MultiSendCallOnly:
    "@gnosis.pm/safe-contracts/build/artifacts/contracts/libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json",
  CompatibilityFallbackHandler:
    "@gnosis.pm/safe-contracts/build/artifacts/contracts/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json",
  // ERC-4337 / EIP-7702
  Simple7702Account: "@account-abstraction/contracts/artifacts/Simple7702Account.json",
  // Across V3 (contracts 5.0.27): the L1 SpokePool, upgradeable behind an OpenZeppelin 5 ERC1967 proxy
  Ethereum_SpokePool:
    "@across-protocol/contracts/dist/evm/artifacts/Ethereum_SpokePool.sol/Ethereum_SpokePool.json",
  ERC1967Proxy: "@across-protocol/contracts/dist/evm/artifacts/ERC1967Proxy.sol/ERC1967Proxy.json",
} as const;

/** Name of a contract whose published artifact the testkit deploys. */
export type ArtifactName = keyof typeof ARTIFACT_PATHS;

const loaded = new Map<ArtifactName, Artifact>();

/** Loads a published artifact by name (cached). */
export function loadArtifact(name: ArtifactName): Artifact {
  let artifact = loaded.get(name);
  if (!artifact) {
    artifact = require(ARTIFACT_PATHS[name]) as Artifact;
    loaded.set(name, artifact);
  }
  return artifact;
}

/** The package versions the artifacts come from (part of the state cache key). */
export function artifactPackageVersions(): Record<string, string> {
  const names = [
    "@aave/core-v3",
    "@aave/periphery-v3",
    "@uniswap/v3-core",
    "@uniswap/v3-periphery",
    "@gnosis.pm/safe-contracts",
    "@account-abstraction/contracts",
    "@across-protocol/contracts",
    "@foundry-rs/anvil",
  ];
  return Object.fromEntries(
    names.map((name) => [name, (require(`${name}/package.json`) as { version: string }).version]),
  );
}

/**
 * Creation bytecode with library placeholders replaced by addresses. Every library the artifact references
 * must be given; a missing one is an error rather than a silently broken contract.
 */
export function linkBytecode(artifact: Artifact, libraries: Partial<Record<string, Address>>): Hex {
  let code = artifact.bytecode.slice(2);
  for (const [file, libs] of Object.entries(artifact.linkReferences ?? {})) {
    for (const [lib, refs] of Object.entries(libs)) {
      const address = libraries[lib];
      if (!address)
        throw new DeploymentError(`link ${artifact.contractName}`, `library ${lib} (${file}) missing`);
      const hex = address.slice(2).toLowerCase();
      for (const { start, length } of refs) {
        code = code.slice(0, start * 2) + hex + code.slice((start + length) * 2);
      }
    }
  }
  if (code.includes("__$"))
    throw new DeploymentError(`link ${artifact.contractName}`, "unlinked placeholder left");
  return `0x${code}`;
}

let multicall3: Hex | undefined;

/**
 * Multicall3's creation code as published in viem (viem deploys it for "deployless" multicalls). viem does not
 * export the constant, so it is read from viem's own distributed module.
 */
export function multicall3CreationCode(): Hex {
  if (multicall3) return multicall3;
  const root = dirname(require.resolve("viem/package.json"));
  for (const file of ["_esm/constants/contracts.js", "_cjs/constants/contracts.js"]) {
    try {
      const match = /multicall3Bytecode\s*=\s*['"](0x[0-9a-fA-F]+)['"]/.exec(
        readFileSync(join(root, file), "utf8"),
      );
      if (match?.[1]) {
        multicall3 = match[1] as Hex;
        return multicall3;
      }
    } catch {
      // try the next build
    }
  }
  throw new DeploymentError("Multicall3", `multicall3Bytecode not found in ${root}`);
}

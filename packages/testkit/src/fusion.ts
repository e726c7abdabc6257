/**
 * 1inch Limit Order Protocol v4 and the Fusion settlement extension on a local chain, compiled with solc-js from
 * their npm sources (`@1inch/limit-order-protocol-contract` 4.3.3, `@1inch/limit-order-settlement` 3.1.0).
 * See `/work/shared/notes/fusion.md` for the facts behind each choice.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { type Address, type Hex, parseAbi } from "viem";
import type { Artifact } from "./artifacts.ts";
import {
  compiledArtifact,
  compileSolidity,
  ensureCompiled,
  packageDir,
  readSource,
  sourceVersions,
} from "./compile.ts";
import { artifactDeployData, type Sender } from "./sender.ts";

const require = createRequire(import.meta.url);

const LOP = "@1inch/limit-order-protocol-contract";
const SETTLEMENT = "@1inch/limit-order-settlement";
const UTILS = "@1inch/solidity-utils";

/** The contracts compiled, by name: the protocol, the settlement extension, and an ERC-20 used as the access token. */
export const FUSION_SOURCES = {
  LimitOrderProtocol: `${LOP}/contracts/LimitOrderProtocol.sol`,
  SimpleSettlement: `${SETTLEMENT}/contracts/SimpleSettlement.sol`,
  TokenMock: `${UTILS}/contracts/mocks/TokenMock.sol`,
} as const;

/** Name of a compiled Fusion contract. */
export type FusionContractName = keyof typeof FUSION_SOURCES;

/** The LOP repository's hardhat settings (viaIR is required: "stack too deep" without it). */
export const FUSION_SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 1_000_000 },
  viaIR: true,
  evmVersion: "cancun",
  metadata: { bytecodeHash: "none" },
} as const;

/**
 * The EIP-712 domain `@1inch/fusion-sdk` signs for: the Aggregation Router V6's, which is the LOP deployed on
 * mainnet. The npm source says "1inch Limit Order Protocol" "4"; the testkit compiles it with this domain and places
 * it at the router's canonical address, so the SDK's typed data, order hashes and signatures are correct unchanged.
 */
export const FUSION_EIP712_DOMAIN = { name: "1inch Aggregation Router", version: "6" } as const;

/** Where the SDK expects the Limit Order Protocol on every chain the testkit runs (the Aggregation Router V6). */
export const LIMIT_ORDER_PROTOCOL_ADDRESS: Address = "0x111111125421cA6dc452d289314280a0f8842A65";

/** What the testkit deployed of 1inch on a chain. */
export type FusionDeployment = {
  /** The Limit Order Protocol at {@link LIMIT_ORDER_PROTOCOL_ADDRESS} (`anvil_setCode`; no owner, never paused). */
  limitOrderProtocol: Address;
  /** `SimpleSettlement(lop, accessToken, weth, deployer)`: the Fusion extension (auction, whitelist, fees). */
  settlement: Address;
  /** Holding ≥ 1 wei of it lets a non-whitelisted taker fill (the settlement's access rule). */
  accessToken: Address;
};

function packageRoots(): Record<string, string> {
  const lop = packageDir(require, LOP);
  return {
    [LOP]: lop,
    [SETTLEMENT]: packageDir(require, SETTLEMENT),
    [UTILS]: packageDir(require, UTILS),
    "@openzeppelin/contracts": packageDir(require, "@openzeppelin/contracts"),
  };
}

/**
 * A source with the two in-memory patches the build needs: the exact pragmas (settlement `0.8.23`, LOP `0.8.30`,
 * which import each other) relaxed to `^0.8.23`, and the LOP's EIP-712 domain set to {@link FUSION_EIP712_DOMAIN}.
 */
function patchedSource(roots: Record<string, string>, path: string): string {
  const source = readSource(roots, path).replace(/pragma solidity 0\.8\.\d+;/, "pragma solidity ^0.8.23;");
  if (path !== FUSION_SOURCES.LimitOrderProtocol) return source;
  const patched = source.replace(
    'EIP712("1inch Limit Order Protocol", "4")',
    `EIP712("${FUSION_EIP712_DOMAIN.name}", "${FUSION_EIP712_DOMAIN.version}")`,
  );
  if (patched === source) throw new Error(`${path}: the EIP712 constructor call was not found`);
  return patched;
}

/** Hash of every compile input other than the sources' contents: versions, settings, entry points, domain. */
export function fusionArtifactsKey(): string {
  return createHash("sha256")
    .update(
      JSON.stringify({
        versions: sourceVersions(packageRoots()),
        FUSION_SOLC_SETTINGS,
        FUSION_SOURCES,
        FUSION_EIP712_DOMAIN,
      }),
    )
    .digest("hex")
    .slice(0, 16);
}

/** Compiles the three contracts with solc-js (30–45 s on a 2-core machine: viaIR). Pure apart from reading sources. */
export function compileFusion(): Record<FusionContractName, Artifact> {
  const roots = packageRoots();
  const output = compileSolidity({
    label: "compile 1inch LOP v4 + Fusion settlement",
    units: Object.values(FUSION_SOURCES),
    settings: FUSION_SOLC_SETTINGS,
    read: (path) => patchedSource(roots, path),
  });
  const contracts = {} as Record<FusionContractName, Artifact>;
  for (const [name, unit] of Object.entries(FUSION_SOURCES) as [FusionContractName, string][])
    contracts[name] = compiledArtifact(output, unit, name);
  return contracts;
}

let memo: Record<FusionContractName, Artifact> | undefined;

/** The compiled contracts, from `<cacheDir>/fusion-<key>.artifacts.json`, compiled once per machine under a lock. */
export async function ensureFusionArtifacts(
  params: { cacheDir?: string | undefined; onCompile?: (() => void) | undefined } = {},
): Promise<Record<FusionContractName, Artifact> & { compiledMs?: number }> {
  if (memo && params.cacheDir === undefined) return memo;
  const { artifacts, compiledMs } = await ensureCompiled({
    file: `fusion-${fusionArtifactsKey()}.artifacts.json`,
    compile: compileFusion,
    onCompile:
      params.onCompile ??
      (() =>
        process.stderr.write(
          "[testkit] compiling 1inch LOP v4 + Fusion settlement with solc-js (once per machine, 30–45 s)…\n",
        )),
    cacheDir: params.cacheDir,
  });
  if (params.cacheDir === undefined) memo = artifacts;
  return compiledMs === undefined ? artifacts : { ...artifacts, compiledMs };
}

/**
 * Deploys the access token, the LOP (constructor: WETH) and `SimpleSettlement(LOP, accessToken, WETH, owner)`, then
 * copies the LOP's runtime code to {@link LIMIT_ORDER_PROTOCOL_ADDRESS} (its immutables are in the code; OpenZeppelin's
 * EIP712 rebuilds the separator for the new address). Waits for every transaction `d` has sent.
 */
export async function deployFusion(
  d: Sender,
  params: { owner: Address; weth: Address },
): Promise<FusionDeployment> {
  const contracts = await ensureFusionArtifacts();
  const accessToken = await d.deploy(
    "1inch access token",
    artifactDeployData(contracts.TokenMock, ["Fusion access", "ACCESS"]),
  );
  const deployed = await d.deploy(
    "LimitOrderProtocol",
    artifactDeployData(contracts.LimitOrderProtocol, [params.weth]),
  );
  const settlement = await d.deploy(
    "SimpleSettlement",
    artifactDeployData(contracts.SimpleSettlement, [
      LIMIT_ORDER_PROTOCOL_ADDRESS,
      accessToken,
      params.weth,
      params.owner,
    ]),
  );
  await d.verify();
  const code = await d.rpc<Hex>("eth_getCode", [deployed, "latest"]);
  await d.rpc("anvil_setCode", [LIMIT_ORDER_PROTOCOL_ADDRESS, code]);
  return { limitOrderProtocol: LIMIT_ORDER_PROTOCOL_ADDRESS, settlement, accessToken };
}

/** The parts of the Limit Order Protocol v4 the testkit's resolver and API stand-in call (`Order` fields are uint256). */
export const limitOrderProtocolAbi = parseAbi([
  "struct Order { uint256 salt; uint256 maker; uint256 receiver; uint256 makerAsset; uint256 takerAsset; uint256 makingAmount; uint256 takingAmount; uint256 makerTraits; }",
  "function fillOrderArgs(Order order, bytes32 r, bytes32 vs, uint256 amount, uint256 takerTraits, bytes args) payable returns (uint256 makingAmount, uint256 takingAmount, bytes32 orderHash)",
  "function hashOrder(Order order) view returns (bytes32)",
  "function remainingInvalidatorForOrder(address maker, bytes32 orderHash) view returns (uint256)",
  "function bitInvalidatorForOrder(address maker, uint256 slot) view returns (uint256)",
  "function cancelOrder(uint256 makerTraits, bytes32 orderHash)",
  "function DOMAIN_SEPARATOR() view returns (bytes32)",
  "event OrderFilled(bytes32 orderHash, uint256 remainingAmount)",
  "event OrderCancelled(bytes32 orderHash)",
  "error OrderExpired()",
  "error BadSignature()",
  "error InvalidatedOrder()",
  "error TakingAmountTooHigh()",
]);

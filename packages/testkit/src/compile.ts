import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Abi } from "viem";
import type { Artifact } from "./artifacts.ts";
import { DeploymentError } from "./errors.ts";
import { DEFAULT_CACHE_DIR, withCacheLock, writeAtomic } from "./file-cache.ts";

const require = createRequire(import.meta.url);

/** The Aave v3.6 contracts the testkit compiles (from `@aave-dao/aave-v3-origin`), by contract name. */
export const AAVE_36_SOURCES = {
  PoolAddressesProvider: "protocol/configuration/PoolAddressesProvider.sol",
  ACLManager: "protocol/configuration/ACLManager.sol",
  PoolInstance: "instances/PoolInstance.sol",
  PoolConfiguratorInstance: "instances/PoolConfiguratorInstance.sol",
  ATokenInstance: "instances/ATokenInstance.sol",
  VariableDebtTokenInstance: "instances/VariableDebtTokenInstance.sol",
  AaveOracle: "misc/AaveOracle.sol",
  DefaultReserveInterestRateStrategyV2: "misc/DefaultReserveInterestRateStrategyV2.sol",
  AaveProtocolDataProvider: "helpers/AaveProtocolDataProvider.sol",
  UiPoolDataProviderV3: "helpers/UiPoolDataProviderV3.sol",
  WalletBalanceProvider: "helpers/WalletBalanceProvider.sol",
  BorrowLogic: "protocol/libraries/logic/BorrowLogic.sol",
  ConfiguratorLogic: "protocol/libraries/logic/ConfiguratorLogic.sol",
  FlashLoanLogic: "protocol/libraries/logic/FlashLoanLogic.sol",
  LiquidationLogic: "protocol/libraries/logic/LiquidationLogic.sol",
  PoolLogic: "protocol/libraries/logic/PoolLogic.sol",
  SupplyLogic: "protocol/libraries/logic/SupplyLogic.sol",
} as const;

/** Name of a compiled Aave v3.6 contract. */
export type Aave36ContractName = keyof typeof AAVE_36_SOURCES;

/** The compiled Aave v3.6 market: one artifact per contract, and the ABI of every custom error (`Errors.sol`). */
export type Aave36Artifacts = {
  contracts: Record<Aave36ContractName, Artifact>;
  /** The 90-odd custom errors of library `Errors`: reverts inside linked libraries are in no contract's ABI. */
  errors: Abi;
};

const ORIGIN = "@aave-dao/aave-v3-origin";
const ERRORS_UNIT = `${ORIGIN}/src/contracts/protocol/libraries/helpers/Errors.sol`;

/** The settings of aave-v3-origin's foundry.toml at v3.6.0, and the remappings its npm layout needs. */
export const AAVE_36_SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "shanghai",
  viaIR: false,
  metadata: { bytecodeHash: "none" },
  remappings: [
    "openzeppelin-contracts-upgradeable/contracts/=@openzeppelin/contracts-upgradeable/",
    "openzeppelin-contracts/contracts/=@openzeppelin/contracts/",
    "solidity-utils/contracts/=@bgd-labs/solidity-utils/src/contracts/",
  ],
} as const;

/** Where each npm package the sources import lives (solidity-utils is the origin package's own dependency). */
function packageRoots(): Record<string, string> {
  const root = (req: NodeJS.Require, name: string) => dirname(req.resolve(`${name}/package.json`));
  const origin = root(require, ORIGIN);
  const originRequire = createRequire(join(origin, "package.json"));
  return {
    [ORIGIN]: origin,
    "@openzeppelin/contracts": root(require, "@openzeppelin/contracts"),
    "@openzeppelin/contracts-upgradeable": root(require, "@openzeppelin/contracts-upgradeable"),
    "@bgd-labs/solidity-utils": root(originRequire, "@bgd-labs/solidity-utils"),
  };
}

/** The versions the compiled bytecode depends on (solc and every source package). */
export function aave36SourceVersions(): Record<string, string> {
  const versions: Record<string, string> = {
    solc: (require("solc/package.json") as { version: string }).version,
  };
  for (const [name, dir] of Object.entries(packageRoots()))
    versions[name] = (
      JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }
    ).version;
  return versions;
}

/** Hash of every compile input that is not a source file's content: versions, settings, entry points. */
export function aave36ArtifactsKey(): string {
  return createHash("sha256")
    .update(JSON.stringify({ versions: aave36SourceVersions(), AAVE_36_SOLC_SETTINGS, AAVE_36_SOURCES }))
    .digest("hex")
    .slice(0, 16);
}

type SolcOutput = {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<
      string,
      {
        abi: Abi;
        evm?: { bytecode?: { object: string; linkReferences?: Artifact["linkReferences"] } };
      }
    >
  >;
};

/** Compiles the market with solc-js (standard JSON; 18–35 s on a 2-core machine). Pure apart from reading sources. */
export function compileAave36(): Aave36Artifacts {
  const roots = packageRoots();
  const solc = require("solc") as { compile: (input: string, callbacks: object) => string };
  const unit = (file: string) => `${ORIGIN}/src/contracts/${file}`;
  const sources: Record<string, { content: string }> = {};
  for (const file of new Set(Object.values(AAVE_36_SOURCES)))
    sources[unit(file)] = { content: readSource(roots, unit(file)) };
  const input = {
    language: "Solidity",
    sources,
    settings: {
      ...AAVE_36_SOLC_SETTINGS,
      remappings: [...AAVE_36_SOLC_SETTINGS.remappings],
      outputSelection: {
        "*": { "*": ["abi", "evm.bytecode.object", "evm.bytecode.linkReferences"] },
      },
    },
  };
  const findImports = (path: string) => {
    try {
      return { contents: readSource(roots, path) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0)
    throw new DeploymentError("compile Aave v3.6", errors.map((e) => e.formattedMessage).join("\n"));

  const contracts = {} as Record<Aave36ContractName, Artifact>;
  for (const [name, file] of Object.entries(AAVE_36_SOURCES) as [Aave36ContractName, string][]) {
    const compiled = output.contracts?.[unit(file)]?.[name];
    const bytecode = compiled?.evm?.bytecode?.object;
    if (!compiled || !bytecode) throw new DeploymentError(`compile ${name}`, `no output for ${unit(file)}`);
    contracts[name] = {
      contractName: name,
      abi: compiled.abi,
      bytecode: `0x${bytecode}`,
      linkReferences: compiled.evm?.bytecode?.linkReferences ?? {},
    };
  }
  const errorsAbi = output.contracts?.[ERRORS_UNIT]?.Errors?.abi;
  if (!errorsAbi) throw new DeploymentError("compile Aave v3.6", `no ABI for ${ERRORS_UNIT}`);
  return { contracts, errors: errorsAbi };
}

/** Reads a source unit named in npm form (`@scope/pkg/path.sol`) from the package it names. */
function readSource(roots: Record<string, string>, path: string): string {
  const pkg = Object.keys(roots).find((name) => path.startsWith(`${name}/`));
  if (!pkg) throw new Error(`source ${path} is outside the known packages`);
  const file = join(roots[pkg]!, path.slice(pkg.length + 1));
  if (!existsSync(file)) throw new Error(`source ${path} not found (${file})`);
  return readFileSync(file, "utf8");
}

let memo: Aave36Artifacts | undefined;

const defaultOnCompile = () =>
  process.stderr.write(
    "[testkit] compiling Aave 3.6 from @aave-dao/aave-v3-origin with solc-js (once per machine, 20–35 s)…\n",
  );

/**
 * The compiled Aave v3.6 market, from `<cacheDir>/aave-3.6-<key>.artifacts.json` when present, else compiled once
 * and written there. Concurrent callers (vitest workers, packages) wait for one compile under a lock file.
 */
export async function ensureAave36Artifacts(
  params: { cacheDir?: string | undefined; onCompile?: (() => void) | undefined } = {},
): Promise<Aave36Artifacts & { compiledMs?: number }> {
  if (memo && params.cacheDir === undefined) return memo;
  const cacheDir = params.cacheDir ?? DEFAULT_CACHE_DIR;
  const path = join(cacheDir, `aave-3.6-${aave36ArtifactsKey()}.artifacts.json`);
  let compiledMs: number | undefined;
  await withCacheLock({
    cacheDir,
    lockPath: `${path}.lock`,
    isReady: () => existsSync(path),
    // The compile holds the lock for up to a minute on a loaded machine: waiters are patient.
    waitMs: 10 * 60_000,
    staleMs: 10 * 60_000,
    build: () => {
      (params.onCompile ?? defaultOnCompile)();
      const started = performance.now();
      const artifacts = compileAave36();
      compiledMs = performance.now() - started;
      writeAtomic(path, JSON.stringify(artifacts));
    },
  });
  const artifacts = JSON.parse(readFileSync(path, "utf8")) as Aave36Artifacts;
  if (params.cacheDir === undefined) memo = artifacts;
  return compiledMs === undefined ? artifacts : { ...artifacts, compiledMs };
}

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
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
  const origin = packageDir(require, ORIGIN);
  const originRequire = createRequire(join(origin, "package.json"));
  return {
    [ORIGIN]: origin,
    "@openzeppelin/contracts": packageDir(require, "@openzeppelin/contracts"),
    "@openzeppelin/contracts-upgradeable": packageDir(require, "@openzeppelin/contracts-upgradeable"),
    "@bgd-labs/solidity-utils": packageDir(originRequire, "@bgd-labs/solidity-utils"),
  };
}

/**
 * The folder of an installed package, found the way Node looks for it from `req`'s location. Reads no `exports`
 * map: source-only packages (the 1inch contracts) do not export `package.json`.
 */
export function packageDir(req: NodeJS.Require, name: string): string {
  const dir = (req.resolve.paths(name) ?? [])
    .map((base) => join(base, name))
    .find((candidate) => existsSync(join(candidate, "package.json")));
  if (!dir) throw new DeploymentError(`find ${name}`, "the package is not installed");
  return dir;
}

/** The versions compiled bytecode depends on: solc's and each source package's (`roots`: name → folder). */
export function sourceVersions(roots: Record<string, string>): Record<string, string> {
  const versions: Record<string, string> = {
    solc: (require("solc/package.json") as { version: string }).version,
  };
  for (const [name, dir] of Object.entries(roots))
    versions[name] = (
      JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }
    ).version;
  return versions;
}

/** The versions the compiled Aave 3.6 bytecode depends on (solc and every source package). */
export function aave36SourceVersions(): Record<string, string> {
  return sourceVersions(packageRoots());
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

/**
 * Compiles source units with solc-js (standard JSON): `units` are npm-form paths (`@scope/pkg/file.sol`), read
 * with `read`, which also answers every import. Returns the output by unit and contract; throws `DeploymentError`
 * with solc's messages on any error. Pure apart from what `read` reads; synchronous (solc-js is single-threaded).
 */
export function compileSolidity(params: {
  label: string;
  units: readonly string[];
  settings: object;
  read: (path: string) => string;
}): NonNullable<SolcOutput["contracts"]> {
  const solc = require("solc") as { compile: (input: string, callbacks: object) => string };
  const sources: Record<string, { content: string }> = {};
  for (const unit of new Set(params.units)) sources[unit] = { content: params.read(unit) };
  const input = {
    language: "Solidity",
    sources,
    settings: {
      ...params.settings,
      outputSelection: {
        "*": { "*": ["abi", "evm.bytecode.object", "evm.bytecode.linkReferences"] },
      },
    },
  };
  const findImports = (path: string) => {
    try {
      return { contents: params.read(path) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0)
    throw new DeploymentError(params.label, errors.map((e) => e.formattedMessage).join("\n"));
  return output.contracts ?? {};
}

/** One contract of a {@link compileSolidity} output as an {@link Artifact}; throws when solc produced none. */
export function compiledArtifact(
  contracts: ReturnType<typeof compileSolidity>,
  unit: string,
  name: string,
): Artifact {
  const compiled = contracts[unit]?.[name];
  const bytecode = compiled?.evm?.bytecode?.object;
  if (!compiled || !bytecode) throw new DeploymentError(`compile ${name}`, `no output for ${unit}`);
  return {
    contractName: name,
    abi: compiled.abi,
    bytecode: `0x${bytecode}`,
    linkReferences: compiled.evm?.bytecode?.linkReferences ?? {},
  };
}

/** Compiles the market with solc-js (standard JSON; 18–35 s on a 2-core machine). Pure apart from reading sources. */
export function compileAave36(): Aave36Artifacts {
  const roots = packageRoots();
  const unit = (file: string) => `${ORIGIN}/src/contracts/${file}`;
  const output = compileSolidity({
    label: "compile Aave v3.6",
    units: Object.values(AAVE_36_SOURCES).map(unit),
    settings: { ...AAVE_36_SOLC_SETTINGS, remappings: [...AAVE_36_SOLC_SETTINGS.remappings] },
    read: (path) => readSource(roots, path),
  });
  const contracts = {} as Record<Aave36ContractName, Artifact>;
  for (const [name, file] of Object.entries(AAVE_36_SOURCES) as [Aave36ContractName, string][])
    contracts[name] = compiledArtifact(output, unit(file), name);
  const errorsAbi = output[ERRORS_UNIT]?.Errors?.abi;
  if (!errorsAbi) throw new DeploymentError("compile Aave v3.6", `no ABI for ${ERRORS_UNIT}`);
  return { contracts, errors: errorsAbi };
}

/** Reads a source unit named in npm form (`@scope/pkg/path.sol`) from the package it names. */
export function readSource(roots: Record<string, string>, path: string): string {
  const pkg = Object.keys(roots).find((name) => path.startsWith(`${name}/`));
  if (!pkg) throw new Error(`source ${path} is outside the known packages`);
  const file = join(roots[pkg]!, path.slice(pkg.length + 1));
  if (!existsSync(file)) throw new Error(`source ${path} not found (${file})`);
  return readFileSync(file, "utf8");
}

/**
 * Compiled artifacts from `<cacheDir>/<file>` when present, else compiled once and written there. Concurrent callers
 * (vitest workers, packages) wait for one compile under a lock file. `compiledMs` is set when this call compiled.
 */
export async function ensureCompiled<T>(params: {
  file: string;
  compile: () => T;
  onCompile: () => void;
  cacheDir?: string | undefined;
}): Promise<{ artifacts: T; compiledMs?: number }> {
  const cacheDir = params.cacheDir ?? DEFAULT_CACHE_DIR;
  const path = join(cacheDir, params.file);
  let compiledMs: number | undefined;
  await withCacheLock({
    cacheDir,
    lockPath: `${path}.lock`,
    isReady: () => existsSync(path),
    // A compile holds the lock for up to a minute on a loaded machine: waiters are patient.
    waitMs: 10 * 60_000,
    staleMs: 10 * 60_000,
    build: () => {
      params.onCompile();
      const started = performance.now();
      const artifacts = params.compile();
      compiledMs = performance.now() - started;
      writeAtomic(path, JSON.stringify(artifacts));
    },
  });
  const artifacts = JSON.parse(readFileSync(path, "utf8")) as T;
  return compiledMs === undefined ? { artifacts } : { artifacts, compiledMs };
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
  const { artifacts, compiledMs } = await ensureCompiled({
    file: `aave-3.6-${aave36ArtifactsKey()}.artifacts.json`,
    compile: compileAave36,
    onCompile: params.onCompile ?? defaultOnCompile,
    cacheDir: params.cacheDir,
  });
  if (params.cacheDir === undefined) memo = artifacts;
  return compiledMs === undefined ? artifacts : { ...artifacts, compiledMs };
}

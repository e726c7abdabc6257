import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { createClient, type Hex, http } from "viem";
import { startAnvil } from "./anvil.ts";
import { artifactPackageVersions } from "./artifacts.ts";
import { aave36ArtifactsKey, ensureAave36Artifacts } from "./compile.ts";
import { type AaveVersion, DEFAULT_AAVE_VERSION, MARKET } from "./config.ts";
import { deployProtocols } from "./deploy.ts";
import { type Deployment, parseDeployment, serializeDeployment } from "./deployment.ts";
import { DEFAULT_CACHE_DIR, withCacheLock, writeAtomic } from "./file-cache.ts";
import { ensureFusionArtifacts, fusionArtifactsKey } from "./fusion.ts";

export { DEFAULT_CACHE_DIR } from "./file-cache.ts";

/** Bump to invalidate every cached state (e.g. when the file layout changes). */
const CACHE_FORMAT = 2;

const SOURCE_DIR = dirname(fileURLToPath(import.meta.url));

/** A cached, fully deployed chain: anvil's state file plus the deployment description. */
export type CachedState = {
  chainId: number;
  aave: AaveVersion;
  /** Hash of the deploy inputs this state was built from. */
  key: string;
  /** Path of the anvil state JSON (for `--load-state`). */
  statePath: string;
  deployment: Deployment;
  /** True when this call built the state (a cache miss). */
  built: boolean;
  /** Milliseconds spent deploying and dumping, when built. */
  buildMs?: number;
};

/**
 * The cache key: a hash of everything the deployed state depends on — chain id, Aave version, the market config,
 * the artifact package versions (and anvil's), the Aave v3.6 compile inputs, and the testkit's own source files.
 */
export function stateCacheKey(chainId: number, aave: AaveVersion = DEFAULT_AAVE_VERSION): string {
  const hash = createHash("sha256");
  hash.update(
    JSON.stringify(
      {
        CACHE_FORMAT,
        chainId,
        aave,
        market: MARKET,
        versions: artifactPackageVersions(),
        compiled: aave === "3.6" ? aave36ArtifactsKey() : null,
        fusion: fusionArtifactsKey(),
      },
      (_k, v) => (typeof v === "bigint" ? v.toString() : v),
    ),
  );
  for (const file of readdirSync(SOURCE_DIR).sort()) {
    if (!file.endsWith(".ts") || file.endsWith(".test.ts")) continue;
    hash.update(file);
    hash.update(readFileSync(join(SOURCE_DIR, file)));
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * Returns the cached deployed state for a chain id and Aave version, building it first if it is missing or stale
 * (deploy on a fresh anvil, `anvil_dumpState`, write). Safe when several processes call it at once: one builds
 * under a lock file, the others wait; files are written to a temp name and renamed into place.
 */
export async function ensureCachedState(params: {
  chainId: number;
  /** Aave market to deploy (default {@link DEFAULT_AAVE_VERSION}). */
  aave?: AaveVersion | undefined;
  cacheDir?: string | undefined;
  lockTimeoutMs?: number | undefined;
}): Promise<CachedState> {
  const { chainId } = params;
  const aave = params.aave ?? DEFAULT_AAVE_VERSION;
  const cacheDir = params.cacheDir ?? DEFAULT_CACHE_DIR;
  const key = stateCacheKey(chainId, aave);
  const prefix = `chain-${chainId}-aave${aave}-`;
  const statePath = join(cacheDir, `${prefix}${key}.state.json`);
  // The deployment file is renamed into place last: its presence means the state file is complete.
  const deploymentPath = join(cacheDir, `${prefix}${key}.deployment.json`);
  const isReady = () => existsSync(deploymentPath) && existsSync(statePath);
  let buildMs: number | undefined;
  await withCacheLock({
    cacheDir,
    lockPath: join(cacheDir, `${prefix}${key}.lock`),
    isReady,
    waitMs: params.lockTimeoutMs,
    build: async () => {
      const started = performance.now();
      const { deployment, state } = await buildState(chainId, aave);
      writeAtomic(statePath, state);
      writeAtomic(deploymentPath, serializeDeployment(deployment));
      pruneOtherKeys(cacheDir, prefix, key);
      buildMs = performance.now() - started;
    },
  });
  const deployment = parseDeployment(readFileSync(deploymentPath, "utf8"));
  return {
    chainId,
    aave,
    key,
    statePath,
    deployment,
    ...(buildMs === undefined ? { built: false } : { built: true, buildMs }),
  };
}

async function buildState(
  chainId: number,
  aave: AaveVersion,
): Promise<{ deployment: Deployment; state: Buffer }> {
  // The compile is synchronous solc-js (20–35 s that block the event loop): do it before any chain is deploying, or a
  // deploy request in flight on another chain times out meanwhile.
  if (aave === "3.6") await ensureAave36Artifacts();
  await ensureFusionArtifacts();
  const anvil = await startAnvil({ chainId });
  try {
    // No retries: a retried eth_sendTransaction whose first attempt landed fails with "nonce too low".
    const client = createClient({ transport: http(anvil.rpcUrl, { retryCount: 0, timeout: 120_000 }) });
    const deployment = await deployProtocols(client, { aave });
    const dump = (await client.request({ method: "anvil_dumpState" } as never)) as Hex;
    // anvil dumps gzip; --load-state reads plain JSON.
    return { deployment, state: gunzipSync(Buffer.from(dump.slice(2), "hex")) };
  } finally {
    await anvil.stop();
  }
}

/** Removes states built from other deploy inputs, once they are old enough that no concurrent run still starts from them. */
function pruneOtherKeys(cacheDir: string, prefix: string, key: string, minAgeMs = 10 * 60_000): void {
  for (const name of readdirSync(cacheDir)) {
    if (!name.startsWith(prefix) || name.startsWith(`${prefix}${key}.`) || name.endsWith(".lock")) continue;
    const path = join(cacheDir, name);
    try {
      if (Date.now() - statSync(path).mtimeMs >= minAgeMs) rmSync(path, { force: true });
    } catch {
      // already gone
    }
  }
}

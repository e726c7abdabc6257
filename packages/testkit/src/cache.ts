import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { createClient, type Hex, http } from "viem";
import { startAnvil } from "./anvil.ts";
import { artifactPackageVersions } from "./artifacts.ts";
import { MARKET } from "./config.ts";
import { deployProtocols } from "./deploy.ts";
import { type Deployment, parseDeployment, serializeDeployment } from "./deployment.ts";
import { TestkitError } from "./errors.ts";

/** Bump to invalidate every cached state (e.g. when the file layout changes). */
const CACHE_FORMAT = 1;

const SOURCE_DIR = dirname(fileURLToPath(import.meta.url));

/** The default cache directory: `packages/testkit/.cache` (gitignored). */
export const DEFAULT_CACHE_DIR = join(SOURCE_DIR, "..", ".cache");

/** A cached, fully deployed chain: anvil's state file plus the deployment description. */
export type CachedState = {
  chainId: number;
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
 * The cache key: a hash of everything the deployed state depends on — chain id, the market config, the
 * artifact package versions (and anvil's), and the testkit's own source files.
 */
export function stateCacheKey(chainId: number): string {
  const hash = createHash("sha256");
  hash.update(
    JSON.stringify({ CACHE_FORMAT, chainId, market: MARKET, versions: artifactPackageVersions() }, (_k, v) =>
      typeof v === "bigint" ? v.toString() : v,
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
 * Returns the cached deployed state for a chain id, building it first if it is missing or stale (deploy on a
 * fresh anvil, `anvil_dumpState`, write). Safe when several processes call it at once: one builds under a
 * lock file, the others wait; files are written to a temp name and renamed into place.
 */
export async function ensureCachedState(params: {
  chainId: number;
  cacheDir?: string | undefined;
  lockTimeoutMs?: number | undefined;
}): Promise<CachedState> {
  const cacheDir = params.cacheDir ?? DEFAULT_CACHE_DIR;
  const key = stateCacheKey(params.chainId);
  const base = join(cacheDir, `chain-${params.chainId}-${key}`);
  const statePath = `${base}.state.json`;
  const deploymentPath = `${base}.deployment.json`;
  const lockPath = `${base}.lock`;
  const readCached = (): CachedState | undefined => {
    // The deployment file is renamed into place last: its presence means the state file is complete.
    if (!existsSync(deploymentPath) || !existsSync(statePath)) return undefined;
    const deployment = parseDeployment(readFileSync(deploymentPath, "utf8"));
    return { chainId: params.chainId, key, statePath, deployment, built: false };
  };

  const hit = readCached();
  if (hit) return hit;
  mkdirSync(cacheDir, { recursive: true });

  const deadline = Date.now() + (params.lockTimeoutMs ?? 60_000);
  for (;;) {
    if (tryLock(lockPath)) break;
    const ready = readCached();
    if (ready) return ready;
    if (isStaleLock(lockPath)) {
      rmSync(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new TestkitError(`Timed out waiting for the state cache lock ${lockPath}.`, {
        details: "Another process is building the cache; delete the lock file if it is left over.",
      });
    await new Promise((r) => setTimeout(r, 50));
  }

  try {
    const again = readCached();
    if (again) return again;
    const started = performance.now();
    const { deployment, state } = await buildState(params.chainId);
    writeAtomic(statePath, state);
    writeAtomic(deploymentPath, serializeDeployment(deployment));
    pruneOtherKeys(cacheDir, params.chainId, key);
    return {
      chainId: params.chainId,
      key,
      statePath,
      deployment,
      built: true,
      buildMs: performance.now() - started,
    };
  } finally {
    rmSync(lockPath, { force: true });
  }
}

async function buildState(chainId: number): Promise<{ deployment: Deployment; state: Buffer }> {
  const anvil = await startAnvil({ chainId });
  try {
    const client = createClient({ transport: http(anvil.rpcUrl) });
    const deployment = await deployProtocols(client);
    const dump = (await client.request({ method: "anvil_dumpState" } as never)) as Hex;
    // anvil dumps gzip; --load-state reads plain JSON.
    return { deployment, state: gunzipSync(Buffer.from(dump.slice(2), "hex")) };
  } finally {
    await anvil.stop();
  }
}

function tryLock(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, "wx");
    writeFileSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

function isStaleLock(lockPath: string): boolean {
  try {
    const owner = Number(readFileSync(lockPath, "utf8"));
    if (owner > 0) {
      try {
        process.kill(owner, 0);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ESRCH") return true;
      }
    }
    return Date.now() - statSync(lockPath).mtimeMs > 120_000;
  } catch {
    return false; // vanished or being written: look again
  }
}

function writeAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Removes states built from other deploy inputs, once they are old enough that no concurrent run still starts from them. */
function pruneOtherKeys(cacheDir: string, chainId: number, key: string, minAgeMs = 10 * 60_000): void {
  const prefix = `chain-${chainId}-`;
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

import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TestkitError } from "./errors.ts";

/** The default cache directory: `packages/testkit/.cache` (gitignored). */
export const DEFAULT_CACHE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", ".cache");

/**
 * Builds a cache entry once across processes: returns at once when `isReady()`, else takes `lockPath` (`O_EXCL`)
 * and runs `build` (which must write its files atomically, the marker of readiness last), while other callers
 * wait for `isReady()`. A lock whose owner PID is dead, or older than `staleMs`, is broken.
 */
export async function withCacheLock(params: {
  cacheDir: string;
  lockPath: string;
  isReady: () => boolean;
  build: () => void | Promise<void>;
  waitMs?: number | undefined;
  staleMs?: number | undefined;
}): Promise<void> {
  if (params.isReady()) return;
  mkdirSync(params.cacheDir, { recursive: true });
  const deadline = Date.now() + (params.waitMs ?? 60_000);
  for (;;) {
    if (tryLock(params.lockPath)) break;
    if (params.isReady()) return;
    if (isStaleLock(params.lockPath, params.staleMs ?? 120_000)) {
      rmSync(params.lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new TestkitError(`Timed out waiting for the cache lock ${params.lockPath}.`, {
        details: "Another process is building the cache; delete the lock file if it is left over.",
      });
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    if (!params.isReady()) await params.build();
  } finally {
    rmSync(params.lockPath, { force: true });
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

function isStaleLock(lockPath: string, staleMs: number): boolean {
  try {
    const owner = Number(readFileSync(lockPath, "utf8"));
    if (owner > 0) {
      try {
        process.kill(owner, 0);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ESRCH") return true;
      }
    }
    return Date.now() - statSync(lockPath).mtimeMs > staleMs;
  } catch {
    return false; // vanished or being written: look again
  }
}

/** Writes to a temp name and renames into place, so readers never see a partial file. */
export function writeAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Builds the `ballast` bin: `dist/ballast.js` and the ESM chunks it loads, bundling the keeper and the workspace
 * packages from their TypeScript sources (which stay the truth; nothing else is built), so `ballast` starts without
 * a TypeScript loader. Split at every dynamic `import()`: what only some commands use (the Zodiac Roles SDK with
 * ethers for `safe-permissions`, the backtest, Postgres) is a chunk loaded when a command needs it, not at every
 * start — and with no module wrapped for lazy loading in one file, esbuild drops the exports nothing uses (the 1inch
 * Fusion SDK with axios, which `run` does not use). Left outside the bundle: better-sqlite3 (a native addon) and pino
 * with pino-pretty (its transport loads pino-pretty by name in a worker). `ballast demo` needs the dev-only testkit,
 * which resolves npm artifacts next to its own sources: the build replaces the demo with a message that points to
 * `pnpm demo`.
 *
 *   pnpm --filter @ballast/keeper build      then   node apps/keeper/dist/ballast.js --help
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

const demoFromSources: Plugin = {
  name: "demo-from-sources",
  setup(b) {
    b.onResolve({ filter: /^\.\/demo\.ts$/ }, () => ({ path: "demo", namespace: "demo-from-sources" }));
    b.onLoad({ filter: /.*/, namespace: "demo-from-sources" }, () => ({
      loader: "ts",
      resolveDir: join(here, "src"),
      contents: `import { BallastError } from "@ballast/core";
export async function runDemo(): Promise<void> {
  throw new BallastError("The demo runs from the sources: use \`pnpm demo\` in a clone of the repository.", {
    details: "It starts local chains with the dev-only testkit, which the built bin leaves out.",
  });
}`,
    }));
  },
};

/**
 * The bin's Node flags, in its shebang: V8's young generation capped at 4 MB per semi-space (16 by default, which a
 * long-running daemon grows to and keeps). Measured by `pnpm bench:cycle` over 1,000 cycles of `ballast run`: peak
 * RSS 153 → 128 MB, the steady cycle's time unchanged within the noise (planning 1,000 holdings in a loop, which
 * allocates far more: +15% CPU). `node dist/ballast.js` bypasses the shebang: pass the flags to node there.
 * The shebang needs an `env` with `-S` (GNU coreutils ≥ 8.30, macOS, the BSDs; busybox's has none).
 */
const BIN_NODE_FLAGS = "--max-semi-space-size=4";

/**
 * Bundles `src/cli.ts` into `outdir` (under this package, where the bin finds its dependencies left outside):
 * `ballast.js` and its chunks. Returns the entry's path.
 */
export async function buildBin(outdir: string): Promise<string> {
  // Chunks are named by their content: none of an older build stays. Files only: test runs build into folders here.
  mkdirSync(outdir, { recursive: true });
  for (const f of readdirSync(outdir, { withFileTypes: true })) if (f.isFile()) rmSync(join(outdir, f.name));
  await build({
    entryPoints: { ballast: join(here, "src", "cli.ts") },
    outdir,
    splitting: true,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["better-sqlite3", "pino", "pino-pretty"],
    // Bundled CommonJS modules may call require(); give them one (in every chunk).
    banner: {
      js: 'import { createRequire as __ballastRequire } from "node:module";\nconst require = __ballastRequire(import.meta.url);',
    },
    plugins: [demoFromSources],
    logLevel: "warning",
  });
  const entry = join(outdir, "ballast.js");
  writeFileSync(entry, `#!/usr/bin/env -S node ${BIN_NODE_FLAGS}\n${readFileSync(entry, "utf8")}`);
  chmodSync(entry, 0o755);
  return entry;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildBin(join(here, "dist"));

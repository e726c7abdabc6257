/**
 * Builds the `ballast` bin: one ESM file, `dist/ballast.js`, bundling the keeper and the workspace packages from
 * their TypeScript sources (which stay the truth; nothing else is built), so `ballast` starts without a TypeScript
 * loader. Left outside the bundle: better-sqlite3 (a native addon) and pino with pino-pretty (its transport loads
 * pino-pretty by name in a worker). `ballast demo` needs the dev-only testkit, which resolves npm artifacts next to
 * its own sources: the build replaces the demo with a message that points to `pnpm demo`.
 *
 *   pnpm --filter @ballast/keeper build      then   node apps/keeper/dist/ballast.js --help
 */
import { chmodSync } from "node:fs";
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

/** Bundles `src/cli.ts` into `outfile` (under this package, where the bin finds its dependencies left outside). */
export async function buildBin(outfile: string): Promise<void> {
  await build({
    entryPoints: [join(here, "src", "cli.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["better-sqlite3", "pino", "pino-pretty"],
    // Bundled CommonJS modules may call require(); give them one.
    banner: {
      js: '#!/usr/bin/env node\nimport { createRequire as __ballastRequire } from "node:module";\nconst require = __ballastRequire(import.meta.url);',
    },
    plugins: [demoFromSources],
    logLevel: "warning",
  });
  chmodSync(outfile, 0o755);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildBin(join(here, "dist", "ballast.js"));

// Bundles the dashboard page (src/) into dist/: app.js (the page and uPlot) and app.css; index.html is served as is.
// `pnpm --filter @ballast/keeper build:dashboard`; dist/ is committed so the keeper serves it with no build step,
// and dashboard.test.ts fails when dist/ no longer matches its sources.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type BuildOptions, build } from "esbuild";

const here = fileURLToPath(new URL(".", import.meta.url));

/** The esbuild options of the dashboard bundle (shared with the test that checks dist/ is current). */
export const BUILD_OPTIONS: BuildOptions = {
  entryPoints: { app: `${here}src/app.ts` },
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  legalComments: "eof",
  outdir: `${here}dist`,
  logLevel: "warning",
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(`${here}dist`, { recursive: true });
  await build(BUILD_OPTIONS);
  console.log("dashboard built into dashboard/dist/");
}

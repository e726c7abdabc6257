import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { type BuildOptions, build, type Plugin } from "esbuild";
import { BundleError } from "./errors.ts";

const here = dirname(fileURLToPath(import.meta.url));
/** The Web3 Function entry (`onRun` registration) and its `schema.json`, next to each other as Gelato expects. */
export const W3F_ENTRY = join(here, "index.ts");
/** The Web3 Function schema (runtime, memory, timeout, user args). */
export const W3F_SCHEMA = join(here, "schema.json");

/** A built Web3 Function: the bundle Gelato runs, the source it keeps, the schema, and what went in. */
export type W3fBundle = {
  readonly bundlePath: string;
  readonly sourcePath: string;
  readonly schemaPath: string;
  readonly bytes: number;
  /** Every module in the bundle's import graph (paths relative to the working directory). */
  readonly inputs: readonly string[];
};

/**
 * An esbuild plugin that records every `node:*` import and its importer. Bare built-ins (`fs`, `buffer`) that a
 * package's `browser` field does not map away fail esbuild's own resolution on platform "browser".
 */
function refuseNodeBuiltins(found: string[]): Plugin {
  return {
    name: "refuse-node-builtins",
    setup(b) {
      b.onResolve({ filter: /^node:/ }, (args) => {
        found.push(`${args.path} (imported by ${relative(process.cwd(), args.importer)})`);
        return { path: args.path, external: true };
      });
    },
  };
}

/**
 * Bundles the Web3 Function as Gelato's builder does (esbuild, platform browser, ES2022, ESM, minified, the SDK's
 * XMLHttpRequest polyfill injected) plus the unbundled source Gelato stores beside it, and refuses any Node
 * built-in in the import graph (Gelato's Deno runtime has none): throws {@link BundleError} listing them.
 */
export async function buildW3fBundle(params: {
  readonly outDir: string;
  readonly entry?: string;
}): Promise<W3fBundle> {
  const entry = params.entry ?? W3F_ENTRY;
  const schemaPath = join(dirname(entry), "schema.json");
  await mkdir(params.outDir, { recursive: true });
  const require = createRequire(import.meta.url);
  const sdkMain = require.resolve("@gelatonetwork/web3-functions-sdk");
  const polyfill = join(dirname(sdkMain), "polyfill", "XMLHttpRequest.js");
  const bundlePath = join(params.outDir, "index.js");
  const sourcePath = join(params.outDir, "source.js");
  const nodeImports: string[] = [];
  const common: BuildOptions = {
    entryPoints: [entry],
    bundle: true,
    platform: "browser",
    target: "es2022",
    format: "esm",
    logLevel: "silent",
  };
  let inputs: string[];
  try {
    const [bundled] = await Promise.all([
      build({
        ...common,
        minify: true,
        inject: [polyfill],
        metafile: true,
        outfile: bundlePath,
        plugins: [refuseNodeBuiltins(nodeImports)],
      }),
      build({ ...common, packages: "external", outfile: sourcePath }),
    ]);
    inputs = Object.keys(bundled.metafile?.inputs ?? {});
  } catch (err) {
    throw new BundleError("The Web3 Function bundle failed to build.", { cause: err });
  }
  if (nodeImports.length > 0)
    throw new BundleError("The Web3 Function imports Node built-ins, which Gelato's runtime does not have.", {
      details: [...new Set(nodeImports)].join("; "),
      context: { nodeImports },
    });
  const bytes = (await readFile(bundlePath)).length;
  return { bundlePath, sourcePath, schemaPath, bytes, inputs };
}

function tarHeader(name: string, size: number, type: "0" | "5"): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, at: number, len: number) => h.write(s, at, len, "utf8");
  const oct = (n: number, len: number) => `${n.toString(8).padStart(len - 1, "0")}\0`;
  put(name, 0, 100);
  put(oct(type === "5" ? 0o755 : 0o644, 8), 100, 8);
  put(oct(0, 8), 108, 8);
  put(oct(0, 8), 116, 8);
  put(oct(size, 12), 124, 12);
  put(oct(0, 12), 136, 12);
  put("        ", 148, 8);
  put(type, 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return h;
}

/**
 * The archive Gelato's upload endpoint takes: a gzipped tar of `web3Function/{index.js, source.js, schema.json}`
 * (what the SDK's uploader builds), deterministic (no mtimes, no owners).
 */
export async function archiveW3f(
  bundle: Pick<W3fBundle, "bundlePath" | "sourcePath" | "schemaPath">,
): Promise<Uint8Array> {
  const parts: Buffer[] = [tarHeader("web3Function/", 0, "5")];
  for (const [name, path] of [
    ["index.js", bundle.bundlePath],
    ["source.js", bundle.sourcePath],
    ["schema.json", bundle.schemaPath],
  ] as const) {
    const body = await readFile(path);
    parts.push(
      tarHeader(`web3Function/${name}`, body.length, "0"),
      body,
      Buffer.alloc((512 - (body.length % 512)) % 512),
    );
  }
  parts.push(Buffer.alloc(1024));
  return new Uint8Array(gzipSync(Buffer.concat(parts)));
}

/** Builds the bundle into `outDir` and writes `web3Function.tgz` beside it; returns both. */
export async function buildW3fArchive(
  outDir: string,
): Promise<{ bundle: W3fBundle; archivePath: string; archive: Uint8Array }> {
  const bundle = await buildW3fBundle({ outDir });
  const archive = await archiveW3f(bundle);
  const archivePath = join(outDir, "web3Function.tgz");
  await writeFile(archivePath, archive);
  return { bundle, archivePath, archive };
}

import { fileURLToPath } from "node:url";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** The bin this run built (test/bin-setup.ts): `node <ballastBin> …args` is `ballast …args`. */
    ballastBin: string;
  }
}

const SOURCES = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

/**
 * Node's arguments that run `ballast …args`: the bin built for this test run (test/bin-setup.ts), or the sources
 * under tsx for `demo`, which the bin leaves out (it needs the dev-only testkit).
 */
export const ballastArgv = (args: readonly string[]): string[] =>
  args[0] === "demo" ? ["--import", "tsx", SOURCES, ...args] : [inject("ballastBin"), ...args];

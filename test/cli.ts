import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ballastArgv } from "../apps/keeper/test/bin.ts";

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** What a `ballast` process printed and how it ended. */
export type CliRun = { code: number | null; stdout: string; stderr: string };

/** Starts `ballast …args` as a real process (the built bin; `demo` from the sources), as a user would run it. */
export function startCli(args: readonly string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ballastArgv(args), {
    cwd: ROOT,
    env: { ...process.env, BALLAST_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<CliRun>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done, stdoutSoFar: () => stdout, stderrSoFar: () => stderr };
}

/** Runs `ballast …args` to completion. */
export const cli = (args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> =>
  startCli(args, env).done;

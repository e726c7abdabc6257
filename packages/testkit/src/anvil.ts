import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { AnvilBinaryNotFoundError, AnvilStartError } from "./errors.ts";
import { registerAnvil, unregisterAnvil } from "./reaper.ts";

/** Options for {@link startAnvil}. */
export type StartAnvilParameters = {
  /** Chain id of the new chain (for forks, defaults to the forked network's). */
  chainId?: number | undefined;
  /** TCP port on 127.0.0.1; 0 or omitted = a free port chosen by the OS. */
  port?: number | undefined;
  /** Path of a state file written from `anvil_dumpState` (`--load-state`). */
  loadState?: string | undefined;
  /** JSON-RPC URL to fork (`--fork-url`). */
  forkUrl?: string | undefined;
  /** Block to fork at (`--fork-block-number`). */
  forkBlockNumber?: bigint | undefined;
  /** EVM hardfork; default `prague` for local chains, the network's own for forks. */
  hardfork?: string | undefined;
  /** Extra command-line arguments. */
  args?: readonly string[] | undefined;
  /** How long to wait for anvil to listen, in ms (default 10 s, 60 s for forks). */
  timeoutMs?: number | undefined;
};

/** A running anvil process. */
export type Anvil = {
  /** `http://127.0.0.1:<port>`. */
  rpcUrl: string;
  port: number;
  pid: number;
  /** The command-line arguments anvil was started with. */
  args: readonly string[];
  /** Stops anvil (SIGTERM, then SIGKILL after 2 s) and resolves once it has exited. Idempotent. */
  stop: () => Promise<void>;
};

let cachedBinary: string | undefined;

/** Path of the anvil binary from `@foundry-rs/anvil`'s platform package, resolved from that package's own location. */
export function resolveAnvilBinary(): string {
  if (cachedBinary) return cachedBinary;
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${arch}`;
  const binaryName = process.platform === "win32" ? "anvil.exe" : "anvil";
  try {
    const require = createRequire(import.meta.url);
    const wrapper = require.resolve("@foundry-rs/anvil/package.json");
    cachedBinary = createRequire(wrapper).resolve(`${platformPackage}/bin/${binaryName}`);
    return cachedBinary;
  } catch (cause) {
    throw new AnvilBinaryNotFoundError(platformPackage, cause);
  }
}

/** Builds anvil's command line for {@link startAnvil}. */
export function anvilArgs(params: StartAnvilParameters): string[] {
  const args = ["--host", "127.0.0.1", "--port", String(params.port ?? 0)];
  const hardfork = params.hardfork ?? (params.forkUrl ? undefined : "prague");
  if (hardfork) args.push("--hardfork", hardfork);
  if (params.chainId !== undefined) args.push("--chain-id", String(params.chainId));
  if (params.loadState) args.push("--load-state", params.loadState);
  if (params.forkUrl) args.push("--fork-url", params.forkUrl);
  if (params.forkBlockNumber !== undefined) args.push("--fork-block-number", String(params.forkBlockNumber));
  args.push(...(params.args ?? []));
  return args;
}

/**
 * Starts anvil on 127.0.0.1 (a free port unless one is given) and resolves once it listens.
 * The process is killed on `stop()`, and also when this process exits or is interrupted.
 */
export async function startAnvil(params: StartAnvilParameters = {}): Promise<Anvil> {
  const binary = resolveAnvilBinary();
  const args = anvilArgs(params);
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  const pid = child.pid;
  if (pid === undefined) {
    const error = await new Promise<unknown>((resolve) => child.once("error", resolve));
    throw new AnvilStartError(`spawn failed (${String(error)})`, args, "");
  }
  registerAnvil(pid);

  let port: number;
  try {
    port = await waitForListening(child, args, params.timeoutMs ?? (params.forkUrl ? 60_000 : 10_000));
  } catch (error) {
    killNow(child);
    unregisterAnvil(pid);
    throw error;
  }
  // Keep draining anvil's log output (a full pipe would block anvil), but let Node exit without waiting on it.
  child.stdout?.resume();
  child.stderr?.resume();
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= terminate(child).finally(() => unregisterAnvil(pid));
    return stopping;
  };
  return { rpcUrl: `http://127.0.0.1:${port}`, port, pid, args, stop };
}

function waitForListening(child: ChildProcess, args: readonly string[], timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => done(new AnvilStartError(`no "Listening on" after ${timeoutMs} ms`, args, output)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on [\d.]+:(\d+)/.exec(output);
      if (match?.[1]) done(Number(match[1]));
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(new AnvilStartError(`exited early (code ${code}, signal ${signal})`, args, output));
    const onError = (error: Error) =>
      done(new AnvilStartError(`spawn error (${error.message})`, args, output));
    const done = (result: number | AnvilStartError) => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("close", onExit);
      child.off("error", onError);
      if (typeof result === "number") resolve(result);
      else reject(result);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    // "close" (not "exit"): fires after anvil's output has been read, so the error carries it.
    child.once("close", onExit);
    child.once("error", onError);
  });
}

function killNow(child: ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch {
    // already gone
  }
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => killNow(child), 2_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      child.kill("SIGTERM");
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

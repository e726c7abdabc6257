/**
 * `ballast-gelato` — `create-task` (Gelato Web3 Function task for a Safe portfolio) and `bundle` (build the function
 * and check its import graph). The task creator's key is read from `GELATO_TASK_OWNER_KEY`, never from a flag.
 */
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { BallastError, type Hex, redactText } from "@ballast/core";
import { getAddress, isHex } from "viem";
import { buildW3fBundle } from "./bundle.ts";
import { createGelatoTask, formatReport } from "./create-task.ts";
import { GelatoConfigError } from "./errors.ts";

/** Where the CLI writes and what it reads from the environment (injectable for tests). */
export type CliIo = {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
};

const USAGE = `Usage:
  ballast-gelato create-task --chain-id <id> --rpc-url <url> --portfolio <file.json> --policy <file.json>
                             [--owner <address>] [--automate <address>] [--api-url <url>] [--w3f-hash <cid>]
                             [--interval <seconds>] [--name <name>] [--out-dir <dir>] [--dry-run]
      The creator's key comes from GELATO_TASK_OWNER_KEY (required unless --dry-run).
  ballast-gelato bundle [--out-dir <dir>]`;

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const { values } = parseArgs({
      args: [...rest],
      options: {
        "chain-id": { type: "string" },
        "rpc-url": { type: "string" },
        portfolio: { type: "string" },
        policy: { type: "string" },
        owner: { type: "string" },
        automate: { type: "string" },
        "api-url": { type: "string" },
        "w3f-hash": { type: "string" },
        interval: { type: "string" },
        name: { type: "string" },
        "out-dir": { type: "string" },
        "dry-run": { type: "boolean", default: false },
      },
      strict: true,
    });
    const outDir = values["out-dir"] ?? join(tmpdir(), `ballast-gelato-${process.pid}`);
    if (command === "bundle") {
      const b = await buildW3fBundle({ outDir });
      io.out(`bundle ${b.bundlePath}: ${b.bytes} bytes, ${b.inputs.length} modules, no node: imports`);
      return 0;
    }
    if (command !== "create-task") {
      io.err(USAGE);
      return 2;
    }
    const need = (k: "chain-id" | "rpc-url" | "portfolio" | "policy") => {
      const v = values[k];
      if (!v) throw new GelatoConfigError(`--${k}`, "is required");
      return v;
    };
    const chainId = Number(need("chain-id"));
    if (!Number.isInteger(chainId) || chainId <= 0)
      throw new GelatoConfigError("--chain-id", "expected a chain id");
    const key = io.env.GELATO_TASK_OWNER_KEY;
    if (key !== undefined && !(isHex(key) && key.length === 66))
      throw new GelatoConfigError("GELATO_TASK_OWNER_KEY", "expected a 32-byte 0x-prefixed hex key");
    const dryRun = values["dry-run"] ?? false;
    const interval = values.interval === undefined ? undefined : Number(values.interval);
    if (interval !== undefined && (!Number.isInteger(interval) || interval < 60))
      throw new GelatoConfigError("--interval", "expected whole seconds ≥ 60");
    const report = await createGelatoTask({
      chainId,
      rpcUrl: need("rpc-url"),
      portfolio: await readFile(need("portfolio"), "utf8"),
      policy: await readFile(need("policy"), "utf8"),
      owner: values.owner ? getAddress(values.owner) : undefined,
      privateKey: key as Hex | undefined,
      w3fHash: values["w3f-hash"],
      automate: values.automate ? getAddress(values.automate) : undefined,
      ...(values["api-url"] ? { api: { baseUrl: values["api-url"] } } : {}),
      ...(values.name ? { name: values.name } : {}),
      ...(interval === undefined ? {} : { intervalMs: interval * 1000 }),
      outDir,
      dryRun,
    });
    io.out(formatReport(report, dryRun));
    return 0;
  } catch (err) {
    if (err instanceof BallastError) {
      io.err(`${err.name}: ${err.message}`);
      const enable = err.context.enableModule as { to: string; data: string; safeTxHash: string } | undefined;
      if (enable)
        io.err(
          `Enable it with a Safe transaction: to ${enable.to}, value 0, operation 0, data ${enable.data} (safeTxHash ${enable.safeTxHash})`,
        );
      return 1;
    }
    // ethers errors quote the RPC URL (which may carry a key): redact every URL.
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    io.err(redactText(text));
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href)
  void main(process.argv.slice(2), {
    env: process.env,
    out: (l) => console.log(l),
    err: (l) => console.error(l),
  }).then((code) => {
    process.exitCode = code;
  });

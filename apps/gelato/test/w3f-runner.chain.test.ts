/**
 * The built bundle run by the SDK's own local runner (`w3f test`'s engine: Deno in a sandbox thread, Gelato's RPC
 * proxy with its call limits), on every CI run: Deno 2.9 from npm (below), or from DENO_PATH when set.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { safeAbi } from "@ballast/chain";
import { setPrice } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { ethers } from "ethers";
import { type Address, decodeFunctionData, type Hex, parseEventLogs } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildW3fBundle } from "../src/lib.ts";
import { chainArgs, policyJson, runAsGelato, safeBalances, seedSafe } from "./fixtures.ts";

const denoPathSet = Boolean(process.env.DENO_PATH);
const deno = process.env.DENO_PATH || denoFromNpm();
const chain = useTestChain({ chainId: 1 });
let safe: Address;
let bundleDir: string;
let bundlePath: string;

type RunResult = {
  success: boolean;
  result?: { canExec: boolean; message?: string; callData?: { to: string; data: string; value?: string }[] };
  error?: { message: string };
  storage?: { storage: Record<string, string> };
  rpcCalls: { total: number };
};

/**
 * Builds the bundle once and has Deno analyse it ahead of the runs. The SDK's runner gives the function 5 s
 * (START_TIMEOUT, fixed) from spawn to its server answering; a bundle Deno has never seen costs ~0.5 s of CPU to
 * parse and analyse (1.6 MB), which a loaded 2-core machine stretched past 5 s. Deno caches that work per file in its
 * own folder, so `deno cache` on the very file the runs use, in the environment the runner gives Deno (none: the
 * default folder), halves the timed start-up; the runs themselves stay the runner's, unchanged.
 */
async function buildAndWarm(denoPath: string): Promise<void> {
  bundleDir = await mkdtemp(join(tmpdir(), "ballast-w3f-run-"));
  ({ bundlePath } = await buildW3fBundle({ outDir: bundleDir }));
  await promisify(execFile)(denoPath, ["cache", "--no-npm", "--no-remote", bundlePath], { env: {} });
}

async function runInDeno(args: { storage?: Record<string, string> } = {}): Promise<RunResult> {
  const require = createRequire(import.meta.url);
  const { Web3FunctionRunner } = require("@gelatonetwork/web3-functions-sdk/runtime");
  const runner = new Web3FunctionRunner(false);
  return await runner.run("onRun", {
    script: bundlePath,
    version: "2.0.0",
    context: {
      secrets: { BALLAST_POLICY: policyJson },
      storage: args.storage ?? {},
      gelatoArgs: { chainId: 1, gasPrice: "10" },
      userArgs: { portfolio: JSON.stringify({ chains: [chainArgs(chain, safe)] }) },
    },
    options: {
      runtime: "thread",
      showLogs: false,
      memory: 256,
      rpcLimit: 500,
      timeout: 60_000,
      downloadLimit: 10 * 1024 * 1024,
      uploadLimit: 5 * 1024 * 1024,
      requestLimit: 110,
      storageLimit: 1024,
      blacklistedHosts: [],
    },
    multiChainProviderConfig: { 1: new ethers.providers.StaticJsonRpcProvider(chain.rpcUrl, 1) },
  });
}

/**
 * Deno from the `deno` dev dependency (npm; the binary comes in its platform package, `@deno/linux-x64-glibc` here),
 * made executable by deno's own installer API (`runInstall`, what its postinstall runs) on first use.
 */
function denoFromNpm(): string | undefined {
  try {
    const { runInstall } = createRequire(import.meta.url)("deno/install_api.cjs") as {
      runInstall(): string;
    };
    return runInstall();
  } catch {
    return undefined; // no binary for this platform: the test is skipped, saying so
  }
}

describe.skipIf(!deno)(
  `the bundle in Gelato's local runner (Deno${deno ? "" : ": no Deno binary for this platform; set DENO_PATH"})`,
  () => {
    beforeAll(async () => {
      process.env.DENO_PATH = deno;
      [safe] = await Promise.all([seedSafe(chain), buildAndWarm(deno as string)]);
    });
    afterAll(async () => {
      if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
    });

    it("in band: canExec false; after a price move: the Safe module call", async () => {
      const { stdout } = await promisify(execFile)(deno as string, ["--version"]);
      if (!denoPathSet) expect(stdout).toMatch(/^deno 2\.9\./); // the dev dependency, as CI runs it
      const idle = await runInDeno();
      expect(idle.error).toBeUndefined();
      expect(idle.success).toBe(true);
      expect(idle.result?.canExec).toBe(false);
      expect(idle.result?.message).toMatch(/^no rebalance: band: /);

      await setPrice(chain, { asset: "WETH", usdPrice: 2_100n * 10n ** 8n });
      const moved = await runInDeno();
      expect(moved.success).toBe(true);
      expect(moved.result?.canExec).toBe(true);
      const [call] = moved.result?.callData ?? [];
      expect(call?.to).toBe(safe);
      expect(decodeFunctionData({ abi: safeAbi, data: call?.data as Hex }).functionName).toBe(
        "execTransactionFromModule",
      );
      expect(moved.storage?.storage.lastRebalanceAt).toMatch(/^\d+$/);
      // What Gelato then does with it: its dedicated msg.sender sends the calls, and the Safe really rebalances.
      const before = await safeBalances(chain, safe);
      const receipt = await runAsGelato(
        chain,
        (moved.result?.callData ?? []).map((c) => ({ to: c.to, data: c.data, value: c.value ?? "0" })),
      );
      expect(receipt.status).toBe("success");
      const events = parseEventLogs({ abi: safeAbi, logs: receipt.logs }).map((e) => e.eventName);
      expect(events).toEqual(["ExecutionFromModuleSuccess"]);
      const after = await safeBalances(chain, safe);
      expect(after.usdc).toBeLessThan(before.usdc); // USDC was overweight after the drop: sold for WETH
      expect(after.allowance).toBe(0n); // the completion check ran and left nothing behind
      // Gelato counts RPC calls per run (Standard plan: 10): one eth_call fetch, one simulation, a few checks.
      expect(idle.rpcCalls.total).toBeLessThanOrEqual(10);
      expect(moved.rpcCalls.total).toBeLessThanOrEqual(10);
    }, 120_000);
  },
);

/**
 * The built bundle run by the SDK's own local runner (`w3f test`'s engine: Deno in a sandbox thread, Gelato's RPC
 * proxy with its call limits), on every CI run: Deno comes from npm (below), or from DENO_PATH when set.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { safeAbi } from "@ballast/chain";
import { setPrice } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { ethers } from "ethers";
import { type Address, decodeFunctionData, type Hex, parseEventLogs } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { buildW3fBundle } from "../src/lib.ts";
import { chainArgs, policyJson, runAsGelato, safeBalances, seedSafe } from "./fixtures.ts";

const deno = process.env.DENO_PATH || denoFromNpm();
const chain = useTestChain({ chainId: 1 });
let safe: Address;

type RunResult = {
  success: boolean;
  result?: { canExec: boolean; message?: string; callData?: { to: string; data: string; value?: string }[] };
  error?: { message: string };
  storage?: { storage: Record<string, string> };
  rpcCalls: { total: number };
};

async function runInDeno(args: { storage?: Record<string, string> } = {}): Promise<RunResult> {
  const outDir = await mkdtemp(join(tmpdir(), "ballast-w3f-run-"));
  const bundle = await buildW3fBundle({ outDir });
  const require = createRequire(import.meta.url);
  const { Web3FunctionRunner } = require("@gelatonetwork/web3-functions-sdk/runtime");
  const runner = new Web3FunctionRunner(false);
  try {
    return await runner.run("onRun", {
      script: bundle.bundlePath,
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
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/**
 * Deno 1.46.3, the version the SDK's own runner ships (`deno-bin` 1.46.3), from the optional dependency
 * `@deno/linux-x64-glibc`. Its tarball does not mark the binary executable, so a copy is made executable under
 * `.cache/`. (Deno 2.9 cannot run it: every RPC through the runner's proxy fails with "missing response".)
 */
function denoFromNpm(): string | undefined {
  let source: string;
  try {
    source = join(
      dirname(createRequire(import.meta.url).resolve("@deno/linux-x64-glibc/package.json")),
      "deno",
    );
  } catch {
    return undefined; // not this platform: the test is skipped, saying so
  }
  const target = fileURLToPath(new URL("../.cache/deno-1.46.3", import.meta.url));
  if (!existsSync(target)) {
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, `${target}.partial`);
    chmodSync(`${target}.partial`, 0o755);
    renameSync(`${target}.partial`, target);
  }
  return target;
}

describe.skipIf(!deno)(
  `the bundle in Gelato's local runner (Deno${deno ? "" : ": no Deno binary for this platform; set DENO_PATH"})`,
  () => {
    beforeAll(async () => {
      process.env.DENO_PATH = deno;
      safe = await seedSafe(chain);
    });

    it("in band: canExec false; after a price move: the Safe module call", async () => {
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

/**
 * "Usable alone" means installable alone: each library package is built (tsc → ESM + .d.ts), packed with
 * `pnpm pack`, checked with publint and @arethetypeswrong/cli, installed from the tarballs into a fresh npm project
 * outside the workspace (dependencies such as viem from the npm registry), and run there with plain `node`:
 * every package's entry point loads, core's README example prints its plan, and aave-v3 reads a position on a local
 * anvil running the Aave 3.6 market and replays `getUserAccountData` exactly.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  aavePoolAbi,
  fund,
  startTestChain,
  type TestChain,
  testAccounts,
  testkitAaveMarket,
} from "@ballast/testkit";
import { erc20Abi, maxUint256 } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
/** The library packages, in dependency order. */
const PACKAGES = ["core", "chain", "aave-v3", "uniswap-v3", "1inch", "across", "engine"] as const;
const VIEM = (require("viem/package.json") as { version: string }).version;

let work: string;
let project: string;
const tarballs: Record<string, string> = {};

const run = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, stdio: "pipe" });

/** TypeScript → JavaScript with types stripped only (what a user's build step does), so node runs the example. */
function toJs(source: string): string {
  const ts = require("typescript") as typeof import("typescript");
  return ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
  }).outputText;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "ballast-pack-"));
  // Build in dependency order (each package's build reads its dependencies' dist/*.d.ts), then pack.
  for (const p of PACKAGES) run("pnpm", ["run", "build"], join(ROOT, "packages", p));
  const packs = join(work, "tarballs");
  mkdirSync(packs);
  for (const p of PACKAGES) {
    run("pnpm", ["pack", "--pack-destination", packs], join(ROOT, "packages", p));
    const file = readdirSync(packs).find((f) => f.startsWith(`ballast-${p}-`) && f.endsWith(".tgz"));
    if (!file) throw new Error(`no tarball for ${p}`);
    tarballs[p] = join(packs, file);
  }
  // A fresh npm project outside the workspace: no pnpm, no workspace links, no TypeScript.
  project = join(work, "app");
  mkdirSync(project);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "app", private: true, type: "module" }),
  );
  run(
    "npm",
    ["install", "--no-audit", "--no-fund", ...PACKAGES.map((p) => tarballs[p]!), `viem@${VIEM}`],
    project,
  );
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed library packages", () => {
  for (const p of PACKAGES)
    it(`@ballast/${p}: publint and arethetypeswrong are clean`, () => {
      run("pnpm", ["exec", "publint", "run", "--strict", tarballs[p]!], ROOT);
      run("pnpm", ["exec", "attw", "--profile", "esm-only", tarballs[p]!], ROOT);
      const manifest = JSON.parse(
        run("tar", ["-xzOf", tarballs[p]!, "package/package.json"], ROOT),
      ) as Record<string, unknown>;
      expect(manifest.sideEffects).toBe(false);
      expect(manifest.exports).toEqual({ ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } });
      if (p !== "core") expect(manifest.peerDependencies).toEqual({ viem: expect.any(String) });
    });

  it("every entry point loads with plain node from the installed tarballs", () => {
    const script = PACKAGES.map(
      (p) => `console.log("${p}", Object.keys(await import("@ballast/${p}")).length);`,
    );
    writeFileSync(join(project, "load.mjs"), script.join("\n"));
    const out = run("node", ["load.mjs"], project);
    for (const p of PACKAGES) expect(out).toMatch(new RegExp(`^${p} [1-9]\\d*$`, "m"));
  });

  it("core's README example (examples/rebalance.ts) runs with node and prints its plan", () => {
    const source = readFileSync(join(ROOT, "packages/core/examples/rebalance.ts"), "utf8");
    writeFileSync(join(project, "rebalance.mjs"), toJs(source));
    const out = run("node", ["rebalance.mjs"], project);
    expect(out).toContain("eth-usdc-lp");
    expect(out).toMatch(/plan/i);
  });

  describe("aave-v3 against a local anvil with the Aave 3.6 market", () => {
    let chain: TestChain;
    beforeAll(async () => {
      chain = await startTestChain({ chainId: 31337 });
    });
    afterAll(async () => {
      await chain?.stop();
    });

    it("fetches a position in one eth_call and replays getUserAccountData exactly", async () => {
      const { aave, tokens } = chain.deployment;
      const alice = testAccounts.alice;
      const wallet = chain.walletClients.alice;
      await fund(chain, { account: alice.address, token: "WETH", amount: 10n ** 19n });
      const mined = async (hash: `0x${string}`) => chain.publicClient.waitForTransactionReceipt({ hash });
      await mined(
        await wallet.writeContract({
          address: tokens.WETH.address,
          abi: erc20Abi,
          functionName: "approve",
          args: [aave.pool, maxUint256],
        }),
      );
      await mined(
        await wallet.writeContract({
          address: aave.pool,
          abi: aavePoolAbi,
          functionName: "supply",
          args: [tokens.WETH.address, 10n ** 19n, alice.address, 0],
          gas: 1_000_000n,
        }),
      );
      await mined(
        await wallet.writeContract({
          address: aave.pool,
          abi: aavePoolAbi,
          functionName: "borrow",
          args: [tokens.USDC.address, 12_000n * 10n ** 6n, 2n, 0, alice.address],
          gas: 1_000_000n,
        }),
      );
      writeFileSync(
        join(project, "aave.mjs"),
        `import { computeAccountData, fetchAavePositions } from "@ballast/aave-v3";
import { createPublicClient, http } from "viem";
const client = createPublicClient({ transport: http(process.env.RPC_URL) });
const positions = await fetchAavePositions(client, { market: JSON.parse(process.env.MARKET), user: process.env.USER_ADDRESS });
const { hasZeroLtvCollateral, ...replay } = computeAccountData(positions);
const json = (x) => JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
console.log(json({ onChain: positions.account, replay, debt: positions.userReserves[1].debt }));
`,
      );
      const out = run("node", ["aave.mjs"], project, {
        RPC_URL: chain.rpcUrl,
        MARKET: JSON.stringify(testkitAaveMarket(chain.deployment)),
        USER_ADDRESS: alice.address,
      });
      const result = JSON.parse(out) as {
        onChain: Record<string, string>;
        replay: Record<string, string>;
        debt: string;
      };
      expect(result.replay).toEqual(result.onChain);
      expect(result.onChain.totalCollateralBase).toBe(String(30_000n * 10n ** 8n));
      expect(BigInt(result.debt)).toBeGreaterThanOrEqual(12_000n * 10n ** 6n);
    });
  });
});

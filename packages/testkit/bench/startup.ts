/**
 * Prints the testkit's startup figures (not a test): the Aave 3.6 compile (cold and cached), full deploys of both
 * Aave markets, ready chain from the cache, snapshot/revert.
 * Run: pnpm --filter @ballast/testkit bench   (or: cd packages/testkit && npx tsx bench/startup.ts)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { createClient, type Hex, http } from "viem";
import {
  type AaveVersion,
  deployAcross,
  deployProtocols,
  ensureAave36Artifacts,
  ensureCachedState,
  startAnvil,
  startTestChain,
  testAccounts,
} from "../src/index.ts";
import { createSender } from "../src/sender.ts";

const RUNS = 10;
const ms = (x: number) => `${x.toFixed(1)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

// 0. The Aave 3.6 compile: cold (solc-js, into a scratch cache) and from the cache (read + parse).
const compileDir = mkdtempSync(join(tmpdir(), "ballast-testkit-bench-compile-"));
let t = performance.now();
const cold = await ensureAave36Artifacts({ cacheDir: compileDir });
const compileCold = cold.compiledMs ?? Number.NaN;
t = performance.now();
await ensureAave36Artifacts({ cacheDir: compileDir });
const compileWarm = performance.now() - t;
rmSync(compileDir, { recursive: true, force: true });
await ensureAave36Artifacts(); // the default cache, for the deploys below

// 1. Full deploy on a fresh anvil (what a cache miss costs), in parts, for each Aave market.
const deploys: Record<AaveVersion, { spawn: number; deploy: number; dump: number }[]> = {
  "3.6": [],
  "3.0": [],
};
const transactions: Record<AaveVersion, bigint> = { "3.6": 0n, "3.0": 0n };
const stateBytes: Record<AaveVersion, number> = { "3.6": 0, "3.0": 0 };
const acrossMs: number[] = [];
const nextNonce = async (client: ReturnType<typeof createClient>) =>
  Number(
    await client.request({
      method: "eth_getTransactionCount",
      params: [testAccounts.deployer.address, "pending"],
    } as never),
  );
for (const aave of ["3.6", "3.0"] as const)
  for (let i = 0; i < 3; i++) {
    t = performance.now();
    const anvil = await startAnvil({ chainId: 1 });
    const spawn = performance.now() - t;
    try {
      const client = createClient({ transport: http(anvil.rpcUrl) });
      t = performance.now();
      const deployment = await deployProtocols(client, { aave });
      const deployMs = performance.now() - t;
      transactions[aave] = deployment.blockNumber; // automine: one block per transaction
      t = performance.now();
      const dump = (await client.request({ method: "anvil_dumpState" } as never)) as Hex;
      deploys[aave].push({ spawn, deploy: deployMs, dump: performance.now() - t });
      stateBytes[aave] = gunzipSync(Buffer.from(dump.slice(2), "hex")).length;
      // What Across adds: a second SpokePool (implementation + proxy) on the same chain, timed alone.
      const d = createSender(client, testAccounts.deployer.address, await nextNonce(client));
      t = performance.now();
      const owner = testAccounts.deployer.address;
      await deployAcross(d, {
        owner,
        wrappedNative: deployment.tokens.WETH.address,
        withdrawalRecipient: owner,
      });
      await d.verify();
      acrossMs.push(performance.now() - t);
    } finally {
      await anvil.stop();
    }
  }

// 2. A cache miss end to end (deploy + dump + write), into a scratch cache directory.
const scratch = mkdtempSync(join(tmpdir(), "ballast-testkit-bench-"));
const miss = await ensureCachedState({ chainId: 1, cacheDir: scratch });
rmSync(scratch, { recursive: true, force: true });

// 3. Ready chain from the (default, warm) cache: spawn anvil --load-state, set time, mine, clients ready.
await ensureCachedState({ chainId: 1 });
const ready: number[] = [];
const anvilOnly: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const chain = await startTestChain({ chainId: 1 });
  ready.push(chain.timings.total);
  anvilOnly.push(chain.timings.anvil);
  await chain.stop();
}

// 4. Two chains at once (1 and 8453).
await ensureCachedState({ chainId: 8453 });
t = performance.now();
const pair = await Promise.all([startTestChain({ chainId: 1 }), startTestChain({ chainId: 8453 })]);
const twoChains = performance.now() - t;

// 5. snapshot / revert on a chain with the full market.
const chain = pair[0];
const snap: number[] = [];
const rev: number[] = [];
for (let i = 0; i < 200; i++) {
  t = performance.now();
  const id = await chain.snapshot();
  snap.push(performance.now() - t);
  await chain.testClient.mine({ blocks: 1 });
  t = performance.now();
  await chain.revert(id);
  rev.push(performance.now() - t);
}
await Promise.all(pair.map((c) => c.stop()));

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, load average ${loadavg()[0]?.toFixed(2)}`,
);
console.log("| figure | value |");
console.log("|---|---|");
console.log(`| Aave 3.6 compile, cold (solc-js 0.8.27, 17 contracts) | ${ms(compileCold)} |`);
console.log(`| Aave 3.6 artifacts from the cache | ${ms(compileWarm)} |`);
for (const aave of ["3.6", "3.0"] as const)
  console.log(
    `| full deploy, Aave ${aave} (deployProtocols: ${transactions[aave]} transactions on a fresh anvil), median of 3 | ${ms(median(deploys[aave].map((d) => d.deploy)))} |`,
  );
console.log(
  `| of which Across V3 SpokePool (implementation + proxy: 2 transactions), median of 6 | ${ms(median(acrossMs))} |`,
);
const deploy = deploys["3.6"];
console.log(`| anvil spawn → listening (empty chain) | ${ms(median(deploy.map((d) => d.spawn)))} |`);
console.log(`| anvil_dumpState (Aave 3.6) | ${ms(median(deploy.map((d) => d.dump)))} |`);
console.log(
  `| state file (Aave 3.6 market, Uniswap, Safe, Across; JSON) | ${(stateBytes["3.6"] / 1e6).toFixed(2)} MB |`,
);
console.log(
  `| cache miss end to end (spawn + deploy + dump + write; artifacts cached) | ${ms(miss.buildMs ?? Number.NaN)} |`,
);
console.log(`| ready chain from the cache (startTestChain), median of ${RUNS} | ${ms(median(ready))} |`);
console.log(`|   of which anvil --load-state → listening | ${ms(median(anvilOnly))} |`);
console.log(`| two chains (1 and 8453) from the cache, in parallel | ${ms(twoChains)} |`);
console.log(`| evm_snapshot, median of 200 | ${ms(median(snap))} |`);
console.log(`| evm_revert, median of 200 | ${ms(median(rev))} |`);

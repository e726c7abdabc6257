/**
 * Prints the testkit's startup figures (not a test): full deploy, ready chain from the cache, snapshot/revert.
 * Run: pnpm --filter @ballast/testkit bench   (or: cd packages/testkit && npx tsx bench/startup.ts)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Hex, http } from "viem";
import { deployProtocols, ensureCachedState, startAnvil, startTestChain } from "../src/index.ts";

const RUNS = 10;
const ms = (x: number) => `${x.toFixed(1)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

// 1. Full deploy on a fresh anvil (what a cache miss costs), in parts.
const deploy: { spawn: number; deploy: number; dump: number }[] = [];
let transactions = 0n;
for (let i = 0; i < 3; i++) {
  let t = performance.now();
  const anvil = await startAnvil({ chainId: 1 });
  const spawn = performance.now() - t;
  try {
    const client = createClient({ transport: http(anvil.rpcUrl) });
    t = performance.now();
    const deployment = await deployProtocols(client);
    const deployMs = performance.now() - t;
    transactions = deployment.blockNumber; // automine: one block per transaction
    t = performance.now();
    (await client.request({ method: "anvil_dumpState" } as never)) as Hex;
    deploy.push({ spawn, deploy: deployMs, dump: performance.now() - t });
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
let t = performance.now();
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
console.log(
  `| full deploy (deployProtocols: ${transactions} transactions on a fresh anvil), median of 3 | ${ms(median(deploy.map((d) => d.deploy)))} |`,
);
console.log(`| anvil spawn → listening (empty chain) | ${ms(median(deploy.map((d) => d.spawn)))} |`);
console.log(`| anvil_dumpState | ${ms(median(deploy.map((d) => d.dump)))} |`);
console.log(`| cache miss end to end (spawn + deploy + dump + write) | ${ms(miss.buildMs ?? Number.NaN)} |`);
console.log(`| ready chain from the cache (startTestChain), median of ${RUNS} | ${ms(median(ready))} |`);
console.log(`|   of which anvil --load-state → listening | ${ms(median(anvilOnly))} |`);
console.log(`| two chains (1 and 8453) from the cache, in parallel | ${ms(twoChains)} |`);
console.log(`| evm_snapshot, median of 200 | ${ms(median(snap))} |`);
console.log(`| evm_revert, median of 200 | ${ms(median(rev))} |`);

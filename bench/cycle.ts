/**
 * `pnpm bench:cycle` — issue #9: per keeper cycle, the RPC requests each chain gets (target: one `eth_call` plus at
 * most two other requests, flat in the number of positions), the cycle time at 1, 10 and 100 LP positions per
 * chain, and the resident memory over 1,000 cycles (target: peak under 150 MB, issue #19, and not growing).
 *
 * Two testkit anvils (ethereum 1, base 8453) with the real Aave V3 and Uniswap V3. Three accounts, each with the
 * same shape on both chains: N WETH/USDC 0.05% LP NFTs at different ranges (N = 1, 10, 100; minted with the
 * adapter's `encodeMint`, batched through the position manager's `multicall`), idle WETH and USDC, WETH supplied
 * to Aave and USDC borrowed. The policy's weights are the portfolio's own (read once with bands of 100%), so the
 * steady-state cycles hold: fetch, value, decide (no plan).
 *
 * RPC requests and cycle time: a cycle is `keeperCycle(k, { execute: false })` on a runtime from `buildRuntime` with
 * a SQLite journal in a temp dir, as `ballast run` builds it. Requests are counted by a JSON-RPC proxy on 127.0.0.1
 * in front of each anvil (every method of a batch counted); times are taken on a runtime that talks to anvil
 * directly. Memory: the real `ballast run --max-cycles` in a child process (its requests counted by the same
 * proxies), sampled inside it every 100 cycles by a preloaded SIGUSR2 handler; this process mines blocks so that
 * `tick: block` always finds one. Every anvil (and the daemon) is stopped at the end, also on error.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { encodeBorrow, encodeSupply, fetchAavePositions } from "@ballast/aave-v3";
import { type Call, wadToBpsNumber } from "@ballast/core";
import { type CycleResult, runCycle } from "@ballast/engine";
import {
  buildRuntime,
  type Config,
  createLogger,
  createMetrics,
  type Keeper,
  keeperCycle,
  loadConfig,
  openJournal,
  policyOf,
} from "@ballast/keeper";
import { testkitChainYaml } from "@ballast/keeper/demo";
import {
  ANVIL_PRIVATE_KEYS,
  type CountingProxy,
  fund,
  sendAndWait,
  startCountingProxy,
  startTestChain,
  TEST_ACCOUNT_INDEX,
  type TestAccountName,
  type TestChain,
  testAccounts,
  testkitAaveMarket,
} from "@ballast/testkit";
import {
  approveCall,
  combinePositionManagerCalls,
  encodeMint,
  poolAbi,
  rangeAround,
} from "@ballast/uniswap-v3";

const SIZES = [1, 10, 100] as const;
const ACCOUNTS: Record<(typeof SIZES)[number], TestAccountName> = { 1: "alice", 10: "bob", 100: "carol" };
const TIMED_CYCLES = 30;
const MEMORY_CYCLES = 1_000;
/** The portfolio `ballast run` runs on for the memory figures (a 100-position cycle is too slow for 1,000 in budget). */
const MEMORY_SIZE = 10;
const MINE_EVERY_MS = 10;
/** Issue #19's bound on the daemon's peak resident memory. */
const PEAK_TARGET_MB = 150;
const DAEMON_TIMEOUT_MS = 240_000;
const MINTS_PER_TX = 20;
const LP_RANGE_BPS = 2_500;
const CHAIN_KEYS = ["ethereum", "base"] as const;
type ChainKey = (typeof CHAIN_KEYS)[number];
type Chains = Record<ChainKey, TestChain>;

const t0 = performance.now();
const secs = (from: number) => `${((performance.now() - from) / 1000).toFixed(1)} s`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const e18 = 10n ** 18n;
const e6 = 10n ** 6n;

// ---------------------------------------------------------------------------------------------------------------
// The portfolio.

async function send(chain: TestChain, name: TestAccountName, calls: readonly Call[], gas = 2_000_000n) {
  const wallet = chain.walletClients[name];
  for (const c of calls) await sendAndWait(chain, wallet, { ...c, gas }, `seeding ${name}`);
}

/**
 * On one chain: `lps` WETH/USDC/500 LP NFTs (half-widths from ±3% to ±47.6%, ≈ $18k in all), 2 WETH and 6,000 USDC idle,
 * 6 WETH supplied to Aave and 4,000 USDC borrowed.
 */
async function seedChain(chain: TestChain, name: TestAccountName, lps: number): Promise<void> {
  const me = testAccounts[name].address;
  const d = chain.deployment;
  const npm = d.uniswap.positionManager;
  const pool = d.uniswap.pools["WETH/USDC/500"];
  if (!pool) throw new Error("testkit has no WETH/USDC/500 pool");
  await fund(chain, { account: me, token: "ETH", amount: 10n * e18 });
  await fund(chain, { account: me, token: "WETH", amount: 11n * e18 });
  await fund(chain, { account: me, token: "USDC", amount: 15_000n * e6 });

  const wethTotal = 3n * e18;
  const usdcTotal = 9_000n * e6;
  await send(chain, name, [
    approveCall(d.tokens.WETH.address, npm, wethTotal),
    approveCall(d.tokens.USDC.address, npm, usdcTotal),
  ]);
  const [sqrtPriceX96, tick] = await chain.publicClient.readContract({
    address: pool.address,
    abi: poolAbi,
    functionName: "slot0",
  });
  const wethIs0 = pool.token0.toLowerCase() === d.tokens.WETH.address.toLowerCase();
  const weth = wethTotal / BigInt(lps);
  const usdc = usdcTotal / BigInt(lps);
  const deadline = BigInt(Math.floor(Date.now() / 1000) + 3_600);
  const mints: Call[] = [];
  for (let i = 0; i < lps; i++) {
    const range = rangeAround({ tick, tickSpacing: pool.tickSpacing, widthBps: 300 + i * 45 });
    const { calls } = encodeMint({
      positionManager: npm,
      token0: pool.token0,
      token1: pool.token1,
      fee: pool.fee,
      tickSpacing: pool.tickSpacing,
      ...range,
      amount0Desired: wethIs0 ? weth : usdc,
      amount1Desired: wethIs0 ? usdc : weth,
      sqrtPriceX96,
      slippageBps: 100,
      recipient: me,
      deadline,
    });
    mints.push(calls.at(-1) as Call); // the mint; the approvals were given once above
  }
  for (let i = 0; i < mints.length; i += MINTS_PER_TX)
    await send(chain, name, combinePositionManagerCalls(npm, mints.slice(i, i + MINTS_PER_TX)), 25_000_000n);

  const market = testkitAaveMarket(chain.deployment);
  const supply = encodeSupply({
    positions: await fetchAavePositions(chain.publicClient, { market, user: me }),
    asset: d.tokens.WETH.address,
    amount: 6n * e18,
  });
  await send(chain, name, supply);
  const borrow = encodeBorrow({
    positions: await fetchAavePositions(chain.publicClient, { market, user: me }),
    asset: d.tokens.USDC.address,
    amount: 4_000n * e6,
  });
  await send(chain, name, borrow);
}

// ---------------------------------------------------------------------------------------------------------------
// The keeper.

type Weights = Record<string, string>; // sleeve id → "12.34%"

const sleeveIds = (c: ChainKey) => [`${c}-weth`, `${c}-usdc`, `${c}-lp`, `${c}-aave`, `${c}-debt`];

function configYaml(
  chains: Chains,
  rpc: Record<ChainKey, string>,
  opts: { journal: string; weights: Weights | undefined; blockTime?: string },
): string {
  const chain = (key: ChainKey) =>
    testkitChainYaml(key, chains[key], {
      keyVar: "BENCH_KEY",
      rpc: rpc[key],
      name: `${key} (bench)`,
      ...(opts.blockTime ? { blockTime: opts.blockTime } : {}),
    });
  // Provisional weights (sum 100%) for the read that calibrates them.
  const w = opts.weights ?? {};
  const weight = (id: string, fallback: string) => w[id] ?? fallback;
  const sleeves = CHAIN_KEYS.flatMap((c) => {
    const [weth, usdc, lp, aave, debt] = sleeveIds(c);
    return [
      `    - { id: ${weth}, chain: ${c}, kind: token, asset: WETH, weight: ${weight(weth as string, "10%")} }`,
      `    - { id: ${usdc}, chain: ${c}, kind: token, asset: USDC, weight: ${weight(usdc as string, "10%")} }`,
      `    - { id: ${lp}, chain: ${c}, kind: uniswap-v3-lp, pool: WETH/USDC/500, range: ${LP_RANGE_BPS / 100}%, weight: ${weight(lp as string, "15%")} }`,
      `    - { id: ${aave}, chain: ${c}, kind: aave-supply, asset: WETH, weight: ${weight(aave as string, "25%")} }`,
      `    - { id: ${debt}, chain: ${c}, kind: aave-borrow, asset: USDC, weight: ${weight(debt as string, "-10%")} }`,
    ];
  });
  const bands = opts.weights ? "{ absolute: 2%, relative: 10% }" : "{ absolute: 100%, relative: 100% }";
  return `chains:
${chain("ethereum")}${chain("base")}
policy:
  sleeves:
${sleeves.join("\n")}
  bands: ${bands}
  cooldown: 1h
  rebalanceTo: target
  minTrade: 50 USD
  maxSlippage: 1%
  maxValueLoss: 1%
  healthFactorFloor: 1.8
  maxCostOfDriftRemoved: 20%
keeper:
  tick: block
  journal: ${opts.journal}
  listen: 127.0.0.1:0
`;
}

type Bench = { keeper: Keeper; close: () => Promise<void> };

async function openKeeper(
  dir: string,
  name: string,
  yaml: string,
  env: Record<string, string>,
): Promise<Bench> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  const config: Config = loadConfig(file, env);
  const journal = await openJournal(config.keeper.journal);
  const chains = buildRuntime(config, env, { store: journal.txStore, needKeys: true, pollingIntervalMs: 50 });
  return {
    keeper: {
      config,
      chains,
      journal,
      metrics: createMetrics(),
      log: createLogger({ level: "silent", pretty: false }),
    },
    close: () => journal.close(),
  };
}

const now = () => Math.floor(Date.now() / 1000);

/** Fails loudly when a cycle did not value the portfolio (every figure below would be meaningless). */
function checked(r: CycleResult, what: string): CycleResult {
  const problems = [
    ...r.chainErrors.map((e) => `chain ${e.key}: ${e.error.shortMessage} ${e.error.details ?? ""}`),
    ...(r.error ? [`${r.error.shortMessage} ${r.error.details ?? ""}`] : []),
  ];
  if (problems.length > 0 || !r.state) throw new Error(`${what}: the cycle failed\n${problems.join("\n")}`);
  return r;
}

/** The portfolio's own weights as a policy (bps, summing to exactly 100%). */
function weightsOf(r: CycleResult): Weights {
  const bps = new Map(
    (r.state?.sleeves ?? []).map((s) => [s.sleeve.id, Math.round(wadToBpsNumber(s.weightWad))]),
  );
  const sum = [...bps.values()].reduce((a, b) => a + b, 0);
  const [largest] = [...bps.entries()].sort((a, b) => b[1] - a[1]);
  if (!largest) throw new Error("no sleeves");
  bps.set(largest[0], largest[1] + 10_000 - sum);
  return Object.fromEntries(
    [...bps].map(([id, b]) => [
      id,
      `${b < 0 ? "-" : ""}${Math.floor(Math.abs(b) / 100)}.${String(Math.abs(b) % 100).padStart(2, "0")}%`,
    ]),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Measurements.

type ChainCount = {
  ethCall: number;
  other: Map<string, number>;
  http: number;
  bytesOut: number;
  bytesIn: number;
};

function snapshotCounts(proxies: Record<ChainKey, CountingProxy>): Record<ChainKey, ChainCount> {
  const one = (p: CountingProxy): ChainCount => {
    const other = new Map([...p.tally.methods].filter(([m]) => m !== "eth_call"));
    return {
      ethCall: p.tally.methods.get("eth_call") ?? 0,
      other,
      http: p.tally.http,
      bytesOut: p.tally.bytesOut,
      bytesIn: p.tally.bytesIn,
    };
  };
  return { ethereum: one(proxies.ethereum), base: one(proxies.base) };
}

async function counted<T>(
  proxies: Record<ChainKey, CountingProxy>,
  fn: () => Promise<T>,
): Promise<{ out: T; counts: Record<ChainKey, ChainCount> }> {
  for (const p of Object.values(proxies)) p.reset();
  const out = await fn();
  return { out, counts: snapshotCounts(proxies) };
}

const otherText = (c: ChainCount) => {
  const n = [...c.other.values()].reduce((a, b) => a + b, 0);
  const names = [...c.other].map(([m, k]) => `${m} ${k}`).join(", ");
  return `other ${n}${names ? ` (${names})` : ""}`;
};

const countLine = (counts: Record<ChainKey, ChainCount>) =>
  CHAIN_KEYS.map((k) => {
    const c = counts[k];
    return `${k}: eth_call ${c.ethCall}, ${otherText(c)}; ${c.http} HTTP request(s), ${(c.bytesOut / 1024).toFixed(1)} KiB sent / ${(c.bytesIn / 1024).toFixed(1)} KiB received`;
  }).join(" | ");

const perChainTotal = (c: ChainCount) => c.ethCall + [...c.other.values()].reduce((a, b) => a + b, 0);

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

// ---------------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------
// The real daemon in a child process.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The built `ballast` bin (apps/keeper/build.ts), as a user runs it: no TypeScript loader in the process. */
const BIN = join(ROOT, "apps/keeper/dist/ballast.js");

/** The Node flags of the bin's shebang (`#!/usr/bin/env -S node <flags>`): the daemon runs with them, as `ballast` does. */
const shebangFlags = (bin: string): string[] => {
  const m = /^#!\/usr\/bin\/env -S node(.*)$/m.exec(readFileSync(bin, "utf8").split("\n", 1)[0] ?? "");
  if (!m) throw new Error(`${bin} does not start with a "#!/usr/bin/env -S node" shebang`);
  return (m[1] ?? "").split(" ").filter((f) => f !== "");
};

/**
 * Preloaded into the daemon: on SIGUSR2, prints its RSS, then after a full GC its heap used, the heap V8 holds
 * (used or not) and the memory outside the JS heap that V8 knows of (buffers, native objects) (one JSON line).
 */
const PROBE = `process.on("SIGUSR2", () => {
  const rss = process.memoryUsage().rss;
  globalThis.gc?.();
  const m = process.memoryUsage();
  process.stderr.write(JSON.stringify({ benchProbe: { rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external } }) + "\\n");
});`;
type Probe = { rss: number; heapUsed: number; heapTotal: number; external: number };

type MemSample = Probe & {
  cycle: number;
  atMs: number;
  peakRss: number | undefined;
  /** Median time of the last 100 cycles as the daemon itself measured them (its "cycle done" log's `ms`). */
  cycleMs: number | undefined;
};

/** The peak resident set size of a process so far (Linux `VmHWM`), or undefined where /proc has none. */
function peakRssOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}
type DaemonRun = {
  samples: MemSample[];
  cycles: number;
  failures: number;
  ms: number;
  exit: number | null;
  /** Every cycle's own time (ms), as the daemon logged it: the cycle without its waits for a new block. */
  cycleMs: number[];
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `ballast run -c file` until it has done {@link MEMORY_CYCLES} cycles (then SIGTERM: it finishes the current
 * cycle and stops), mining a block on every chain every {@link MINE_EVERY_MS} ms so `tick: block` always has one.
 */
async function runBallast(opts: {
  file: string;
  env: Record<string, string>;
  chains: readonly TestChain[];
  onSample: (s: MemSample) => void;
}): Promise<DaemonRun> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...shebangFlags(BIN),
      "--expose-gc",
      "--import",
      `data:text/javascript,${encodeURIComponent(PROBE)}`,
      BIN,
      "run",
      "-c",
      opts.file,
      "--max-cycles",
      String(MEMORY_CYCLES + 10),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ...opts.env, BALLAST_LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let alive = true;
  void exited.then(() => {
    alive = false;
  });
  const signal = (sig: NodeJS.Signals) => {
    if (alive) child.kill(sig);
  };
  const out: string[] = [];
  child.stdout.on("data", (b: Buffer) => out.push(b.toString()));
  const samples: MemSample[] = [];
  const pending: { cycle: number; atMs: number; peakRss: number | undefined; cycleMs: number | undefined }[] =
    [];
  const cycleMs: number[] = [];
  let cycles = 0;
  let failures = 0;
  const sample = (cycle: number) => {
    const recent = cycleMs.slice(-100);
    pending.push({
      cycle,
      atMs: performance.now() - started,
      peakRss: peakRssOf(child.pid),
      cycleMs: recent.length > 0 ? median(recent) : undefined,
    });
    signal("SIGUSR2");
  };
  let cycleStart = 0;
  createInterface({ input: child.stderr }).on("line", (line) => {
    let j: { msg?: string; ms?: number; benchProbe?: Probe };
    try {
      j = JSON.parse(line) as typeof j;
    } catch {
      out.push(line);
      return;
    }
    if (j.benchProbe) {
      const p = pending.shift();
      if (p) {
        const s = { ...p, atMs: p.atMs - cycleStart, ...j.benchProbe };
        samples.push(s);
        opts.onSample(s);
      }
    } else if (j.msg === "serving /metrics and /healthz") {
      cycleStart = performance.now() - started;
      sample(0);
    } else if (j.msg === "cycle done") {
      cycles++;
      if (typeof j.ms === "number") cycleMs.push(j.ms);
      if (cycles % 100 === 0) sample(cycles);
      if (cycles === MEMORY_CYCLES) setTimeout(() => signal("SIGTERM"), 200);
    } else if (j.msg === "cycle failed") {
      failures++;
      out.push(line);
    } else if (typeof j.msg === "string" && j.msg.includes("fail")) out.push(line);
  });

  let mining = true;
  const miner = (async () => {
    while (mining) {
      await Promise.all(opts.chains.map((c) => c.testClient.mine({ blocks: 1 })));
      await sleep(MINE_EVERY_MS);
    }
  })();
  const timeout = setTimeout(() => signal("SIGKILL"), DAEMON_TIMEOUT_MS);
  try {
    const exit = await exited;
    if (cycles < MEMORY_CYCLES)
      throw new Error(
        `ballast run stopped after ${cycles} cycles (exit ${exit}):\n${out.slice(-20).join("\n")}`,
      );
    return { samples, cycles, failures, ms: performance.now() - started - cycleStart, exit, cycleMs };
  } finally {
    clearTimeout(timeout);
    mining = false;
    await miner.catch(() => undefined);
    signal("SIGKILL");
  }
}

type SizeResult = {
  size: number;
  holdings: number[];
  cold: Record<ChainKey, ChainCount>;
  steady: Record<ChainKey, ChainCount>;
  withKeys: Record<ChainKey, ChainCount>;
  medianMs: number;
  minMs: number;
  maxMs: number;
  weights: Weights;
};

async function main(): Promise<void> {
  console.log("Ballast bench:cycle — issue #9 (RPC requests per cycle, cycle time, memory)");
  console.log(
    `machine: ${availableParallelism()} cores, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
  console.log(
    `A cycle = keeperCycle(execute: false) on buildRuntime's clients: fetch both chains, value, decide (in band: hold, no plan).`,
  );
  const dir = mkdtempSync(join(tmpdir(), "ballast-bench-cycle-"));
  const started: TestChain[] = [];
  const proxies: CountingProxy[] = [];
  const benches: Bench[] = [];
  try {
    let t = performance.now();
    const [ethereum, base] = await Promise.all([
      // Pruned history: anvil's mining stays as fast at block 2,000 as at block 20 (the daemon's section mines a lot).
      startTestChain({ chainId: 1, anvilArgs: ["--prune-history"] }),
      startTestChain({ chainId: 8453, anvilArgs: ["--prune-history"] }),
    ]);
    started.push(ethereum, base);
    const chains: Chains = { ethereum, base };
    console.log(`\nsetup: anvil ethereum (1) and base (8453) started in ${secs(t)}`);

    t = performance.now();
    // The chains in parallel; on each chain the accounts one after another (funding shares the whale's nonce).
    await Promise.all(
      CHAIN_KEYS.map(async (c) => {
        for (const n of SIZES) await seedChain(chains[c], ACCOUNTS[n], n);
      }),
    );
    console.log(
      `setup: seeded ${SIZES.map((n) => `${ACCOUNTS[n]} (${n} LP NFT${n === 1 ? "" : "s"}/chain)`).join(", ")} in ${secs(t)}` +
        " — each also holds idle WETH and USDC, WETH supplied to Aave and USDC borrowed, on both chains",
    );

    const proxy = {
      ethereum: await startCountingProxy(ethereum.rpcUrl),
      base: await startCountingProxy(base.rpcUrl),
    };
    proxies.push(proxy.ethereum, proxy.base);
    const direct = { ethereum: ethereum.rpcUrl, base: base.rpcUrl };
    const viaProxy = { ethereum: proxy.ethereum.url, base: proxy.base.url };

    const results: SizeResult[] = [];
    for (const n of SIZES) {
      const name = ACCOUNTS[n];
      const env = { BENCH_KEY: ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX[name]] };
      // Calibrate the policy on the portfolio's own weights (its own journal, so the counted cycle 1 is cold).
      const cal = await openKeeper(
        dir,
        `${name}-calibrate`,
        configYaml(chains, direct, { journal: join(dir, `${name}-calibrate.db`), weights: undefined }),
        env,
      );
      benches.push(cal);
      const weights = weightsOf(
        checked((await keeperCycle(cal.keeper, { now: now(), execute: false })).result, "calibration"),
      );

      // RPC counts: cold cycle 1, then cycle 2 (LP ids journaled).
      const c = await openKeeper(
        dir,
        `${name}-counted`,
        configYaml(chains, viaProxy, { journal: join(dir, `${name}-counted.db`), weights }),
        env,
      );
      benches.push(c);
      const cold = await counted(proxy, () => keeperCycle(c.keeper, { now: now(), execute: false }));
      checked(cold.out.result, `${n} positions, cycle 1`);
      const steady = await counted(proxy, () => keeperCycle(c.keeper, { now: now(), execute: false }));
      const r2 = checked(steady.out.result, `${n} positions, cycle 2`);
      if (r2.decision?.fire)
        throw new Error(`${n} positions: the calibrated policy fires; the cycle would plan`);
      const holdings = r2.snapshot.chains.map((s) => s.holdings.length);

      // The engine alone, given both the LP ids and the LP keys of the previous result.
      const { sleeves, rules } = policyOf(c.keeper.config);
      const withKeys = await counted(proxy, () =>
        runCycle({
          chains: c.keeper.chains.map((ch) => ({ ...ch.setup, hints: r2.hints[ch.setup.chainId] ?? {} })),
          sleeves,
          rules,
          now: now(),
        }),
      );
      checked(withKeys.out, `${n} positions, engine with LP keys`);

      // Cycle time, straight to anvil.
      const d = await openKeeper(
        dir,
        `${name}-direct`,
        configYaml(chains, direct, { journal: join(dir, `${name}-direct.db`), weights }),
        env,
      );
      benches.push(d);
      for (let i = 0; i < 2; i++)
        checked((await keeperCycle(d.keeper, { now: now(), execute: false })).result, "warm-up");
      const times: number[] = [];
      for (let i = 0; i < TIMED_CYCLES; i++) {
        const s = performance.now();
        const r = await keeperCycle(d.keeper, { now: now(), execute: false });
        times.push(performance.now() - s);
        checked(r.result, "timed cycle");
      }
      results.push({
        size: n,
        holdings,
        cold: cold.counts,
        steady: steady.counts,
        withKeys: withKeys.counts,
        medianMs: median(times),
        minMs: Math.min(...times),
        maxMs: Math.max(...times),
        weights,
      });
    }

    console.log(
      "\n== RPC requests per chain per cycle (counted at a JSON-RPC proxy in front of each anvil) ==",
    );
    for (const r of results) {
      console.log(`positions/chain ${r.size} (holdings per chain: ${r.holdings.join(" / ")}):`);
      console.log(`  ${"cycle 1 (cold: empty journal)".padEnd(43)}${countLine(r.cold)}`);
      console.log(`  ${"cycle 2 (steady: after cycle 1's journal)".padEnd(43)}${countLine(r.steady)}`);
      console.log(`  ${"engine runCycle given cycle 2's LP keys".padEnd(43)}${countLine(r.withKeys)}`);
    }
    const steadyTotals = results.map((r) => CHAIN_KEYS.map((k) => perChainTotal(r.steady[k])).join("/"));
    const flat = new Set(steadyTotals).size === 1;
    const steadyEthCalls = new Set(results.flatMap((r) => CHAIN_KEYS.map((k) => r.steady[k].ethCall)));
    const steadyOther = Math.max(
      ...results.flatMap((r) => CHAIN_KEYS.map((k) => perChainTotal(r.steady[k]) - r.steady[k].ethCall)),
    );
    const meets = steadyEthCalls.size === 1 && steadyEthCalls.has(1) && steadyOther <= 2;
    console.log(
      `steady-state requests per chain (ethereum/base) at ${SIZES.join(" / ")} positions: ${steadyTotals.join(" ; ")} → ${flat ? "FLAT" : "NOT flat"} in the number of positions; target (1 eth_call + ≤ 2 other): ${meets ? "MET" : `MISSED (eth_call per chain: ${[...steadyEthCalls].join(", ")}; other ≤ ${steadyOther})`}`,
    );
    const keysWouldMeet = results.every((r) => CHAIN_KEYS.every((k) => r.withKeys[k].ethCall === 1));
    if (!meets && keysWouldMeet)
      console.log(
        "why: the engine given the previous cycle's hints (result.hints: the LP keys) reads each chain in ONE eth_call at every size (line 3 of each block), so the keeper does not hand the LP keys back to the next cycle (see keeper.ts: what it journals).",
      );
    console.log(
      "note: keeperCycle alone; `ballast run` (tick: block) adds its eth_blockNumber polls for a new block: counted in the daemon section below.",
    );

    console.log(
      `\n== Cycle time (median of ${TIMED_CYCLES} steady-state cycles, direct to anvil, both chains in parallel; load average now ${loadavg()
        .map((x) => x.toFixed(1))
        .join(" ")} on ${availableParallelism()} cores) ==`,
    );
    for (const r of results) {
      const c = r.steady.ethereum;
      console.log(
        `positions/chain ${r.size}: cycle median ${r.medianMs.toFixed(1)} ms (min ${r.minMs.toFixed(1)}, max ${r.maxMs.toFixed(1)}); rpc per chain per cycle: eth_call ${c.ethCall}, ${otherText(c)}`,
      );
    }

    // Memory and the daemon's own requests: the real `ballast run`, in a child process, on the 10-position account.
    const n = MEMORY_SIZE;
    const name = ACCOUNTS[n];
    const weights = results.find((r) => r.size === n)?.weights;
    const file = join(dir, `${name}-run.yaml`);
    writeFileSync(
      file,
      configYaml(chains, viaProxy, { journal: join(dir, `${name}-run.db`), weights, blockTime: "1s" }),
    );
    execFileSync(process.execPath, ["--import", "tsx", "apps/keeper/build.ts"], {
      cwd: ROOT,
      stdio: "inherit",
    });
    console.log(
      `\n== \`ballast run\` (the real daemon, the built bin with its shebang's node flags (${shebangFlags(BIN).join(" ")}): apps/keeper/dist/ballast.js run --max-cycles ${MEMORY_CYCLES + 10}, tick: block, a child process) at ${n} positions/chain; this process mines a block on both chains every ${MINE_EVERY_MS} ms (anvil --prune-history); memory sampled inside the daemon every 100 cycles: rss as is, heap used after a full GC; cycle time as the daemon measures it, its waits for a new block left out ==`,
    );
    for (const p of Object.values(proxy)) p.reset();
    const run = await runBallast({
      file,
      env: { BENCH_KEY: ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX[name]] },
      chains: [ethereum, base],
      onSample: (s) =>
        console.log(
          `cycle ${String(s.cycle).padStart(5)}: rss ${mb(s.rss)}, heap used ${mb(s.heapUsed)} of ${mb(s.heapTotal)}, external ${mb(s.external)}${s.peakRss ? `, peak rss so far ${mb(s.peakRss)}` : ""}${s.cycleMs !== undefined ? `; cycle ${s.cycleMs} ms (median of the last 100)` : ""}${s.cycle > 0 ? `; ${(s.atMs / s.cycle).toFixed(1)} ms/cycle wall, new-block waits included` : ""}`,
        ),
    });
    const daemonCounts = snapshotCounts(proxy);
    console.log(
      `daemon: ${run.cycles} cycles in ${(run.ms / 1000).toFixed(1)} s, ${run.failures} failed; exit code ${run.exit}; cycle time (the daemon's own, waits left out): median ${median(run.cycleMs)} ms, first 100 ${median(run.cycleMs.slice(0, 100))} ms, last 100 ${median(run.cycleMs.slice(-100))} ms`,
    );
    console.log(
      `daemon rpc per chain per cycle (all requests of the run ÷ ${run.cycles} cycles, startup included): ${CHAIN_KEYS.map(
        (k) => {
          const c = daemonCounts[k];
          const per = (x: number) => (x / run.cycles).toFixed(2);
          return `${k}: eth_call ${per(c.ethCall)}, ${[...c.other].map(([m, x]) => `${m} ${per(x)}`).join(", ") || "other 0"}`;
        },
      ).join(" | ")}`,
    );
    const at200 = run.samples.find((s) => s.cycle === 200);
    const last = run.samples.find((s) => s.cycle === MEMORY_CYCLES);
    if (!at200 || !last)
      throw new Error(`missing memory samples (got cycles ${run.samples.map((s) => s.cycle).join(", ")})`);
    const peak = Math.max(...run.samples.map((s) => s.peakRss ?? s.rss));
    const growth = last.rss - at200.rss;
    const heapGrowth = last.heapUsed - at200.heapUsed;
    const sign = (x: number) => `${x >= 0 ? "+" : "−"}${mb(Math.abs(x))}`;
    console.log(
      `rss after ${MEMORY_CYCLES.toLocaleString("en-US")} cycles: ${mb(last.rss)} (${sign(growth)} since cycle 200; peak ${mb(peak)}); heap used ${mb(last.heapUsed)} (${sign(heapGrowth)} since cycle 200)`,
    );
    const under = peak < PEAK_TARGET_MB * 2 ** 20;
    const notGrowing = growth < 10 * 2 ** 20 && heapGrowth < 5 * 2 ** 20;
    console.log(
      `memory target (peak under ${PEAK_TARGET_MB} MB, not growing): ${under && notGrowing ? "MET" : "MISSED"} (peak under ${PEAK_TARGET_MB} MB: ${under ? "yes" : "no"}; growth 200→1,000 under 10 MB rss and 5 MB heap: ${notGrowing ? "yes" : "no"})`,
    );
    console.log(`\nbench:cycle finished in ${secs(t0)}`);
  } finally {
    for (const b of benches) await b.close();
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all(started.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
}

/**
 * `pnpm bench:workers` — issue #23: many portfolios on one Postgres journal.
 *
 * Two testkit anvils with the real Aave V3 and Uniswap V3, the demo portfolio seeded once, a throw-away Postgres
 * (`startPostgres`). Prints:
 * 1. portfolios per worker per cycle: one worker's round of read-only cycles (fetch + value + decide + plan +
 *    simulate, `keeperCycle(execute: false, force: true)`: planned even in band, so every cycle plans and
 *    simulates), 8 at a time, over N portfolios on the shared journal;
 * 2. Postgres round trips per portfolio cycle (statements and transactions counted on the journal's connection);
 * 3. failover: a `ballast work` process holding 10 portfolios is SIGKILLed; the time until another worker (in this
 *    process) has run its first cycle of each of them, with `--lease-ttl 3 --tick 1`.
 *
 *   pnpm bench:workers               # N = 10, 100
 *   pnpm bench:workers --sizes 10,100,1000
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import {
  assembleKeeper,
  type Config,
  createLogger,
  createMetrics,
  journalOver,
  keeperCycle,
  labelled,
  loadConfig,
  openJournal,
  runWorker,
  type Sql,
} from "@ballast/keeper";
import { demoConfigYaml, seedDemoPortfolio } from "@ballast/keeper/demo";
import {
  ANVIL_PRIVATE_KEYS,
  startPostgres,
  startTestChain,
  TEST_ACCOUNT_INDEX,
  testAccounts,
} from "@ballast/testkit";

const arg = process.argv.indexOf("--sizes");
const SIZES = (arg > 0 ? (process.argv[arg + 1] ?? "") : "10,100").split(",").map(Number);
const CONCURRENCY = 8;
const account = testAccounts.keeper;
const env = { BALLAST_DEMO_KEY: ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX.keeper] as string };
const silent = createLogger({ level: "silent" });

/** `sql` with every statement and transaction counted (one round trip each; a transaction adds BEGIN and COMMIT). */
function counting(sql: Sql, n: { trips: number }): Sql {
  return {
    dialect: sql.dialect,
    all: (q, p) => {
      n.trips++;
      return sql.all(q, p);
    },
    run: (q, p) => {
      n.trips++;
      return sql.run(q, p);
    },
    exec: (q) => {
      n.trips++;
      return sql.exec(q);
    },
    transaction: (fn) => {
      n.trips += 2;
      return sql.transaction((tx) => fn(counting(tx, n)));
    },
    close: () => sql.close(),
  };
}

/** Runs `fn` over `items`, `limit` at a time. */
async function pooled<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

async function throughput(config: Config, url: string, size: number) {
  const opened = await openJournal(url);
  const n = { trips: 0 };
  const sql = counting(opened.sql, n);
  const metrics = createMetrics();
  const keepers = Array.from({ length: size }, (_, i) =>
    assembleKeeper(
      config,
      journalOver(sql, `p${i}`, async () => {}),
      {
        env,
        needKeys: false,
        log: silent,
        metrics: labelled(metrics, { portfolio: `p${i}` }),
      },
    ),
  );
  const now = Math.floor(Date.now() / 1000);
  await pooled(keepers.slice(0, CONCURRENCY), CONCURRENCY, (k) =>
    keeperCycle(k, { now, execute: false, force: true }),
  ); // warm
  n.trips = 0;
  const t0 = performance.now();
  await pooled(keepers, CONCURRENCY, (k) => keeperCycle(k, { now, execute: false, force: true }));
  const ms = performance.now() - t0;
  await opened.close();
  return { ms, trips: n.trips / size };
}

async function failover(dir: string, config: Config): Promise<number> {
  const names = Array.from({ length: 10 }, (_, i) => `f${i}`);
  const yaml = demoConfigYaml(chainsRef, { journal: config.keeper.journal, cooldown: "1h" });
  for (const n of names) writeFileSync(join(dir, `${n}.yaml`), yaml);
  const cli = join(import.meta.dirname, "..", "apps", "keeper", "src", "cli.ts");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", cli, "work", dir, "--lease-ttl", "3", "--tick", "1"],
    {
      env: { ...process.env, ...env, BALLAST_LOG_LEVEL: "info" },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let log = "";
  child.stderr.on("data", (d: Buffer) => {
    log += d.toString();
  });
  while ((log.match(/cycle done/g) ?? []).length < names.length) await new Promise((r) => setTimeout(r, 100));
  const killed = Date.now();
  child.kill("SIGKILL");
  const stop = new AbortController();
  let done = 0;
  const seen = new Set<string>();
  await runWorker({
    portfolios: names.map((name) => ({ name, config: loadConfig(join(dir, `${name}.yaml`), env) })),
    journal: config.keeper.journal,
    env,
    log: silent,
    metrics: createMetrics(),
    leaseTtlMs: 3_000,
    tickMs: 200,
    now: () => Math.floor(Date.now() / 1000),
    signal: stop.signal,
    onRound: (r) => {
      for (const [name, outcome] of Object.entries(r.outcomes)) if (outcome === "ok") seen.add(name);
      if (seen.size === names.length && done === 0) {
        done = Date.now() - killed;
        stop.abort();
      }
    },
  });
  return done;
}

let chainsRef: Parameters<typeof demoConfigYaml>[0];

const [ethereum, base] = await Promise.all([
  startTestChain({ chainId: 1 }),
  startTestChain({ chainId: 8453 }),
]);
const pg = await startPostgres();
const dir = mkdtempSync(join(tmpdir(), "ballast-bench-workers-"));
try {
  chainsRef = { ethereum, base };
  await seedDemoPortfolio(chainsRef, account);
  console.log(
    `Many portfolios on one Postgres journal (${availableParallelism()} cores, load ${loadavg()[0]?.toFixed(1)}; each portfolio is the demo's, 2 chains, 5 sleeves; ${CONCURRENCY} cycles at a time)`,
  );
  console.log(
    "\n  portfolios   round (fetch+plan+simulate)   per portfolio   per 12 s block   Postgres round trips / cycle",
  );
  for (const size of SIZES) {
    const url = await pg.createDatabase(`bench_${size}`);
    const file = join(dir, `bench-${size}.yaml`);
    writeFileSync(file, demoConfigYaml(chainsRef, { journal: url, address: account.address }));
    const r = await throughput(loadConfig(file, env), url, size);
    const per = r.ms / size;
    console.log(
      `  ${String(size).padStart(10)}   ${`${(r.ms / 1000).toFixed(1)} s`.padStart(27)}   ${`${per.toFixed(0)} ms`.padStart(13)}   ${String(Math.floor(12_000 / per)).padStart(14)}   ${r.trips.toFixed(1).padStart(28)}`,
    );
  }
  const url = await pg.createDatabase("bench_failover");
  const fdir = mkdtempSync(join(dir, "failover-"));
  const file = join(dir, "failover.yaml");
  writeFileSync(file, demoConfigYaml(chainsRef, { journal: url }));
  const ms = await failover(fdir, loadConfig(file, env));
  console.log(
    `\nFailover: SIGKILL of a worker holding 10 portfolios → another worker's first cycle of all 10: ${(ms / 1000).toFixed(1)} s (lease TTL 3 s)`,
  );
} finally {
  await Promise.all([ethereum.stop(), base.stop(), pg.stop()]);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * `pnpm bench:dashboard` — issue #21: what the dashboard costs. The page's bundle (raw and gzipped, as served from
 * `apps/keeper/dashboard/dist/`), the journal's growth per day of `tick: block` with the default 1-minute sampling,
 * and the time to answer `/api/status` and `/api/history?range=7d|30d` (query + JSON, median of 50) over a journal
 * holding 30 days of cycles of a 5-sleeve portfolio with a rebalance a day.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { journalOver, openJournal } from "@ballast/keeper";
import { type CycleView, historyOf, recordCycle, statusOf } from "@ballast/keeper/dashboard";

const DASHBOARD = new URL("../apps/keeper/dashboard/", import.meta.url);
const DAY = 86_400;
const DAYS = 30;
const SLEEVES = ["eth-idle", "eth-usdc-lp", "weth-aave", "usdc-idle", "usdc-debt"];

const view = (at: number, planId: string | null): CycleView => ({
  at,
  navUsd: (100_000n * 10n ** 18n + BigInt(at % 997) * 10n ** 18n).toString(),
  sleeves: SLEEVES.map((id, i) => ({
    id,
    chainId: i < 2 ? 1 : 8453,
    kind: "token",
    protocol: "wallet",
    targetBps: 2_000,
    weightBps: 2_000 + ((at / 60 + i * 37) % 300) - 150,
    driftBps: ((at / 60 + i * 37) % 300) - 150,
    bandBps: 200,
    valueUsd: (20_000n * 10n ** 18n).toString(),
    outOfBand: false,
  })),
  healthFactors: [{ chainId: 8453, protocol: "aave-v3", healthFactor: "2.4100" }],
  healthFactorFloor: "1.8000",
  decision: {
    fire: planId !== null,
    reasons: [{ rule: "band", effect: "trigger", fired: false, detail: "in band" }],
  },
  plan: planId
    ? {
        id: planId,
        navUsd: "$1",
        postNavUsd: "$1",
        turnoverUsd: "$1",
        costUsd: "$1",
        legs: [],
        transfers: [],
      }
    : null,
  simulations: [],
  chainErrors: [],
  staleChains: [],
  warnings: [],
});

const median = async (f: () => Promise<unknown>, n = 50): Promise<number> => {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)] as number;
};

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
console.log("Dashboard page (apps/keeper/dashboard/)");
for (const f of ["dist/app.js", "dist/app.css", "index.html"]) {
  const body = readFileSync(new URL(f, DASHBOARD));
  console.log(
    `  ${f.padEnd(13)} ${kb(body.length).padStart(9)} raw  ${kb(gzipSync(body).length).padStart(8)} gzip`,
  );
}

const dir = mkdtempSync(join(tmpdir(), "ballast-bench-dashboard-"));
try {
  const journal = await openJournal(join(dir, "ballast.db"));
  const end = 1_800_000_000;
  const start = end - DAYS * DAY;
  // A block every 12 s; quiet cycles are kept once a minute, each day's rebalance always.
  await journal.sql.transaction(async (tx) => {
    const inTx = journalOver(tx, journal.portfolio, async () => {});
    for (let at = start; at <= end; at += 12) {
      const planId = (at - start) % DAY === 43_200 ? `plan-${at}` : null;
      await recordCycle(inTx, view(at, planId), 60);
    }
  });
  const [count] = await journal.sql.all<{ n: number }>("SELECT count(*) AS n FROM cycles");
  const rows = count?.n ?? 0;
  await journal.sql.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const size = statSync(join(dir, "ballast.db")).size;
  console.log(
    `\nJournal: ${DAYS} days of tick: block (12 s blocks) → ${rows.toLocaleString("en-US")} cycle rows`,
  );
  console.log(
    `  ${(size / DAYS / 1024 / 1024).toFixed(2)} MB per day (${(size / 1024 / 1024).toFixed(1)} MB in all)`,
  );
  const chains = [
    { key: "ethereum", chainId: 1, explorer: null },
    { key: "base", chainId: 8453, explorer: null },
  ];
  const answer = (f: () => Promise<unknown>) => async () => JSON.stringify(await f());
  console.log("\nAnswer time (query + JSON), median of 50");
  console.log(
    `  /api/status             ${(await median(answer(() => statusOf(journal, chains, "journal", end)))).toFixed(2)} ms`,
  );
  for (const days of [7, 30]) {
    const body = JSON.stringify(await historyOf(journal, end - days * DAY, end));
    const ms = await median(
      answer(() => historyOf(journal, end - days * DAY, end)),
      20,
    );
    console.log(
      `  /api/history range=${`${days}d`.padEnd(4)} ${ms.toFixed(1)} ms  (${kb(body.length)}, ${JSON.parse(body).points.length} points)`,
    );
  }
  await journal.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BallastError,
  type Decision,
  formatTable,
  formatUsd,
  type Plan,
  type PortfolioState,
  toJsonValue,
  wadToBpsNumber,
} from "@ballast/core";
import type { CycleResult } from "@ballast/engine";
import { setPrice, type TestChain, testAccounts } from "@ballast/testkit";
import { formatUnits } from "viem";
import { serveJournalDashboard } from "./dashboard/serve.ts";
import {
  DEMO_CONFIG_FILE,
  type DemoChains,
  demoEnv,
  openDemoKeeper,
  seedDemoPortfolio,
  startDemoChains,
} from "./demo-portfolio.ts";
import {
  errText,
  type Keeper,
  type KeeperCycle,
  keeperCycle,
  renderPlan,
  renderProblems,
  renderStatus,
  sleep,
} from "./keeper.ts";

const STEPS = 7;
const secs = (from: number) => `${((performance.now() - from) / 1000).toFixed(1)} s`;

/** Where the demo prints: stdout for a person, nowhere under `--json` (its one JSON object is printed apart). */
type Out = { line(text: string): void; write(text: string): void };
const toStdout: Out = { line: (t) => console.log(t), write: (t) => process.stdout.write(t) };
const quiet: Out = { line: () => {}, write: () => {} };

async function step<T>(out: Out, n: number, title: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  out.write(`\n[${n}/${STEPS}] ${title} … `);
  const result = await fn();
  out.write(`done (${secs(started)})\n`);
  return result;
}

/**
 * The plan's estimated cost beside what the rebalance actually cost the portfolio: NAV before minus NAV after, both
 * at the same oracle prices (gas is paid from the native balance, outside NAV, so it is shown apart).
 */
function costLine(plan: Plan | null, navLossUsd: bigint): string {
  if (!plan) return "No plan was made: no cost.";
  const c = plan.estimatedCost;
  const est = c.feesUsd + c.slippageUsd + c.bridgeUsd;
  return `Cost: estimated ${formatUsd(est)} (fees ${formatUsd(c.feesUsd)}, slippage ${formatUsd(c.slippageUsd)}) + gas ${formatUsd(c.gasUsd)}; actual ${formatUsd(navLossUsd)} (NAV before − after, same prices)`;
}

const signedBps = (bps: number) => `${bps > 0 ? "+" : ""}${bps} bps`;

type Weights = Map<string, { target: number; weight: number; inBand: boolean; usd: bigint }>;
type Valued = { state: PortfolioState; decision: Decision };

/** The cycle's valuation, or an error that says why there is none. */
function valued(r: CycleResult): Valued {
  if (!r.state || !r.decision)
    throw new BallastError("The demo portfolio could not be valued.", { details: renderProblems(r) });
  return { state: r.state, decision: r.decision };
}

const weightsOf = (r: Valued): Weights =>
  new Map(
    r.state.sleeves.map((s) => [
      s.sleeve.id,
      {
        target: s.sleeve.targetBps / 100,
        weight: wadToBpsNumber(s.weightWad) / 100,
        inBand: !s.outOfBand,
        usd: s.valueUsd,
      },
    ]),
  );

const KEEP_TICK_MS = 5_000;

/** ETH's demo price at step `n`: a slow wave of ±25% around $2,400 (8-decimal oracle units). */
export const demoWavePrice = (n: number): bigint =>
  BigInt(Math.round(2_400e8 * (1 + 0.25 * Math.sin(n / 4))));

/**
 * `demo --keep`: the dashboard on the demo's journal, and a market that keeps moving: every 5 s ETH follows a slow
 * wave on both chains and the keeper runs a cycle (rebalancing when a band is crossed), until Ctrl-C.
 */
async function keepRunning(
  k: Keeper,
  chains: DemoChains,
  started: TestChain[],
  env: Record<string, string | undefined>,
) {
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  const dashboard = await serveJournalDashboard(k.config, {
    listen: "127.0.0.1:0",
    env,
    signal: stop.signal,
  });
  console.log(`\nChains kept running: ${started.map((c) => c.rpcUrl).join(", ")}.`);
  console.log(`Dashboard: ${dashboard.url}`);
  console.log(
    "ETH now moves ±25% around $2,400 and the keeper runs a cycle every 5 s. Ctrl-C stops everything.",
  );
  try {
    for (let n = 1; !stop.signal.aborted; n++) {
      await sleep(KEEP_TICK_MS, stop.signal);
      if (stop.signal.aborted) break;
      const price = demoWavePrice(n);
      try {
        await Promise.all(
          [chains.ethereum, chains.base].map((c) => setPrice(c, { asset: "WETH", usdPrice: price })),
        );
        const { result, sent } = await keeperCycle(k, { now: Math.floor(Date.now() / 1000), execute: true });
        console.log(
          `  ETH ${formatUsd(price * 10n ** 10n).padStart(10)}  ${result.decision?.fire ? "REBALANCE" : "hold     "}  ${sent.map((s) => `${s.key} ${s.status}`).join(", ")}`,
        );
      } catch (e) {
        // One slow step (a busy machine) does not end the demo: the next one tries again.
        console.log(`  ETH ${formatUsd(price * 10n ** 10n).padStart(10)}  step failed: ${errText(e)}`);
      }
    }
  } finally {
    stop.abort();
  }
  await dashboard.closed;
}

/** The demo's cycles: at ETH = $3,000, drifted after ETH −20% (decided, planned, simulated), sent, read back. */
type DemoRun = { start: KeeperCycle; drifted: KeeperCycle; run: KeeperCycle; after: KeeperCycle };

/** Steps 3–7: status, ETH falls 20%, the plan, the rebalance, every chain read back. */
async function rebalanceDemo(k: Keeper, chains: DemoChains, out: Out): Promise<DemoRun> {
  const now = () => Math.floor(Date.now() / 1000);
  const start = await step(out, 3, "Status at ETH = $3,000", () =>
    keeperCycle(k, { now: now(), execute: false }),
  );
  out.line(renderStatus(start.result));
  await step(
    out,
    4,
    "ETH falls 20% to $2,400 on both chains (oracle feeds set, pool prices moved by real swaps)",
    () =>
      Promise.all(
        [chains.ethereum, chains.base].map((c) =>
          setPrice(c, { asset: "WETH", usdPrice: 2_400n * 10n ** 8n }),
        ),
      ),
  );
  const drifted = await step(
    out,
    5,
    "Reading the drifted portfolio, deciding, planning, simulating each chain's batch",
    () => keeperCycle(k, { now: now(), execute: false }),
  );
  const { decision } = valued(drifted.result);
  out.line(renderStatus(drifted.result));
  out.line(`\nDecision: ${decision.fire ? "REBALANCE" : "hold"}`);
  for (const r of decision.reasons) if (r.fired) out.line(`  ● ${r.rule}: ${r.detail}`);
  out.line("");
  out.line(renderPlan(drifted.result));
  const run = await step(
    out,
    6,
    "Rebalancing: one EIP-7702 batch transaction per chain (simulated, then sent)",
    () => keeperCycle(k, { now: now(), execute: true }),
  );
  for (const s of run.sent)
    out.line(
      `  ${s.key.padEnd(9)} ${s.status}${s.hash ? `  tx ${s.hash}` : ""}${s.gasUsed ? `  gas ${s.gasUsed.toLocaleString("en-US")}` : ""}${s.error ? `  ${s.error}` : ""}`,
    );
  const after = await step(out, 7, "Reading every chain back", () =>
    keeperCycle(k, { now: now(), execute: false }),
  );
  out.line(renderStatus(after.result));
  return { start, drifted, run, after };
}

/** The before/after table, NAV and cost lines a person reads at the end. */
function printOutcome(d: DemoRun, out: Out): void {
  const driftedV = valued(d.drifted.result);
  const afterV = valued(d.after.result);
  const post = weightsOf(afterV);
  out.line("\nBefore / after the rebalance");
  out.line(
    formatTable(
      ["sleeve", "target", "before", "after", "to target", "in band"],
      [...weightsOf(driftedV)].map(([id, b]) => {
        const a = post.get(id);
        return [
          id,
          `${b.target.toFixed(2)}%`,
          `${b.weight.toFixed(2)}%`,
          a ? `${a.weight.toFixed(2)}%` : "?",
          a ? signedBps(Math.round((a.weight - b.target) * 100)) : "?",
          a?.inBand ? "yes" : "NO",
        ];
      }),
      [1, 2, 3, 4],
    ),
  );
  out.line(
    `NAV ${formatUsd(driftedV.state.navUsd)} → ${formatUsd(afterV.state.navUsd)};  next decision: ${afterV.decision.fire ? "REBALANCE" : "hold"}`,
  );
  out.line(costLine(d.drifted.result.plan, driftedV.state.navUsd - afterV.state.navUsd));
}

const usdText = (wad: bigint) => formatUnits(wad, 18);

/**
 * `demo --json`: the drifted decision and plan, what each chain's batch became, each sleeve's weight before and after
 * (bps) with its distance to target and band, NAV before and after, the estimated cost beside the actual one (USD
 * decimal strings), the next decision, and where the config and journal are.
 */
export function demoJson(d: DemoRun, dir: string) {
  const driftedV = valued(d.drifted.result);
  const afterV = valued(d.after.result);
  const post = new Map(afterV.state.sleeves.map((s) => [s.sleeve.id, s]));
  const plan = d.drifted.result.plan;
  const c = plan?.estimatedCost;
  return {
    config: join(dir, DEMO_CONFIG_FILE),
    decision: toJsonValue(driftedV.decision),
    plan: plan ? toJsonValue(plan) : null,
    sent: d.run.sent.map((s) => toJsonValue(s)),
    sleeves: driftedV.state.sleeves.map((b) => {
      const a = post.get(b.sleeve.id);
      return {
        id: b.sleeve.id,
        targetBps: b.sleeve.targetBps,
        beforeBps: wadToBpsNumber(b.weightWad),
        afterBps: a ? wadToBpsNumber(a.weightWad) : null,
        toTargetBps: a ? wadToBpsNumber(a.driftWad) : null,
        bandBps: wadToBpsNumber(b.bandWad),
        inBand: a ? !a.outOfBand : null,
      };
    }),
    nav: { before: usdText(driftedV.state.navUsd), after: usdText(afterV.state.navUsd) },
    cost: {
      estimated: c ? usdText(c.feesUsd + c.slippageUsd + c.bridgeUsd) : "0",
      gas: c ? usdText(c.gasUsd) : "0",
      actual: usdText(driftedV.state.navUsd - afterV.state.navUsd),
    },
    nextDecision: afterV.decision.fire ? "rebalance" : "hold",
  };
}

/**
 * `ballast demo`: two local anvil chains with the real Aave V3 and Uniswap V3, a funded portfolio across wallet
 * tokens, Aave supply and borrow and an LP position; ETH falls, the portfolio drifts, the keeper rebalances with one
 * simulated EIP-7702 batch per chain. No RPC URL or key needed; the chains stop at the end. `json`: nothing but
 * {@link demoJson} on stdout.
 */
export async function runDemo(opts: { keep: boolean; json?: boolean }): Promise<void> {
  const t0 = performance.now();
  const out = opts.json ? quiet : toStdout;
  out.line(
    "Ballast demo — two local chains running the real Aave V3 and Uniswap V3 contracts (npm artifacts).",
  );
  const dir = mkdtempSync(join(tmpdir(), "ballast-demo-"));
  const started: TestChain[] = [];
  let keeper: Keeper | undefined;
  try {
    const chains: DemoChains = await step(
      out,
      1,
      "Starting anvil: ethereum (chain 1) and base (chain 8453)",
      async () => {
        const demo = await startDemoChains();
        started.push(demo.ethereum, demo.base);
        return demo;
      },
    );
    const account = testAccounts.keeper;
    await step(
      out,
      2,
      `Opening the portfolio of ${account.address}: idle WETH and a WETH/USDC LP on ethereum; WETH supplied, USDC borrowed and idle USDC on base`,
      () => seedDemoPortfolio(chains, account),
    );
    // With --keep the market keeps moving afterwards: a short cooldown and a fine drift history.
    keeper = await openDemoKeeper(chains, dir, {
      pollingIntervalMs: 50,
      ...(opts.keep
        ? { cooldown: "1m", edit: (yaml: string) => `${yaml}  dashboard: { sampleEvery: 5s }\n` }
        : {}),
    });
    const demo = await rebalanceDemo(keeper, chains, out);
    if (opts.json) console.log(JSON.stringify(demoJson(demo, dir), null, 2));
    printOutcome(demo, out);
    out.line(
      `\nDemo finished in ${secs(t0)}. Config and journal: ${dir} (the journal outlives the chains: pnpm ballast history -c ${join(dir, DEMO_CONFIG_FILE)})`,
    );
    if (opts.keep) await keepRunning(keeper, chains, started, demoEnv());
  } finally {
    await keeper?.journal.close();
    await Promise.all(started.map((c) => c.stop()));
  }
}

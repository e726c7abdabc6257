import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "@ballast/chain";
import {
  accountValueUsd,
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
import {
  type AcrossApi,
  type AcrossRelayer,
  setPrice,
  startAcrossApi,
  startAcrossRelayer,
  type TestChain,
  testAccounts,
} from "@ballast/testkit";
import { formatUnits } from "viem";
import { isFinalTransfer, settleTransfers, type TransferRecord, transferLine } from "./bridges.ts";
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
} from "./keeper.ts";

const STEPS = 9;
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
 * The plan's estimated cost beside what the rebalance actually cost the account: its value before minus after
 * (`accountValueUsd`: NAV and the holdings outside the sleeves), at the same oracle prices (gas is paid from the
 * native balance, outside NAV, so it is shown apart).
 */
function costLine(plan: Plan | null, lossUsd: bigint): string {
  if (!plan) return "No plan was made: no cost.";
  const c = plan.estimatedCost;
  const est = c.feesUsd + c.slippageUsd + c.bridgeUsd;
  return `Cost: estimated ${formatUsd(est)} (fees ${formatUsd(c.feesUsd)}, slippage ${formatUsd(c.slippageUsd)}, bridge ${formatUsd(c.bridgeUsd)}) + gas ${formatUsd(c.gasUsd)}; actual ${formatUsd(lossUsd)} (value before − after, same prices)`;
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

/** The demo's running parts: the chains, the local Across (API stand-in and relayer), the keeper. */
type DemoParts = {
  started: TestChain[];
  across?: { api: AcrossApi; relayer: AcrossRelayer };
  keeper?: Keeper;
};

/** The local Across relayer's wait before it fills a deposit: long enough to see the transfer in flight. */
const FILL_DELAY_MS = 1_000;
const FILL_TIMEOUT_MS = 60_000;

/** Steps 1–2: the chains with the real SpokePools, the Across API stand-in and relayer, the funded portfolio. */
async function openDemo(run: DemoParts, out: Out): Promise<DemoChains> {
  const chains: DemoChains = await step(
    out,
    1,
    "Starting anvil: ethereum (chain 1) and base (chain 8453), each with the real Across SpokePool; the local Across API and relayer",
    async () => {
      const demo = await startDemoChains();
      run.started.push(demo.ethereum, demo.base);
      const both = [demo.ethereum, demo.base];
      run.across = {
        api: await startAcrossApi({ chains: both }),
        relayer: startAcrossRelayer({ chains: both, fillDelayMs: FILL_DELAY_MS }),
      };
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
  return chains;
}

const printSent = (sent: KeeperCycle["sent"], out: Out) => {
  for (const s of sent)
    out.line(
      `  ${s.key.padEnd(9)} ${s.status}${s.hash ? `  tx ${s.hash}` : ""}${s.gasUsed ? `  gas ${s.gasUsed.toLocaleString("en-US")}` : ""}${s.error ? `  ${s.error}` : ""}`,
    );
};

/**
 * Follows the cycle's deposits as the keeper does (`settleTransfers`: the origin's `FundsDeposited`, then the
 * destination SpokePool's `fillStatuses`) until each is final; the transfers, final.
 */
async function awaitTransfers(k: Keeper): Promise<TransferRecord[]> {
  const seen = new Map<string, TransferRecord>();
  const until = performance.now() + FILL_TIMEOUT_MS;
  for (;;) {
    const { transfers } = await settleTransfers(k, Math.floor(Date.now() / 1000));
    for (const t of transfers) seen.set(t.id, t);
    if (transfers.every((t) => isFinalTransfer(t.status))) return [...seen.values()];
    if (performance.now() > until)
      throw new BallastError("The local Across relayer did not fill the demo's deposit in time.", {
        details: transfers.map((t) => transferLine(k, t, Math.floor(Date.now() / 1000))).join("; "),
      });
    await sleep(200);
  }
}

/**
 * Steps 6–8, the two-cycle settlement: the sending chain's batch (ending with its Across deposit), the fill read on
 * the receiving chain, then the receiving chain's batch placing what arrived.
 */
async function rebalanceAcross(
  k: Keeper,
  now: () => number,
  out: Out,
): Promise<{ sent: KeeperCycle["sent"]; transfers: TransferRecord[] }> {
  const first = await step(
    out,
    6,
    "Rebalancing: one EIP-7702 batch per sending chain, its last calls the Across deposit (simulated, then sent); a receiving chain waits",
    () => keeperCycle(k, { now: now(), execute: true }),
  );
  printSent(first.sent, out);
  const transfers = await step(
    out,
    7,
    "The local Across relayer fills each deposit on its destination; the keeper reads the fill there",
    () => awaitTransfers(k),
  );
  for (const t of transfers)
    out.line(`  ${transferLine(k, t, now())}${t.depositTx ? `  deposit tx ${t.depositTx}` : ""}`);
  if (transfers.length === 0) out.line("  no cross-chain transfer this time");
  const second = await step(out, 8, "The next cycle: each receiving chain places what arrived", () =>
    keeperCycle(k, { now: now(), execute: true }),
  );
  printSent(second.sent, out);
  if (second.sent.length === 0) out.line("  nothing to place: every sleeve is in band");
  return { sent: [...first.sent, ...second.sent], transfers };
}

/** Each chain's share of NAV against the sum of its sleeves' targets: what a cross-chain move changes. */
function chainRows(k: Keeper, before: Valued, after: Valued): string[][] {
  const share = (v: Valued, chainId: number) =>
    v.state.sleeves
      .filter((s) => s.sleeve.chainId === chainId)
      .reduce((sum, s) => sum + wadToBpsNumber(s.weightWad), 0) / 100;
  return k.chains.map(({ key, setup }) => {
    const target =
      before.state.sleeves
        .filter((s) => s.sleeve.chainId === setup.chainId)
        .reduce((sum, s) => sum + s.sleeve.targetBps, 0) / 100;
    const [b, a] = [share(before, setup.chainId), share(after, setup.chainId)];
    return [
      `${key} (all)`,
      `${target.toFixed(2)}%`,
      `${b.toFixed(2)}%`,
      `${a.toFixed(2)}%`,
      signedBps(Math.round((a - target) * 100)),
      "",
    ];
  });
}

/** The before/after table: every sleeve, then each chain's share. */
function beforeAfter(k: Keeper, before: Valued, after: Valued): string {
  const post = weightsOf(after);
  const rows = [...weightsOf(before)].map(([id, b]) => {
    const a = post.get(id);
    return [
      id,
      `${b.target.toFixed(2)}%`,
      `${b.weight.toFixed(2)}%`,
      a ? `${a.weight.toFixed(2)}%` : "?",
      a ? signedBps(Math.round((a.weight - b.target) * 100)) : "?",
      a?.inBand ? "yes" : "NO",
    ];
  });
  return formatTable(
    ["sleeve", "target", "before", "after", "to target", "in band"],
    [...rows, ...chainRows(k, before, after)],
    [1, 2, 3, 4],
  );
}

/** Steps 3–5: the status, ETH's fall on both chains, the drifted portfolio with its decision and plan. */
async function drift(k: Keeper, chains: DemoChains, now: () => number, out: Out): Promise<KeeperCycle> {
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
  return drifted;
}

/**
 * The demo's cycles: drifted after ETH −20% (decided, planned, simulated), what both rebalancing cycles sent, the
 * transfers they made (final), every chain read back.
 */
type DemoRun = {
  drifted: KeeperCycle;
  sent: KeeperCycle["sent"];
  transfers: TransferRecord[];
  after: KeeperCycle;
};

/** The before/after table, NAV and cost lines a person reads at the end. */
function printOutcome(k: Keeper, d: DemoRun, out: Out): void {
  const driftedV = valued(d.drifted.result);
  const afterV = valued(d.after.result);
  out.line("\nBefore / after the rebalance");
  out.line(beforeAfter(k, driftedV, afterV));
  out.line(
    `NAV ${formatUsd(driftedV.state.navUsd)} → ${formatUsd(afterV.state.navUsd)};  next decision: ${afterV.decision.fire ? "REBALANCE" : "hold"}`,
  );
  out.line(costLine(d.drifted.result.plan, realisedCost(driftedV, afterV)));
}

const usdText = (wad: bigint) => formatUnits(wad, 18);

/** What the rebalance cost the account: its value before minus after (the demo's prices do not move in between). */
const realisedCost = (before: Valued, after: Valued) =>
  accountValueUsd(before.state) - accountValueUsd(after.state);

/**
 * `demo --json`: the drifted decision and plan, what each chain's batches became, the cross-chain transfers, each
 * sleeve's weight before and after (bps) with its distance to target and band, NAV and the value outside the sleeves
 * before and after, the estimated cost beside the actual one (USD decimal strings), the next decision, and where the config and journal are.
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
    sent: d.sent.map((s) => toJsonValue(s)),
    transfers: d.transfers.map((t) => toJsonValue(t)),
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
    outsideSleeves: {
      before: usdText(driftedV.state.unmanagedUsd),
      after: usdText(afterV.state.unmanagedUsd),
    },
    cost: {
      estimated: c ? usdText(c.feesUsd + c.slippageUsd + c.bridgeUsd) : "0",
      gas: c ? usdText(c.gasUsd) : "0",
      actual: usdText(realisedCost(driftedV, afterV)),
    },
    nextDecision: afterV.decision.fire ? "rebalance" : "hold",
  };
}

/**
 * `ballast demo`: two local anvil chains with the real Aave V3, Uniswap V3 and Across SpokePool, a funded portfolio
 * across wallet tokens, Aave supply and borrow and an LP position; ETH falls, the portfolio drifts within and between
 * the chains, the keeper rebalances: one simulated EIP-7702 batch per chain, USDC crossing through the local Across
 * (the testkit's relayer fills), the receiving chain's batch a cycle later. No RPC URL or key needed; everything
 * stops at the end. `json`: nothing but {@link demoJson} on stdout.
 */
export async function runDemo(opts: { keep: boolean; json?: boolean }): Promise<void> {
  const t0 = performance.now();
  const out = opts.json ? quiet : toStdout;
  out.line(
    "Ballast demo — two local chains running the real Aave V3, Uniswap V3 and Across contracts (npm artifacts).",
  );
  const dir = mkdtempSync(join(tmpdir(), "ballast-demo-"));
  const run: DemoParts = { started: [] };
  try {
    const chains = await openDemo(run, out);
    // With --keep the market keeps moving afterwards: a short cooldown and a fine drift history.
    const k = await openDemoKeeper(chains, dir, {
      pollingIntervalMs: 50,
      ...(run.across ? { across: run.across.api.url } : {}),
      ...(opts.keep
        ? { cooldown: "1m", edit: (yaml: string) => `${yaml}  dashboard: { sampleEvery: 5s }\n` }
        : {}),
    });
    run.keeper = k;
    const now = () => Math.floor(Date.now() / 1000);
    const drifted = await drift(k, chains, now, out);
    const { sent, transfers } = await rebalanceAcross(k, now, out);
    const after = await step(out, 9, "Reading every chain back", () =>
      keeperCycle(k, { now: now(), execute: false }),
    );
    out.line(renderStatus(after.result));
    const demo: DemoRun = { drifted, sent, transfers, after };
    if (opts.json) console.log(JSON.stringify(demoJson(demo, dir), null, 2));
    printOutcome(k, demo, out);
    out.line(
      `\nDemo finished in ${secs(t0)}. Config and journal: ${dir} (the journal outlives the chains: pnpm ballast history -c ${join(dir, DEMO_CONFIG_FILE)})`,
    );
    if (opts.keep) await keepRunning(k, chains, run.started, demoEnv());
  } finally {
    await run.keeper?.journal.close();
    await run.across?.relayer.stop();
    await run.across?.api.close();
    await Promise.all(run.started.map((c) => c.stop()));
  }
}

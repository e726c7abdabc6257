/**
 * `pnpm bench:bridge` — issue #16: a cross-chain drift restored through Across on two local chains.
 *
 * The bridge portfolio (ethereum ~60% of NAV against a 45% target; only USDC crosses), the real SpokePool on both
 * anvils, the testkit's relayer filling after `FILL_DELAY_MS` and the Across API stand-in. The keeper runs cycles
 * exactly as `ballast run` does until every sleeve is in band. Printed: cycles and wall time from the trigger to every
 * sleeve in band; gas of the origin batch with its deposit and, simulated, without it (approve + deposit removed);
 * the volume bridged against the planner's minimum (what must leave the over-target chain).
 *
 *   pnpm bench:bridge
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type PortfolioState, WAD } from "@ballast/core";
import {
  buildRuntime,
  createLogger,
  createMetrics,
  keeperCycle,
  loadConfig,
  openJournal,
} from "@ballast/keeper";
import {
  bridgeConfigYaml,
  demoEnv,
  openDemoKeeper,
  seedBridgePortfolio,
  seedDemoPortfolio,
  startDemoChains,
} from "@ballast/keeper/demo";
import { setPrice, startAcrossApi, startAcrossRelayer, testAccounts } from "@ballast/testkit";

const FILL_DELAY_MS = 2_000;
const MAX_CYCLES = 20;

/** What must leave the chains over their target share (USD wad): the least any plan can bridge. */
function minimumCrossing(state: PortfolioState): bigint {
  const over = new Map<number, bigint>();
  for (const s of state.sleeves) {
    const c = s.sleeve.chainId;
    over.set(c, (over.get(c) ?? 0n) + s.valueUsd - (s.targetWad * state.navUsd) / WAD);
  }
  return [...over.values()].reduce((sum, x) => (x > 0n ? sum + x : sum), 0n);
}

const usd = (wad: bigint) => `$${(Number(wad / 10n ** 16n) / 100).toLocaleString("en-US")}`;

/**
 * The demo's origin batch (ETH −20%: ethereum's LP decrease, swap and buy, then approve + deposit of the USDC base is
 * short of), simulated on one state with and without its deposit, then sent: gas with, without, and landed.
 */
async function originBatchGas(): Promise<{
  withDeposit: bigint;
  without: bigint;
  landed: bigint;
  calls: number;
}> {
  const chains = await startDemoChains();
  const dir = mkdtempSync(join(tmpdir(), "ballast-bench-bridge-demo-"));
  const api = await startAcrossApi({ chains: [chains.ethereum, chains.base] });
  const relayer = startAcrossRelayer({ chains: [chains.ethereum, chains.base] });
  try {
    await seedDemoPortfolio(chains, testAccounts.keeper);
    const k = await openDemoKeeper(chains, dir, { pollingIntervalMs: 50, across: api.url });
    await Promise.all(
      [chains.ethereum, chains.base].map((c) => setPrice(c, { asset: "WETH", usdPrice: 2_400n * 10n ** 8n })),
    );
    const now = Math.floor(Date.now() / 1000);
    const dry = await keeperCycle(k, { now, execute: false });
    const batch = dry.result.batches.find((b) => b.bridges.length > 0);
    const c = k.chains.find((x) => x.setup.chainId === batch?.chainId);
    if (!batch?.simulation || !c) throw new Error("the demo's plan has no origin batch with a deposit");
    const without = await c.setup.executor.simulate(batch.calls.slice(0, -2 * batch.bridges.length), {});
    const run = await keeperCycle(k, { now, execute: true });
    const landed = run.sent.find((s) => s.chainId === batch.chainId)?.gasUsed ?? 0n;
    await k.journal.close();
    return {
      withDeposit: batch.simulation.gasUsed,
      without: without.gasUsed,
      landed,
      calls: batch.calls.length,
    };
  } finally {
    await relayer.stop();
    await api.close();
    await Promise.all([chains.ethereum.stop(), chains.base.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const chains = await startDemoChains();
  const dir = mkdtempSync(join(tmpdir(), "ballast-bench-bridge-"));
  const api = await startAcrossApi({ chains: [chains.ethereum, chains.base] });
  const relayer = startAcrossRelayer({ chains: [chains.ethereum, chains.base], fillDelayMs: FILL_DELAY_MS });
  try {
    await seedBridgePortfolio(chains, testAccounts.keeper.address);
    const file = join(dir, "ballast.yaml");
    writeFileSync(file, bridgeConfigYaml(chains, { api: api.url, journal: join(dir, "ballast.db") }));
    const config = loadConfig(file, demoEnv());
    const journal = await openJournal(config.keeper.journal);
    const k = {
      config,
      chains: buildRuntime(config, demoEnv(), {
        store: journal.txStore,
        needKeys: true,
        pollingIntervalMs: 50,
      }),
      journal,
      metrics: createMetrics(),
      log: createLogger({ level: "silent", pretty: false }),
    };
    const started = performance.now();
    let cycles = 0;
    let minimum = 0n;
    let planned = 0n;
    let origin: { gas: bigint; without: bigint } | undefined;
    for (; cycles < MAX_CYCLES; cycles++) {
      const { result, sent, inFlight } = await keeperCycle(k, {
        now: Math.floor(Date.now() / 1000),
        execute: true,
      });
      if (cycles === 0 && result.state) minimum = minimumCrossing(result.state);
      for (const t of result.plan?.transfers ?? []) if (result.decision?.fire) planned += t.usd;
      const withDeposit = result.batches.find((b) => b.bridges.length > 0);
      const landed = sent.find((s) => s.chainId === withDeposit?.chainId && s.status === "confirmed");
      if (withDeposit && landed?.gasUsed !== undefined) {
        const c = k.chains.find((x) => x.setup.chainId === withDeposit.chainId);
        const calls = withDeposit.calls.slice(0, -2 * withDeposit.bridges.length);
        // Without its deposit the batch may have no call left (the bridged USDC was idle): no transaction at all.
        const sim = calls.length > 0 ? await c?.setup.executor.simulate(calls, {}) : undefined;
        origin = { gas: landed.gasUsed, without: sim?.gasUsed ?? 0n };
      }
      const inBand = result.state?.sleeves.every((s) => !s.outOfBand) ?? false;
      if (inBand && inFlight.length === 0 && sent.length === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const wall = (performance.now() - started) / 1000;
    const bridged = relayer.deposits.reduce((s, d) => s + d.relayData.inputAmount, 0n) * 10n ** 12n; // USDC → wad
    console.log(
      "Cross-chain drift: ethereum ~60% of NAV against a 45% target; only USDC bridges (Across, local)",
    );
    console.log(`relayer fill delay            ${FILL_DELAY_MS} ms`);
    console.log(
      `cycles                        ${cycles + 1} (the last one reads every sleeve in band, nothing in flight)`,
    );
    console.log(`wall time                     ${wall.toFixed(1)} s`);
    console.log(
      `origin batch gas              ${origin?.gas.toLocaleString("en-US") ?? "n/a"} with the deposit; without it ${origin?.without ? `${origin.without.toLocaleString("en-US")} (simulated)` : "no transaction (the bridged USDC was idle)"}; approve + deposit ${origin ? (origin.gas - origin.without).toLocaleString("en-US") : "n/a"} gas incl. the transaction's overhead`,
    );
    console.log(
      `bridged                       ${usd(bridged)} in ${relayer.deposits.length} deposit(s); planned ${usd(planned)}; planner's minimum ${usd(minimum)} (${minimum > 0n ? (Number((bridged * 10_000n) / minimum) / 100).toFixed(2) : "n/a"}% of it)`,
    );
    await journal.close();
  } finally {
    await relayer.stop();
    await api.close();
    await Promise.all([chains.ethereum.stop(), chains.base.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
const g = await originBatchGas();
const fmt = (x: bigint) => x.toLocaleString("en-US");
console.log(
  `demo origin batch (ETH -20%)  ${g.calls} calls: ${fmt(g.withDeposit)} gas simulated with the deposit, ${fmt(g.without)} without it (approve + deposit ${fmt(g.withDeposit - g.without)}, +${((Number(g.withDeposit - g.without) / Number(g.without)) * 100).toFixed(1)}%); landed ${fmt(g.landed)}`,
);

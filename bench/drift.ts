/**
 * `pnpm bench:drift` — issue #19 (1): how close a rebalance lands to the targets, with real AMM slippage.
 *
 * Two testkit anvils with the real Aave V3 and Uniswap V3, the demo portfolio (`ballast demo`'s: idle WETH and a
 * WETH/USDC LP on ethereum; WETH supplied, USDC borrowed and idle USDC on base) and the demo policy with tighter bands
 * (0.5 points), no cooldown and a daily turnover cap its pace does not reach. Each of {@link DRIFTS} seeded drifts moves
 * ETH to a random price on both chains (oracle and pool, by real swaps) and drops random WETH and USDC into the
 * wallets; the keeper then runs one cycle exactly as `ballast run` does (plan, simulate, one EIP-7702 batch per chain)
 * and every chain is read back.
 *
 * Per sleeve, the drift after the rebalance splits in two: the part a bridge alone could remove (the chain's value
 * share differs from its sleeves' target share, and no bridge adapter exists yet) and the within-chain part (the
 * sleeve against its target scaled to its chain's actual share), which swaps and protocol calls can remove. Also:
 * the gap between the plan's predicted post-weights and what the chain shows (execution loss), and the value left
 * outside every sleeve. Drifts build on each other (the nonces stay in step with the journal; no chain revert).
 *
 * With `--across` the chains also run the real Across SpokePool, the Across API stand-in and the testkit relayer
 * (filling at once): USDC can cross, and a rebalance is complete once its transfers arrived and the receiving chain
 * placed them (the keeper's two-cycle settlement; cycles run until one sends nothing and nothing is in flight).
 *
 * `--cash` adds a 0% token sleeve for each asset a chain has no token sleeve of (see {@link CASH}).
 *
 *   pnpm bench:drift [--across] [--cash]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { type PortfolioState, WAD, wadToBpsNumber } from "@ballast/core";
import { isLandingSleeve } from "@ballast/engine";
import { type Keeper, type KeeperCycle, keeperCycle } from "@ballast/keeper";
import { openDemoKeeper, seedDemoPortfolio, startDemoChains } from "@ballast/keeper/demo";
import {
  type AcrossApi,
  type AcrossRelayer,
  fund,
  setPrice,
  startAcrossApi,
  startAcrossRelayer,
  type TestChain,
  testAccounts,
} from "@ballast/testkit";

const DRIFTS = 24;
/** Drifts tried for {@link DRIFTS} rebalances: with `--across` every chain lands on target, and most drifts stay in band. */
const TRIES = 200;
const TARGET_BPS = 10;
const ACROSS = process.argv.includes("--across");
/**
 * `--cash`: a 0% token sleeve for each asset a chain holds no token sleeve of (USDC on ethereum, WETH on base), so what
 * arrives there (a swap's surplus, the drops, dust) is managed: the next plan places it. A bridged token's arrival
 * needs no flag: the engine adds a landing sleeve for it (ARCHITECTURE.md, "Landing sleeves").
 */
const CASH = process.argv.includes("--cash");
const CASH_SLEEVES = `
    - { id: eth-usdc-cash, chain: ethereum, kind: token, asset: USDC, weight: 0% }
    - { id: base-weth-cash, chain: base, kind: token, asset: WETH, weight: 0% }`;
/** How long a rebalance may take with `--across`: the origin batch, the fill, the placing on the receiving chain. */
const SETTLE_MS = 90_000;

/** A deterministic pseudo-random generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type SleeveDrift = { id: string; total: number; within: number; bridgeOnly: number };

/** Each sleeve's drift (bps of NAV), split into within-chain drift and drift only a bridge could remove. */
function splitDrift(state: PortfolioState): SleeveDrift[] {
  const chainValue = new Map<number, bigint>();
  const chainTarget = new Map<number, bigint>();
  for (const s of state.sleeves) {
    const c = s.sleeve.chainId;
    chainValue.set(c, (chainValue.get(c) ?? 0n) + s.valueUsd);
    chainTarget.set(c, (chainTarget.get(c) ?? 0n) + s.targetWad);
  }
  return state.sleeves.map((s) => {
    const c = s.sleeve.chainId;
    const share = ((chainValue.get(c) ?? 0n) * WAD) / state.navUsd;
    const target = chainTarget.get(c) ?? 0n;
    // The sleeve's target with its chain's total at the chain's actual share.
    const scaled = target === 0n ? s.targetWad : (s.targetWad * share) / target;
    return {
      id: s.sleeve.id,
      total: wadToBpsNumber(s.driftWad),
      within: wadToBpsNumber(s.weightWad - scaled),
      bridgeOnly: wadToBpsNumber(scaled - s.targetWad),
    };
  });
}

const pct = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
};
const bps = (x: number) => `${x.toFixed(1)} bps`;

/**
 * Throws on a batch that did not land; with transfers, runs cycles (as `ballast run` would) until one sends nothing and
 * nothing is in flight: the transfer arrived and the receiving chain placed it.
 */
async function settle(k: Keeper, t: number, first: KeeperCycle): Promise<void> {
  const until = Date.now() + SETTLE_MS;
  for (let run = first; ; ) {
    for (const w of run.result.warnings) if (w.startsWith("turnover cap")) console.log(`       ${w}`);
    const failed = run.sent.filter((s) => s.status !== "confirmed");
    if (failed.length > 0)
      throw new Error(`drift ${t}: ${failed.map((s) => `${s.key} ${s.status} ${s.error ?? ""}`).join("; ")}`);
    if (!ACROSS || (run.sent.length === 0 && run.inFlight.length === 0)) return;
    if (Date.now() > until)
      throw new Error(
        `drift ${t}: not settled after ${SETTLE_MS / 1000} s: ${run.sent.length} sent, ${run.inFlight.length} in flight`,
      );
    await new Promise((r) => setTimeout(r, 300));
    run = await keeperCycle(k, { now: Math.floor(Date.now() / 1000), execute: true });
  }
}

async function main(): Promise<void> {
  console.log("Ballast bench:drift — issue #19 (1): post-rebalance drift with real AMM slippage");
  console.log(
    `machine: ${availableParallelism()} cores, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
  const dir = mkdtempSync(join(tmpdir(), "ballast-bench-drift-"));
  const started: TestChain[] = [];
  let keeper: Keeper | undefined;
  let across: { api: AcrossApi; relayer: AcrossRelayer } | undefined;
  try {
    const { ethereum, base } = await startDemoChains();
    started.push(ethereum, base);
    const account = testAccounts.keeper;
    await seedDemoPortfolio({ ethereum, base }, account);
    if (ACROSS)
      across = {
        api: await startAcrossApi({ chains: [ethereum, base] }),
        relayer: startAcrossRelayer({ chains: [ethereum, base] }),
      };
    keeper = await openDemoKeeper({ ethereum, base }, dir, {
      cooldown: "0s",
      pollingIntervalMs: 50,
      ...(across ? { across: across.api.url } : {}),
      edit: (yaml) => {
        // The daily turnover cap (250k USD by default) would scale down the later rebalances: the bench runs a
        // month of drifts in minutes. Any cap that still scales a plan is printed.
        const banded = yaml.replace(
          /bands: \{[^}]*\}/,
          "bands: { absolute: 0.5%, relative: 100% }\n  limits: { maxDailyUsd: 100000000 USD }",
        );
        return CASH ? banded.replace(/(\n\s+- \{ id: usdc-debt[^\n]*)/, `$1${CASH_SLEEVES}`) : banded;
      },
    });
    const k = keeper;
    const now = () => Math.floor(Date.now() / 1000);
    const rand = rng(19);
    const all: SleeveDrift[] = [];
    const gaps: number[] = [];
    const unmanaged: number[] = [];
    let rebalances = 0;
    let held = 0;
    console.log(
      `\n  #  ETH price   fired  max |drift|  within-chain  bridge-only  plan→chain gap  unmanaged after  (bps of NAV)`,
    );
    for (let t = 0; t < TRIES && rebalances < DRIFTS; t++) {
      const price = 2_000 + Math.floor(rand() * 2_000);
      await Promise.all(
        [ethereum, base].map((c) => setPrice(c, { asset: "WETH", usdPrice: BigInt(price) * 10n ** 8n })),
      );
      await fund(ethereum, {
        account: account.address,
        token: "WETH",
        amount: BigInt(Math.floor(rand() * 2_000)) * 10n ** 15n,
      });
      await fund(base, {
        account: account.address,
        token: "USDC",
        amount: BigInt(Math.floor(rand() * 4_000)) * 10n ** 6n,
      });
      const run = await keeperCycle(k, { now: now(), execute: true });
      const plan = run.result.plan;
      if (!run.result.decision?.fire || !plan) {
        held++;
        continue;
      }
      await settle(k, t, run);
      const after = (await keeperCycle(k, { now: now(), execute: false })).result.state;
      if (!after) throw new Error(`drift ${t}: the portfolio could not be read back`);
      rebalances++;
      const drifts = splitDrift(after);
      all.push(...drifts);
      const planned = new Map(plan.sleeves.map((s) => [s.sleeveId, s.postBps]));
      // A landing sleeve the first plan did not have (something arrived, or was left, after it) was planned at 0.
      const gap = Math.max(
        ...after.sleeves.map((s) =>
          Math.abs(
            wadToBpsNumber(s.weightWad) -
              (planned.get(s.sleeve.id) ?? (isLandingSleeve(s.sleeve.id) ? 0 : Number.NaN)),
          ),
        ),
      );
      gaps.push(gap);
      const un = wadToBpsNumber((after.unmanagedUsd * WAD) / after.navUsd);
      unmanaged.push(un);
      const max = (f: (d: SleeveDrift) => number) => Math.max(...drifts.map((d) => Math.abs(f(d))));
      const within = max((d) => d.within);
      console.log(
        `${String(rebalances).padStart(3)}  $${price.toLocaleString("en-US").padEnd(8)} yes   ${bps(max((d) => d.total)).padStart(11)}  ${bps(max((d) => d.within)).padStart(12)}  ${bps(max((d) => d.bridgeOnly)).padStart(11)}  ${bps(gap).padStart(14)}  ${bps(un).padStart(15)}`,
      );
      if (within > TARGET_BPS) {
        for (const w of plan.warnings) console.log(`       plan warning: ${w}`);
        for (const d of drifts)
          console.log(
            `       ${d.id.padEnd(14)} within-chain ${bps(d.within).padStart(10)}  planned post-weight ${planned.get(d.id)} bps, target ${after.sleeves.find((s) => s.sleeve.id === d.id)?.sleeve.targetBps} bps`,
          );
      }
    }
    const last = (await keeperCycle(k, { now: now(), execute: false })).result.state;
    const left = last?.unmanaged.flatMap((h) =>
      h.exposures.map(
        (e) => `${e.amount} of ${last.snapshot.assets.get(e.asset)?.symbol ?? e.asset} on ${h.chainId}`,
      ),
    );
    console.log(`\nvalue outside every sleeve at the end (base units): ${left?.join(", ") || "none"}`);
    if (rebalances === 0) throw new Error("no drift fired a rebalance");
    if (rebalances < DRIFTS) console.log(`only ${rebalances} of ${DRIFTS} drifts fired a rebalance`);
    const abs = (f: (d: SleeveDrift) => number) => all.map((d) => Math.abs(f(d)));
    const line = (name: string, xs: number[]) =>
      console.log(
        `${name.padEnd(42)} max ${bps(Math.max(...xs)).padStart(10)}   p95 ${bps(pct(xs, 95)).padStart(10)}`,
      );
    console.log(
      `\n== Post-rebalance drift over ${rebalances} rebalances × ${all.length / rebalances} sleeves (${held} drifts stayed in band) ==`,
    );
    line(
      "|drift| against the target",
      abs((d) => d.total),
    );
    line(
      "  within-chain (swaps and calls can remove)",
      abs((d) => d.within),
    );
    line(
      ACROSS ? "  bridge-only" : "  bridge-only (no bridge this run: --across)",
      abs((d) => d.bridgeOnly),
    );
    line("plan's predicted post-weight vs chain", gaps);
    line("value outside every sleeve after", unmanaged);
    const within = Math.max(...abs((d) => d.within));
    console.log(
      `target (every sleeve within ${TARGET_BPS} bps after a rebalance): within-chain ${within <= TARGET_BPS ? "MET" : "MISSED"}; with bridge-only drift ${Math.max(...abs((d) => d.total)) <= TARGET_BPS ? "MET" : "MISSED"}`,
    );
  } finally {
    await keeper?.journal.close();
    await across?.relayer.stop();
    await across?.api.close();
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

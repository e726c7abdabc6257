/**
 * Gas of one rebalance on the local testkit market (real Aave V3, Uniswap V3, Simple7702Account):
 * the four legs (withdraw from Aave, swap, supply to Aave, add to an LP) as ONE EIP-7702 batch versus the
 * same legs sent as separate plain transactions from the EOA (each with its own approvals).
 * `pnpm bench:gas` prints it; the chain test `test/gas.chain.test.ts` asserts the ratio.
 */
import {
  delegateToSimple7702,
  sendAndWait,
  startTestChain,
  type TestChain,
  testAccounts,
} from "@ballast/testkit";
import { decodeFunctionData, encodeFunctionData, erc20Abi, type Hex, maxUint256, parseGwei } from "viem";
import { createChainClients, createTxManager, eip7702Executor, memoryTxStore } from "../src/index.ts";
import { flatten, rebalanceLegs, setupPortfolio } from "./rebalance.ts";

/** What {@link measureRebalanceGas} measured (receipt `gasUsed`, refunds included). */
export type GasFigures = {
  /** One `executeBatch` from an EOA already delegated to Simple7702Account. */
  readonly batch: bigint;
  /** Gas of each inner call as executed inside that batch (`debug_traceTransaction`, callTracer). */
  readonly inner: readonly bigint[];
  /** The floor: one 21,000 base plus the inner calls themselves; `batch − floor` is the batching overhead. */
  readonly floor: bigint;
  /** The same batch as the EOA's first one, with the delegation (authorization) in the same transaction. */
  readonly batchWithDelegation: bigint;
  /** Each call as its own plain transaction from the EOA. */
  readonly separate: readonly { readonly leg: string; readonly call: number; readonly gas: bigint }[];
  readonly separateTotal: bigint;
  readonly calls: number;
  readonly legs: readonly string[];
};

type CallFrame = { gasUsed: Hex; calls?: CallFrame[] };

/** The gas each top-level inner call of a batch used, read from anvil's call tracer. */
async function innerCallGas(chain: TestChain, hash: Hex): Promise<bigint[]> {
  const frame = (await chain.publicClient.request({
    method: "debug_traceTransaction" as never,
    params: [hash, { tracer: "callTracer" }] as never,
  })) as CallFrame;
  return (frame.calls ?? []).map((c) => BigInt(c.gasUsed));
}

/** A fresh transaction manager and EIP-7702 executor for `account` on the bench chain (firewall off). */
function batchRunner(chain: TestChain, account: typeof testAccounts.alice) {
  const clients = createChainClients({
    chain: 31337,
    rpcUrls: [chain.rpcUrl],
    account,
    pollingIntervalMs: 25,
  });
  const manager = createTxManager({
    clients,
    store: memoryTxStore(),
    fees: { maxFeePerGas: parseGwei("100") },
    pollIntervalMs: 25,
  });
  const implementation = chain.deployment.simple7702Account;
  return { manager, executor: eip7702Executor({ firewall: "off", clients, manager, implementation }) };
}

const describeCall = (leg: string, i: number, n: number) =>
  n > 1 && i < n - 1 ? `${leg} — approval ${i + 1}` : leg;

/**
 * Measures the rebalance three ways on `chain`, reverting to the same state before each. The LP leg adds to
 * the account's existing position (`increaseLiquidity`), or opens a new one (`lp: "mint"`).
 */
export async function measureRebalanceGas(
  chain: TestChain,
  options: { readonly lp?: "increase" | "mint" } = {},
): Promise<GasFigures> {
  const account = testAccounts.alice;
  const { lpTokenId } = await setupPortfolio(chain, account.address, { withLp: options.lp !== "mint" });
  const { legs } = await rebalanceLegs(chain, account.address, { lpTokenId });
  const calls = flatten(legs);
  const run = () => batchRunner(chain, account);

  // First batch: the delegation rides in the same transaction.
  const s0 = await chain.snapshot();
  const first = await run().executor.execute(calls, { planId: "bench-first" });
  const batchWithDelegation = first.record.inclusion.gasUsed;
  await chain.revert(s0);

  // Steady state: delegated once, then measured.
  await delegateToSimple7702(chain, { account });
  const s1 = await chain.snapshot();
  const batched = await run().executor.execute(calls, { planId: "bench-batch" });
  const batch = batched.record.inclusion.gasUsed;
  const inner = await innerCallGas(chain, batched.record.inclusion.hash);
  if (inner.length !== calls.length)
    throw new Error(`the trace shows ${inner.length} inner calls, the batch has ${calls.length}`);
  await chain.revert(s1);

  // The same calls, one plain transaction each, from the same state.
  const { manager } = run();
  const separate: { leg: string; call: number; gas: bigint }[] = [];
  let k = 0;
  for (const leg of legs)
    for (const [i, call] of leg.calls.entries()) {
      const planId = `bench-separate-${k++}`;
      await manager.send({ planId, ...call });
      const done = await manager.wait(planId);
      separate.push({
        leg: describeCall(leg.name, i, leg.calls.length),
        call: k - 1,
        gas: done.inclusion.gasUsed,
      });
    }
  const separateTotal = separate.reduce((a, s) => a + s.gas, 0n);
  return {
    batch,
    inner,
    floor: 21_000n + inner.reduce((a, g) => a + g, 0n),
    batchWithDelegation,
    separate,
    separateTotal,
    calls: calls.length,
    legs: legs.map((l) => l.name),
  };
}

/** The batch of round one's bench (Dec 2026), the reference of issue #19's "15% below" target. */
export const ROUND_ONE_BATCH_GAS = 600_149n;

/**
 * The same batch with its approvals left out, the account holding standing max allowances to the same spenders: the
 * least an approval-free batch costs. Ballast never sets such allowances (every allowance to a protocol is back to what
 * it was after a batch), so this bounds what skipping approvals could save, it is not what a rebalance costs.
 */
export async function measureWithoutApprovals(chain: TestChain): Promise<{ gas: bigint; calls: number }> {
  const account = testAccounts.alice;
  const { lpTokenId } = await setupPortfolio(chain, account.address, { withLp: true });
  const { legs } = await rebalanceLegs(chain, account.address, { lpTokenId });
  const all = flatten(legs);
  const isApprove = (c: { data: Hex }) => c.data.startsWith("0x095ea7b3");
  const wallet = chain.walletClient(account);
  for (const c of all.filter(isApprove)) {
    const { args } = decodeFunctionData({ abi: erc20Abi, data: c.data });
    const data = encodeFunctionData({
      abi: erc20Abi,
      functionName: "approve",
      args: [args[0] as Hex, maxUint256],
    });
    await sendAndWait(chain, wallet, { to: c.to, data }, "standing allowance");
  }
  await delegateToSimple7702(chain, { account });
  const calls = all.filter((c) => !isApprove(c));
  const { executor } = batchRunner(chain, account);
  const done = await executor.execute(calls, { planId: "bench-no-approvals" });
  return { gas: done.record.inclusion.gasUsed, calls: calls.length };
}

/** `a` against `b` in percent with one decimal, signed (e.g. "−6.0%"). */
const percentOf = (a: bigint, b: bigint): string => {
  const tenths = ((a - b) * 1_000n) / b;
  return `${tenths < 0n ? "−" : "+"}${(tenths < 0n ? -tenths : tenths) / 10n}.${(tenths < 0n ? -tenths : tenths) % 10n}%`;
};

/** `a / b` with two decimals, rounded half up (bigint only). */
export function formatRatio(a: bigint, b: bigint): string {
  const hundredths = (a * 200n + b) / (2n * b);
  return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, "0")}`;
}

/** Starts a testkit chain, measures, prints the figures and `ratio: 0.xx`, and always stops anvil. */
export async function runGasBench(log: (line: string) => void = console.log): Promise<GasFigures> {
  const chain = await startTestChain({ chainId: 31337 });
  try {
    const start = await chain.snapshot();
    const f = await measureRebalanceGas(chain);
    await chain.revert(start);
    // anvil drops a snapshot once reverted to: take it again for the next measurement.
    const again = await chain.snapshot();
    const m = await measureRebalanceGas(chain, { lp: "mint" });
    await chain.revert(again);
    const bare = await measureWithoutApprovals(chain);
    const w = (n: bigint) => n.toLocaleString("en-US").padStart(11);
    log("Ballast gas bench — one rebalance on the local testkit market (anvil --hardfork prague)");
    log(`legs: ${f.legs.join(" · ")}`);
    log("");
    log(
      `(b) the same legs as ${f.separate.length} separate plain transactions from the EOA (approvals included):`,
    );
    for (const s of f.separate) log(`    ${s.leg.padEnd(60)} ${w(s.gas)}`);
    log(`    ${"total".padEnd(60)} ${w(f.separateTotal)}`);
    log("");
    log(`(a) one EIP-7702 batch (executeBatch, ${f.calls} calls, 1 transaction), EOA already delegated;`);
    log("    each inner call's gas as the call tracer saw it inside the batch (before refunds):");
    for (const [i, g] of f.inner.entries())
      log(`      ${`${i + 1}. ${f.separate[i]?.leg ?? "?"}`.padEnd(58)} ${w(g)}`);
    log(`    ${"floor: 21,000 + the inner calls".padEnd(60)} ${w(f.floor)}`);
    log(`    ${"batch".padEnd(60)} ${w(f.batch)}`);
    log(
      `    ${"batch − floor (calldata, executeBatch; refunds count)".padEnd(60)} ${w(f.batch - f.floor)}  (batch / floor ${formatRatio(f.batch, f.floor)})`,
    );
    log(`    ${"first batch, delegation in the same tx (info)".padEnd(60)} ${w(f.batchWithDelegation)}`);
    log(
      `    ${`batch vs round one's ${ROUND_ONE_BATCH_GAS.toLocaleString("en-US")}`.padEnd(60)} ${percentOf(f.batch, ROUND_ONE_BATCH_GAS).padStart(11)}  (issue #19 target −15%)`,
    );
    log(
      `    ${`without its approvals (${bare.calls} calls, standing max allowances)`.padEnd(60)} ${w(bare.gas)}  (${percentOf(bare.gas, ROUND_ONE_BATCH_GAS)} vs round one; bound, not a mode)`,
    );
    log("");
    log(`ratio: ${formatRatio(f.batch, f.separateTotal)}`);
    log("");
    log("ratio = (a) batch of an already-delegated EOA / (b) separate total. For information:");
    log(
      `  with the delegation in the same batch:            ${formatRatio(f.batchWithDelegation, f.separateTotal)}`,
    );
    log(
      `  opening a new LP position (mint) instead:         ${formatRatio(m.batch, m.separateTotal)}  (${m.batch.toLocaleString("en-US")} vs ${m.separateTotal.toLocaleString("en-US")})`,
    );
    return f;
  } finally {
    await chain.stop();
  }
}

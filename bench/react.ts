/**
 * `pnpm bench:react` — issue #19 (4): blocks from a drift to the rebalance that answers it, with interval mining.
 *
 * Two testkit anvils with the real Aave V3 and Uniswap V3 mine a block every 1 s (then every 2 s); the demo
 * portfolio; the keeper's daemon (`runDaemon`, `tick: block`, the config's `blockTime` equal to the interval, no
 * cooldown, bands of 0.5 points) runs in this process. Each of {@link MOVES} moves sends WETH to the ethereum wallet
 * or USDC to the base wallet, in turn (real transactions; the move lands in the block N where the wallet's balance first shows it); the
 * figure is the block that includes the keeper's rebalance minus N: 1 means the very next block.
 *
 *   pnpm bench:react
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { type Keeper, runDaemon } from "@ballast/keeper";
import { openDemoKeeper, seedDemoPortfolio, startDemoChains } from "@ballast/keeper/demo";
import { fund, mintableErc20Abi, type TestChain, testAccounts } from "@ballast/testkit";

const MOVES = 20;
const INTERVALS = [1, 2] as const;
const MOVE_TIMEOUT_MS = 20_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The first block from which `f` is true (searching back from the head; `f` false at the start block). */
async function firstBlock(chain: TestChain, f: (block: bigint) => Promise<boolean>): Promise<bigint> {
  let b = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
  while (b > 0n && (await f(b - 1n))) b--;
  return b;
}

type Move = { landed: bigint; included: bigint; ms: number };

/** One drift (WETH or USDC arrive in the wallet, by real transactions) and the blocks until the rebalance answers it. */
async function move(chain: TestChain, address: `0x${string}`, k: number): Promise<Move> {
  const token = k % 2 === 0 ? chain.deployment.tokens.WETH : chain.deployment.tokens.USDC;
  const balanceAt = (blockNumber?: bigint) =>
    chain.publicClient.readContract({
      address: token.address,
      abi: mintableErc20Abi,
      functionName: "balanceOf",
      args: [address],
      ...(blockNumber === undefined ? {} : { blockNumber }),
    });
  const nonce = await chain.publicClient.getTransactionCount({ address });
  const balance = await balanceAt();
  const t0 = performance.now();
  const amount = k % 2 === 0 ? 3n * 10n ** 18n : 9_000n * 10n ** 6n;
  await fund(chain, { account: address, token: token.symbol as "WETH" | "USDC", amount });
  const landed = await firstBlock(chain, async (b) => (await balanceAt(b)) >= balance + amount);
  while (performance.now() - t0 < MOVE_TIMEOUT_MS) {
    if ((await chain.publicClient.getTransactionCount({ address })) > nonce) {
      const included = await firstBlock(
        chain,
        async (b) => (await chain.publicClient.getTransactionCount({ address, blockNumber: b })) > nonce,
      );
      return { landed, included, ms: performance.now() - t0 };
    }
    await sleep(50);
  }
  throw new Error(`move ${k}: no rebalance within ${MOVE_TIMEOUT_MS / 1000} s`);
}

async function runInterval(seconds: number): Promise<Move[]> {
  const dir = mkdtempSync(join(tmpdir(), "ballast-bench-react-"));
  const started: TestChain[] = [];
  const stop = new AbortController();
  let keeper: Keeper | undefined;
  let daemon: Promise<void> | undefined;
  try {
    const { ethereum, base } = await startDemoChains();
    started.push(ethereum, base);
    const account = testAccounts.keeper;
    await seedDemoPortfolio({ ethereum, base }, account);
    for (const c of started) {
      await c.testClient.setAutomine(false);
      await c.testClient.setIntervalMining({ interval: seconds });
    }
    keeper = await openDemoKeeper({ ethereum, base }, dir, {
      cooldown: "0s",
      edit: (yaml) =>
        yaml
          .replace(/bands: \{[^}]*\}/, "bands: { absolute: 0.5%, relative: 100% }")
          .replace(/(\n {4}chainId: \d+)/g, `$1\n    blockTime: ${seconds}s`),
    });
    const k = keeper;
    daemon = runDaemon(k, { once: false, now: () => Math.floor(Date.now() / 1000), signal: stop.signal });
    // The seeded portfolio is off target: let the daemon's first rebalance land before the first move.
    await sleep(4 * seconds * 1000);
    const moves: Move[] = [];
    for (let i = 0; i < MOVES; i++) {
      const m = await move(i % 2 === 0 ? ethereum : base, account.address, i);
      moves.push(m);
      console.log(
        `  ${seconds}-s blocks, move ${String(moves.length).padStart(2)} (${i % 2 === 0 ? "ethereum" : "base"}): landed in block ${m.landed}, rebalance in block ${m.included} → ${m.included - m.landed} block(s) (${(m.ms / 1000).toFixed(1)} s after the move was sent)`,
      );
      await sleep(seconds * 1000); // let the daemon settle the confirmation before the next move
    }
    return moves;
  } finally {
    stop.abort();
    await daemon?.catch(() => undefined);
    await keeper?.journal.close();
    await Promise.all(started.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log("Ballast bench:react — issue #19 (4): trigger → inclusion with interval mining, tick: block");
  console.log(
    `machine: ${availableParallelism()} cores, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
  const summary: string[] = [];
  for (const s of INTERVALS) {
    const moves = await runInterval(s);
    const blocks = moves.map((m) => Number(m.included - m.landed)).sort((a, b) => a - b);
    const hist = new Map<number, number>();
    for (const b of blocks) hist.set(b, (hist.get(b) ?? 0) + 1);
    const median = blocks[Math.floor(blocks.length / 2)] as number;
    summary.push(
      `${s}-s blocks, ${moves.length} moves: ${[...hist].map(([b, n]) => `${n}× ${b} block${b === 1 ? "" : "s"}`).join(", ")}; median ${median}, max ${blocks.at(-1)}`,
    );
  }
  console.log("\n== Blocks from the block a drift lands in to the block that includes the rebalance ==");
  for (const l of summary) console.log(l);
}

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
}

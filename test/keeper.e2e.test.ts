import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openJournal } from "@ballast/keeper";
import { type DemoChains, demoConfigYaml, seedDemoPortfolio } from "@ballast/keeper/demo";
import {
  ANVIL_PRIVATE_KEYS,
  pushPoolPrice,
  setPrice,
  startTcpProxy,
  startTestChain,
  syncPoolPrice,
  TEST_ACCOUNT_INDEX,
  testAccounts,
} from "@ballast/testkit";
import { formatUnits, parseAbi, parseUnits } from "viem";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { cli, startCli } from "./cli.ts";
import { txsFrom, waitFor } from "./helpers.ts";

const account = testAccounts.keeper;
const env = { BALLAST_DEMO_KEY: ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX.keeper] as string };
const poolAbi = parseAbi([
  "function getUserAccountData(address) view returns (uint256 totalCollateralBase, uint256 totalDebtBase, uint256 availableBorrowsBase, uint256 currentLiquidationThreshold, uint256 ltv, uint256 healthFactor)",
]);

let chains: DemoChains;
let dir: string;
let config: string;

const heads = async () => ({
  ethereum: await chains.ethereum.publicClient.getBlockNumber({ cacheTime: 0 }),
  base: await chains.base.publicClient.getBlockNumber({ cacheTime: 0 }),
});

type StatusJson = { sleeves: { id: string; outOfBand: boolean }[]; decision: { fire: boolean } };
const status = async (file = config): Promise<StatusJson> => {
  const r = await cli(["status", "--json", "-c", file], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusJson;
};

type JsonAmount = { symbol: string; chainId: number; amount: string; decimals: number; value: string };
type StatusAmounts = {
  sleeves: { id: string; amounts: JsonAmount[] }[];
  chains: { chain: string; blockNumber: string }[];
  aave: { chain: string; collateral: string; debt: string; healthFactor: string | null; ltvBps: number }[];
};

/** `status --json` amounts, in base units with decimals and as decimal strings, against the chain at its block. */
async function statusAmountsMatchTheChain() {
  const r = await cli(["status", "--json", "-c", config], env);
  const s = JSON.parse(r.stdout) as StatusAmounts;
  const blockNumber = BigInt(s.chains.find((c) => c.chain === "base")!.blockNumber);
  const [aWeth] = s.sleeves.find((x) => x.id === "weth-aave")!.amounts;
  expect(aWeth).toMatchObject({ symbol: "WETH", chainId: 8453, decimals: 18 });
  const onChain = await chains.base.publicClient.readContract({
    address: chains.base.deployment.aave.reserves.WETH.aToken,
    abi: parseAbi(["function balanceOf(address) view returns (uint256)"]),
    functionName: "balanceOf",
    args: [account.address],
    blockNumber,
  });
  expect(BigInt(aWeth!.amount)).toBe(onChain);
  expect(aWeth!.value).toBe(formatUnits(onChain, 18));
  const [debt] = s.sleeves.find((x) => x.id === "usdc-debt")!.amounts;
  expect(debt).toMatchObject({ symbol: "USDC", decimals: 6 });
  expect(BigInt(debt!.amount)).toBeLessThan(0n);
  const [collateral, debtBase, , , ltv, hf] = await chains.base.publicClient.readContract({
    address: chains.base.deployment.aave.pool,
    abi: poolAbi,
    functionName: "getUserAccountData",
    args: [account.address],
    blockNumber,
  });
  const aave = s.aave.find((a) => a.chain === "base")!;
  // Aave's base currency is USD with 8 decimals; the JSON gives 18-decimal USD strings.
  expect(parseUnits(aave.collateral, 18) / 10n ** 10n).toBe(collateral);
  expect(parseUnits(aave.debt, 18) / 10n ** 10n).toBe(debtBase);
  expect(aave.healthFactor).toBe(formatUnits(hf, 18));
  expect(aave.ltvBps).toBe(Number(ltv));
}

const healthFactor = async () => {
  const [, , , , , hf] = await chains.base.publicClient.readContract({
    address: chains.base.deployment.aave.pool,
    abi: poolAbi,
    functionName: "getUserAccountData",
    args: [account.address],
  });
  return hf;
};

beforeAll(async () => {
  const [ethereum, base] = await Promise.all([
    startTestChain({ chainId: 1 }),
    startTestChain({ chainId: 8453 }),
  ]);
  chains = { ethereum, base };
  await seedDemoPortfolio(chains, account);
  dir = mkdtempSync(join(tmpdir(), "ballast-e2e-"));
  config = join(dir, "ballast.yaml");
  writeFileSync(config, demoConfigYaml(chains, { journal: join(dir, "ballast.db"), cooldown: "0s" }));
});

afterAll(async () => {
  await Promise.all([chains?.ethereum.stop(), chains?.base.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("ballast against two local chains with the real Aave and Uniswap", () => {
  it("starts in band: status is clean and run --once sends nothing", async () => {
    const s = await status();
    expect(s.sleeves.map((x) => x.id)).toEqual([
      "eth-idle",
      "eth-usdc-lp",
      "weth-aave",
      "usdc-idle",
      "usdc-debt",
    ]);
    expect(s.sleeves.every((x) => !x.outOfBand)).toBe(true);
    await statusAmountsMatchTheChain();
    const before = await heads();
    const r = await cli(["run", "--once", "-c", config], env);
    expect(r.code, r.stderr).toBe(0);
    expect(await txsFrom(chains.ethereum, account.address, before.ethereum)).toBe(0);
    expect(await txsFrom(chains.base, account.address, before.base)).toBe(0);
  });

  it("after ETH falls 20%, one run --once sends exactly one transaction per chain and restores every band", async () => {
    await Promise.all(
      [chains.ethereum, chains.base].map((c) => setPrice(c, { asset: "WETH", usdPrice: 2_400n * 10n ** 8n })),
    );
    const drifted = await status();
    expect(drifted.decision.fire).toBe(true);
    expect(drifted.sleeves.some((x) => x.outOfBand)).toBe(true);

    const before = await heads();
    const r = await cli(["run", "--once", "-c", config], env);
    expect(r.code, r.stderr).toBe(0);
    expect(await txsFrom(chains.ethereum, account.address, before.ethereum)).toBe(1);
    expect(await txsFrom(chains.base, account.address, before.base)).toBe(1);

    const after = await status();
    expect(after.sleeves.filter((x) => x.outOfBand)).toEqual([]);
    expect(after.decision.fire).toBe(false);
    // The health factor as Aave computes it, not ours.
    expect(await healthFactor()).toBeGreaterThanOrEqual(18n * 10n ** 17n);

    // A second cycle does nothing.
    const again = await heads();
    const second = await cli(["run", "--once", "-c", config], env);
    expect(second.code, second.stderr).toBe(0);
    expect(await txsFrom(chains.ethereum, account.address, again.ethereum)).toBe(0);
    expect(await txsFrom(chains.base, account.address, again.base)).toBe(0);

    const history = await cli(["history", "-c", config], env);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/transaction .*confirmed nonce/);
    expect(history.stdout).toMatch(/dry run {5}.*hold/); // the status calls, marked
    const rows = JSON.parse(
      (await cli(["history", "--json", "--since", "1h", "-c", config], env)).stdout,
    ) as {
      kind: string;
      dryRun: boolean;
      at: number;
      record: unknown;
    }[];
    expect(rows.some((r) => r.kind === "decision" && r.dryRun)).toBe(true);
    expect(rows.some((r) => r.kind === "decision" && !r.dryRun)).toBe(true);
    const plan = rows.find((r) => r.kind === "plan")!.record as { id: string; chains: unknown[] };
    expect(plan.chains.length).toBeGreaterThan(0); // an object, not an escaped string
    expect(rows.map((r) => r.at)).toEqual([...rows.map((r) => r.at)].sort((a, b) => b - a));
    const runsOnly = JSON.parse(
      (await cli(["history", "--json", "--no-dry-runs", "-c", config], env)).stdout,
    ) as { dryRun: boolean }[];
    expect(runsOnly.length).toBeGreaterThan(0);
    expect(runsOnly.every((r) => !r.dryRun)).toBe(true);
  });

  it("a keeper killed between broadcast and receipt sends nothing twice after a restart", async () => {
    await Promise.all(
      [chains.ethereum, chains.base].map((c) => setPrice(c, { asset: "WETH", usdPrice: 2_900n * 10n ** 8n })),
    );
    expect((await status()).decision.fire).toBe(true);
    const before = await heads();
    // No blocks at all while the keeper sends: whatever it broadcasts stays in the pool, so the kill lands between
    // broadcast and receipt on BOTH chains, however slowly either batch is built (killing at the first broadcast
    // row let a loaded machine kill it before ethereum's batch was even signed: a different scenario).
    await Promise.all([chains.ethereum, chains.base].map((c) => c.testClient.setAutomine(false)));
    try {
      const journal = await openJournal(join(dir, "ballast.db"));
      const run = startCli(["run", "--once", "-c", config], env);
      const broadcastOn = async () =>
        (
          await journal.sql.all<{ chainId: number }>(
            "SELECT DISTINCT chain_id AS \"chainId\" FROM transactions WHERE status = 'broadcast'",
          )
        ).map((r) => Number(r.chainId));
      let exited = false;
      void run.done.then(() => {
        exited = true;
      });
      await waitFor(
        "a broadcast transaction on both chains",
        async () => exited || (await broadcastOn()).length === 2,
      );
      expect(exited, `the keeper exited before broadcasting on both chains: ${run.stderrSoFar()}`).toBe(
        false,
      );
      expect((await broadcastOn()).sort((a, b) => a - b)).toEqual([1, 8453]);
      run.child.kill("SIGKILL");
      await run.done;
      await journal.close();

      // Blocks every second again: the restart finds both transactions journaled, settles them, sends nothing new.
      await Promise.all(
        [chains.ethereum, chains.base].map((c) => c.testClient.setIntervalMining({ interval: 1 })),
      );
      const restarted = await cli(["run", "--once", "-c", config], env);
      expect(restarted.code, restarted.stderr).toBe(0);
    } finally {
      await Promise.all(
        [chains.ethereum, chains.base].map((c) => c.testClient.setIntervalMining({ interval: 0 })),
      );
      await Promise.all([chains.ethereum, chains.base].map((c) => c.testClient.setAutomine(true)));
    }
    // Both chains needed a rebalance: each got exactly one transaction, across the crash and the restart.
    expect(await txsFrom(chains.ethereum, account.address, before.ethereum)).toBe(1);
    expect(await txsFrom(chains.base, account.address, before.base)).toBe(1);
    // The journal's next nonce agrees with the chain's.
    const journal = await openJournal(join(dir, "ballast.db"));
    for (const c of [chains.ethereum, chains.base]) {
      const onChain = await c.publicClient.getTransactionCount({
        address: account.address,
        blockTag: "latest",
      });
      expect(await journal.txStore.getNonce(c.chainId, account.address)).toBe(onChain);
    }
    await journal.close();
    expect((await status()).sleeves.filter((x) => x.outOfBand)).toEqual([]);
  });

  it("plan runs without the key when the config names the account: decision, plan table, simulated batches", async () => {
    await Promise.all(
      [chains.ethereum, chains.base].map((c) => setPrice(c, { asset: "WETH", usdPrice: 2_300n * 10n ** 8n })),
    );
    const readOnly = join(dir, "read-only.yaml");
    writeFileSync(
      readOnly,
      demoConfigYaml(chains, {
        journal: join(dir, "read-only.db"),
        cooldown: "0s",
        address: account.address,
      }),
    );
    const before = await heads();
    const r = await cli(["plan", "-c", readOnly], {}); // no BALLAST_DEMO_KEY
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Decision: REBALANCE");
    expect(r.stdout).toMatch(/simulation ethereum \(chain 1\): ok — \d+ calls in one transaction/);
    expect(r.stdout).toMatch(/simulation base \(chain 8453\): ok/);
    // Its long steps as plain lines on a piped stderr; under --json, nothing but the JSON.
    expect(r.stderr).toBe("checking each RPC's chain id …\nreading, planning and simulating on 2 chains …\n");
    const json = await cli(["plan", "--json", "-c", readOnly], {});
    expect(json.code, json.stderr).toBe(0);
    expect(json.stderr).toBe("");
    const parsed = JSON.parse(json.stdout) as {
      simulations: { chain: string; ok: boolean; calls: number }[];
    };
    expect(parsed.simulations.map((x) => [x.chain, x.ok])).toEqual([
      ["ethereum", true],
      ["base", true],
    ]);
    // A dry run sends nothing.
    expect(await txsFrom(chains.ethereum, account.address, before.ethereum)).toBe(0);
    expect(await txsFrom(chains.base, account.address, before.base)).toBe(0);
    // And `run` refuses without the key, naming the variable, as a config error (exit 2).
    const run = await cli(["run", "--once", "-c", readOnly], {});
    expect(run.code).toBe(2); // a config/environment error
    expect(run.stderr).toContain("BALLAST_DEMO_KEY");
  });

  it("a pool pushed 5% from the oracle by a real swap holds the cycle: plan names it, run --once sends nothing; back in line it fires", async () => {
    const readOnly = join(dir, "read-only.yaml"); // the previous test's: ETH at 2,300, out of band, no cooldown
    const guarded = join(dir, "guarded.yaml");
    writeFileSync(guarded, demoConfigYaml(chains, { journal: join(dir, "guarded.db"), cooldown: "0s" }));
    // The direction in which the plan's WETH purchase still meets its minOut there: only the price check stops it.
    await pushPoolPrice(chains.ethereum, { pool: "WETH/USDC/500", bps: -500 });
    type Fault = { kind: string; chainId: number; asset: string; sources: string[]; deviationBps: number };
    type PlanJson = {
      decision: { fire: boolean; reasons: { rule: string; fired: boolean; faults?: Fault[] }[] };
      simulations: unknown[];
    };
    const j = await cli(["plan", "--json", "-c", readOnly], {});
    expect(j.code, j.stderr).toBe(0);
    const held = JSON.parse(j.stdout) as PlanJson;
    expect(held.decision.fire).toBe(false);
    const reason = held.decision.reasons.find((r) => r.rule === "price-sanity")!;
    expect(reason.fired).toBe(true);
    const pool = reason.faults!.find((f) => f.sources.includes("pool WETH/USDC/500"))!;
    expect(pool).toMatchObject({ kind: "deviation", chainId: 1, asset: "WETH" });
    expect(pool.deviationBps).toBeGreaterThanOrEqual(500);
    expect(held.simulations).toEqual([]);
    const text = await cli(["plan", "-c", readOnly], {});
    expect(text.stdout).toMatch(
      /price-sanity +hold: prices not trusted: .*WETH on chain 1: oracle vs pool WETH\/USDC\/500 differ by \d+ bps \(max 100\)/,
    );
    const status = await cli(["status", "-c", readOnly], {});
    expect(status.stdout).toMatch(/hold: prices not trusted: .*oracle vs pool WETH\/USDC\/500/);
    const before = await heads();
    const run = await cli(["run", "--once", "--json", "-c", guarded], env);
    expect(run.code, run.stderr).toBe(0);
    // For scripts: the cycle held on prices, nothing sent.
    const cycle = JSON.parse(run.stdout) as {
      decision: PlanJson["decision"];
      plan: unknown;
      sent: unknown[];
    };
    expect(cycle.decision.fire).toBe(false);
    expect(cycle.decision.reasons.find((r) => r.rule === "price-sanity")?.fired).toBe(true);
    expect(cycle.sent).toEqual([]);
    expect(await txsFrom(chains.ethereum, account.address, before.ethereum)).toBe(0);
    expect(await txsFrom(chains.base, account.address, before.base)).toBe(0);

    await syncPoolPrice(chains.ethereum, { pool: "WETH/USDC/500" });
    const healthy = JSON.parse((await cli(["plan", "--json", "-c", readOnly], {})).stdout) as PlanJson;
    expect(healthy.decision.reasons.some((r) => r.rule === "price-sanity")).toBe(false);
    expect(healthy.decision.fire).toBe(true);
  });

  it("a config error names the field and exits non-zero", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(
      bad,
      demoConfigYaml(chains, { journal: join(dir, "bad.db") }).replace("weight: 45%", "weight: 45"),
    );
    const r = await cli(["status", "-c", bad], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("policy.sleeves.2.weight");
    expect(r.stderr).toContain('expected a percentage such as "5%"');
    const missing = await cli(["status", "-c", join(dir, "nope.yaml")], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read the file");
  });

  it("an unreachable RPC gives a clear message and a non-zero exit", async () => {
    const dead = join(dir, "dead.yaml");
    // A port this test holds, every connection cut: a port closed after picking it could be anyone's by the next run.
    const cut = await startTcpProxy(0);
    cut.cut();
    onTestFinished(() => cut.close());
    writeFileSync(
      dead,
      demoConfigYaml(chains, {
        journal: join(dir, "dead.db"),
        rpc: { base: `http://127.0.0.1:${cut.port}` },
      }),
    );
    const s = await cli(["status", "-c", dead], env);
    expect(s.code).toBe(3); // a chain unreadable
    expect(s.stderr).toMatch(/chain base/);
    // The RPC request that failed: its method and URL.
    expect(s.stderr).toContain(`RPC eth_call failed on http://127.0.0.1:${cut.port} (chain 8453)`);
    const r = await cli(["run", "--once", "-c", dead], env);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/chain base/);
    // Scripts: --json never exits 0 on an unreadable portfolio, and its error is JSON on stdout.
    const p = await cli(["plan", "--json", "-c", dead], env);
    expect(p.code, p.stdout + p.stderr).toBe(3);
    const planned = JSON.parse(p.stdout) as { decision: unknown; chainErrors: { chain: string }[] };
    expect(planned.decision).toBeNull();
    expect(planned.chainErrors.map((e) => e.chain)).toEqual(["base"]);
    const j = await cli(["status", "--json", "-c", dead], env);
    expect(j.code).toBe(3);
    expect(JSON.parse(j.stdout)).toMatchObject({ error: { code: "IncompleteCycleError" }, exitCode: 3 });
  });

  it("the command line contract: --version, usage errors exit 2, JSON errors under --json", async () => {
    const v = await cli(["--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const usage = await cli(["status", "--no-such-option"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("unknown option");
    const missing = await cli(["status", "--json", "-c", join(dir, "missing.yaml")]);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: "ConfigError" }, exitCode: 2 });
  });
});

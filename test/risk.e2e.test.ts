import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  checkTransaction,
  encodeSafeModuleTransaction,
  FirewallError,
  type FirewallRule,
} from "@ballast/chain";
import type { Call } from "@ballast/core";
import {
  buildRuntime,
  consecutiveFailures,
  createLogger,
  createMetrics,
  dailyTurnoverUsd,
  firewallPolicyOf,
  type Journal,
  type Keeper,
  keeperCycle,
  loadConfig,
  openJournal,
  pauseSending,
} from "@ballast/keeper";
import { type DemoChains, demoConfigYaml, seedDemoPortfolio } from "@ballast/keeper/demo";
import {
  ANVIL_PRIVATE_KEYS,
  setPrice,
  startTestChain,
  TEST_ACCOUNT_INDEX,
  type TestChain,
  testAccounts,
} from "@ballast/testkit";
import { type Address, encodeFunctionData, erc20Abi, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, startCli } from "./cli.ts";
import { hashesFrom, listenPort, txsFrom, waitFor } from "./helpers.ts";

const account = testAccounts.keeper;
const env = { BALLAST_DEMO_KEY: ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX.keeper] as string };
const EVIL = "0x000000000000000000000000000000000000dead" as Address;
const USD = 10n ** 18n;

let chains: DemoChains;
let dir: string;

/** Transactions the keeper's account sent in blocks (after, head] of `chain`. */
const sentSince = (chain: TestChain, after: bigint) => txsFrom(chain, account.address, after);
const heads = async () => ({
  ethereum: await chains.ethereum.publicClient.getBlockNumber({ cacheTime: 0 }),
  base: await chains.base.publicClient.getBlockNumber({ cacheTime: 0 }),
});
const both = () => [chains.ethereum, chains.base];
const wethAt = (usd: bigint) =>
  Promise.all(both().map((c) => setPrice(c, { asset: "WETH", usdPrice: usd * 10n ** 8n })));

/** A config file named `name` for the two chains, with `edit` applied to the demo's YAML. */
function configFile(
  name: string,
  edit: (yaml: string) => string = (y) => y,
  opts: { confirmTimeout?: string } = {},
): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    edit(demoConfigYaml(chains, { journal: join(dir, `${name}.db`), cooldown: "0s", ...opts })),
  );
  return file;
}
const withLimits = (limits: string) => (y: string) =>
  y.replace("  maxCostOfDriftRemoved: 20%\n", `  maxCostOfDriftRemoved: 20%\n  limits: { ${limits} }\n`);
const everySecond = (y: string) => y.replace("tick: block", "tick: 1s");

type StatusJson = {
  decision: { fire: boolean };
  risk: { chains: Record<string, { sending: string; reason: string | null; consecutiveFailures: number }> };
};
async function status(file: string): Promise<StatusJson> {
  const r = await cli(["status", "--json", "-c", file], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusJson;
}

/** The plan of `plan --json` (its `plan` field is the plan's own JSON text). */
const planOf = (stdout: string): { turnoverUsd: string } => {
  const { plan } = JSON.parse(stdout) as { plan: { turnoverUsd: string } | null };
  if (!plan) throw new Error("no plan");
  return plan;
};

beforeAll(async () => {
  const [ethereum, base] = await Promise.all([
    startTestChain({ chainId: 1 }),
    startTestChain({ chainId: 8453 }),
  ]);
  chains = { ethereum, base };
  await seedDemoPortfolio(chains, account);
  dir = mkdtempSync(join(tmpdir(), "ballast-risk-"));
});

afterAll(async () => {
  await Promise.all([chains?.ethereum.stop(), chains?.base.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Each test runs the real CLI several times (seconds each on a busy machine).
describe("risk controls, on two local chains with the keeper process", { timeout: 240_000 }, () => {
  it("pause stops a running daemon's next send, visible in status, /metrics and /healthz; resume restarts it", async () => {
    const config = configFile("pause", everySecond);
    const journal = await openJournal(join(dir, "pause.db"));
    const decisions = async (fire: boolean) =>
      // A decision taken again in a row is counted on its row (`repeats`), not written twice.
      (
        await journal.sql.all<{ n: number }>("SELECT sum(repeats) AS n FROM decisions WHERE fire = ?", [
          fire ? 1 : 0,
        ])
      )[0]?.n ?? 0;
    const before = await heads();
    const daemon = startCli(["run", "-c", config], { ...env, BALLAST_LOG_LEVEL: "info" });
    try {
      // In band: the daemon cycles and holds.
      await waitFor("a first cycle", async () => (await decisions(false)) > 0);
      const port = await listenPort(daemon);

      const paused = await cli(["pause", "-c", config, "--reason", "audit in progress"], env);
      expect(paused.code, paused.stderr).toBe(0);
      await wethAt(2_400n); // out of band: the daemon now wants to rebalance
      await waitFor("two fired cycles", async () => (await decisions(true)) >= 2);
      expect(await sentSince(chains.ethereum, before.ethereum)).toBe(0);
      expect(await sentSince(chains.base, before.base)).toBe(0);

      const s = await status(config);
      expect(s.risk.chains.base?.sending).toBe("paused");
      expect(s.risk.chains.base?.reason).toContain("audit in progress");
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('ballast_sending_stopped{chain="base",reason="pause"} 1');
      const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
        chains: Record<string, { sending?: string }>;
      };
      expect(health.chains.ethereum?.sending).toMatch(/^paused/);

      const resumed = await cli(["resume", "-c", config], env);
      expect(resumed.code, resumed.stderr).toBe(0);
      await waitFor(
        "one transaction per chain",
        async () =>
          (await sentSince(chains.ethereum, before.ethereum)) === 1 &&
          (await sentSince(chains.base, before.base)) === 1,
      );
      expect((await status(config)).risk.chains.base?.sending).toBe("on");
    } finally {
      daemon.child.kill("SIGTERM");
      await daemon.done;
      await journal.close();
    }
  });

  it("the firewall refuses a real batch corrupted in every way: nothing signed, nothing sent", async () => {
    await wethAt(2_900n);
    const config = loadConfig(configFile("firewall"), env);
    const journal = await openJournal(join(dir, "firewall.db"));
    const k: Keeper = {
      config,
      chains: buildRuntime(config, env, { store: journal.txStore, needKeys: true, pollingIntervalMs: 50 }),
      journal,
      metrics: createMetrics(),
      log: createLogger({ level: "silent" }),
    };
    try {
      const { result } = await keeperCycle(k, { now: Math.floor(Date.now() / 1000), execute: false });
      const batch = result.batches.find((b) => b.key === "ethereum");
      // The real batch passes the firewall (its simulation ran through it).
      expect(batch?.ok, batch?.error?.shortMessage).toBe(true);
      const calls = batch?.calls ?? [];
      const executor = k.chains.find((c) => c.key === "ethereum")?.setup.executor;
      if (!executor || calls.length === 0) throw new Error("no ethereum batch");
      const word = (a: Address) => a.slice(2).toLowerCase().padStart(64, "0");
      const swapWord = (c: Call, from: Address): Call => ({
        ...c,
        data: c.data.toLowerCase().replace(word(from), word(EVIL)) as Hex,
      });
      const approve = calls.findIndex((c) => c.data.startsWith("0x095ea7b3"));
      const spender = `0x${calls[approve]?.data.slice(34, 74)}` as Address;
      const paying = calls.findIndex(
        (c, i) => i !== approve && c.data.toLowerCase().includes(word(account.address)),
      );
      expect(approve).toBeGreaterThanOrEqual(0);
      expect(paying).toBeGreaterThanOrEqual(0);
      const weth = chains.ethereum.deployment.tokens.WETH.address;
      const at = (i: number, c: Call) => calls.map((x, j) => (j === i ? c : x));
      const cases: [string, Call[], FirewallRule, number][] = [
        ["target swapped", at(0, { ...(calls[0] as Call), to: EVIL }), "target", 0],
        ["spender swapped", at(approve, swapWord(calls[approve] as Call, spender)), "spender", approve],
        [
          "recipient swapped",
          at(paying, swapWord(calls[paying] as Call, account.address)),
          "recipient",
          paying,
        ],
        [
          "extra call appended",
          [
            ...calls,
            {
              to: weth,
              value: 0n,
              data: encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: [EVIL, 1n] }),
            },
          ],
          "recipient",
          calls.length,
        ],
        ["value added", at(0, { ...(calls[0] as Call), value: 1n }), "value", 0],
      ];
      const nonce = () =>
        chains.ethereum.publicClient.getTransactionCount({ address: account.address, blockTag: "pending" });
      const n0 = await nonce();
      for (const [name, corrupted, rule, index] of cases) {
        const err = await executor
          .execute(corrupted, { planId: `corrupt-${name}`, guards: batch?.guards })
          .catch((e: unknown) => e);
        expect(err, name).toBeInstanceOf(FirewallError);
        expect([(err as FirewallError).rule, (err as FirewallError).index], name).toEqual([rule, index]);
        expect(await journal.txStore.get(1, `corrupt-${name}`), name).toBeUndefined();
      }
      expect(await nonce()).toBe(n0);

      // A DELEGATECALL cannot be expressed as a call; it can only come from the Safe envelope. The same real batch as
      // a Safe module transaction passes, and with one MultiSend entry flipped to DELEGATECALL it is refused.
      const eth = config.chains.ethereum;
      if (!eth) throw new Error("no ethereum chain in the config");
      const policy = {
        ...firewallPolicyOf(eth, account.address),
        multiSend: EVIL,
      };
      const safeCheck = (request: { to: Address; data: Hex; value: bigint }) =>
        checkTransaction(policy, { kind: "safe-module", account: account.address, request });
      const request = encodeSafeModuleTransaction({ safe: account.address, multiSend: EVIL, calls });
      expect(() => safeCheck(request)).not.toThrow();
      // The first entry's operation byte follows multiSend's selector and the bytes' offset and length words.
      const marker = `00${calls[0]?.to.slice(2).toLowerCase()}`;
      const flipped = {
        ...request,
        data: request.data.toLowerCase().replace(marker, `01${marker.slice(2)}`) as Hex,
      };
      const err = (() => {
        try {
          safeCheck(flipped);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(FirewallError);
      expect([(err as FirewallError).rule, (err as FirewallError).index]).toEqual(["delegatecall", 0]);
    } finally {
      await journal.close();
    }
  });

  it("a turnover cap trims a plan (the planner scales every move) and the trimmed batch is sent", async () => {
    const full = await cli(["plan", "--json", "-c", configFile("uncapped")], env);
    expect(full.code, full.stderr).toBe(0);
    const uncapped = BigInt(planOf(full.stdout).turnoverUsd);
    const cap = uncapped / 2n / USD; // whole dollars, half the plan
    const capped = configFile("capped", withLimits(`maxCycleUsd: ${cap} USD`));
    const planned = await cli(["plan", "--json", "-c", capped], env);
    expect(planned.code, planned.stderr).toBe(0);
    const p = JSON.parse(planned.stdout) as { simulations: { ok: boolean }[]; warnings: string[] };
    const turnover = BigInt(planOf(planned.stdout).turnoverUsd);
    expect(turnover).toBeLessThanOrEqual(cap * USD);
    expect(turnover).toBeGreaterThan((cap * USD * 9n) / 10n);
    expect(p.simulations.every((s) => s.ok)).toBe(true);
    expect(p.warnings.join("\n")).toMatch(/turnover cap: scaled to fit — turnover .* > maxCycleUsd/);
    const text = await cli(["plan", "-c", capped], env);
    expect(text.stdout).toMatch(/turnover cap: scaled to fit/);

    const before = await heads();
    const run = await cli(["run", "--once", "-c", capped], env);
    expect(run.code, run.stderr).toBe(0);
    expect(await sentSince(chains.ethereum, before.ethereum)).toBe(1);
    expect(await sentSince(chains.base, before.base)).toBe(1);
    // What was sent is the trimmed plan: the plan of both journaled transactions is within the cap.
    const j = await openJournal(join(dir, "capped.db"));
    try {
      const sent = await j.sql.all<{ json: string }>(
        "SELECT p.json FROM transactions t JOIN plans p ON p.id = t.plan_id",
      );
      expect(sent).toHaveLength(2);
      for (const r of sent) {
        const { turnoverUsd } = JSON.parse(r.json) as { turnoverUsd: string };
        expect(BigInt(turnoverUsd)).toBeLessThanOrEqual(cap * USD);
      }
    } finally {
      await j.close();
    }
  });

  it("a turnover cap with onExceed: hold sends nothing and says why", async () => {
    await wethAt(1_900n);
    const held = configFile("held", withLimits("maxTradeUsd: 100 USD, onExceed: hold"));
    const before = await heads();
    const run = await cli(["run", "--once", "-c", held], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/turnover cap: held, not sent — a leg of \$[\d,.]+ > maxTradeUsd \$100\.00/);
    expect(await sentSince(chains.ethereum, before.ethereum)).toBe(0);
    expect(await sentSince(chains.base, before.base)).toBe(0);
  });

  it("three refused batches trip the circuit breaker; a restart keeps it; a sendable batch is held until resume", async () => {
    await wethAt(3_600n);
    // A wrong delegation target: every batch fails simulation (and is refused) on both chains.
    const good = configFile("broken", everySecond);
    const fixed = readFileSync(good, "utf8");
    writeFileSync(
      good,
      fixed.replaceAll(
        chains.ethereum.deployment.simple7702Account,
        chains.ethereum.deployment.tokens.USDC.address,
      ),
    );
    const before = await heads();
    const run = await cli(["run", "--max-cycles", "4", "-c", good], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("circuit breaker tripped");
    const s = await status(good);
    expect(s.risk.chains.base?.sending).toBe("breaker");
    expect(s.risk.chains.base?.consecutiveFailures).toBe(3);
    expect(s.risk.chains.base?.reason).toMatch(/3 consecutive failed or refused batches/);
    const text = await cli(["status", "-c", good], env);
    expect(text.stdout).toMatch(/sending on ethereum: STOPPED — circuit breaker tripped/);

    // The config fixed (same file, same journal): batches would now land, but a restart keeps the breaker (its
    // condition still holds) and a running daemon holds them, says so on /metrics and answers 503 on /healthz.
    writeFileSync(good, fixed);
    const daemon = startCli(["run", "-c", good], { ...env, BALLAST_LOG_LEVEL: "info" });
    try {
      await waitFor(
        "two held batches on each chain",
        () => (daemon.stderrSoFar().match(/batch held/g) ?? []).length >= 4,
      );
      expect(await sentSince(chains.ethereum, before.ethereum)).toBe(0);
      expect(await sentSince(chains.base, before.base)).toBe(0);
      const port = await listenPort(daemon);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('ballast_sending_stopped{chain="ethereum",reason="breaker"} 1');
      expect(metrics).toContain('ballast_sending_stopped{chain="base",reason="breaker"} 1');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(503);
      expect(
        ((await health.json()) as { chains: Record<string, { sending?: string }> }).chains.base?.sending,
      ).toMatch(/^circuit breaker tripped/);

      // Resuming one chain lets the running daemon send there, and only there.
      expect((await cli(["resume", "--chain", "base", "-c", good], env)).code).toBe(0);
      await waitFor("the batch on base", async () => (await sentSince(chains.base, before.base)) === 1);
      expect(await sentSince(chains.ethereum, before.ethereum)).toBe(0);
      const after = await status(good);
      expect(after.risk.chains.base).toMatchObject({ sending: "on", consecutiveFailures: 0 });
      expect(after.risk.chains.ethereum?.sending).toBe("breaker");
    } finally {
      daemon.child.kill("SIGTERM");
      await daemon.done;
    }
  });

  it("a realised cost over maxLossUsd trips the breaker on the chains that sent; their next rebalance is held", async () => {
    // Both chains out of band (base rebalanced at $3 600 above, ethereum did not).
    await wethAt(4_500n);
    const lossy = configFile("lossy", withLimits("maxLossUsd: 0.01 USD"));
    const before = await heads();
    const first = await cli(["run", "--once", "-c", lossy], env);
    expect(first.code, first.stderr).toBe(0);
    expect(await sentSince(chains.ethereum, before.ethereum)).toBe(1);
    expect(await sentSince(chains.base, before.base)).toBe(1);
    expect((await status(lossy)).risk.chains.base?.sending).toBe("on");
    // The next cycle values the portfolio at the prices of before the send: the difference is the realised cost.
    const second = await cli(["run", "--once", "-c", lossy], env);
    expect(second.code, second.stderr).toBe(0);
    const s = await status(lossy);
    for (const chain of ["ethereum", "base"]) {
      expect(s.risk.chains[chain]?.sending, chain).toBe("breaker");
      expect(s.risk.chains[chain]?.reason, chain).toMatch(
        /realised cost \$[\d,.]+ over the last 86400s exceeds maxLossUsd \$0\.01/,
      );
    }
    // Out of band again: the rebalance is planned and held on both chains.
    await wethAt(3_000n);
    const third = await cli(["run", "--once", "-c", lossy], env);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toMatch(/batch held/);
    expect(await sentSince(chains.ethereum, before.ethereum)).toBe(1);
    expect(await sentSince(chains.base, before.base)).toBe(1);
  });

  it("a batch in flight counts toward the 24 h turnover when sent, and for the breaker when it settles reverted", async () => {
    // Out of band (from the seed's $3 000, and from the lossy keeper's $4 500). Blocks stop: each chain's batch stays
    // in flight.
    await wethAt(2_600n);
    const file = configFile("in-flight", (y) => y, { confirmTimeout: "1s" });
    const inJournal = async <T>(read: (j: Journal) => Promise<T>): Promise<T> => {
      const j = await openJournal(join(dir, "in-flight.db"));
      try {
        return await read(j);
      } finally {
        await j.close();
      }
    };
    const before = await heads();
    await Promise.all(both().map((c) => c.testClient.setAutomine(false)));
    try {
      const sent = await cli(["run", "--once", "-c", file], env);
      expect(sent.stderr).toMatch(/batch in flight/);
      expect(await inJournal((j) => dailyTurnoverUsd(j, Math.floor(Date.now() / 1000)))).toBeGreaterThan(0n);
      // Each pending batch reverts when mined: WETH and USDC are an INVALID opcode for that one block.
      for (const c of both()) {
        const tokens = [c.deployment.tokens.WETH.address, c.deployment.tokens.USDC.address];
        const codes = await Promise.all(tokens.map((address) => c.publicClient.getCode({ address })));
        for (const address of tokens) await c.testClient.setCode({ address, bytecode: "0xfe" });
        await c.testClient.mine({ blocks: 1 });
        for (const [i, address] of tokens.entries())
          await c.testClient.setCode({ address, bytecode: codes[i] as Hex });
      }
    } finally {
      await Promise.all(both().map((c) => c.testClient.setAutomine(true)));
    }
    for (const c of both()) {
      const hashes = await hashesFrom(c, account.address, before[c === chains.base ? "base" : "ethereum"]);
      expect(hashes).toHaveLength(1);
      const receipt = await c.publicClient.getTransactionReceipt({ hash: hashes[0] as Hex });
      expect(receipt.status).toBe("reverted");
    }
    // Paused, the next run only settles what was in flight (its new batch is held): one failure per chain.
    await inJournal((j) => pauseSending(j, { at: Math.floor(Date.now() / 1000), reason: "test" }));
    const settled = await cli(["run", "--once", "-c", file], env);
    expect(settled.code, settled.stderr).toBe(0);
    expect(
      await inJournal((j) => Promise.all(["ethereum", "base"].map((c) => consecutiveFailures(j, c)))),
    ).toEqual([1, 1]);
  });

  it("the realised cost of a batch that was in flight is measured once it lands, and trips the breaker", async () => {
    await wethAt(2_200n); // out of band: the last rebalance that landed was at $4 500 (the seed: $3 000)
    const file = configFile("in-flight-cost", withLimits("maxLossUsd: 0.01 USD"), { confirmTimeout: "1s" });
    await Promise.all(both().map((c) => c.testClient.setAutomine(false)));
    try {
      expect((await cli(["run", "--once", "-c", file], env)).stderr).toMatch(/batch in flight/);
      // Still in flight: nothing to measure yet (the chains hold).
      expect((await cli(["run", "--once", "-c", file], env)).stderr).toMatch(/in flight from before/);
    } finally {
      await Promise.all(both().map((c) => c.testClient.setAutomine(true)));
    }
    await Promise.all(both().map((c) => c.testClient.mine({ blocks: 1 })));
    const landed = await cli(["run", "--once", "-c", file], env);
    expect(landed.code, landed.stderr).toBe(0);
    const s = await status(file);
    for (const chain of ["ethereum", "base"])
      expect(s.risk.chains[chain]?.reason ?? "not tripped", chain).toMatch(
        /realised cost \$[\d,.]+ .* exceeds maxLossUsd \$0\.01/,
      );
  });
});

/**
 * Cross-chain rebalancing with the `ballast` process on two local chains: the real SpokePool (Across 5.0.27) on both,
 * the testkit's relayer filling through `fillRelay` (or never, then refunding through a root bundle), the Across API
 * stand-in quoting. Counts come from the chains (deposits in the pool, the keeper's transactions), not from logs.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spokePoolAbi } from "@ballast/across";
import {
  buildRuntime,
  createLogger,
  createMetrics,
  fromJson,
  keeperCycle,
  loadConfig,
  movedTransfer,
  openJournal,
  settleTransfers,
} from "@ballast/keeper";
import { bridgeConfigYaml, seedBridgePortfolio } from "@ballast/keeper/demo";
import {
  type AcrossApi,
  type AcrossRelayer,
  ANVIL_PRIVATE_KEYS,
  advanceTimeTo,
  startAcrossApi,
  startAcrossRelayer,
  startTestChain,
  TEST_ACCOUNT_INDEX,
  type TestChain,
  testAccounts,
} from "@ballast/testkit";
import { type Address, erc20Abi, parseEventLogs, parseUnits } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cli, startCli } from "./cli.ts";
import { nonces, txsFrom, waitFor } from "./helpers.ts";

const account = testAccounts.keeper;
const env = { BALLAST_DEMO_KEY: ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX.keeper] as string };

let a: TestChain; // ethereum (1): the origin, over target
let b: TestChain; // base (8453): the destination, under target
let api: AcrossApi;
let relayer: AcrossRelayer | undefined;
let dir: string;
let seeded: { a: `0x${string}`; b: `0x${string}` };

/** The bridge portfolio's config (Across on both chains), with its journal beside it. */
function writeConfig(name: string, opts: { fillDeadline?: string; maxFee?: string } = {}): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    bridgeConfigYaml({ ethereum: a, base: b }, { api: api.url, journal: join(dir, `${name}.db`), ...opts }),
  );
  return file;
}

const deposits = (c: TestChain) =>
  c.publicClient.readContract({
    address: c.deployment.across.spokePool,
    abi: spokePoolAbi,
    functionName: "numberOfDeposits",
  });
const balance = (c: TestChain, token: Address) =>
  c.publicClient.readContract({
    address: token,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [account.address],
  });
const usdcOf = (c: TestChain) => balance(c, c.deployment.tokens.USDC.address);
const aUsdcOf = (c: TestChain) => balance(c, c.deployment.aave.reserves.USDC.aToken);

/** The keeper's `FundsDeposited` on ethereum since `fromBlock`: what really left for base. */
async function depositedSince(fromBlock: bigint) {
  if (fromBlock > (await a.publicClient.getBlockNumber({ cacheTime: 0 }))) return [];
  const logs = await a.publicClient.getLogs({ address: a.deployment.across.spokePool, fromBlock });
  return parseEventLogs({ abi: spokePoolAbi, eventName: "FundsDeposited", logs });
}

type StatusJson = {
  navUsd: string;
  sleeves: { id: string; outOfBand: boolean }[];
  transfers: { status: string; amountIn: string; line: string }[];
};
/** Rows of a config's journal (its `json` column parsed), read while no keeper runs. */
async function journaled(file: string, query: string): Promise<unknown[]> {
  const j = await openJournal(file.replace(/\.yaml$/, ".db"));
  try {
    return (await j.sql.all<{ json: string }>(query)).map((r) => fromJson(r.json));
  } finally {
    await j.close();
  }
}

const status = async (file: string): Promise<StatusJson> => {
  const r = await cli(["status", "--json", "-c", file], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusJson;
};

beforeAll(async () => {
  [a, b] = await Promise.all([startTestChain({ chainId: 1 }), startTestChain({ chainId: 8453 })]);
  await seedBridgePortfolio({ ethereum: a, base: b }, account.address);
  api = await startAcrossApi({ chains: [a, b] });
  dir = mkdtempSync(join(tmpdir(), "ballast-bridge-"));
  seeded = { a: await a.testClient.snapshot(), b: await b.testClient.snapshot() };
});

afterEach(async () => {
  await relayer?.stop();
  relayer = undefined;
  api.faults.length = 0;
});

afterAll(async () => {
  await api?.close();
  await Promise.all([a?.stop(), b?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Both chains back to the seeded portfolio (and a fresh snapshot of it). */
async function reseed() {
  await Promise.all([a.testClient.revert({ id: seeded.a }), b.testClient.revert({ id: seeded.b })]);
  seeded = { a: await a.testClient.snapshot(), b: await b.testClient.snapshot() };
}

describe("ballast moves capital across chains through Across", () => {
  it("refuses a hostile quote (other SpokePool, output below the minimum, fee above the limit): nothing is sent", async () => {
    const file = writeConfig("hostile", { maxFee: "0.2%" });
    type Quote = Record<string, unknown>;
    // (The testkit deploys the same addresses on both chains, so "another SpokePool" is any other contract.)
    const faults: [(quote: Quote, amount: bigint) => Quote, RegExp][] = [
      [(q) => ({ ...q, spokePoolAddress: a.deployment.tokens.WETH.address }), /spokePoolAddress is 0x/],
      [(q) => ({ ...q, outputAmount: "1000" }), /output 1000 is below the minimum/],
      [
        (q, amount) => ({ ...q, totalRelayFee: { pct: "10000000000000000", total: String(amount / 100n) } }),
        /fee \d+ \(100 bps of the input\) is above the limit \d+ \(20 bps\)/,
      ],
    ];
    const before = { deposits: await deposits(a), nonce: await nonces(a, account.address) };
    for (const [i, [fault, refusal]] of faults.entries()) {
      api.faults.push((req, reply) => ({
        ...reply,
        json: fault(reply.json as Quote, BigInt(req.query.get("amount") ?? "0")),
      }));
      const r = await cli(["run", "--once", "-c", file], env);
      expect(r.code, `fault ${i}: ${r.stderr}`).toBe(3); // partial: the origin's batch was not built
      expect(r.stderr).toMatch(/step \d+ \(bridge\): across refused the transfer to chain 8453/);
      expect(r.stderr).toMatch(refusal);
      expect(api.faults).toHaveLength(0); // the quote was asked for, and refused
    }
    expect(await deposits(a)).toBe(before.deposits);
    expect(await nonces(a, account.address)).toEqual(before.nonce);
    expect(await txsFrom(b, account.address, 0n)).toBe(0);
  });

  it("deposits on ethereum, survives a SIGKILL before the fill without a second deposit, then supplies on base: every sleeve in band", async () => {
    await reseed();
    const file = writeConfig("rebalance");
    const start = { a: await a.publicClient.getBlockNumber(), b: await b.publicClient.getBlockNumber() };

    // The relayer holds back: the keeper is killed between the origin batch and the fill.
    relayer = startAcrossRelayer({ chains: [a, b], mode: "never", refundExpired: false });
    const first = startCli(["run", "-c", file], env);
    await waitFor(
      "the origin batch with its deposit",
      async () => (await depositedSince(start.a + 1n)).length > 0,
    );
    first.child.kill("SIGKILL");
    await first.done;
    const during = await status(file);
    // In flight: deposited (read from the batch's receipt, even if the killed keeper never marked it confirmed).
    expect(during.transfers.map((t) => t.status)).toEqual(["deposited"]);
    expect(during.transfers[0]!.line).toMatch(
      /^across [\d.]+ USDC ethereum → base deposit #\d+: deposited, \d+ s old, expected by /,
    );
    // The planner's cross-chain volume, from the plan the killed keeper journaled.
    const [plan, ...others] = await journaled(
      file,
      "SELECT json FROM plans WHERE id IN (SELECT plan_id FROM bridge_transfers)",
    );
    expect(others).toEqual([]);
    const [transfer, ...more] = (plan as { transfers: { amount: string; fromChainId: number }[] }).transfers;
    expect(more).toEqual([]);
    expect(transfer!.fromChainId).toBe(1);
    const navDuring = BigInt(during.navUsd);

    relayer.setMode("fill");
    const second = startCli(["run", "-c", file], env);
    try {
      await waitFor("the supply on base", async () => (await aUsdcOf(b)) > 0n, 90_000);
      await waitFor(
        "the keeper's base batch to settle",
        async () => (await status(file)).transfers.length === 0,
      );
    } finally {
      second.child.kill("SIGTERM");
      await second.done;
    }

    // One deposit, of the planner's cross-chain volume; one origin transaction, one destination transaction.
    const sent = await depositedSince(start.a + 1n);
    expect(sent).toHaveLength(1);
    const amount = BigInt(transfer!.amount);
    const diff = sent[0]!.args.inputAmount - amount;
    expect(diff < 0n ? -diff : diff).toBeLessThanOrEqual(amount / 1_000n);
    expect(await txsFrom(a, account.address, start.a)).toBe(1);
    expect(await txsFrom(b, account.address, start.b)).toBe(1);
    expect(relayer.deposits).toHaveLength(1);
    expect(relayer.errors).toEqual([]);

    // Read back from both chains: every sleeve in band; NAV kept (in transit it counted at the destination).
    const after = await status(file);
    expect(after.sleeves.filter((s) => s.outOfBand)).toEqual([]);
    const navAfter = BigInt(after.navUsd);
    expect(navAfter).toBeGreaterThan((navDuring * 9_990n) / 10_000n);
    expect(await aUsdcOf(b)).toBeGreaterThan(parseUnits("40000", 6));
  });

  it("a transfer that moves after its settle pass (here: filled) is seen by movedTransfer, which journals nothing", async () => {
    // A chain no open transfer touches may send (the others hold); the keeper first checks, after the chains' reads,
    // that no open transfer moved since its settle pass: else that cycle's NAV counted it twice or not at all.
    await reseed();
    const file = writeConfig("moved");
    relayer = startAcrossRelayer({ chains: [a, b], mode: "never", refundExpired: false });
    const config = loadConfig(file, env);
    const journal = await openJournal(config.keeper.journal);
    const runtime = buildRuntime(config, env, {
      store: journal.txStore,
      needKeys: true,
      pollingIntervalMs: 50,
    });
    const log = createLogger({ level: "silent", pretty: false });
    const k = { config, chains: runtime, journal, metrics: createMetrics(), log };
    const now = () => Math.floor(Date.now() / 1000);
    try {
      const first = await keeperCycle(k, { now: now(), execute: true });
      expect(first.sent.map((s) => `${s.key} ${s.status}`)).toEqual(["ethereum confirmed"]);
      const { transfers } = await settleTransfers(k, now());
      expect(transfers.map((t) => t.status)).toEqual(["deposited"]);
      expect(await movedTransfer(k, transfers, now())).toBeUndefined();

      relayer.setMode("fill");
      await relayer.waitFor({ originChainId: 1, depositId: transfers[0]!.event!.depositId });
      expect(await movedTransfer(k, transfers, now())).toMatch(
        /^bridge transfer \S+ moved while the chains were read \(filled\)/,
      );
      // It only read: the journal still has the transfer open, and the next settle pass finds it filled.
      expect((await settleTransfers(k, now())).transfers.map((t) => t.status)).toEqual(["filled"]);
    } finally {
      await journal.close();
    }
  });

  it("a deposit never filled: the refund is seen, the transfer leaves the in-flight ledger and is planned again, nothing lost", async () => {
    await reseed();
    const file = writeConfig("refund", { fillDeadline: "2m" });
    relayer = startAcrossRelayer({ chains: [a, b], mode: "never", refundExpired: true });
    const before = await usdcOf(a);
    const start = await a.publicClient.getBlockNumber();
    const first = await cli(["run", "--once", "-c", file], env);
    expect(first.code, first.stderr).toBe(0);
    const [deposit] = await depositedSince(start + 1n);
    expect(deposit).toBeDefined();
    const bridged = deposit!.args.inputAmount;
    expect(await usdcOf(a)).toBe(before - bridged);
    // Journaled before its batch; the next cycle reads the deposit from the batch's receipt.
    expect(await journaled(file, "SELECT json FROM bridge_transfers")).toMatchObject([
      { status: "journaled" },
    ]);

    // Past the deadline on both clocks: the relayer (the dataworker's role) refunds it on ethereum.
    const deadline = BigInt(deposit!.args.fillDeadline) + 1n;
    await Promise.all([advanceTimeTo(a, { timestamp: deadline }), advanceTimeTo(b, { timestamp: deadline })]);
    await relayer.waitFor({ originChainId: 1, depositId: deposit!.args.depositId, refunded: true }, 30_000);
    expect(await usdcOf(a)).toBe(before); // nothing lost: every unit is back

    // The next run sees the refund, clears the transfer and plans the move again: a second deposit.
    relayer.setMode("never");
    const again = await cli(["run", "--once", "-c", file], env);
    expect(again.code, again.stderr).toBe(0);
    const all = await depositedSince(start + 1n);
    expect(all).toHaveLength(2);
    const transfers = (await journaled(file, "SELECT json FROM bridge_transfers ORDER BY created_at")) as {
      status: string;
      life: { status: string }[];
    }[];
    expect(transfers.map((t) => t.status)).toEqual(["refunded", "journaled"]);
    expect(transfers[0]!.life.map((l) => l.status)).toEqual(["journaled", "deposited", "refunded"]);
    // `history` shows each transfer's life.
    const history = await cli(["history", "-c", file], env);
    expect(history.stdout).toMatch(
      /transfer .* USDC chain 1 → 8453 \(deposit #\d+\): journaled \+0s → deposited \+\d+s → refunded \+\d+s/,
    );
  });
});

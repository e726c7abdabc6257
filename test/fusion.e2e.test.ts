/**
 * Large swaps as 1inch Fusion orders, the keeper's cycles in process on two local chains: the real Limit Order
 * Protocol v4 + SimpleSettlement (compiled by the testkit, in the cached state), the testkit's Fusion API stand-in and
 * its resolver filling through `fillOrderArgs`. Balances and orders come from the chains and the stand-in.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildRuntime,
  createLogger,
  createMetrics,
  fromJson,
  type Keeper,
  keeperCycle,
  loadConfig,
  openJournal,
  renderPlan,
} from "@ballast/keeper";
import { testkitChainYaml } from "@ballast/keeper/demo";
import {
  ANVIL_PRIVATE_KEYS,
  advanceTimeTo,
  type FusionApi,
  type FusionApiFault,
  fund,
  startFusionApi,
  startFusionResolver,
  startTestChain,
  TEST_ACCOUNT_INDEX,
  type TestChain,
  testAccounts,
} from "@ballast/testkit";
import { type Address, erc20Abi, parseUnits } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli } from "./cli.ts";
import { waitFor, withLogOnError } from "./helpers.ts";

const account = testAccounts.keeper;
const env = { BALLAST_DEMO_KEY: ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX.keeper] as string };

let a: TestChain; // ethereum (1): all WETH, half of it to sell (~$30k): a Fusion order
let b: TestChain; // base (8453): USDC, in band
let api: FusionApi;
let dir: string;
let seeded: { a: `0x${string}`; b: `0x${string}` };

type OrderRow = { status: string; signed?: { orderHash: string }; deadline?: number; filledOut?: bigint };

function writeConfig(name: string): string {
  const file = join(dir, `${name}.yaml`);
  const fusion = `    swap: [uniswap-v3, 1inch]
    oneInch: { baseUrl: "${api.url}", fusion: { url: "${api.url}", settlements: ["${a.deployment.fusion.settlement}"] } }
`;
  const chain = (key: string, c: TestChain) => testkitChainYaml(key, c, { keyVar: "BALLAST_DEMO_KEY" });
  writeFileSync(
    file,
    `chains:
${chain("ethereum", a).replace("    swap: [uniswap-v3]\n", fusion)}${chain("base", b)}policy:
  sleeves:
    - { id: eth-weth,  chain: ethereum, kind: token, asset: WETH, weight: 25% }
    - { id: eth-usdc,  chain: ethereum, kind: token, asset: USDC, weight: 25% }
    - { id: base-usdc, chain: base,     kind: token, asset: USDC, weight: 50% }
  bands: { absolute: 2%, relative: 10% }
  cooldown: 0s
  minTrade: 50 USD
  maxSlippage: 1%
  maxValueLoss: 1%
  maxCostOfDriftRemoved: 20%
  fusion: { aboveUsd: 10000 USD, preset: fast, maxWait: 1h, retry: atomic }
keeper:
  tick: 1s
  journal: ${join(dir, `${name}.db`)}
  listen: 127.0.0.1:0
  confirmTimeout: 30s
`,
  );
  return file;
}

/** The keeper as `ballast run` builds it, on a fresh journal handle (a restart is a new one on the same file). */
async function openKeeper(file: string): Promise<Keeper> {
  const config = loadConfig(file, env);
  const journal = await openJournal(config.keeper.journal);
  const chains = buildRuntime(config, env, { store: journal.txStore, needKeys: true, pollingIntervalMs: 50 });
  return {
    config,
    chains,
    journal,
    metrics: createMetrics(),
    log: createLogger({ level: "silent", pretty: false }),
  };
}

const orders = async (k: Pick<Keeper, "journal">) =>
  (await k.journal.sql.all<{ json: string }>("SELECT json FROM swap_orders ORDER BY created_at")).map((r) =>
    fromJson<OrderRow>(r.json),
  );
/** The orders a config's journal holds, read on a handle of its own (a `ballast run` process may be writing it). */
async function journaledOrders(name: string): Promise<OrderRow[]> {
  const journal = await openJournal(join(dir, `${name}.db`));
  try {
    return await orders({ journal });
  } finally {
    await journal.close();
  }
}
const balance = (c: TestChain, token: Address) =>
  c.publicClient.readContract({
    address: token,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [account.address],
  });
const wethOf = () => balance(a, a.deployment.tokens.WETH.address);
const usdcOf = () => balance(a, a.deployment.tokens.USDC.address);
const now = () => Math.floor(Date.now() / 1000);
const outOfBand = (r: Awaited<ReturnType<typeof keeperCycle>>) =>
  r.result.state?.sleeves.filter((s) => s.outOfBand).map((s) => s.sleeve.id);

beforeAll(async () => {
  [a, b] = await Promise.all([startTestChain({ chainId: 1 }), startTestChain({ chainId: 8453 })]);
  for (const c of [a, b])
    await fund(c, { account: account.address, token: "ETH", amount: parseUnits("10", 18) });
  await fund(a, { account: account.address, token: "WETH", amount: parseUnits("20", 18) });
  await fund(b, { account: account.address, token: "USDC", amount: parseUnits("60000", 6) });
  api = await startFusionApi({ chains: [a, b] });
  dir = mkdtempSync(join(tmpdir(), "ballast-fusion-"));
  seeded = { a: await a.testClient.snapshot(), b: await b.testClient.snapshot() };
});

afterAll(async () => {
  await api?.close();
  await Promise.all([a?.stop(), b?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Both chains back to the seeded portfolio; the SDK times orders by the host clock, so the chain's follows it. */
async function reseed() {
  await Promise.all([a.testClient.revert({ id: seeded.a }), b.testClient.revert({ id: seeded.b })]);
  seeded = { a: await a.testClient.snapshot(), b: await b.testClient.snapshot() };
  await advanceTimeTo(a, { timestamp: BigInt(now()) });
}

describe("ballast routes a large swap as a 1inch Fusion order", () => {
  it("batch (the exact approval) confirms, the order is placed, the resolver fills it, the next cycle finds every sleeve in band", async () => {
    await reseed();
    const k = await openKeeper(writeConfig("fill"));
    let resolver: ReturnType<typeof startFusionResolver> | undefined;
    try {
      const weth = await wethOf();
      const first = await keeperCycle(k, { now: now(), execute: true });
      expect(first.sent.map((s) => `${s.key} ${s.status}`)).toEqual(["ethereum confirmed"]);
      expect(first.result.batches[0]!.orders).toHaveLength(1);
      // The plan table names the leg's route, its amounts and when it completes (`plan`, `run --once`).
      const swap = first.result.plan!.chains[0]!.legs.find((l) => l.type === "swap")!;
      expect(renderPlan(first.result)).toMatch(
        new RegExp(
          `\\nSwap orders \\(signed and placed once the batch confirms; the swap is not in the batch\\)\\nchain +step +route +amount in +min out +usd +completes\\n-+.*\\n1 +${swap.step} +1inch Fusion order +[\\d.]+ WETH +[\\d,.]+ USDC +\\$[\\d,.]+ +a later cycle\\n`,
        ),
      );
      expect(await wethOf()).toBe(weth); // nothing sold in the batch
      // Cycle 2 settles it: built, verified, signed, journaled, submitted — then in flight, the chain holds.
      const second = await keeperCycle(k, { now: now(), execute: true });
      expect(second.orders.map((o) => o.status)).toEqual(["submitted"]);
      expect(second.sent).toEqual([]);
      const [order] = await orders(k);
      expect(api.orders.map((o) => o.orderHash)).toEqual([order!.signed!.orderHash.toLowerCase()]);
      // The resolver starts once the keeper saw the order open (a fill before its first poll would skip `submitted`).
      resolver = startFusionResolver({ chains: [a], api: api.url });
      const fill = await resolver.waitFor(order!.signed!.orderHash as `0x${string}`, 60_000);
      // Cycle 3 sees the fill; nothing is out of band, nothing is sent.
      const third = await keeperCycle(k, { now: now(), execute: true });
      expect(third.orders.map((o) => o.status)).toEqual(["filled"]);
      expect(third.orders[0]!.filledOut).toBe(fill.takingAmount);
      expect(await usdcOf()).toBe(fill.takingAmount);
      expect(outOfBand(third)).toEqual([]);
      expect(third.sent).toEqual([]);
      expect(resolver.errors).toEqual([]);
      // `history`: the order's life with its hash and what was received.
      const [row] = (await k.journal.history(50)).filter((h) => h.kind === "order");
      expect(row!.summary).toMatch(
        new RegExp(
          `^1inch-fusion [\\d.]+ WETH → USDC ${order!.signed!.orderHash}: journaled \\+0s → signed \\+\\d+s → submitted \\+\\d+s → filled \\+\\d+s \\(received [\\d.]+ USDC\\)$`,
        ),
      );
    } finally {
      await resolver?.stop();
      await k.journal.close();
    }
  });

  it("an order never filled expires, is cleared, and the swap is re-planned atomically: nothing lost", async () => {
    await reseed();
    const k = await openKeeper(writeConfig("expire"));
    try {
      await keeperCycle(k, { now: now(), execute: true });
      await keeperCycle(k, { now: now(), execute: true });
      const [order] = await orders(k);
      expect(order!.status).toBe("submitted");
      const weth = await wethOf();
      // Past its own expiry: the contract refuses every fill, the keeper clears it and swaps atomically (uniswap).
      const after = await keeperCycle(k, { now: order!.deadline! + 1, execute: true });
      expect(after.orders.map((o) => o.status)).toEqual(["expired"]);
      expect(after.result.batches[0]!.orders).toEqual([]);
      expect(after.sent.map((s) => `${s.key} ${s.status}`)).toEqual(["ethereum confirmed"]);
      expect(await wethOf()).toBeLessThan(weth);
      expect(await usdcOf()).toBeGreaterThan(0n);
      expect((await orders(k)).map((o) => o.status)).toEqual(["expired"]);
    } finally {
      await k.journal.close();
    }
  });

  it("signed and journaled, not yet accepted by the relayer: a restarted keeper submits that same order once", async () => {
    await reseed();
    const file = writeConfig("restart");
    const k = await openKeeper(file);
    let resolver: ReturnType<typeof startFusionResolver> | undefined;
    try {
      await keeperCycle(k, { now: now(), execute: true });
      // The relayer's answers are lost (it may have the order, the keeper cannot know): signed and journaled only.
      const lost: FusionApiFault = (req, reply) => {
        api.faults.unshift(lost);
        return req.path.includes("/relayer/") ? { status: 503, json: { message: "unavailable" } } : reply;
      };
      api.faults.push(lost);
      await keeperCycle(k, { now: now(), execute: true });
      const [signed] = await orders(k);
      expect(signed!.status).toBe("signed");
      await k.journal.close();
      api.faults.length = 0;
      // A new process on the same journal: submits the journaled order (same hash), signs nothing new.
      const again = await openKeeper(file);
      try {
        const next = await keeperCycle(again, { now: now(), execute: true });
        expect(next.orders.map((o) => o.status)).toEqual(["submitted"]);
        expect(api.orders.map((o) => o.orderHash)).toEqual([signed!.signed!.orderHash.toLowerCase()]);
        resolver = startFusionResolver({ chains: [a], api: api.url });
        await resolver.waitFor(signed!.signed!.orderHash as `0x${string}`, 60_000);
        expect((await keeperCycle(again, { now: now(), execute: true })).orders.map((o) => o.status)).toEqual(
          ["filled"],
        );
        expect(await orders(again)).toHaveLength(1);
      } finally {
        await again.journal.close();
      }
    } finally {
      await resolver?.stop();
      api.faults.length = 0;
    }
  });

  it("`ballast run` SIGKILLed after signing, before the relayer has the order: the restarted process submits it once", async () => {
    await reseed();
    const file = writeConfig("sigkill");
    const statuses = async () => (await journaledOrders("sigkill")).map((o) => o.status);
    // The submission is lost on its way (never accepted, never answered) and the process is killed while it waits.
    const lost = api.loseNextSubmit();
    const first = startCli(["run", "-c", file], env);
    const exited = first.done.then((r) =>
      Promise.reject(new Error(`ballast run exited (${r.code}) before submitting`)),
    );
    await withLogOnError(first, () => Promise.race([lost, exited]));
    first.child.kill("SIGKILL");
    await first.done;
    const [signed] = await journaledOrders("sigkill");
    expect(signed!.status).toBe("signed");
    const hash = signed!.signed!.orderHash as `0x${string}`;
    const relayed = () =>
      api.orders.filter((o) => o.orderHash === hash.toLowerCase()).map((o) => o.submissions);
    expect(relayed()).toEqual([]);

    const second = startCli(["run", "-c", file], env);
    const resolver = startFusionResolver({ chains: [a], api: api.url });
    try {
      await withLogOnError(second, async () => {
        await waitFor("the order filled on chain", async () => (await usdcOf()) > 0n);
        await waitFor("the keeper to see it filled", async () => (await statuses()).includes("filled"));
      });
    } finally {
      second.child.kill("SIGTERM");
      await second.done;
      await resolver.stop();
    }
    // One order (the journaled one, same hash), submitted once, filled; nothing else signed.
    expect(relayed()).toEqual([1]);
    expect(await statuses()).toEqual(["filled"]);
    expect(resolver.errors).toEqual([]);
    const k = await openKeeper(file);
    try {
      const after = await keeperCycle(k, { now: now(), execute: false });
      expect(outOfBand(after)).toEqual([]);
    } finally {
      await k.journal.close();
    }
  });
});

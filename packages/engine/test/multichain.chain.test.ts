import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { AcrossQuoteMismatchError, acrossBridge, createAcrossClient } from "@ballast/across";
import { ChainMismatchError, createChainClients } from "@ballast/chain";
import { assetId, type SleeveLeg } from "@ballast/core";
import {
  setPrice,
  startAcrossApi,
  startAcrossRelayer,
  startRpcProxy,
  type TestChain,
  testAccounts,
} from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { createPublicClient, http } from "viem";
import { describe, expect, it, vi } from "vitest";
import {
  ChainFetchError,
  LegRealizationError,
  landingSleeveId,
  type PolicyRules,
  runCycle,
  type SleeveSpec,
} from "../src/index.ts";
import { aaveSupplyBorrow, balanceOf, give, lpIdsOf, setupFor, usdc, WAD, weth, withLp } from "./helpers.ts";

const eth = useTestChain({ chainId: 1 });
const base = useTestChain({ chainId: 8453 });
const owner = testAccounts.carol;

const rules: PolicyRules = {
  bands: { absoluteBps: 500, relativeBps: 2500 },
  rebalanceTo: "target",
  minTradeUsd: 100n * WAD,
  maxSlippageBps: 100,
  maxValueLossBps: 100,
};
const sleeves = (w: [number, number, number, number]): SleeveSpec[] => [
  { id: "eth-weth", chain: "ethereum", kind: "token", asset: "WETH", weightBps: w[0] },
  { id: "eth-usdc-aave", chain: "ethereum", kind: "aave-supply", asset: "USDC", weightBps: w[1] },
  { id: "base-usdc", chain: "base", kind: "token", asset: "USDC", weightBps: w[2] },
  { id: "base-usdc-aave", chain: "base", kind: "aave-supply", asset: "USDC", weightBps: w[3] },
];

/** ethereum: 10 WETH idle ($30k) + 20k USDC on Aave; base: 10k USDC idle + 40k USDC on Aave. NAV $100k. */
async function seed() {
  await give(eth, owner.address, "WETH", weth(10));
  await give(eth, owner.address, "USDC", usdc(20_000));
  await aaveSupplyBorrow(eth, owner, { token: eth.deployment.tokens.USDC.address, amount: usdc(20_000) });
  await give(base, owner.address, "USDC", usdc(50_000));
  await aaveSupplyBorrow(base, owner, { token: base.deployment.tokens.USDC.address, amount: usdc(40_000) });
}

const nowOf = async () => Number((await eth.publicClient.getBlock()).timestamp);

async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

/** Both chains' setups, each with the real SpokePool as its bridge, quoted by the Across API stand-in at `url`. */
function bridgedSetups(url: string) {
  const client = createAcrossClient({ baseUrl: url, retries: 0 });
  const bridge = (c: TestChain) =>
    acrossBridge({
      client,
      chainId: c.chainId,
      publicClient: c.publicClient,
      spokePool: c.deployment.across.spokePool,
      tokens: [c.deployment.tokens.USDC.address],
      maxFeeBps: 20,
    });
  return [
    setupFor(eth, "ethereum", owner, { bridge: bridge(eth) }),
    setupFor(base, "base", owner, { bridge: bridge(base) }),
  ];
}

describe("runCycle over two chains (1 and 8453)", () => {
  it("values NAV across both chains and moves USDC within base without a swap or a transfer", async () => {
    await seed();
    const chains = [setupFor(eth, "ethereum", owner), setupFor(base, "base", owner)];
    const r = await runCycle({
      chains,
      sleeves: sleeves([3000, 2000, 2500, 2500]),
      rules,
      now: await nowOf(),
    });
    expect(r.error).toBeNull();
    expect(r.chainErrors).toEqual([]);
    expect(r.snapshot.chains.map((c) => c.chainId)).toEqual([1, 8453]);

    // NAV across both chains = what the tokens and aTokens on both chains are worth (oracle: ETH $3,000, USDC $1).
    const [b1, b2] = r.snapshot.chains.map((c) => c.blockNumber) as [bigint, bigint];
    const d1 = eth.deployment;
    const d2 = base.deployment;
    const navOnChain =
      (await balanceOf(eth, d1.tokens.WETH.address, owner.address, b1)) * 3_000n +
      ((await balanceOf(eth, d1.aave.reserves.USDC.aToken, owner.address, b1)) +
        (await balanceOf(base, d2.tokens.USDC.address, owner.address, b2)) +
        (await balanceOf(base, d2.aave.reserves.USDC.aToken, owner.address, b2))) *
        10n ** 12n;
    expect(r.state!.navUsd).toBe(navOnChain);
    expect(r.state!.navUsd / WAD).toBe(100_000n);

    // The plan: base withdraws USDC from Aave into idle USDC — same asset, no swap, no transfer, ethereum untouched.
    const plan = r.plan!;
    expect(r.decision?.fire).toBe(true);
    expect(plan.scope).toBe("global");
    expect(plan.transfers).toEqual([]);
    expect(plan.chains.flatMap((c) => c.legs).some((l) => l.type === "swap")).toBe(false);
    expect(plan.chains.filter((c) => c.legs.length > 0).map((c) => c.chainId)).toEqual([8453]);
    const legs = plan.chains.find((c) => c.chainId === 8453)!.legs as SleeveLeg[];
    expect(legs.map((l) => [l.sleeveId, l.action])).toEqual([
      ["base-usdc-aave", "withdraw"],
      ["base-usdc", "buy-hold"],
    ]);
    expect(r.batches.map((b) => b.chainId)).toEqual([8453]);
    const batch = r.batches[0]!;
    expect(batch.ok).toBe(true);
    expect(batch.calls).toHaveLength(1); // Pool.withdraw; buy-hold needs no call
    expect(batch.calls[0]!.to).toBe(d2.aave.pool);

    const before = await balanceOf(base, d2.tokens.USDC.address, owner.address);
    await chains[1]!.executor.execute(batch.calls, { planId: plan.id, guards: batch.guards });
    const withdrawn = (await balanceOf(base, d2.tokens.USDC.address, owner.address)) - before;
    expect(withdrawn).toBe(legs[0]!.amounts[0]!.amount);

    const next = await runCycle({
      chains,
      sleeves: sleeves([3000, 2000, 2500, 2500]),
      rules,
      now: await nowOf(),
    });
    expect(next.state!.sleeves.every((s) => !s.outOfBand)).toBe(true);
    expect(next.decision?.fire).toBe(false);
    expect(next.batches).toEqual([]);
  });

  it("bridges what must cross: the sending chain's batch ends with approve + SpokePool deposit, the receiving chain waits", async () => {
    await seed();
    const api = await startAcrossApi({ chains: [eth, base] });
    try {
      const chains = bridgedSetups(api.url);
      const specs = sleeves([3000, 1000, 3500, 2500]); // ethereum must shrink from 50% to 40% of NAV
      const r = await runCycle({ chains, sleeves: specs, rules, now: await nowOf() });
      expect(r.stage, r.chainErrors.map((e) => e.error.message).join("; ")).toBe("simulated");
      const [t, ...more] = r.plan!.transfers;
      expect(more).toEqual([]);
      expect([t!.symbol, t!.fromChainId, t!.toChainId]).toEqual(["USDC", 1, 8453]);
      // Only the sender has a batch; base's supply waits for the fill (a later cycle).
      expect(r.batches.map((b) => b.chainId)).toEqual([1]);
      expect(r.warnings.some((w) => /"base".*awaits a cross-chain transfer/.test(w))).toBe(true);
      const [b] = r.batches;
      expect(b!.ok, b!.error?.message).toBe(true);
      const [deposit] = b!.bridges;
      expect(b!.bridges).toHaveLength(1);
      expect(deposit!.amountIn).toBeLessThanOrEqual(t!.amount);
      expect(deposit!.amountIn).toBeGreaterThan((t!.amount * 99n) / 100n);
      expect(deposit!.amountOut).toBeGreaterThanOrEqual((t!.expectedReceived * 99n) / 100n);
      const spoke = eth.deployment.across.spokePool;
      expect(b!.calls.slice(-2).map((c) => c.to)).toEqual([eth.deployment.tokens.USDC.address, spoke]);
      expect(b!.realized.at(-1)).toMatchObject({ action: "bridge", step: b!.legs.length + 1 });

      // A quote naming another SpokePool is refused: the chain gets no batch, the error names the bridge step.
      api.faults.push((_req, honest) => ({
        ...honest,
        json: { ...(honest.json as object), spokePoolAddress: base.deployment.tokens.WETH.address },
      }));
      const hostile = await runCycle({ chains, sleeves: specs, rules, now: await nowOf() });
      expect(hostile.batches).toEqual([]);
      const [e] = hostile.chainErrors;
      expect(e!.error).toBeInstanceOf(LegRealizationError);
      expect(e!.error.walk()).toBeInstanceOf(AcrossQuoteMismatchError);
    } finally {
      await api.close();
    }

    // Without bridges: no route, so each chain rebalances alone, a batch per chain that has calls.
    const plain = [setupFor(eth, "ethereum", owner), setupFor(base, "base", owner)];
    const alone = await runCycle({
      chains: plain,
      sleeves: sleeves([3000, 1000, 3500, 2500]),
      rules,
      now: await nowOf(),
    });
    expect(alone.plan!.scope).toBe("per-chain");
    expect(alone.transfers).toEqual([]);
    expect(alone.batches.length).toBeGreaterThan(0);
    expect(alone.batches.every((b) => b.ok)).toBe(true);
  });

  it("a transfer into a chain with no token sleeve of the asset lands in a 0% landing sleeve: bridged once, then supplied", async () => {
    await seed();
    const usdcBase = base.deployment.tokens.USDC.address;
    await aaveSupplyBorrow(base, owner, { token: usdcBase, amount: usdc(10_000) }); // base: 50k on Aave, nothing idle
    const api = await startAcrossApi({ chains: [eth, base] });
    const relayer = startAcrossRelayer({ chains: [eth, base], mode: "never" });
    try {
      const chains = bridgedSetups(api.url);
      // USDC on base is only an Aave supply sleeve; ethereum must move $15k of its Aave USDC there.
      const specs: SleeveSpec[] = [
        { id: "eth-weth", chain: "ethereum", kind: "token", asset: "WETH", weightBps: 3000 },
        { id: "eth-usdc-aave", chain: "ethereum", kind: "aave-supply", asset: "USDC", weightBps: 500 },
        { id: "base-usdc-aave", chain: "base", kind: "aave-supply", asset: "USDC", weightBps: 6500 },
      ];
      const cycle = (extra: Partial<Parameters<typeof runCycle>[0]> = {}) =>
        nowOf().then((now) => runCycle({ chains, sleeves: specs, rules, now, ...extra }));
      const landing = landingSleeveId("base", "USDC");

      const sent = await cycle();
      expect(sent.plan!.transfers.map((t) => [t.symbol, t.fromChainId, t.toChainId])).toEqual([
        ["USDC", 1, 8453],
      ]);
      const [batch] = sent.batches;
      expect(batch!.ok, batch!.error?.message).toBe(true);
      await chains[0]!.executor.execute(batch!.calls, { planId: sent.plan!.id, guards: batch!.guards });
      const arriving = batch!.bridges[0]!.amountOut;

      // In flight: the amount is base's (a landing sleeve claims it), NAV counts it, nothing is bridged again.
      const inFlight = [
        {
          kind: "bridge" as const,
          chainId: 1,
          toChainId: 8453,
          sender: owner.address,
          planId: sent.plan!.id,
          detail: "across",
        },
      ];
      const transit = [{ id: "1", chainId: 8453, token: usdcBase, amount: arriving }];
      const waiting = await cycle({ inTransit: transit, inFlight });
      expect(waiting.plan?.transfers ?? []).toEqual([]);
      expect(waiting.state!.unmanagedUsd).toBe(0n);
      expect(
        waiting.state!.sleeves.find((s) => s.sleeve.id === landing)?.units.get(assetId(8453, usdcBase)),
      ).toBe(arriving);
      expect(waiting.batches).toEqual([]);

      // Filled: the next cycle supplies what arrived on base, and bridges nothing.
      relayer.setMode("fill");
      await vi.waitFor(() => expect(relayer.deposits.some((d) => d.fill)).toBe(true), {
        timeout: 15_000,
        interval: 50,
      });
      const placed = await cycle();
      expect(placed.plan!.transfers).toEqual([]);
      expect(placed.batches.map((b) => b.chainId)).toEqual([8453]);
      const supply = placed
        .plan!.chains.flatMap((c) => c.legs as SleeveLeg[])
        .find((l) => l.sleeveId === "base-usdc-aave");
      expect([supply?.action, supply?.amounts[0]?.amount]).toEqual(["supply", arriving]);
      const [place] = placed.batches;
      expect(place!.ok, place!.error?.message).toBe(true);
      await chains[1]!.executor.execute(place!.calls, { planId: placed.plan!.id, guards: place!.guards });

      // Placed: in band, no landing sleeve left (nothing idle on base), still one deposit.
      const after = await cycle();
      expect(after.decision?.fire).toBe(false);
      expect(after.state!.sleeves.map((s) => s.sleeve.id)).toEqual(specs.map((s) => s.id));
      expect(await balanceOf(base, usdcBase, owner.address)).toBe(0n);
      expect(relayer.deposits).toHaveLength(1);
      expect(relayer.errors).toEqual([]);
    } finally {
      await relayer.stop();
      await api.close();
    }
  });

  it("names a chain whose RPC is dead in chainErrors, plans nothing, and does not throw", async () => {
    await seed();
    const dead = createPublicClient({
      chain: base.chain,
      transport: http(await deadUrl(), { retryCount: 0 }),
    });
    const chains = [
      setupFor(eth, "ethereum", owner),
      withLp(setupFor(base, "base", owner, { client: dead }), { tokenIds: [7n] }),
    ];
    const started = performance.now();
    const r = await runCycle({
      chains,
      sleeves: sleeves([3000, 2000, 2500, 2500]),
      rules,
      now: await nowOf(),
    });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(r.stage).toBe("read-failed"); // no previous read of the dead chain: nothing valued
    expect(r.chainErrors).toHaveLength(1);
    expect(r.chainErrors[0]!.key).toBe("base");
    expect(r.chainErrors[0]!.chainId).toBe(8453);
    expect(r.chainErrors[0]!.error).toBeInstanceOf(ChainFetchError);
    expect(r.snapshot.chains.map((c) => c.chainId)).toEqual([1]); // the live chain was still read
    expect(r.snapshot.chains[0]!.holdings.length).toBeGreaterThan(0);
    expect([r.state, r.decision, r.plan, r.error]).toEqual([null, null, null, null]);
    expect(r.batches).toEqual([]);
    expect({ 1: lpIdsOf(r.hints[1]), 8453: lpIdsOf(r.hints[8453]) }).toEqual({ 1: [], 8453: [7n] }); // the dead chain's known ids are kept for the next cycle
  });

  it("a chain whose RPC reconnects serving another chain is stopped: its error names the URL and both ids", async () => {
    await seed();
    const proxy = await startRpcProxy(base.rpcUrl);
    try {
      const clients = createChainClients({ chain: 8453, rpcUrls: [proxy.url], cooldownMs: 1 });
      const chains = [
        setupFor(eth, "ethereum", owner),
        setupFor(base, "base", owner, { client: clients.public }),
      ];
      const specs = sleeves([3000, 2000, 1000, 4000]);
      expect((await runCycle({ chains, sleeves: specs, rules, now: await nowOf() })).chainErrors).toEqual([]);
      proxy.setTarget(await deadUrl());
      await clients.public.getBlockNumber().catch(() => undefined);
      proxy.setTarget(eth.rpcUrl); // the provider's node came back on chain 1
      const r = await runCycle({ chains, sleeves: specs, rules, now: await nowOf() });
      expect(r.chainErrors.map((e) => e.key)).toEqual(["base"]);
      const err = r.chainErrors[0]?.error;
      expect(err).toBeInstanceOf(ChainMismatchError);
      expect(err?.shortMessage).toBe(`RPC ${proxy.url} serves chain 1, expected 8453 after reconnecting.`);
    } finally {
      await proxy.stop();
    }
  });

  it("with the dead chain's previous read, still rebalances the live chain (and sends nothing to the dead one)", async () => {
    await seed();
    const live = [setupFor(eth, "ethereum", owner), setupFor(base, "base", owner)];
    const specs = sleeves([3000, 2000, 1000, 4000]); // the seeded portfolio exactly
    const first = await runCycle({ chains: live, sleeves: specs, rules, now: await nowOf() });
    expect(first.decision?.fire).toBe(false);
    expect(Object.keys(first.fetches).map(Number).sort()).toEqual([1, 8453]);

    // ethereum drifts inside its own chain (WETH −40%): its WETH sleeve falls out of band.
    await setPrice(eth, { asset: "WETH", usdPrice: 1_800n * 10n ** 8n });
    const dead = createPublicClient({
      chain: base.chain,
      transport: http(await deadUrl(), { retryCount: 0 }),
    });
    const chains = [live[0]!, setupFor(base, "base", owner, { client: dead })];
    const r = await runCycle({
      chains,
      sleeves: specs,
      rules,
      now: await nowOf(),
      previousFetches: first.fetches,
    });
    expect(r.chainErrors.map((e) => e.key)).toEqual(["base"]);
    expect(r.staleChains).toEqual([8453]);
    expect(r.decision?.fire).toBe(true);
    expect(r.plan?.scope).toBe("per-chain");
    expect(r.batches.map((b) => b.chainId)).toEqual([1]);
    expect(r.batches[0]!.ok).toBe(true);
    expect(r.fetches[8453]).toBeUndefined(); // only fresh reads are handed back
    expect(r.warnings.some((w) => /valued from its read at block/.test(w))).toBe(true);
  });
});

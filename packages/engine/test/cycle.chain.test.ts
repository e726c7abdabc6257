import {
  createChainClients,
  GuardViolationError,
  RpcRequestError,
  SimulationFailedError,
} from "@ballast/chain";
import { assetId, healthFactors, type SleeveLeg, type SwapLeg, type SwapVenue } from "@ballast/core";
import { getPool, setPrice, startRpcProxy, testAccounts } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { poolAbi, positionManagerAbi, rangeAround, uniswapV3Venue } from "@ballast/uniswap-v3";
import { type Address, decodeFunctionData, encodeFunctionData, erc20Abi } from "viem";
import { describe, expect, it } from "vitest";
import { NoSwapVenueError, type PolicyRules, runCycle, type SleeveSpec } from "../src/index.ts";
import {
  aaveSupplyBorrow,
  allowance,
  balanceOf,
  give,
  healthFactorOnChain,
  lpAmountsOnChain,
  lpIdsOf,
  lpKeysOf,
  lpPositionsOnChain,
  mintLp,
  sendAway,
  setupFor,
  usdc,
  WAD,
  weth,
  withLp,
} from "./helpers.ts";

const chain = useTestChain({ chainId: 1 });
const owner = testAccounts.alice;

const FLOOR = (18n * WAD) / 10n;
const rules: PolicyRules = {
  bands: { absoluteBps: 500, relativeBps: 2500 },
  rebalanceTo: "target",
  minTradeUsd: 100n * WAD,
  maxSlippageBps: 100,
  maxValueLossBps: 100,
  healthFactorFloorWad: FLOOR,
};
const sleeves: SleeveSpec[] = [
  { id: "eth-idle", chain: "ethereum", kind: "token", asset: "WETH", weightBps: 2500 },
  { id: "usdc-idle", chain: "ethereum", kind: "token", asset: "USDC", weightBps: 1500 },
  { id: "eth-aave", chain: "ethereum", kind: "aave-supply", asset: "WETH", weightBps: 5000 },
  { id: "usdc-debt", chain: "ethereum", kind: "aave-borrow", asset: "USDC", weightBps: -2000 },
  {
    id: "eth-usdc-lp",
    chain: "ethereum",
    kind: "uniswap-v3-lp",
    pool: "WETH/USDC/500",
    rangeBps: 1000,
    weightBps: 3000,
  },
];

/** $100k at ETH $3,000: 25% idle WETH, 15% idle USDC, 50% WETH on Aave, −20% USDC debt, 30% WETH/USDC LP ±10%. */
async function seed() {
  const d = chain.deployment;
  await give(chain, owner.address, "WETH", weth(30));
  await give(chain, owner.address, "USDC", usdc(40_000));
  await mintLp(chain, owner, { wethMax: weth(5), usdcMax: usdc(20_000), rangeBps: 1000 });
  await aaveSupplyBorrow(
    chain,
    owner,
    { token: d.tokens.WETH.address, amount: weth(16.666667) },
    { token: d.tokens.USDC.address, amount: usdc(20_000) },
  );
  const idle = await balanceOf(chain, d.tokens.USDC.address, owner.address);
  await sendAway(chain, owner, d.tokens.USDC.address, idle - usdc(15_000));
}

const now = async () => Number((await chain.publicClient.getBlock()).timestamp);
const read = (address: `0x${string}`, blockNumber: bigint) =>
  balanceOf(chain, address, owner.address, blockNumber);
const near = (a: bigint, b: bigint, tol: bigint) => (a > b ? a - b : b - a) <= tol;

describe("runCycle on one chain (wallet, Aave supply + borrow, Uniswap LP)", () => {
  it("holds in band; after ETH −25% fires, simulates, executes as ONE 7702 transaction, and lands in band", async () => {
    await seed();
    const d = chain.deployment;
    const setup = setupFor(chain, "ethereum", owner);

    // 1. In band: the engine holds, and what it read is what the protocols say.
    const first = await runCycle({ chains: [setup], sleeves, rules, now: await now() });
    expect(first.error).toBeNull();
    expect(first.chainErrors).toEqual([]);
    expect(first.decision?.fire).toBe(false);
    expect(first.stage).toBe("hold");
    expect(first.decision?.reasons.find((r) => r.rule === "band")?.fired).toBe(false);
    expect(first.plan).toBeNull();
    expect(first.batches).toEqual([]);
    const state = first.state!;
    const block = first.snapshot.chains[0]!.blockNumber;
    const [lp] = await lpPositionsOnChain(chain, owner.address, block);
    expect(lpIdsOf(first.hints[1])).toEqual([lp!.tokenId]);
    // NAV from the chain, independently: balances, aToken and debt-token balances, the LP's burn+collect payout.
    const aWeth = await read(d.aave.reserves.WETH.aToken, block);
    const debt = await read(d.aave.reserves.USDC.variableDebtToken, block);
    const lpOut = await lpAmountsOnChain(chain, owner.address, lp!.tokenId, block);
    const wethIdle = await read(d.tokens.WETH.address, block);
    const usdcIdle = await read(d.tokens.USDC.address, block);
    const eth = 3_000n;
    const navOnChain =
      (wethIdle + aWeth + lpOut.amount0) * eth + (usdcIdle + lpOut.amount1 - debt) * 10n ** 12n;
    expect(near(state.navUsd, navOnChain, 10n ** 6n)).toBe(true);
    expect(Number(state.navUsd / WAD)).toBeGreaterThan(99_000);
    const units = (id: string) => state.sleeves.find((s) => s.sleeve.id === id)!.units;
    expect(units("eth-aave").get(assetId(1, d.tokens.WETH.address))).toBe(aWeth);
    expect(units("usdc-debt").get(assetId(1, d.tokens.USDC.address))).toBe(-debt);
    expect(units("eth-usdc-lp").get(assetId(1, d.tokens.WETH.address))).toBe(lpOut.amount0);
    expect(units("eth-usdc-lp").get(assetId(1, d.tokens.USDC.address))).toBe(lpOut.amount1);
    const hf = healthFactors(state)[0]!.healthFactorWad!;
    expect(near(hf, await healthFactorOnChain(chain, owner.address), hf / 10_000n)).toBe(true);

    // 2. ETH −25%: bands and the health factor fire; the batch simulates.
    await setPrice(chain, { asset: "WETH", usdPrice: 2_250n * 10n ** 8n });
    expect(await healthFactorOnChain(chain, owner.address)).toBeLessThan(FLOOR);
    const cycle = { sleeves, rules };
    const second = await runCycle({
      ...cycle,
      chains: [withLp(setup, { keys: lpKeysOf(first.hints[1]) })],
      now: await now(),
    });
    expect(second.error).toBeNull();
    expect(second.decision?.fire).toBe(true);
    expect(second.stage).toBe("simulated");
    const fired = second.decision!.reasons.filter((r) => r.fired).map((r) => r.rule);
    expect(fired).toEqual(expect.arrayContaining(["band", "health-factor"]));
    const plan = second.plan!;
    expect(second.batches).toHaveLength(1);
    const batch = second.batches[0]!;
    expect(batch.error).toBeUndefined();
    expect(batch.ok).toBe(true);
    // Calls are the realized legs' calls in leg order; every swap was quoted at or above its minOut.
    expect(batch.calls).toEqual(batch.realized.flatMap((r) => r.calls));
    expect(batch.realized.map((r) => r.step)).toEqual(plan.chains[0]!.legs.map((l) => l.step));
    const swaps = plan.chains[0]!.legs.filter((l): l is SwapLeg => l.type === "swap");
    expect(batch.quotes).toHaveLength(swaps.length);
    for (const [i, q] of batch.quotes.entries())
      expect(q.minAmountOut).toBeGreaterThanOrEqual(swaps[i]!.minOut);
    // The simulation checked the guards: HF floor after the batch, every balance guard, the value loss.
    const report = batch.simulation!.report!;
    expect(report.floors.find((f) => f.kind === "healthFactor")?.value).toBeGreaterThanOrEqual(FLOOR);
    for (const g of batch.guards.balanceDeltas ?? []) {
      const seen = report.balances.find((b) => b.token.toLowerCase() === g.token.toLowerCase())!;
      expect(seen.delta).toBeGreaterThanOrEqual(g.min);
    }
    // Deterministic: the same block and clock give the same plan id.
    const again = await runCycle({
      ...cycle,
      chains: [withLp(setup, { keys: lpKeysOf(first.hints[1]) })],
      now: plan.createdAt,
      blockNumbers: { 1: second.snapshot.chains[0]!.blockNumber },
    });
    expect(again.plan?.id).toBe(plan.id);

    // 3. Execute it: ONE transaction (the EIP-7702 delegation rides along), then read the protocols back.
    const lpBefore = await lpPositionsOnChain(chain, owner.address);
    const nonce = await chain.publicClient.getTransactionCount({ address: owner.address });
    const res = await setup.executor.execute(batch.calls, { planId: plan.id, guards: batch.guards });
    expect(res.record.status).toBe("confirmed");
    const incl = await chain.publicClient.getBlock({ blockNumber: res.record.inclusion.blockNumber });
    expect(incl.transactions).toEqual([res.record.inclusion.hash]);
    expect(await chain.publicClient.getTransactionCount({ address: owner.address })).toBe(nonce + 2);
    const decrease = plan.chains[0]!.legs.find(
      (l): l is SleeveLeg => l.type === "exit" && l.action === "decrease",
    );
    // The out-of-range LP (all WETH now) is trimmed: decreaseLiquidity took exactly fractionWad of its liquidity.
    expect(decrease).toBeDefined();
    expect(decrease!.fractionWad).toBeLessThan(WAD);
    const before = lpBefore.find((p) => p.tokenId === lp!.tokenId)!;
    const after = (await lpPositionsOnChain(chain, owner.address)).find((p) => p.tokenId === lp!.tokenId)!;
    expect(after.liquidity).toBe(before.liquidity - (before.liquidity * decrease!.fractionWad) / WAD);

    // 4. Next cycle: every sleeve in band as read back from the chain, HF above the floor, nothing to do.
    const third = await runCycle({
      ...cycle,
      chains: [withLp(setup, { keys: lpKeysOf(second.hints[1]) })],
      now: await now(),
    });
    expect(third.error).toBeNull();
    for (const s of third.state!.sleeves)
      expect({ id: s.sleeve.id, out: s.outOfBand }).toEqual({ id: s.sleeve.id, out: false });
    expect(third.state!.maxDriftWad).toBeLessThan(WAD / 200n); // < 0.5% of NAV off target
    expect(await healthFactorOnChain(chain, owner.address)).toBeGreaterThan(FLOOR);
    const b3 = third.snapshot.chains[0]!.blockNumber;
    const debt3 = await read(d.aave.reserves.USDC.variableDebtToken, b3);
    expect(
      third
        .state!.sleeves.find((s) => s.sleeve.id === "usdc-debt")!
        .units.get(assetId(1, d.tokens.USDC.address)),
    ).toBe(-debt3);
    expect(lpIdsOf(third.hints[1])).toEqual(
      (await lpPositionsOnChain(chain, owner.address)).map((p) => p.tokenId),
    );
    expect(third.decision?.fire).toBe(false);
    // No trigger fires (band, health factor); the min-trade block may, since every deviation is that small.
    const triggers = third.decision!.reasons.filter((r) => r.effect === "trigger" && r.fired);
    expect(triggers.map((r) => r.rule)).toEqual([]);
    expect(third.plan).toBeNull();
    expect(third.batches).toEqual([]);
  });

  it("closes sleeves set to 0%: LP decreased in full, collected and burned; debt repaid with max, no allowance left", async () => {
    await seed();
    const d = chain.deployment;
    const setup = setupFor(chain, "ethereum", owner);
    // Close the LP and the debt; size the idle sleeves so that what they free needs no swap (same-asset moves).
    const pre = (await runCycle({ chains: [setup], sleeves, rules, now: await now() })).state!;
    const value = (id: string, sym?: "WETH" | "USDC") => {
      const s = pre.sleeves.find((x) => x.sleeve.id === id)!;
      let v = 0n;
      for (const [a, u] of s.units) {
        if (sym && a !== assetId(1, d.tokens[sym].address)) continue;
        const dec = a.endsWith(d.tokens.USDC.address.toLowerCase()) ? 6n : 18n;
        v += (u * pre.prices.get(a)!) / 10n ** dec;
      }
      return v;
    };
    const bps = (v: bigint) => Number((v * 10_000n + pre.navUsd / 2n) / pre.navUsd);
    const ethIdle = bps(value("eth-idle") + value("eth-usdc-lp", "WETH"));
    const aaveBps = bps(value("eth-aave"));
    const closing: SleeveSpec[] = sleeves.map((s) =>
      s.id === "usdc-debt" || s.id === "eth-usdc-lp"
        ? { ...s, weightBps: 0 }
        : s.id === "eth-idle"
          ? { ...s, weightBps: ethIdle }
          : s.id === "eth-aave"
            ? { ...s, weightBps: aaveBps }
            : { ...s, weightBps: 10_000 - ethIdle - aaveBps },
    );
    const r = await runCycle({ chains: [setup], sleeves: closing, rules, now: await now() });
    expect(r.error).toBeNull();
    const legs = r.plan!.chains[0]!.legs;
    const exit = legs.find((l): l is SleeveLeg => l.type !== "swap" && l.action === "decrease")!;
    const repay = legs.find((l): l is SleeveLeg => l.type !== "swap" && l.action === "repay")!;
    expect(legs.some((l) => l.type === "swap")).toBe(false);
    expect(exit.fractionWad).toBe(WAD);
    expect(repay.fractionWad).toBe(WAD);
    const batch = r.batches[0]!;
    expect(batch.ok).toBe(true);
    expect(batch.realized.find((x) => x.action === "repay")?.note).toBe("repays everything (max)");
    // decreaseLiquidity, collect and burn: three calls to the position manager, no multicall (a Roles modifier checks
    // each call on its own, and cannot look inside a multicall).
    const exitCalls = batch.realized.find((x) => x.action === "decrease")!.calls;
    expect(exitCalls.map((c) => c.to)).toEqual(Array(3).fill(d.uniswap.positionManager));
    expect(
      exitCalls.map((c) => decodeFunctionData({ abi: positionManagerAbi, data: c.data }).functionName),
    ).toEqual(["decreaseLiquidity", "collect", "burn"]);
    const [lp] = lpIdsOf(r.hints[1]);
    await setup.executor.execute(batch.calls, { planId: r.plan!.id, guards: batch.guards });
    // The NFT is gone (burned), the debt is exactly zero, the repay's approval was reset to zero.
    expect(await lpPositionsOnChain(chain, owner.address)).toEqual([]);
    await expect(
      chain.publicClient.readContract({
        address: d.uniswap.positionManager,
        abi: positionManagerAbi,
        functionName: "ownerOf",
        args: [lp!],
      }),
    ).rejects.toThrow();
    expect(await balanceOf(chain, d.aave.reserves.USDC.variableDebtToken, owner.address)).toBe(0n);
    expect(await allowance(chain, d.tokens.USDC.address, owner.address, d.aave.pool)).toBe(0n);
    const next = await runCycle({ chains: [setup], sleeves: closing, rules, now: await now() });
    expect(lpIdsOf(next.hints[1])).toEqual([]);
    expect(next.state!.sleeves.every((s) => !s.outOfBand)).toBe(true);
    expect(next.decision?.fire).toBe(false);
  });

  it("repays a 0%-target debt with max even when the plan also swaps (no dust debt left)", async () => {
    await seed();
    const d = chain.deployment;
    const setup = setupFor(chain, "ethereum", owner);
    const w: Record<string, number> = {
      "eth-idle": 4500,
      "usdc-idle": 500,
      "eth-aave": 5000,
      "usdc-debt": 0,
      "eth-usdc-lp": 0,
    };
    const specs = sleeves.map((x) => ({ ...x, weightBps: w[x.id]! }));
    const r = await runCycle({ chains: [setup], sleeves: specs, rules, now: await now() });
    expect(r.plan!.chains[0]!.legs.some((l) => l.type === "swap")).toBe(true);
    const b = r.batches[0]!;
    expect(b.ok).toBe(true);
    expect(b.realized.find((x) => x.action === "repay")?.note).toBe("repays everything (max)");
    await setup.executor.execute(b.calls, { planId: r.plan!.id, guards: b.guards });
    expect(await balanceOf(chain, d.aave.reserves.USDC.variableDebtToken, owner.address)).toBe(0n);
    expect(await allowance(chain, d.tokens.USDC.address, owner.address, d.aave.pool)).toBe(0n);
  });

  it("funds an entry that a swap pays for with the swap's minOut, not its expected output (the rest stays idle)", async () => {
    const d = chain.deployment;
    await give(chain, owner.address, "WETH", weth(10));
    // A loose policy: the venue encodes its guard 3% below its quote (never below the plan's minOut).
    const venue = uniswapV3Venue({
      client: chain.publicClient,
      quoter: d.uniswap.quoterV2,
      router: d.uniswap.swapRouter,
      feeTiers: [500],
    });
    const setup = setupFor(chain, "ethereum", owner, { venues: [venue] });
    const { healthFactorFloorWad: _f, ...tight } = rules;
    const plain = { ...tight, maxSlippageBps: 300 };
    const specs: SleeveSpec[] = [
      { id: "eth", chain: "ethereum", kind: "token", asset: "WETH", weightBps: 5000 },
      { id: "usdc-aave", chain: "ethereum", kind: "aave-supply", asset: "USDC", weightBps: 5000 },
    ];
    const r = await runCycle({ chains: [setup], sleeves: specs, rules: plain, now: await now() });
    const legs = r.plan!.chains[0]!.legs;
    const supplyLeg = legs.find((l): l is SleeveLeg => l.type === "entry" && l.action === "supply")!;
    const b = r.batches[0]!;
    expect(b.ok).toBe(true);
    const q = b.quotes[0]!;
    const supplied = -b.realized.find((x) => x.action === "supply")!.flows[0]!.amount;
    // The plan expected more USDC than the swap guarantees: the supply takes exactly the guaranteed minOut.
    expect(supplyLeg.amounts[0]!.amount).toBeGreaterThan(q.minAmountOut);
    expect(supplied).toBe(q.minAmountOut);
    expect(b.realized.find((x) => x.action === "supply")!.note).toMatch(/scaled/);
    await setup.executor.execute(b.calls, { planId: r.plan!.id, guards: b.guards });
    const aUsdc = await balanceOf(chain, d.aave.reserves.USDC.aToken, owner.address);
    expect(aUsdc >= supplied - 1n && aUsdc <= supplied).toBe(true);
    // What the swap returned above its minOut is the documented residual, idle in the account.
    const idle = await balanceOf(chain, d.tokens.USDC.address, owner.address);
    expect(idle).toBeGreaterThan(0n);
    expect(idle).toBeLessThanOrEqual(q.amountOut - q.minAmountOut);
  });

  it("turns a swap above the order route's threshold into an order: the batch carries the exact approval, entries needing its output wait", async () => {
    const d = chain.deployment;
    await give(chain, owner.address, "WETH", weth(10));
    const lop = d.fusion.limitOrderProtocol;
    const approval = (token: Address, amount: bigint) => [
      {
        to: token,
        data: encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [lop, amount] }),
        value: 0n,
      },
    ];
    const specs: SleeveSpec[] = [
      { id: "eth", chain: "ethereum", kind: "token", asset: "WETH", weightBps: 5000 },
      { id: "usdc-aave", chain: "ethereum", kind: "aave-supply", asset: "USDC", weightBps: 5000 },
    ];
    const { healthFactorFloorWad: _f, ...plain } = rules;
    const cycle = async (aboveUsd: bigint) =>
      runCycle({
        chains: [
          setupFor(chain, "ethereum", owner, {
            orders: { name: "fusion", label: "Fusion order", aboveUsd, approval },
          }),
        ],
        sleeves: specs,
        rules: plain,
        now: await now(),
      });
    // Half of ~$30k of WETH is sold: above $10k it is an order, below $20k it is not.
    const small = await cycle(20_000n * WAD);
    expect(small.batches[0]!.orders).toEqual([]);
    expect(small.batches[0]!.quotes).toHaveLength(1);
    const r = await cycle(10_000n * WAD);
    const b = r.batches[0]!;
    expect(b.ok).toBe(true);
    const swap = r.plan!.chains[0]!.legs.find((l): l is SwapLeg => l.type === "swap")!;
    expect(b.quotes).toEqual([]);
    expect(b.orders).toMatchObject([
      { route: "fusion", step: swap.step, amountIn: swap.amountIn, minAmountOut: swap.minOut },
    ]);
    expect(b.realized.find((x) => x.action === "supply")).toMatchObject({
      calls: [],
      note: "waits for an order",
    });
    // The batch is the approval alone: nothing is sold in it, and the LOP may take exactly the order's input.
    expect(b.calls).toEqual(approval(d.tokens.WETH.address, swap.amountIn));
    const before = await balanceOf(chain, d.tokens.WETH.address, owner.address);
    await setupFor(chain, "ethereum", owner).executor.execute(b.calls, {
      planId: r.plan!.id,
      guards: b.guards,
    });
    expect(await allowance(chain, d.tokens.WETH.address, owner.address, lop)).toBe(swap.amountIn);
    expect(await balanceOf(chain, d.tokens.WETH.address, owner.address)).toBe(before);
  });

  it("funds an entry with the swap's quoted output when an idle balance covers a swap paying only its minOut", async () => {
    const d = chain.deployment;
    await give(chain, owner.address, "WETH", weth(10));
    // 100 USDC idle outside the sleeves: less than the 3% between the swap's quote and its guard.
    await give(chain, owner.address, "USDC", usdc(100));
    const setup = setupFor(chain, "ethereum", owner);
    const { healthFactorFloorWad: _f, ...tight } = rules;
    const specs: SleeveSpec[] = [
      { id: "eth", chain: "ethereum", kind: "token", asset: "WETH", weightBps: 5000 },
      { id: "usdc-aave", chain: "ethereum", kind: "aave-supply", asset: "USDC", weightBps: 5000 },
    ];
    const r = await runCycle({
      chains: [setup],
      sleeves: specs,
      rules: { ...tight, maxSlippageBps: 300 },
      now: await now(),
    });
    const b = r.batches[0]!;
    expect(b.ok).toBe(true);
    const q = b.quotes[0]!;
    const supplied = -b.realized.find((x) => x.action === "supply")!.flows[0]!.amount;
    // The guaranteed minOut plus what the idle 100 USDC can cover, not a wei more (the plan wanted the whole quote).
    expect(q.amountOut - q.minAmountOut).toBeGreaterThan(usdc(100));
    expect(supplied).toBe(q.minAmountOut + usdc(100));
    expect(r.warnings.concat(b.warnings).some((w) => /stays idle outside the sleeves/.test(w))).toBe(true);
    // The balance guard allows the idle USDC to pay that shortfall, no more.
    const guard = b.guards.balanceDeltas!.find(
      (g) => g.token.toLowerCase() === d.tokens.USDC.address.toLowerCase(),
    )!;
    expect(guard.min).toBe(q.minAmountOut - supplied);
    await setup.executor.execute(b.calls, { planId: r.plan!.id, guards: b.guards });
    const idle = await balanceOf(chain, d.tokens.USDC.address, owner.address);
    expect(idle).toBe(usdc(100) + q.amountOut - supplied);
  });

  it("reports a chain whose swap no venue can meet (typed error, no batch), without throwing", async () => {
    await seed();
    await setPrice(chain, { asset: "WETH", usdPrice: 2_250n * 10n ** 8n });
    const real = setupFor(chain, "ethereum", owner).venues[0]!;
    const down: SwapVenue = {
      name: "down",
      quote: async () => {
        throw new Error("HTTP 503");
      },
    };
    const stingy: SwapVenue = {
      name: "stingy",
      quote: async (req) => {
        const q = await real.quote({ ...req, minAmountOut: 0n });
        return { ...q, amountOut: req.minAmountOut - 1n, minAmountOut: req.minAmountOut - 1n };
      },
    };
    const setup = setupFor(chain, "ethereum", owner, { venues: [down, stingy] });
    const r = await runCycle({ chains: [setup], sleeves, rules, now: await now() });
    expect(r.decision?.fire).toBe(true);
    expect(r.batches).toEqual([]);
    expect(r.chainErrors).toHaveLength(1);
    const err = r.chainErrors[0]!.error;
    expect(err).toBeInstanceOf(NoSwapVenueError);
    expect(r.chainErrors[0]!.key).toBe("ethereum");
    expect((err as NoSwapVenueError).attempts.map((a) => a.venue)).toEqual(["down", "stingy"]);
    expect((err as NoSwapVenueError).attempts[1]!.error).toMatch(/below minOut [0-9.]+ (WETH|USDC)$/);
    // In words and tokens, not base units and addresses.
    expect(err.shortMessage).toMatch(
      /^Chain "ethereum" step \d+: no venue can swap [0-9.]+ (WETH|USDC) for at least [0-9.]+ (WETH|USDC)\.$/,
    );
  });

  it("reports a quoter behind a rate-limited RPC as that RPC error (429), not as a swap no venue can make", async () => {
    await seed();
    await setPrice(chain, { asset: "WETH", usdPrice: 2_250n * 10n ** 8n });
    const d = chain.deployment;
    const proxy = await startRpcProxy(chain.rpcUrl, { rateLimitRate: 1 });
    try {
      const limited = createChainClients({
        chain: chain.chainId,
        rpcUrls: [proxy.url],
        pollingIntervalMs: 50,
      });
      const venue = uniswapV3Venue({
        client: limited.public,
        quoter: d.uniswap.quoterV2,
        router: d.uniswap.swapRouter,
        feeTiers: [500],
      });
      const setup = setupFor(chain, "ethereum", owner, { venues: [venue] });
      const r = await runCycle({ chains: [setup], sleeves, rules, now: await now() });
      expect(r.decision?.fire).toBe(true);
      expect(r.batches).toEqual([]);
      const err = r.chainErrors[0]?.error;
      expect(err).toBeInstanceOf(RpcRequestError);
      expect((err as RpcRequestError).rateLimited).toBe(true);
      expect(err?.shortMessage).toMatch(
        /RPC eth_call failed on http:\/\/127\.0\.0\.1:\d+ \(chain 1\): rate limited/,
      );
      expect(proxy.stats().rateLimited).toBeGreaterThan(0);
    } finally {
      await proxy.stop();
    }
  });

  it("reports a failing simulation in the batch (reverting call, broken guard) instead of throwing", async () => {
    await seed();
    await setPrice(chain, { asset: "WETH", usdPrice: 2_250n * 10n ** 8n });
    const d = chain.deployment;
    const real = setupFor(chain, "ethereum", owner).venues[0]!;
    // A venue whose swap call goes to a contract that reverts: the batch must fail in simulation, at that call.
    const broken: SwapVenue = {
      name: "broken",
      quote: async (req) => {
        const q = await real.quote(req);
        return { ...q, calls: [q.calls[0]!, { ...q.calls[1]!, to: d.tokens.USDC.address }] };
      },
    };
    const r = await runCycle({
      chains: [setupFor(chain, "ethereum", owner, { venues: [broken] })],
      sleeves,
      rules,
      now: await now(),
    });
    const b = r.batches[0]!;
    expect(b.ok).toBe(false);
    expect(b.simulation).toBeUndefined();
    expect(b.error).toBeInstanceOf(SimulationFailedError);
    const swapCall = b.realized.find((x) => x.action === "swap")!.calls[1]!;
    expect((b.error as SimulationFailedError).index).toBe(b.calls.indexOf(swapCall));

    // A zero value-loss limit: the gate blocks the plan; forced, the simulation's value-loss guard breaks.
    const strict = { ...rules, maxValueLossBps: 0 };
    const setup = setupFor(chain, "ethereum", owner);
    const held = await runCycle({ chains: [setup], sleeves, rules: strict, now: await now() });
    expect(held.decision?.fire).toBe(false);
    expect(held.stage).toBe("gated"); // planned, then blocked by a gate
    expect(held.decision?.reasons.find((x) => x.rule === "value-loss")?.fired).toBe(true);
    expect(held.batches).toEqual([]);
    const forced = await runCycle({ chains: [setup], sleeves, rules: strict, now: await now(), force: true });
    const fb = forced.batches[0]!;
    expect(fb.ok).toBe(false);
    expect(fb.error).toBeInstanceOf(GuardViolationError);
    expect((fb.error as GuardViolationError).guard).toBe("valueLoss");
  });

  it("opens an LP sleeve (mint ±rangeBps around the tick), then tops the in-range position up (increase)", async () => {
    const d = chain.deployment;
    await give(chain, owner.address, "WETH", weth(10));
    await give(chain, owner.address, "USDC", usdc(30_000));
    const setup = setupFor(chain, "ethereum", owner);
    const lpSpec = (w: [number, number, number]): SleeveSpec[] => [
      { id: "eth-idle", chain: "ethereum", kind: "token", asset: "WETH", weightBps: w[0] },
      { id: "usdc-idle", chain: "ethereum", kind: "token", asset: "USDC", weightBps: w[1] },
      {
        id: "lp",
        chain: "ethereum",
        kind: "uniswap-v3-lp",
        pool: "WETH/USDC/500",
        rangeBps: 1000,
        weightBps: w[2],
      },
    ];
    const { healthFactorFloorWad: _floor, ...noHf } = rules; // no debt sleeve, no floor

    const open = await runCycle({
      chains: [setup],
      sleeves: lpSpec([2500, 2500, 5000]),
      rules: noHf,
      now: await now(),
    });
    expect(open.error).toBeNull();
    const mint = open.plan!.chains[0]!.legs.find(
      (l): l is SleeveLeg => l.type === "entry" && l.action === "mint",
    )!;
    expect(mint).toBeDefined();
    const batch = open.batches[0]!;
    expect(batch.ok).toBe(true);
    expect(batch.realized.find((x) => x.step === mint.step)?.action).toBe("mint");
    await setup.executor.execute(batch.calls, { planId: open.plan!.id, guards: batch.guards });
    const [minted] = await lpPositionsOnChain(chain, owner.address);
    // The range is ±10% of the price around the pool's tick at the snapshot, aligned to the tick spacing (10).
    const pool = getPool(d, "WETH/USDC/500");
    const [, tick] = await chain.publicClient.readContract({
      address: pool.address,
      abi: poolAbi,
      functionName: "slot0",
      blockNumber: open.snapshot.chains[0]!.blockNumber,
    });
    expect(minted).toMatchObject(rangeAround({ tick, tickSpacing: pool.tickSpacing, widthBps: 1000 }));
    expect(minted!.tickLower % pool.tickSpacing === 0 && minted!.tickUpper % pool.tickSpacing === 0).toBe(
      true,
    );
    // The mint took what the plan funded, at most: the account kept the idle sleeves' share of each token.
    const placed = await runCycle({
      chains: [setup],
      sleeves: lpSpec([2500, 2500, 5000]),
      rules: noHf,
      now: await now(),
    });
    expect(placed.state!.sleeves.every((s) => !s.outOfBand)).toBe(true);
    expect(placed.state!.maxDriftWad).toBeLessThan(WAD / 1000n);
    expect(placed.decision?.fire).toBe(false);

    // More LP: the first position holds the current tick, so the engine increases it instead of minting.
    const grow = await runCycle({
      chains: [withLp(setup, { keys: lpKeysOf(placed.hints[1]) })],
      sleeves: lpSpec([1500, 1500, 7000]),
      rules: noHf,
      now: await now(),
    });
    const inc = grow.plan!.chains[0]!.legs.find(
      (l): l is SleeveLeg => l.type === "entry" && l.action === "increase",
    )!;
    expect(inc.holdingIds).toHaveLength(1);
    const gb = grow.batches[0]!;
    expect(gb.ok).toBe(true);
    await setup.executor.execute(gb.calls, { planId: grow.plan!.id, guards: gb.guards });
    const after = await lpPositionsOnChain(chain, owner.address);
    expect(after.map((p) => p.tokenId)).toEqual([minted!.tokenId]);
    expect(after[0]!.liquidity).toBeGreaterThan(minted!.liquidity);
    const done = await runCycle({
      chains: [setup],
      sleeves: lpSpec([1500, 1500, 7000]),
      rules: noHf,
      now: await now(),
    });
    expect(done.state!.sleeves.every((s) => !s.outOfBand)).toBe(true);
    expect(done.decision?.fire).toBe(false);
  });
});

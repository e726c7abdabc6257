/**
 * `realizeChainPlan` without a chain, for what moves value beyond the batch's own legs: swaps as orders, the swaps'
 * quoted surplus (the cushion) and bridge deposits. The real Aave adapter encodes the legs; venues, the bridge and the
 * order route are met at their interfaces.
 */
import { encodeSupply } from "@ballast/aave-v3";
import { describe, expect, it } from "vitest";
import { formatTokenAmount } from "../src/index.ts";
import {
  approveCall,
  basicPositions,
  CHAIN_ID,
  chain,
  DEST_CHAIN_ID,
  DEST_USDC,
  deltas,
  E6,
  LOSS,
  leg,
  orderRoute,
  PRICES,
  ROUTER,
  rateVenue,
  recordingAave,
  realize as run,
  SPOKE,
  state,
  swap,
  TIMESTAMP,
  testBridge,
  transfer,
  USDC,
  USER,
  WAD,
  WBTC,
  WETH,
} from "./realize-fixtures.ts";

describe("realizeChainPlan: swaps as orders", () => {
  it("a swap worth more than the route's threshold is an order; entries needing its output wait", async () => {
    const venue = rateVenue("uni", 2000n * E6);
    const c = chain({ venues: [venue], orders: orderRoute(1000n * WAD - 1n), wallet: [[WETH, 2n * WAD]] });
    const r = await run(c, [
      leg(1, "sell", WETH, 2n * WAD),
      swap(2, WETH, USDC, WAD / 2n, 990n * E6),
      swap(3, WETH, USDC, WAD / 2n + 1n, 990n * E6),
      leg(4, "supply", USDC, 990n * E6),
      leg(5, "supply", WETH, WAD),
    ]);
    expect(venue.requests).toEqual([]);
    expect(r.orders).toEqual([
      {
        route: "1inch-fusion",
        label: "1inch Fusion order",
        chainId: CHAIN_ID,
        step: 2,
        tokenIn: WETH.address,
        tokenOut: USDC.address,
        amountIn: WAD / 2n,
        minAmountOut: 990n * E6,
        usd: 1000n * WAD,
      },
      expect.objectContaining({ step: 3, amountIn: WAD / 2n + 1n, usd: 1000n * WAD + 2000n }),
    ]);
    expect(r.realized.slice(1, 4)).toEqual([
      {
        step: 2,
        action: "swap",
        calls: [approveCall(WETH.address, ROUTER, WAD / 2n)],
        flows: [],
        note: `1inch-fusion order after the batch: at least ${990n * E6} out`,
      },
      expect.objectContaining({ step: 3 }),
      { step: 4, action: "supply", sleeveId: "aave-usdc", calls: [], flows: [], note: "waits for an order" },
    ]);
    expect(r.warnings).toEqual(["step 4: waits for an order's output (a later cycle)"]);
    // A two-token entry (an LP mint) waits when either of its tokens is an order's output.
    const lp = {
      ...leg(4, "mint", WETH, WAD),
      protocol: "uniswap-v3",
      amounts: [
        { asset: WETH.id, amount: WAD },
        { asset: USDC.id, amount: E6 },
      ],
    };
    const waiting = await run(c, [leg(1, "sell", WETH, 2n * WAD), swap(2, WETH, USDC, WAD, 990n * E6), lp]);
    expect(waiting.realized[2]).toMatchObject({ step: 4, action: "mint", note: "waits for an order" });
    // The orders' input stays in the account until they fill: the WETH supply gets what is left of the sell.
    expect(r.realized[4]?.flows).toEqual([{ token: WETH.address, amount: -(WAD - 1n) }]);
    expect(r.realized[4]?.note).toBe("scaled to the available funds (swap minOut / LP mins)");
    expect(deltas(r)).toEqual({ WETH: -2n * WAD });
  });

  it("at the threshold, without a price or without a route, a swap stays atomic", async () => {
    const atomic = async (c: ReturnType<typeof chain>, prices = PRICES) => {
      const r = await run(c, [leg(1, "sell", WETH, WAD), swap(2, WETH, USDC, WAD, 1990n * E6)], {
        state: state(prices),
      });
      return [r.orders.length, r.quotes.length];
    };
    const venues = [rateVenue("uni", 2000n * E6)];
    expect(await atomic(chain({ venues, orders: orderRoute(2000n * WAD) }))).toEqual([0, 1]);
    expect(await atomic(chain({ venues, orders: orderRoute(2000n * WAD - 1n) }))).toEqual([1, 0]);
    const unpriced = new Map([...PRICES].filter(([id]) => id !== WETH.id));
    expect(await atomic(chain({ venues, orders: orderRoute(0n) }), unpriced)).toEqual([0, 1]);
    expect(await atomic(chain({ venues }))).toEqual([0, 1]);
  });
});

describe("realizeChainPlan: the swaps' quoted surplus", () => {
  const swapThenSupply = (walletUsdc: bigint, supply: bigint, sellUsdc = 0n) => {
    const { protocol, seen } = recordingAave();
    const c = chain({
      protocols: [protocol],
      venues: [rateVenue("uni", 2000n * E6)],
      wallet: [
        [WETH, WAD],
        [USDC, walletUsdc],
      ],
    });
    const legs = [
      leg(1, "sell", WETH, WAD),
      ...(sellUsdc > 0n ? [leg(2, "sell", USDC, sellUsdc)] : []),
      swap(3, WETH, USDC, WAD, 1990n * E6),
      leg(4, "supply", USDC, supply),
    ];
    return { r: run(c, legs), seen };
  };

  it("an entry may spend the quote above minOut as far as the wallet's own USDC covers it; the rest is reported idle", async () => {
    const { r, seen } = swapThenSupply(4n * E6, 2000n * E6);
    const out = await r;
    expect(seen[0]?.ctx.funded.get(USDC.id)).toBe(1994n * E6);
    expect(out.warnings).toEqual([
      `up to ${formatTokenAmount(6n * E6, USDC.address, USDC)} (swap output above its minOut) stays idle outside the sleeves: no idle balance covers a swap that pays only its minOut`,
    ]);
    expect(out.warnings[0]).toContain("up to 6 USDC");
    // Only the guaranteed minOut is counted on: the supply may take 4 USDC of the wallet's own.
    expect(deltas(out)).toEqual({ USDC: -4n * E6, WETH: -WAD });
    expect(out.realized[2]?.calls).toEqual(
      encodeSupply({ positions: basicPositions(), asset: USDC.address, amount: 1994n * E6 }),
    );
  });

  it("reports as idle the smaller of what the entries miss and the surplus no balance covers", async () => {
    // 4 USDC in the wallet cover 4 of the 10 above minOut: a supply of 1,996 misses 2, one of 2,010 would take 6 more.
    expect((await swapThenSupply(4n * E6, 1996n * E6).r).warnings[0]).toContain("up to 2 USDC");
    expect((await swapThenSupply(4n * E6, 2010n * E6).r).warnings[0]).toContain("up to 6 USDC");
  });

  it("a quote whose guard is above its expected output has no surplus to spend", async () => {
    const { protocol, seen } = recordingAave();
    const venue = rateVenue("uni", 1995n * E6, (_r, q) => ({ ...q, minAmountOut: 1998n * E6 }));
    const c = chain({
      protocols: [protocol],
      venues: [venue],
      wallet: [
        [WETH, WAD],
        [USDC, 50n * E6],
      ],
    });
    await run(c, [
      leg(1, "sell", WETH, WAD),
      swap(2, WETH, USDC, WAD, 1990n * E6),
      leg(3, "supply", USDC, 2000n * E6),
    ]);
    expect(seen[0]?.ctx.funded.get(USDC.id)).toBe(1998n * E6);
  });

  it("the surplus is not used beyond what the entries need, nor what a sell already releases", async () => {
    // 50 USDC in the wallet cover all 10 above minOut, and no more: a supply of 2,001 gets 2,000.
    const capped = swapThenSupply(50n * E6, 2001n * E6);
    await capped.r;
    expect(capped.seen[0]?.ctx.funded.get(USDC.id)).toBe(2000n * E6);
    // A sell of more than the wallet read (never planned) leaves no cushion, not a negative one.
    const oversold = swapThenSupply(4n * E6, 2010n * E6, 10n * E6);
    await oversold.r;
    expect(oversold.seen[0]?.ctx.funded.get(USDC.id)).toBe(2000n * E6);
    const fits = await swapThenSupply(50n * E6, 1995n * E6).r;
    expect(fits.warnings).toEqual([]);
    expect(fits.realized.at(-1)?.note).toBeUndefined();
    // 10 USDC in the wallet, 4 of them sold: 6 may cover the surplus; a supply of 2,003 gets 1,990 + 4 + 6.
    const { r, seen } = swapThenSupply(10n * E6, 2003n * E6, 4n * E6);
    await r;
    expect(seen[0]?.ctx.funded.get(USDC.id)).toBe(2000n * E6);
    const sold = swapThenSupply(4n * E6, 2003n * E6, 4n * E6);
    await sold.r;
    expect(sold.seen[0]?.ctx.funded.get(USDC.id)).toBe(1994n * E6);
  });
});

describe("realizeChainPlan: bridge deposits", () => {
  const bridged = (amount: bigint, expected: bigint, bridge = testBridge(E6), sell = 1000n * E6) =>
    run(chain({ bridge, wallet: [[USDC, 1000n * E6]] }), sell > 0n ? [leg(1, "sell", USDC, sell)] : [], {
      transfers: [transfer(amount, expected)],
    });

  it("ends the batch with the deposit, at the expected arrival less the slippage limit, rounded up", async () => {
    const bridge = testBridge(E6);
    const r = await bridged(1000n * E6, 999_000_001n, bridge);
    expect(bridge.requests).toEqual([
      {
        fromChainId: CHAIN_ID,
        toChainId: DEST_CHAIN_ID,
        tokenIn: USDC.address,
        tokenOut: DEST_USDC.address,
        decimalsIn: 6,
        decimalsOut: 6,
        amountIn: 1000n * E6,
        minAmountOut: 994_005_001n,
        account: USER,
        now: Number(TIMESTAMP),
      },
    ]);
    expect(r.realized[1]).toEqual({
      step: 2,
      action: "bridge",
      calls: [approveCall(USDC.address, SPOKE, 1000n * E6), { to: SPOKE, data: "0x02", value: 0n }],
      flows: [{ token: USDC.address, amount: -1000n * E6 }],
      note: `testbridge to chain ${DEST_CHAIN_ID}: ${999n * E6} USDC expected, fee ${E6}`,
    });
    expect(r.bridges.map((b) => b.amountOut)).toEqual([999n * E6]);
    expect(r.calls).toEqual(r.realized[1]?.calls);
    expect(deltas(r)).toEqual({ USDC: -1000n * E6 });
    // What arrives on the other chain is not lost: the limit rises by it, so only the fee counts.
    expect(r.guards.maxValueLossUsd).toBe(LOSS + 999n * WAD);
  });

  it("transfers are the batch's last steps, each for its own amount", async () => {
    const bridge = testBridge(0n);
    const c = chain({ bridge, wallet: [[USDC, 1000n * E6]] });
    const r = await run(c, [leg(1, "sell", USDC, 1000n * E6)], {
      transfers: [transfer(500n * E6, 500n * E6), transfer(300n * E6, 300n * E6)],
    });
    expect(r.realized.map((l) => [l.step, l.action])).toEqual([
      [1, "sell"],
      [2, "bridge"],
      [3, "bridge"],
    ]);
    expect(bridge.requests.map((q) => q.amountIn)).toEqual([500n * E6, 300n * E6]);
    expect(deltas(r)).toEqual({ USDC: -800n * E6 });
  });

  it("caps the amount at what the legs guarantee, scaling the expected arrival; none: skipped", async () => {
    const bridge = testBridge(0n);
    await bridged(1200n * E6, 1200n * E6 - 3n, bridge);
    expect(bridge.requests.map((q) => [q.amountIn, q.minAmountOut])).toEqual([[1000n * E6, 995n * E6 - 2n]]);
    const skipped = await bridged(1000n * E6, 999n * E6, testBridge(0n), 0n);
    expect(skipped.realized).toEqual([
      { step: 1, action: "bridge", calls: [], flows: [], note: "skipped: no funds" },
    ]);
    expect(skipped.warnings).toEqual(["step 1: transfer skipped, nothing of USDC is guaranteed to be there"]);
    expect(skipped.bridges).toEqual([]);
  });

  it("refuses a quote for another transfer than the one asked, and accepts one exactly at the minimum", async () => {
    const answering = (patch: object) => testBridge(0n, (_r, q) => ({ ...q, ...patch }));
    const refusal = 'Chain "local" step 2 (bridge): testbridge quoted another transfer than the one asked.';
    for (const patch of [
      { amountIn: 999n * E6 },
      { amountOut: 994_005_000n },
      { tokenIn: WBTC.address },
      { tokenOut: WETH.address },
      { toChainId: 10 },
      { calls: [] },
    ])
      await expect(bridged(1000n * E6, 999_000_001n, answering(patch))).rejects.toMatchObject({
        shortMessage: refusal,
      });
    const exact = await bridged(
      1000n * E6,
      999_000_001n,
      answering({ amountOut: 994_005_001n, tokenIn: USDC.address.toLowerCase() }),
    );
    expect(exact.bridges).toHaveLength(1);
  });

  it("a chain without a bridge, an unknown or unpriced asset, and a bridge's refusal fail the transfer's step", async () => {
    const fail = (c: ReturnType<typeof chain>, t = transfer(E6, E6), prices = PRICES) =>
      run(c, [leg(1, "sell", USDC, E6)], { transfers: [t], state: state(prices) });
    await expect(fail(chain())).rejects.toMatchObject({
      shortMessage: 'Chain "local" step 2 (bridge): chain "local" has no bridge configured.',
      action: "bridge",
    });
    const unknown = `asset ${USDC.id} or ${DEST_USDC.id} unknown`;
    const bridge = testBridge(0n);
    const noPrice = new Map([...PRICES].filter(([id]) => id !== DEST_USDC.id));
    await expect(fail(chain({ bridge }), transfer(E6, E6), noPrice)).rejects.toMatchObject({
      shortMessage: `Chain "local" step 2 (bridge): ${unknown}.`,
    });
    const gone = `${CHAIN_ID}:0x00000000000000000000000000000000000000ee` as typeof USDC.id;
    await expect(fail(chain({ bridge }), { ...transfer(E6, E6), assetFrom: gone })).rejects.toMatchObject({
      shortMessage: `Chain "local" step 2 (bridge): asset ${gone} or ${DEST_USDC.id} unknown.`,
    });
    const goneTo = `${DEST_CHAIN_ID}:0x00000000000000000000000000000000000000ee` as typeof USDC.id;
    await expect(
      fail(chain({ bridge }), { ...transfer(E6, E6), assetTo: goneTo }, new Map([...PRICES, [goneTo, WAD]])),
    ).rejects.toMatchObject({
      shortMessage: `Chain "local" step 2 (bridge): asset ${USDC.id} or ${goneTo} unknown.`,
    });
    const refusing = testBridge(0n, () => Promise.reject(new Error("quote expired")));
    const err = await fail(chain({ bridge: refusing })).catch((e: unknown) => e);
    expect(err).toMatchObject({
      shortMessage: `Chain "local" step 2 (bridge): testbridge refused the transfer to chain ${DEST_CHAIN_ID}.`,
    });
    expect((err as Error).cause).toEqual(new Error("quote expired"));
  });
});

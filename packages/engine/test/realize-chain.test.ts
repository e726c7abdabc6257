/**
 * `realizeChainPlan` without a chain: the real Aave adapter encodes the legs against the aave-v3 package's synthetic
 * positions; swap venues, the bridge and the order route are met at their interfaces. What is checked is the engine's
 * own account of the batch: what each leg may spend, the calls in leg order, the guards, warnings and notes.
 */
import { aaveHealthFactorGuard, encodeSupply } from "@ballast/aave-v3";
import type { Protocol } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { LegRealizationError } from "../src/index.ts";
import { DEFAULT_DEADLINE_SECONDS } from "../src/realize.ts";
import {
  aave,
  basicPositions,
  CHAIN_ID,
  chain,
  deltas,
  E6,
  LOSS,
  leg,
  POOL,
  PRICES,
  policy,
  rateVenue,
  recordingAave,
  realize as run,
  slots,
  state,
  swap,
  TIMESTAMP,
  USDC,
  USER,
  WAD,
  WBTC,
  WETH,
} from "./realize-fixtures.ts";

describe("realizeChainPlan: exits, swaps and entries", () => {
  it("a sell funds a swap whose minOut funds a supply: calls in leg order, guards bound each balance change", async () => {
    const venue = rateVenue("uni", 2000n * E6);
    const c = chain({ venues: [venue], wallet: [[WETH, WAD]] });
    const r = await run(c, [
      leg(1, "sell", WETH, WAD),
      swap(2, WETH, USDC, WAD, 1990n * E6),
      leg(3, "supply", USDC, 1990n * E6),
    ]);
    const supply = encodeSupply({ positions: basicPositions(), asset: USDC.address, amount: 1990n * E6 });
    const q = r.quotes[0];
    expect(r.realized).toEqual([
      { step: 1, action: "sell", sleeveId: "idle-weth", calls: [], flows: [] },
      {
        step: 2,
        action: "swap",
        calls: q?.calls,
        flows: [
          { token: WETH.address, amount: -WAD },
          { token: USDC.address, amount: 1990n * E6 },
        ],
      },
      {
        step: 3,
        action: "supply",
        sleeveId: "aave-usdc",
        calls: supply,
        flows: [{ token: USDC.address, amount: -1990n * E6 }],
      },
    ]);
    expect(r.calls).toEqual([...(q?.calls ?? []), ...supply]);
    expect([r.chainId, r.key, r.legs.length, r.bridges, r.orders, r.warnings]).toEqual([
      CHAIN_ID,
      "local",
      3,
      [],
      [],
      [],
    ]);
    expect(deltas(r)).toEqual({ USDC: 0n, WETH: -WAD });
    expect(r.guards.maxValueLossUsd).toBe(LOSS);
    // Every priced asset of the chain, by asset id, each followed by the tokens Aave prices with it.
    const reserves = basicPositions().reserves;
    expect(r.guards.prices?.map((p) => [p.token, p.priceUsdWad])).toEqual(
      [WETH, USDC, WBTC].flatMap((a, i) => [
        [a.address, PRICES.get(a.id)],
        [reserves[i]?.aToken, PRICES.get(a.id)],
        [reserves[i]?.variableDebtToken, -(PRICES.get(a.id) ?? 0n)],
      ]),
    );
    expect(venue.requests).toEqual([
      {
        chainId: CHAIN_ID,
        tokenIn: WETH.address,
        tokenOut: USDC.address,
        amountIn: WAD,
        account: USER,
        minAmountOut: 1990n * E6,
        deadline: TIMESTAMP + BigInt(DEFAULT_DEADLINE_SECONDS),
        slippageBps: 50,
      },
    ]);
  });

  it("gives the adapter the chain, the leg's sleeve, the policy's limits and what it may spend", async () => {
    const { protocol, seen } = recordingAave();
    const c = chain({ protocols: [protocol], wallet: [[USDC, 500n * E6]] });
    await run(
      c,
      [
        leg(1, "withdraw", WETH, WAD / 10n),
        leg(2, "sell", USDC, 150n * E6),
        leg(3, "supply", USDC, 100n * E6),
      ],
      {
        policy: policy((18n * WAD) / 10n),
        deadline: 77n,
      },
    );
    expect(seen.map((s) => s.step)).toEqual([1, 3]);
    const [exit, entry] = seen;
    expect(exit?.ctx).toEqual({
      chain: {
        key: "local",
        chainId: CHAIN_ID,
        account: USER,
        tokens: [WETH, USDC, WBTC],
        multicall3: expect.any(String),
      },
      target: slots[1],
      assets: state().snapshot.assets,
      prices: state().prices,
      slippageBps: 50,
      healthFactorFloorWad: (18n * WAD) / 10n,
      deadline: 77n,
      funded: new Map(),
    });
    expect(exit?.spare).toEqual({ WETH: 0n, USDC: 0n, WBTC: 0n });
    expect(entry?.ctx.target).toBe(slots[0]);
    // More is guaranteed than the entry needs: it gets what it asked.
    expect(entry?.ctx.funded).toEqual(new Map([[USDC.id, 100n * E6]]));
  });

  it("asks the protocol the leg names, not the first one configured", async () => {
    const decoy: Protocol = {
      ...aave,
      name: "decoy",
      encode: () => {
        throw new Error("not mine");
      },
    };
    const r = await run(chain({ protocols: [decoy, aave] }), [leg(1, "withdraw", WETH, WAD / 10n)]);
    expect(r.realized[0]?.calls).toHaveLength(1);
  });

  it("keeps the state when an adapter projects none, adds each leg's unpriced value, joins notes, keeps distinct floors", async () => {
    const hf = aaveHealthFactorGuard({ pool: POOL, account: USER, floorWad: WAD });
    const floors = [
      hf,
      { ...hf, kind: "debtCeiling" },
      { ...hf, read: { ...hf.read, address: POOL.toLowerCase() as typeof POOL } },
    ];
    // Like the LP adapter: no projected state, value moved into positions the guard cannot price, a note of its own.
    const lpLike: Protocol = {
      ...aave,
      encode(l, ctx) {
        const { state: _state, floors: _floors, ...enc } = aave.encode(l, ctx as never);
        return {
          ...enc,
          note: "from the adapter",
          unpricedUsd: 3n * WAD,
          ...(l.step === 1 ? {} : { floors }),
        };
      },
    };
    const r = await run(chain({ protocols: [lpLike] }), [
      leg(1, "withdraw", WETH, WAD / 10n),
      leg(2, "supply", WETH, WAD / 5n),
    ]);
    expect(r.realized.map((l) => l.note)).toEqual([
      "from the adapter",
      "scaled to the available funds (swap minOut / LP mins); from the adapter",
    ]);
    expect(r.guards.maxValueLossUsd).toBe(LOSS + 6n * WAD);
    expect(r.guards.floors?.map((f) => f.kind)).toEqual(["healthFactor", "debtCeiling"]);
  });

  it("the adapter's state goes from leg to leg, and its health-factor floor is guarded once per market", async () => {
    const r = await run(
      chain(),
      [
        leg(1, "withdraw", WETH, WAD / 10n),
        leg(2, "withdraw", WETH, WAD / 10n),
        leg(3, "borrow", USDC, 10n * E6),
      ],
      {
        policy: policy((15n * WAD) / 10n),
      },
    );
    expect(r.guards.floors).toEqual([
      expect.objectContaining({ kind: "healthFactor", subject: POOL, min: (15n * WAD) / 10n }),
    ]);
    expect(deltas(r)).toEqual({ USDC: 10n * E6, WETH: WAD / 5n });
    // The second withdraw is checked against the first's projection: alone, each leaves a health factor of 1.32;
    // after the first, the second leaves 0.99.
    const tooMuch = run(chain(), [leg(1, "withdraw", WETH, WAD / 5n), leg(2, "withdraw", WETH, WAD / 5n)]);
    await expect(tooMuch).rejects.toThrow(LegRealizationError);
    await expect(tooMuch).rejects.toMatchObject({ step: 2, action: "withdraw" });
    const noFloor = await run(chain(), [leg(1, "withdraw", WETH, WAD / 10n)]);
    expect("floors" in noFloor.guards).toBe(false);
  });

  it("a swap no venue can quote names its tokens by symbol", async () => {
    const r = run(chain({ venues: [rateVenue("uni", 1000n * E6)], wallet: [[WETH, WAD]] }), [
      leg(1, "sell", WETH, WAD),
      swap(2, WETH, USDC, WAD, 1990n * E6),
    ]);
    await expect(r).rejects.toMatchObject({
      shortMessage: 'Chain "local" step 2: no venue can swap 1 WETH for at least 1990 USDC.',
    });
  });

  it("an adapter's refusal and a protocol the chain lacks fail the leg, naming its step and action", async () => {
    const refused = run(chain(), [leg(2, "withdraw", WBTC, 10n ** 8n)]);
    await expect(refused).rejects.toMatchObject({
      name: "LegRealizationError",
      step: 2,
      action: "withdraw",
      key: "local",
      chainId: CHAIN_ID,
      shortMessage: 'Chain "local" step 2 (withdraw): the Aave adapter refused the withdraw.',
    });
    const missing = run(chain({ protocols: [] }), [leg(1, "supply", USDC, E6)]);
    await expect(missing).rejects.toMatchObject({
      shortMessage: 'Chain "local" step 1 (supply): chain "local" has no aave-v3 configured.',
    });
    const broken = {
      ...aave,
      encode: () => {
        throw new TypeError("bad state");
      },
    };
    const thrown = await run(chain({ protocols: [broken] }), [leg(1, "supply", USDC, E6)]).catch(
      (e: unknown) => e,
    );
    expect(thrown).toMatchObject({ shortMessage: 'Chain "local" step 1 (supply): aave-v3 refused the leg.' });
    expect((thrown as Error).cause).toBeInstanceOf(TypeError);
    const unregistered = run(chain(), [
      swap(1, WETH, { ...USDC, id: `${CHAIN_ID}:0xdead` as typeof USDC.id }, WAD, 1n),
    ]);
    await expect(unregistered).rejects.toMatchObject({
      shortMessage: `Chain "local" step 1 (swap): asset ${CHAIN_ID}:0xdead is not registered.`,
    });
  });

  it("an entry with nothing guaranteed is skipped with a warning; a buy-hold needs no call", async () => {
    const r = await run(chain(), [leg(1, "supply", USDC, 5n * E6), leg(2, "buy-hold", WETH, WAD)]);
    expect(r.realized).toEqual([
      { step: 1, action: "supply", sleeveId: "aave-usdc", calls: [], flows: [], note: "skipped" },
      { step: 2, action: "buy-hold", sleeveId: "idle-weth", calls: [], flows: [] },
    ]);
    expect(r.warnings).toEqual(["step 1: supply of USDC skipped, no guaranteed funds"]);
    expect(r.calls).toEqual([]);
    expect(r.guards.balanceDeltas).toEqual([]);
  });
});

describe("realizeChainPlan: what each leg may spend", () => {
  it("swaps of one asset share what is guaranteed proportionally; minOut scales up; none guaranteed: skipped", async () => {
    const venue = rateVenue("uni", 2000n * E6);
    const r = await run(chain({ venues: [venue], wallet: [[WETH, WAD]] }), [
      leg(1, "sell", WETH, WAD / 2n),
      swap(2, WETH, USDC, (WAD * 6n) / 10n, 1_193_000_001n),
      swap(3, WETH, WBTC, (WAD * 4n) / 10n, 1000n),
      swap(4, USDC, WETH, 5n * E6, 1n),
    ]);
    expect(venue.requests.map((q) => [q.amountIn, q.minAmountOut])).toEqual([
      [(WAD * 3n) / 10n, 596_500_001n],
      [(WAD * 2n) / 10n, 500n],
    ]);
    expect(r.realized.map((l) => l.note)).toEqual([
      undefined,
      `amountIn scaled to the guaranteed ${(WAD * 3n) / 10n}`,
      `amountIn scaled to the guaranteed ${(WAD * 2n) / 10n}`,
      "skipped: no funds",
    ]);
    expect(r.realized[3]).toEqual({
      step: 4,
      action: "swap",
      calls: [],
      flows: [],
      note: "skipped: no funds",
    });
    expect(r.warnings).toEqual(["step 4: swap skipped, nothing of USDC is guaranteed to be there"]);
    expect(deltas(r)).toEqual({ USDC: 596_500_001n, WBTC: 500n, WETH: -WAD / 2n });
  });

  it("entries short of funds are each scaled by available / needed; a later entry's spend is kept out of spare", async () => {
    const { protocol, seen } = recordingAave();
    const r = await run(chain({ protocols: [protocol], wallet: [[USDC, 500n * E6]] }), [
      leg(1, "sell", USDC, 300n * E6),
      leg(2, "supply", USDC, 400n * E6),
      leg(3, "supply", USDC, 200n * E6),
      leg(4, "buy-hold", USDC, 300n * E6), // needs no call, takes nothing from the supplies
    ]);
    expect(seen.map((s) => [s.ctx.funded.get(USDC.id), s.spare.USDC])).toEqual([
      [200n * E6, 400n * E6], // 500 in the wallet, 100 kept for step 3
      [100n * E6, 300n * E6], // 200 supplied at step 2
    ]);
    expect(r.realized.map((l) => l.note)).toEqual([
      undefined,
      "scaled to the available funds (swap minOut / LP mins)",
      "scaled to the available funds (swap minOut / LP mins)",
      undefined,
    ]);
    expect(deltas(r)).toEqual({ USDC: -300n * E6 });
  });

  it("a full repay is max when spare covers its allowance, else explicit (the adapter reads the engine's spare)", async () => {
    const repay = (walletUsdc: bigint) =>
      run(chain({ wallet: [[USDC, walletUsdc]] }), [
        leg(1, "sell", USDC, 1000n * E6),
        leg(2, "repay", USDC, 1000n * E6, WAD),
      ]);
    // The allowance of a max repay is the debt one hour on plus 10 bps: 1,001 USDC.
    const max = await repay(1001n * E6);
    expect(max.realized[1]?.note).toBe("repays everything (max)");
    expect(deltas(max)).toEqual({ USDC: -1001n * E6 });
    const explicit = await repay(1001n * E6 - 1n);
    expect(explicit.realized[1]?.note).toBe(
      "explicit amount (the account cannot cover a max repay's allowance): dust interest may stay",
    );
    expect(deltas(explicit)).toEqual({ USDC: -1000n * E6 });
  });
});

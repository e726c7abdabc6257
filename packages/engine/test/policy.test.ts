import type { Executor } from "@ballast/chain";
import { type Asset, assetId, type Holding, type Policy, parsePoolSpec, type Snapshot } from "@ballast/core";
import { computePoolAddress, DEFAULT_RANGE_BPS, lpPoolRef } from "@ballast/uniswap-v3";
import { describe, expect, it } from "vitest";
import {
  type ChainSetup,
  defaultCostModel,
  InvalidCycleConfigError,
  landingSleeveId,
  protocolsOf,
  resolveSleeveSlots,
  type SleeveSpec,
  sleevesByChain,
  withInTransit,
  withLandingSleeves,
} from "../src/index.ts";

const WETH = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const;
const USDC = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" as const;
const FACTORY = "0x1F98431c8aD98523631AE4a59f267346ea31F984" as const;
const token = (chainId: number, address: `0x${string}`, symbol: string, decimals: number): Asset => ({
  id: assetId(chainId, address),
  chainId,
  address,
  symbol,
  decimals,
});
const setup = (key: string, chainId: number, extra: Partial<ChainSetup> = {}): ChainSetup => ({
  key,
  chainId,
  client: {} as ChainSetup["client"],
  account: "0x00000000000000000000000000000000000000aa",
  tokens: [token(chainId, WETH, "WETH", 18), token(chainId, USDC, "USDC", 6)],
  protocols: [],
  venues: [],
  executor: { chainId, account: "0x00000000000000000000000000000000000000aa" } as unknown as Executor,
  ...extra,
});
const uni = { factory: FACTORY, positionManager: FACTORY, quoter: FACTORY, router: FACTORY, feeTiers: [500] };
const aave = { pool: FACTORY, poolAddressesProvider: FACTORY, uiPoolDataProvider: FACTORY };
const chains = [
  setup("ethereum", 1, { protocols: protocolsOf({ uniswap: uni, aave }) }),
  setup("base", 8453),
];
const err = (specs: SleeveSpec[]) => {
  try {
    resolveSleeveSlots(specs, chains);
  } catch (e) {
    return e;
  }
  return undefined;
};
const spec = (s: Partial<SleeveSpec>): SleeveSpec => ({
  id: "x",
  chain: "ethereum",
  kind: "token",
  weightBps: 0,
  ...s,
});

describe("resolveSleeveSlots", () => {
  it("maps specs to core slots: wallet token, Aave supply/debt by asset id, LP by CREATE2 pool address", () => {
    const slots = resolveSleeveSlots(
      [
        spec({ id: "a", asset: "weth" }),
        spec({ id: "b", kind: "aave-supply", asset: "USDC" }),
        spec({ id: "c", kind: "aave-borrow", asset: "USDC" }),
        spec({ id: "d", kind: "uniswap-v3-lp", pool: "USDC/WETH/500" }),
        spec({ id: "e", chain: "base", asset: "USDC" }),
      ],
      chains,
    );
    expect(slots.map((s) => [s.protocol, s.kind, s.ref])).toEqual([
      ["wallet", "token", assetId(1, WETH)],
      ["aave-v3", "supply", assetId(1, USDC)],
      ["aave-v3", "debt", assetId(1, USDC)],
      [
        "uniswap-v3",
        "lp",
        lpPoolRef(1, computePoolAddress({ factory: FACTORY, tokenA: WETH, tokenB: USDC, fee: 500 })),
      ],
      ["wallet", "token", assetId(8453, USDC)],
    ]);
    const lp = slots[3]!.pool!;
    expect([lp.token0.symbol, lp.token1.symbol, lp.fee, lp.rangeBps]).toEqual([
      "WETH",
      "USDC",
      500,
      DEFAULT_RANGE_BPS,
    ]);
    expect(
      sleevesByChain(slots)
        .get(1)!
        .flatMap((s) => (s.pool ? [s.pool.address] : [])),
    ).toEqual([lp.address]);
  });

  it("names the field of every config mistake", () => {
    const cases: [SleeveSpec, string][] = [
      [spec({ chain: "arbitrum", asset: "WETH" }), "sleeves[0].chain"],
      [spec({ asset: "DAI" }), "sleeves[0].asset"],
      [spec({}), "sleeves[0].asset"],
      [spec({ chain: "base", kind: "aave-supply", asset: "USDC" }), "sleeves[0].kind"],
      [spec({ chain: "base", kind: "uniswap-v3-lp", pool: "WETH/USDC/500" }), "sleeves[0].kind"],
      [spec({ kind: "uniswap-v3-lp", pool: "WETH-USDC" }), "sleeves[0].pool"],
      [spec({ kind: "uniswap-v3-lp", pool: "WETH/WETH/500" }), "sleeves[0].pool"],
      [spec({ kind: "uniswap-v3-lp", pool: "WETH/USDC/500", rangeBps: 0 }), "sleeves[0].rangeBps"],
    ];
    for (const [s, field] of cases) {
      const e = err([s]);
      expect(e, field).toBeInstanceOf(InvalidCycleConfigError);
      expect((e as InvalidCycleConfigError).field).toBe(field);
    }
    const twice = setup("x", 1, { tokens: [token(1, WETH, "USDC", 18), token(1, USDC, "USDC", 6)] });
    expect(() => resolveSleeveSlots([spec({ chain: "x", asset: "USDC" })], [twice])).toThrow(
      /several tokens/,
    );
    expect(parsePoolSpec({ symbol0: "A", symbol1: "B", fee: 3000 })).toEqual({
      symbol0: "A",
      symbol1: "B",
      fee: 3000,
    });
  });
});

describe("defaultCostModel", () => {
  it("gives LP pairs their pool fee both ways, 30 bps elsewhere, and mainnet vs L2 gas", () => {
    const slots = resolveSleeveSlots(
      [
        spec({ kind: "uniswap-v3-lp", pool: "WETH/USDC/500" }),
        spec({ id: "y", chain: "base", asset: "USDC" }),
      ],
      chains,
    );
    const m = defaultCostModel({ slots });
    expect(m.swap.default).toEqual({ feeBps: 30, slippageBps: 10 });
    expect(m.swap.pairs?.map((p) => [p.assetIn, p.assetOut, p.feeBps])).toEqual(
      [
        [assetId(1, USDC), assetId(1, WETH), 5],
        [assetId(1, WETH), assetId(1, USDC), 5],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    const gas = m.gasUsd?.chains ?? [];
    expect(gas.map((g) => g.chainId)).toEqual([1, 8453]);
    expect(gas[0]!.gas.swap! > gas[1]!.gas.swap!).toBe(true);
    expect(m.bridges).toBeUndefined();
  });
});

describe("withLandingSleeves", () => {
  const eth = setup("ethereum", 1);
  const base = setup("base", 8453);
  const [wethBase, usdcBase] = base.tokens as [Asset, Asset];
  const WAD = 10n ** 18n;
  const prices = new Map([
    [usdcBase.id, WAD],
    [wethBase.id, 3_000n * WAD],
  ]);
  const routes = [{ symbol: "USDC", fromChainId: 1, toChainId: 8453, feeBps: 5, fixedUsd: WAD }];
  const wallet = (a: Asset, amount: bigint): Holding => ({
    id: `wallet:${a.id}`,
    chainId: a.chainId,
    protocol: "wallet",
    kind: "token",
    ref: a.id,
    exposures: [{ asset: a.id, amount }],
  });
  const on = (holdings: Holding[]): Snapshot => ({
    assets: new Map(base.tokens.map((t) => [t.id, t])),
    chains: [{ chainId: 8453, blockNumber: 1n, timestamp: 1n, holdings, prices: new Map() }],
  });
  const supplyOnly: Policy = {
    sleeves: [
      { id: "a", chainId: 8453, protocol: "aave-v3", kind: "supply", ref: usdcBase.id, targetBps: 10_000 },
    ],
    bands: { absoluteBps: 500 },
    rebalanceTo: "target",
    minTradeUsd: 100n * WAD,
    maxSlippageBps: 100,
    maxValueLossBps: 100,
  } as Policy;
  const ids = (p: Policy) => p.sleeves.map((s) => s.id);

  it("claims a bridged token's arrival on a chain with no token sleeve of it: a 0% token sleeve", () => {
    const p = withLandingSleeves(
      supplyOnly,
      on([wallet(usdcBase, 5_000n * 10n ** 6n)]),
      prices,
      [eth, base],
      routes,
    );
    expect(p.sleeves.at(-1)).toEqual({
      id: landingSleeveId("base", "USDC"),
      chainId: 8453,
      protocol: "wallet",
      kind: "token",
      ref: usdcBase.id,
      targetBps: 0,
    });
  });

  it("claims what is in transit, however small; leaves dust below the minimum trade outside", () => {
    const transit = withInTransit(on([]).chains[0]!, [{ id: "7", chainId: 8453, token: USDC, amount: 1n }]);
    const inFlight = withLandingSleeves(supplyOnly, { ...on([]), chains: [transit] }, prices, [base], routes);
    expect(ids(inFlight)).toEqual(["a", "landing:base:USDC"]);
    expect(
      withLandingSleeves(supplyOnly, on([wallet(usdcBase, 99n * 10n ** 6n)]), prices, [base], routes),
    ).toBe(supplyOnly);
  });

  it("adds none where a token sleeve holds the token, or for a token no route carries", () => {
    const withToken: Policy = {
      ...supplyOnly,
      sleeves: [
        ...supplyOnly.sleeves,
        { ...supplyOnly.sleeves[0]!, id: "t", protocol: "wallet", kind: "token", targetBps: 0 },
      ],
    };
    const big = on([wallet(usdcBase, 5_000n * 10n ** 6n), wallet(wethBase, 10n * WAD)]);
    expect(ids(withLandingSleeves(withToken, big, prices, [base], routes))).toEqual(["a", "t"]);
    expect(ids(withLandingSleeves(supplyOnly, big, prices, [base], []))).toEqual(["a"]);
  });
});

import { describe, expect, it } from "vitest";
import { BASE, DAI1, ETH, USDC1, USDC8453, usd, WETH1, WETH8453 } from "../../test/fixtures.ts";
import { node, OP, route, setup, USDC10 } from "../../test/flows.ts";
import type { AssetId } from "../model.ts";
import { chainSwaps } from "./chains.ts";
import type { CrossChain, FlowNode, PlannedTransfer } from "./types.ts";

const nodesOf = (...ns: FlowNode[]) => new Map<AssetId, FlowNode>(ns.map((n) => [n.asset, n]));
const E6 = 10n ** 6n;
/** The cross-chain phase's answer: these transfers, their chains as senders and receivers. */
const crossing = (planned: PlannedTransfer[]): CrossChain => ({
  planned,
  senders: new Set(planned.map((t) => t.route.fromChainId)),
  receivers: new Set(planned.map((t) => t.route.toChainId)),
  unmet: null,
});
const none = crossing([]);

describe("chainSwaps", () => {
  it("a receiving chain swaps what arrives, net of the bridge's cost, into what it needs", () => {
    // 1,000 USDC bridged at 0.1% arrive as 999; at 0.3% they buy 999 / 2,000 × 0.997 WETH.
    const { ctx, routes } = setup([route("USDC", ETH, BASE, 10)], { swapBps: 30 });
    const nodes = nodesOf(node(USDC1, 1000), node(WETH8453, -1000), node(USDC8453, 0));
    const r = chainSwaps(
      ctx,
      nodes,
      crossing([{ route: routes[0]!, usd: usd("1000"), from: USDC1.id }]),
      new Set(),
    );
    expect(r.transfers.map((t) => [t.amount, t.received, t.usd, t.costUsd])).toEqual([
      [1000n * E6, 999n * E6, usd("1000"), usd("1")],
    ]);
    expect(r.swaps.map((s) => [s.chainId, s.assetIn, s.amountIn, s.expectedOut, s.feeUsd])).toEqual([
      [BASE, USDC8453.id, 999n * E6, 498_001_500_000_000_000n, usd("2.997")],
    ]);
    // minOut: 0.4995 WETH less the fee, less the 0.5% slippage guard.
    expect(r.swaps[0]?.minOut).toBe(495_511_492_500_000_000n);
    expect([r.bridgeUsd, r.feesUsd, r.chainCost.get(BASE), r.chainCost.get(ETH)]).toEqual([
      usd("1"),
      usd("2.997"),
      usd("2.997"),
      0n,
    ]);
    expect(r.available.get(WETH8453.id)).toBe(498_001_500_000_000_000n);
  });

  it("a node short of what it plans to bridge sends proportionally less over each route, the last the rest", () => {
    // 900 USDC for 600 + 400 planned: 540 and 360. Base's route costs 0.1% + $2: 537.46 arrive.
    const { ctx, routes } = setup([route("USDC", ETH, BASE, 10, "2"), route("USDC", ETH, OP, 10)]);
    const t = (i: number, dollars: string): PlannedTransfer => ({
      route: routes[i]!,
      usd: usd(dollars),
      from: USDC1.id,
    });
    const nodes = nodesOf(node(USDC1, 900), node(USDC8453, -600), node(USDC10, -400));
    const r = chainSwaps(ctx, nodes, crossing([t(0, "600"), t(1, "400")]), new Set());
    expect(r.transfers.map((x) => [x.route.toChainId, x.amount, x.received, x.costUsd])).toEqual([
      [BASE, 540n * E6, 537_460_000n, usd("2.54")],
      [OP, 360n * E6, 359_640_000n, usd("0.36")],
    ]);
    expect([r.bridgeOut.get(USDC1.id), r.available.get(USDC8453.id), r.bridgeUsd]).toEqual([
      900n * E6,
      537_460_000n,
      usd("2.9"),
    ]);
    // A unit short of 900: the first share rounds down, the last takes the rest, so no unit is lost.
    const odd = chainSwaps(
      ctx,
      nodesOf(node(USDC1, 899.999999), node(USDC8453, -600), node(USDC10, -400)),
      crossing([t(0, "600"), t(1, "400")]),
      new Set(),
    );
    expect(odd.transfers.map((x) => x.amount)).toEqual([539_999_999n, 360_000_000n]);
  });

  it("a transfer that shrinks below the minimum trade is not sent: its units stay", () => {
    const { ctx, routes } = setup([route("USDC", ETH, BASE, 10)], { minTrade: "100" });
    const nodes = nodesOf(node(USDC1, 50), node(USDC8453, -1000));
    const r = chainSwaps(
      ctx,
      nodes,
      crossing([{ route: routes[0]!, usd: usd("1000"), from: USDC1.id }]),
      new Set(),
    );
    expect([r.transfers, r.bridgeOut.get(USDC1.id), r.available.get(USDC1.id), r.bridgeUsd]).toEqual([
      [],
      0n,
      50n * E6,
      0n,
    ]);
  });

  const swapsOf = (ns: FlowNode[]) => {
    const r = chainSwaps(setup([], { swapBps: 30 }).ctx, nodesOf(...ns), none, new Set());
    return r.swaps.map((s) => [s.assetOut, s.amountIn] as const);
  };

  it("a chain short of its asks gives each deficit the same share of its ask (not the largest first)", () => {
    // 1,000 USDC for $900 of WETH and $300 of DAI: all of it goes, 3 : 1 (to a unit of rounding).
    const swaps = swapsOf([node(USDC1, 1000), node(WETH1, -900), node(DAI1, -300)]);
    expect(swaps.reduce((a, [, x]) => a + x, 0n)).toBe(1000n * E6);
    expect(swaps.map(([to]) => to)).toEqual([WETH1.id, DAI1.id]);
    const off = (x: bigint, target: bigint) => (x > target ? x - target : target - x);
    expect(swaps.map(([, x], k) => off(x, [750n, 250n][k]! * E6) <= 1n)).toEqual([true, true]);
  });

  it("a chain releasing more than its deficits need places the excess in proportion: no unit stays idle", () => {
    expect(swapsOf([node(USDC1, 1000), node(WETH1, -300), node(DAI1, -100)])).toEqual([
      [WETH1.id, 750n * E6],
      [DAI1.id, 250n * E6],
    ]);
  });
});

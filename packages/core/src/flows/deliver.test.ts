import { describe, expect, it } from "vitest";
import { USDC1, WETH1 } from "../../test/fixtures.ts";
import { WAD } from "../math.ts";
import type { AssetId } from "../model.ts";
import { deliveries } from "./deliver.ts";
import type { ChainFlows, FlowNode, SinkDraft } from "./types.ts";

const USDC = USDC1.id;
const WETH = WETH1.id;
/** Nodes with their total demand (units); prices 1 (USDC, 6 decimals) and 2,000 (WETH, 18). */
const nodes = (usdc: bigint, weth = 0n) =>
  new Map<AssetId, FlowNode>([
    [USDC, { asset: USDC, chainId: 1, dec: 6, price: WAD, released: 0n, demand: usdc }],
    [WETH, { asset: WETH, chainId: 1, dec: 18, price: 2000n * WAD, released: 0n, demand: weth }],
  ]);
/** What phase 3 left: units held per node, and what each bridges out. Deliveries read nothing else of it. */
const held = (available: [AssetId, bigint][], bridgeOut: [AssetId, bigint][] = []) =>
  ({ available: new Map(available), bridgeOut: new Map(bridgeOut) }) as unknown as ChainFlows;
const sink = (i: number, asset: AssetId, units: bigint, extra: Partial<SinkDraft> = {}): SinkDraft => ({
  i,
  fraction: WAD,
  parts: [{ asset, units, need: units }],
  ...extra,
});
const given = (d: ReturnType<typeof deliveries>) =>
  d.entries.map((e) => [e.i, e.amounts.get(USDC) ?? 0n, e.fraction] as const);

describe("deliveries", () => {
  it("serves full repays first, and the other sinks share what is left", () => {
    // 80 for asks of 60 (a full repay of a 60 debt) and 40: the repay is whole, the other gets half.
    const sinks = [sink(0, USDC, 40n, { fraction: WAD / 4n }), sink(1, USDC, 60n, { cap: 60n, full: true })];
    const d = deliveries(nodes(100n), sinks, held([[USDC, 100n]], [[USDC, 20n]]));
    expect(given(d)).toEqual([
      [0, 20n, WAD / 4n],
      [1, 60n, WAD],
    ]);
    expect([...d.residual]).toEqual([]);
    expect(d.nodeRho.get(USDC)).toBe((8n * WAD) / 10n);
  });

  it("a full repay short of units repays that share of its debt; the others then get nothing", () => {
    const sinks = [sink(0, USDC, 40n), sink(1, USDC, 60n, { cap: 60n, full: true })];
    const d = deliveries(nodes(100n), sinks, held([[USDC, 30n]]));
    expect(given(d)).toEqual([[1, 30n, WAD / 2n]]);
  });

  it("a repay never exceeds its debt, and one that delivers all of it is whole whatever its ask's fraction", () => {
    // Losses were over-estimated: 60 held for an ask of 50. The repay's cap (the debt) is 40; the 20 left stay idle.
    const sinks = [sink(0, USDC, 50n, { cap: 40n, fraction: WAD - 1n })];
    const d = deliveries(nodes(50n), sinks, held([[USDC, 60n]]));
    expect(given(d)).toEqual([[0, 40n, WAD]]);
    expect([...d.residual]).toEqual([[USDC, 20n]]);
    expect(d.nodeRho.get(USDC)).toBe((12n * WAD) / 10n);
  });

  it("a multi-asset sink gets the same share of its need on every asset: the smallest", () => {
    // USDC can give half of its ask, WETH all: the LP gets half of each, in either order of its parts.
    const usdc = { asset: USDC, units: 100n, need: 100n };
    const weth = { asset: WETH, units: 10n ** 18n, need: 10n ** 18n };
    for (const parts of [
      [usdc, weth],
      [weth, usdc],
    ]) {
      const lp: SinkDraft = { i: 0, fraction: WAD, parts };
      const d = deliveries(
        nodes(100n, 10n ** 18n),
        [lp],
        held([
          [USDC, 50n],
          [WETH, 10n ** 18n],
        ]),
      );
      expect(d.entries.map((e) => [e.amounts.get(USDC), e.amounts.get(WETH), e.usd])).toEqual([
        [50n, 10n ** 18n / 2n, 1000n * WAD + 50n * 10n ** 12n],
      ]);
      expect([...d.residual]).toEqual([[WETH, 10n ** 18n / 2n]]);
    }
  });
});

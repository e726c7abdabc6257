import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DAI1, ETH, USDC1, USDC8453, usd, WBTC1, WETH1 } from "../../test/fixtures.ts";
import { node, setup } from "../../test/flows.ts";
import { CBPS } from "../cost.ts";
import { WAD } from "../math.ts";
import type { Asset } from "../model.ts";
import { exactMatch, greedyMatch, type Pair, shareOfShortfall } from "./match.ts";

/** Balance of a chain when every node asks κ × want: surpluses minus deficits grossed up by the swap cost. */
const balance = (have: bigint[], want: bigint[], rate: bigint, k: bigint) =>
  have.reduce((s, h, j) => {
    const x = h * WAD - k * (want[j] as bigint);
    return s + (x >= 0n ? x * (CBPS - rate) : x * CBPS);
  }, 0n);

describe("shareOfShortfall", () => {
  it("is 1 when the chain has enough, else the share that balances after swap costs", () => {
    expect(shareOfShortfall([100n, 0n], [0n, 100n], 0n)).toBe(WAD);
    // 100 of surplus feeds a deficit that loses 1%: each ask can be met at 99%.
    expect(shareOfShortfall([100n * WAD, 0n], [0n, 100n * WAD], 10_000n)).toBe((99n * WAD) / 100n);
    // Nothing to give: 0.
    expect(shareOfShortfall([0n], [5n], 0n)).toBe(0n);
  });

  it("is the largest κ whose balance is ≥ 0 (checked against the definition)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 24n }), fc.bigInt({ min: 0n, max: 10n ** 24n })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.bigInt({ min: 0n, max: 50_000n }),
        (nodes, rate) => {
          const have = nodes.map((n) => n[0]);
          const want = nodes.map((n) => n[1]);
          const k = shareOfShortfall(have, want, rate);
          expect(k >= 0n && k <= WAD).toBe(true);
          expect(balance(have, want, rate, k) >= 0n).toBe(true);
          if (k < WAD) expect(balance(have, want, rate, k + 2n) < 0n).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** A side of `dollars` (USD wad) on the node of `a`. */
const side = (a: Asset, dollars: string) => ({ n: node(a, 0), usd: usd(dollars) });
const pairs = (ps: Pair[]) => ps.map((p) => [p.from.asset, p.to.asset, p.usd]);

describe("greedyMatch", () => {
  it("matches the largest surplus with the largest deficit, and so on", () => {
    const sur = [side(USDC1, "10"), side(DAI1, "30")];
    const def = [side(WETH1, "15"), side(USDC8453, "25")];
    expect(pairs(greedyMatch(sur, def))).toEqual([
      [DAI1.id, USDC8453.id, usd("25")],
      [DAI1.id, WETH1.id, usd("5")],
      [USDC1.id, WETH1.id, usd("10")],
    ]);
    expect(sur.map((s) => s.usd)).toEqual([usd("10"), usd("30")]); // the inputs are left alone
  });

  it("breaks ties by asset id, in either input order, and makes no empty pair", () => {
    const def = [side(WETH1, "20"), side(WBTC1, "0")];
    const expected = [
      [USDC1.id, WETH1.id, usd("10")],
      [DAI1.id, WETH1.id, usd("10")],
    ];
    expect(pairs(greedyMatch([side(USDC1, "10"), side(DAI1, "10")], def))).toEqual(expected);
    expect(pairs(greedyMatch([side(DAI1, "10"), side(USDC1, "10")], [...def].reverse()))).toEqual(expected);
  });
});

describe("exactMatch", () => {
  it("finds the cheapest transportation under pair costs (fee + slippage), where greedy would not", () => {
    // USDC→WBTC 1 + 4 and DAI→WETH 4 + 1: 10 bps in all, where greedy's USDC→WETH (10 + 30) and DAI→WBTC (the
    // default 30) cost 70.
    const pair = (assetIn: Asset, assetOut: Asset, feeBps: number, slippageBps: number) => ({
      chainId: ETH,
      assetIn: assetIn.id,
      assetOut: assetOut.id,
      feeBps,
      slippageBps,
    });
    const { ctx } = setup([], {
      swapBps: 30,
      pairs: [pair(USDC1, WETH1, 10, 30), pair(USDC1, WBTC1, 1, 4), pair(DAI1, WETH1, 4, 1)],
    });
    const sur = [side(USDC1, "100"), side(DAI1, "100")];
    const def = [side(WETH1, "100"), side(WBTC1, "100")];
    expect(pairs(greedyMatch(sur, def))).toEqual([
      [USDC1.id, WETH1.id, usd("100")],
      [DAI1.id, WBTC1.id, usd("100")],
    ]);
    expect(pairs(exactMatch(ctx, ETH, sur, def))).toEqual([
      [USDC1.id, WBTC1.id, usd("100")],
      [DAI1.id, WETH1.id, usd("100")],
    ]);
  });
});

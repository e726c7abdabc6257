import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CBPS } from "../cost.ts";
import { WAD } from "../math.ts";
import { shareOfShortfall } from "./match.ts";

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

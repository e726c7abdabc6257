import { describe, expect, it } from "vitest";
import { minCostFlow } from "./flow.ts";

describe("minCostFlow", () => {
  it("solves a transportation problem exactly (greedy would not)", () => {
    // Supplies a=10, b=10; demands c=10, d=10. Costs: a→c 1, a→d 2, b→c 1, b→d 100.
    // Greedy a→c first forces b→d (cost 110); the optimum is a→d + b→c (cost 30).
    const res = minCostFlow(
      4,
      [10n, 10n, -10n, -10n],
      [
        { from: 0, to: 2, cost: 1 },
        { from: 0, to: 3, cost: 2 },
        { from: 1, to: 2, cost: 1 },
        { from: 1, to: 3, cost: 100 },
      ],
    );
    expect(res.flows).toEqual([0n, 10n, 10n, 0n]);
    expect(res.shipped).toBe(20n);
  });

  it("routes through intermediate nodes and reports unmet supply and demand", () => {
    const res = minCostFlow(
      4,
      [5n, 0n, -3n, -4n],
      [
        { from: 0, to: 1, cost: 1 },
        { from: 1, to: 2, cost: 1 },
      ],
    );
    expect(res.flows).toEqual([3n, 3n]);
    expect(res.unmetSupply).toEqual([2n, 0n, 0n, 0n]);
    expect(res.unmetDemand).toEqual([0n, 0n, 0n, 4n]);
  });

  it("is deterministic on ties and rejects bad costs", () => {
    const arcs = [
      { from: 0, to: 1, cost: 1 },
      { from: 0, to: 2, cost: 1 },
      { from: 1, to: 3, cost: 0 },
      { from: 2, to: 3, cost: 0 },
    ];
    const a = minCostFlow(4, [7n, 0n, 0n, -7n], arcs);
    const b = minCostFlow(4, [7n, 0n, 0n, -7n], arcs);
    expect(a).toEqual(b);
    expect(() => minCostFlow(2, [1n, -1n], [{ from: 0, to: 1, cost: -1 }])).toThrow(RangeError);
  });

  it("breaks a tie between equal paths toward the lower node, whatever the order of the arcs", () => {
    const via = (arcs: { from: number; to: number; cost: number }[]) => {
      const res = minCostFlow(4, [7n, 0n, 0n, -7n], arcs);
      return arcs.filter((_, k) => res.flows[k] === 7n).map((a) => `${a.from}>${a.to}`);
    };
    const a = { from: 0, to: 1, cost: 1 };
    const b = { from: 0, to: 2, cost: 1 };
    const c = { from: 1, to: 3, cost: 0 };
    const d = { from: 2, to: 3, cost: 0 };
    expect(via([a, b, c, d])).toEqual(["0>1", "1>3"]);
    expect(via([d, c, b, a])).toEqual(["1>3", "0>1"]);
  });
});

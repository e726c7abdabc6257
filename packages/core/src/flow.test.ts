import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FlowArc, type FlowResult, minCostFlow } from "./flow.ts";

/**
 * The optimality certificate of a min-cost flow, checked on the result alone: flow is conserved at every node, no
 * unmet supply can still reach an unmet demand in the residual network (as much as possible is shipped), and the
 * residual network has no negative cycle (no rerouting ships the same amount cheaper). Super-source `n`, sink `n + 1`.
 */
function checkOptimal(n: number, supply: bigint[], arcs: FlowArc[], res: FlowResult): void {
  const S = n;
  const T = n + 1;
  const net = new Array<bigint>(n).fill(0n);
  const edges: { from: number; to: number; cost: number }[] = [];
  arcs.forEach((a, k) => {
    const f = res.flows[k] as bigint;
    expect(f >= 0n).toBe(true);
    net[a.from] = (net[a.from] as bigint) - f;
    net[a.to] = (net[a.to] as bigint) + f;
    edges.push(a); // uncapacitated: always more room forward
    if (f > 0n) edges.push({ from: a.to, to: a.from, cost: -a.cost });
  });
  let shipped = 0n;
  for (let v = 0; v < n; v++) {
    const s = supply[v] as bigint;
    const out = s > 0n ? s - (res.unmetSupply[v] as bigint) : 0n; // shipped from v's supply
    const into = s < 0n ? -s - (res.unmetDemand[v] as bigint) : 0n; // delivered to v's demand
    // Unmet supply only where there is supply, unmet demand only where there is demand, never more than asked.
    if (s <= 0n) expect(res.unmetSupply[v]).toBe(0n);
    if (s >= 0n) expect(res.unmetDemand[v]).toBe(0n);
    expect(out >= 0n && into >= 0n && (s <= 0n || out <= s) && (s >= 0n || into <= -s)).toBe(true);
    expect((net[v] as bigint) + out - into).toBe(0n); // conservation
    shipped += out;
    if (out < s) edges.push({ from: S, to: v, cost: 0 });
    if (out > 0n) edges.push({ from: v, to: S, cost: 0 });
    if (into < -s) edges.push({ from: v, to: T, cost: 0 });
    if (into > 0n) edges.push({ from: T, to: v, cost: 0 });
  }
  expect(res.shipped).toBe(shipped);
  // Bellman–Ford from every node at once (all distances 0): a relaxation in round n + 2 means a negative cycle.
  const dist = new Array<number>(n + 2).fill(0);
  let relaxed = true;
  for (let round = 0; round < n + 2 && relaxed; round++) {
    relaxed = false;
    for (const e of edges)
      if ((dist[e.from] as number) + e.cost < (dist[e.to] as number)) {
        dist[e.to] = (dist[e.from] as number) + e.cost;
        relaxed = true;
      }
  }
  expect(relaxed).toBe(false);
  // Reachability of T from S in the residual network.
  const seen = new Set([S]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const e of edges)
      if (seen.has(e.from) && !seen.has(e.to)) {
        seen.add(e.to);
        grew = true;
      }
  }
  expect(seen.has(T)).toBe(false);
}

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

  it("reroutes through a reverse arc when that is cheaper (its cost is minus the arc's)", () => {
    // As above but b→d costs 3: after a→c, sending b's 10 via b→c, back along c←a and on a→d costs 1 − 1 + 2 = 2 < 3.
    const res = minCostFlow(
      4,
      [10n, 10n, -10n, -10n],
      [
        { from: 0, to: 2, cost: 1 },
        { from: 0, to: 3, cost: 2 },
        { from: 1, to: 2, cost: 1 },
        { from: 1, to: 3, cost: 3 },
      ],
    );
    expect(res.flows).toEqual([0n, 10n, 10n, 0n]);
  });

  it("reports a demand nothing can reach as unmet, and names a bad cost", () => {
    expect(minCostFlow(2, [-5n, 3n], [])).toEqual({
      flows: [],
      shipped: 0n,
      unmetSupply: [0n, 3n],
      unmetDemand: [5n, 0n],
    });
    expect(() => minCostFlow(2, [1n, -1n], [{ from: 0, to: 1, cost: 0.5 }])).toThrow(
      "arc cost must be an integer ≥ 0: 0.5",
    );
  });

  it("is optimal on random networks: conserved, nothing more can be shipped, no cheaper rerouting", () => {
    const network = fc.integer({ min: 2, max: 7 }).chain((n) =>
      fc.record({
        n: fc.constant(n),
        supply: fc.array(fc.bigInt({ min: -20n, max: 20n }), { minLength: n, maxLength: n }),
        arcs: fc.array(
          fc.record({
            from: fc.integer({ min: 0, max: n - 1 }),
            to: fc.integer({ min: 0, max: n - 1 }),
            cost: fc.integer({ min: 0, max: 9 }),
          }),
          { maxLength: 3 * n },
        ),
      }),
    );
    fc.assert(
      fc.property(network, ({ n, supply, arcs }) => {
        const loopless = arcs.filter((a) => a.from !== a.to);
        checkOptimal(n, supply, loopless, minCostFlow(n, supply, loopless));
      }),
      { numRuns: 300 },
    );
  });
});

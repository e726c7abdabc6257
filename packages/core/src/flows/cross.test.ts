import { describe, expect, it } from "vitest";
import { BASE, ETH, USDC1, USDC8453, usd, WETH1, WETH8453 } from "../../test/fixtures.ts";
import { node, OP, route, setup, USDC10 } from "../../test/flows.ts";
import type { BridgeRoute } from "../cost.ts";
import { formatUnits } from "../math.ts";
import { crossChainFlows } from "./cross.ts";
import type { CrossChain, FlowContext, FlowNode, Nodes } from "./types.ts";

/** A phase-2 context: bridges allowed (as in a global plan), in the given objective; minimum trade and tolerance $0.01. */
const ctxOf = (
  bridges: BridgeRoute[],
  objective: "cost" | "least-bridging",
  allowBridges = true,
): FlowContext => ({
  ...setup(bridges).ctx,
  allowBridges,
  bridge: { objective, premiumCbps: 0 },
});
/** The transfers as `symbol from→to: dollars`. */
const planned = (c: CrossChain) =>
  c.planned.map(
    (t) => `${t.route.symbol} ${t.route.fromChainId}→${t.route.toChainId}: ${formatUnits(t.usd, 18)}`,
  );
/** The phase-1 nodes, by asset. */
const byChain = (...ns: FlowNode[]): Nodes => new Map(ns.map((n) => [n.asset, n]));
/** Nothing crosses, nothing is unmet. */
const NONE: CrossChain = { planned: [], senders: new Set(), receivers: new Set(), unmet: null };

describe("crossChainFlows, least bridging", () => {
  const oneWay = [route("USDC", ETH, BASE, 5, "1")];

  it("moves a chain's surplus to the chain short of value over the route that goes that way", () => {
    const ctx = ctxOf(oneWay, "least-bridging");
    // Ethereum releases $10,000 of WETH and USDC, Base asks for $10,000 of USDC: it all crosses, as USDC.
    const c = crossChainFlows(ctx, byChain(node(WETH1, 4000), node(USDC1, 6000), node(USDC8453, -10_000)));
    expect(planned(c)).toEqual(["USDC 1→8453: 10000"]);
    expect(c.unmet).toBeNull();
    expect([...c.senders]).toEqual([ETH]);
    expect([...c.receivers]).toEqual([BASE]);
  });

  it("a route that goes the other way carries nothing: the value that must cross is unmet", () => {
    const ctx = ctxOf([route("USDC", BASE, ETH, 5, "1")], "least-bridging");
    const c = crossChainFlows(ctx, byChain(node(USDC1, 10_000), node(USDC8453, -10_000)));
    expect(c.planned).toEqual([]);
    expect(c.unmet).toEqual({ usd: usd("10000"), from: [ETH], to: [BASE] });
  });

  it("the route's fixed cost is spread over what can cross: the cheaper route in truth wins", () => {
    // $1,000 crosses. Route A: 1 bps + $5 (= 51 bps on $1,000); route B: 10 bps, no fixed cost. B is cheaper.
    const ctx = ctxOf([route("USDC", ETH, BASE, 1, "5"), route("WETH", ETH, BASE, 10)], "least-bridging");
    const small = byChain(node(USDC1, 500), node(WETH1, 500), node(USDC8453, -500), node(WETH8453, -500));
    expect(planned(crossChainFlows(ctx, small))).toEqual(["WETH 1→8453: 1000"]);
    // $100,000 crosses: A is 1.5 bps, B 10 bps. A wins.
    const large = byChain(
      node(USDC1, 50_000),
      node(WETH1, 50_000),
      node(USDC8453, -50_000),
      node(WETH8453, -50_000),
    );
    expect(planned(crossChainFlows(ctx, large))).toEqual(["USDC 1→8453: 100000"]);
  });

  it("nothing crosses when every chain's total is within the tolerance, however the assets are mixed", () => {
    const ctx = ctxOf([...oneWay, route("WETH", BASE, ETH, 5, "1")], "least-bridging");
    // Mirror imbalances: per-chain totals are 0. Least bridging swaps on each chain instead.
    const mirror = crossChainFlows(
      ctx,
      byChain(node(USDC1, 10_000), node(WETH1, -10_000), node(USDC8453, -10_000), node(WETH8453, 10_000)),
    );
    expect(mirror).toEqual(NONE);
  });

  it("the tolerance is strict: a surplus and a deficit of exactly it do not cross, a cent more does", () => {
    const ctx = ctxOf(oneWay, "least-bridging");
    expect(ctx.crossTol).toBe(usd("0.01"));
    expect(crossChainFlows(ctx, byChain(node(USDC1, 0.01), node(USDC8453, -0.01))).planned).toEqual([]);
    expect(planned(crossChainFlows(ctx, byChain(node(USDC1, 0.02), node(USDC8453, -0.02))))).toEqual([
      "USDC 1→8453: 0.02",
    ]);
  });

  it("each chain's imbalance is weighed alone: chains each within the tolerance move nothing, whatever their sum", () => {
    // No route at all, in either objective: value that should cross and cannot would be unmet. Two chains a cent
    // over and one five cents short are each within the tolerance: nothing should cross, so nothing is unmet.
    for (const objective of ["cost", "least-bridging"] as const) {
      const ctx = ctxOf([], objective);
      const over = crossChainFlows(
        ctx,
        byChain(node(USDC1, 0.01), node(USDC10, 0.01), node(USDC8453, -0.05)),
      );
      expect(over).toEqual(NONE);
      const short = crossChainFlows(
        ctx,
        byChain(node(USDC1, 0.05), node(USDC10, -0.01), node(USDC8453, -0.01)),
      );
      expect(short).toEqual(NONE);
    }
  });

  it("a chain whose own surplus is within the tolerance sends nothing, though a route from it is open", () => {
    const ctx = ctxOf([route("USDC", ETH, BASE, 0), route("USDC", OP, BASE, 0)], "least-bridging");
    const c = crossChainFlows(ctx, byChain(node(USDC1, 0.01), node(USDC10, 50), node(USDC8453, -50.01)));
    expect(planned(c)).toEqual(["USDC 10→8453: 50"]);
    expect(c.unmet).toBeNull();
  });

  it("bridges only from a chain with value to spare to one short of it: no hop through a third chain", () => {
    // Ethereum's surplus could reach Base through OP (ETH → OP → Base), but OP has a surplus of its own: the
    // ETH → OP route is not in the least-bridging graph, and Ethereum's $10,000 is unmet.
    const ctx = ctxOf([route("USDC", ETH, OP, 1), route("USDC", OP, BASE, 1)], "least-bridging");
    const c = crossChainFlows(ctx, byChain(node(USDC1, 10_000), node(USDC10, 5000), node(USDC8453, -15_000)));
    expect(planned(c)).toEqual(["USDC 10→8453: 5000"]);
    expect(c.unmet).toEqual({ usd: usd("10000"), from: [ETH], to: [BASE] });
  });

  it("value short on chains where no chain has any to spare does not cross (and is not reported unmet)", () => {
    // Both chains ask for more than they release (a rounding or loss shortfall): no bridge can fix that.
    const ctx = ctxOf(oneWay, "least-bridging");
    const c = crossChainFlows(ctx, byChain(node(USDC1, 100), node(WETH1, -300), node(USDC8453, -200)));
    expect(c).toEqual(NONE);
  });
});

describe("crossChainFlows, either objective", () => {
  it("with bridges not allowed (a per-chain plan) nothing crosses, and value that must cross is unmet", () => {
    for (const objective of ["cost", "least-bridging"] as const) {
      const ctx = ctxOf([route("USDC", ETH, BASE, 5, "1")], objective, false);
      const c = crossChainFlows(ctx, byChain(node(USDC1, 10_000), node(USDC8453, -10_000)));
      expect(c.planned).toEqual([]);
      expect(c.unmet).toEqual({ usd: usd("10000"), from: [ETH], to: [BASE] });
    }
  });

  it("only routes between chains that have flows are used: an OP route does not make a crossing possible", () => {
    const ctx = ctxOf([route("USDC", ETH, OP, 1), route("USDC", OP, BASE, 1)], "cost");
    const c = crossChainFlows(ctx, byChain(node(USDC1, 10_000), node(USDC8453, -10_000)));
    expect(c.planned).toEqual([]);
    expect(c.unmet).toEqual({ usd: usd("10000"), from: [ETH], to: [BASE] });
    // With an OP node, the two hops carry it.
    const via = crossChainFlows(ctx, byChain(node(USDC1, 10_000), node(USDC10, 0), node(USDC8453, -10_000)));
    expect(via.unmet).toBeNull();
    expect(planned(via)).toEqual(["USDC 1→10: 10000", "USDC 10→8453: 10000"]);
  });
});

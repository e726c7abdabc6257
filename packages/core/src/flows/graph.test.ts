import { describe, expect, it } from "vitest";
import { BASE, ETH, USDC1, USDC8453, usd } from "../../test/fixtures.ts";
import { byChain, node, OP, route, setup, USDC10 } from "../../test/flows.ts";
import type { FlowResult } from "../flow.ts";
import { addRoute, crossingOf, hubsAndTokens, spreadCbps } from "./graph.ts";

describe("spreadCbps", () => {
  it("is the fixed cost over the estimated flow in centi-bps, rounded up, at most the cap", () => {
    expect(spreadCbps(usd("5"), usd("1000"), 1e9)).toBe(5000); // $5 on $1,000: 50 bps, exactly
    expect(spreadCbps(1n, 3n, 1e9)).toBe(333_334); // a third of 100% (1,000,000 centi-bps), up
    expect(spreadCbps(usd("5"), usd("1"), 300_000)).toBe(300_000);
  });

  it("is 0 without a fixed cost (whatever the estimate) and the cap with no flow estimated", () => {
    expect(spreadCbps(0n, 0n, 1e9)).toBe(0);
    expect(spreadCbps(0n, usd("1"), 1e9)).toBe(0);
    expect(spreadCbps(usd("5"), 0n, 77)).toBe(77);
  });
});

describe("hubsAndTokens", () => {
  it("numbers hubs in chain order, then route tokens sorted, whatever the order of the routes", () => {
    const { ctx, routes } = setup([route("USDC", BASE, OP, 1), route("USDC", ETH, BASE, 1)]);
    const nodes = byChain(node(USDC1, 1), node(USDC8453, -1), node(USDC10, 0));
    const a = hubsAndTokens(ctx, nodes, routes).g;
    const b = hubsAndTokens(ctx, nodes, [...routes].reverse()).g;
    expect(b.labels).toEqual(a.labels);
    expect(a.labels).toEqual([
      { chainId: ETH },
      { chainId: BASE },
      { chainId: OP },
      ...[USDC1, USDC8453, USDC10]
        .map((x) => ({ chainId: x.chainId, asset: x.id }))
        .sort((x, y) => (x.asset < y.asset ? -1 : 1)),
    ]);
  });
});

describe("crossingOf", () => {
  // Hubs 0–2 (chains 1, 8453, 10), then the three USDC nodes; the two route arcs come last.
  const { ctx, routes } = setup([route("USDC", ETH, BASE, 1), route("USDC", ETH, OP, 1)], { minTrade: "10" });
  const withRoutes = hubsAndTokens(
    ctx,
    byChain(node(USDC1, 1), node(USDC8453, -1), node(USDC10, -1)),
    routes,
  ).g;
  for (const r of routes) addRoute(withRoutes, r, 100);
  const result = (flows: bigint[], unmetSupply: bigint[] = [], unmetDemand: bigint[] = []): FlowResult => ({
    flows: [...new Array<bigint>(withRoutes.arcs.length - flows.length).fill(0n), ...flows],
    shipped: 0n,
    unmetSupply: [...unmetSupply, ...new Array<bigint>(6 - unmetSupply.length).fill(0n)],
    unmetDemand: [...unmetDemand, ...new Array<bigint>(6 - unmetDemand.length).fill(0n)],
  });

  it("plans a transfer of at least the minimum trade, none below it", () => {
    const c = crossingOf(ctx, withRoutes, result([usd("10"), usd("10") - 1n]));
    expect(c.planned.map((t) => [t.route.toChainId, t.usd])).toEqual([[BASE, usd("10")]]);
    expect([[...c.senders], [...c.receivers]]).toEqual([[ETH], [BASE]]);
  });

  it("reports unmet value beyond the tolerance, the smaller side, with the chains at either end sorted", () => {
    // Supply left on chain 10's hub and chain 1's token, demand on Base's and chain 10's hubs.
    const supply = [0n, 0n, usd("20"), 0n, 0n, 0n];
    supply[withRoutes.tokens.get(USDC1.id) as number] = usd("30");
    const unmet = crossingOf(ctx, withRoutes, result([], supply, [0n, usd("12"), usd("3")])).unmet;
    expect(unmet).toEqual({ usd: usd("15"), from: [ETH, OP], to: [OP, BASE] });
    expect(crossingOf(ctx, withRoutes, result([], [usd("10")], [0n, usd("10")])).unmet).toBeNull();
    expect(crossingOf(ctx, withRoutes, result([], [usd("10") + 1n], [0n, usd("10") + 1n])).unmet?.usd).toBe(
      usd("10") + 1n,
    );
  });
});

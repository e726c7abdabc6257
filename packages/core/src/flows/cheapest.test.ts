import { describe, expect, it } from "vitest";
import { BASE, DAI1, ETH, USDC1, USDC8453, usd, WETH1, WETH8453 } from "../../test/fixtures.ts";
import { byChain, node, OP, route, setup, USDC10 } from "../../test/flows.ts";
import { formatUnits } from "../math.ts";
import { cheapestCrossing } from "./cheapest.ts";
import type { FlowContext, FlowNode } from "./types.ts";

/** The transfers as `symbol from→to: dollars`. */
const transfers = (
  ctx: FlowContext,
  nodes: Map<number, FlowNode[]>,
  routes: ReturnType<typeof setup>["routes"],
) =>
  cheapestCrossing(ctx, nodes, routes).planned.map(
    (t) => `${t.route.symbol} ${t.route.fromChainId}→${t.route.toChainId}: ${formatUnits(t.usd, 18)}`,
  );

describe("cheapestCrossing", () => {
  const perUnitOrFixed = setup([route("USDC", ETH, BASE, 10), route("WETH", ETH, BASE, 0, "5")]);

  it("spreads a route's fixed cost over the flow: a small crossing takes the per-unit route, a large one the fixed", () => {
    const { ctx, routes } = perUnitOrFixed;
    // $1,000: 10 bps is $1, the fixed $5 is 50 bps. $100,000: 10 bps is $100, $5 is 0.5 bps.
    expect(transfers(ctx, byChain(node(USDC1, 1000), node(USDC8453, -1000)), routes)).toEqual([
      "USDC 1→8453: 1000",
    ]);
    expect(transfers(ctx, byChain(node(USDC1, 100_000), node(USDC8453, -100_000)), routes)).toEqual([
      "WETH 1→8453: 100000",
    ]);
  });

  it("refits the spread to the flow a route really carries", () => {
    // $100,000 leaves chain 1, only $1,000 of it for Base: spread over the $100,000 that could cross, the fixed $5
    // looks like 0.5 bps; over the $1,000 the route carries it is 50 bps, and the 10 bps route is cheaper.
    const { ctx, routes } = setup([
      route("USDC", ETH, BASE, 10),
      route("WETH", ETH, BASE, 0, "5"),
      route("USDC", ETH, OP, 1),
    ]);
    expect(
      transfers(ctx, byChain(node(USDC1, 100_000), node(USDC8453, -1000), node(USDC10, -99_000)), routes),
    ).toEqual(["USDC 1→8453: 1000", "USDC 1→10: 99000"]);
  });

  it("closes a route whose flow is below the minimum trade and sends the value over another", () => {
    // 50 of WETH for Base is below the $100 minimum: swapped to USDC on chain 1 and back on Base, it rides along
    // with the USDC (two swaps of 0.3% cost more, but a transfer that is dropped delivers nothing).
    const { ctx, routes } = setup([route("USDC", ETH, BASE, 1), route("WETH", ETH, BASE, 1)], {
      minTrade: "100",
      swapBps: 30,
    });
    const nodes = byChain(node(USDC1, 950), node(WETH1, 50), node(USDC8453, -950), node(WETH8453, -50));
    expect(transfers(ctx, nodes, routes)).toEqual(["USDC 1→8453: 1000"]);
  });

  it("keeps small routes open when closing them strands value no other route carries", () => {
    // $60 for Base and $60 for chain 10, each below the $100 minimum: closed, $120 could not cross at all. Kept
    // open, the value is carried (the transfers, below the minimum, are dropped): nothing is reported unmet.
    const { ctx, routes } = setup([route("USDC", ETH, BASE, 1), route("USDC", ETH, OP, 1)], {
      minTrade: "100",
    });
    const crossing = cheapestCrossing(
      ctx,
      byChain(node(USDC1, 120), node(USDC8453, -60), node(USDC10, -60)),
      routes,
    );
    expect([crossing.planned, crossing.unmet]).toEqual([[], null]);
  });

  it("keeps a route whose flow is exactly the minimum trade", () => {
    const { ctx, routes } = setup([route("USDC", ETH, BASE, 1)], { minTrade: "100" });
    expect(transfers(ctx, byChain(node(USDC1, 100), node(USDC8453, -100)), routes)).toEqual([
      "USDC 1→8453: 100",
    ]);
  });

  it("reports value no route can carry as unmet, from the chain of an asset no route carries", () => {
    // DAI on chain 1 (pooled into one source node, as no route carries DAI) for USDC on Base; the only route runs back.
    const { ctx, routes } = setup([route("USDC", BASE, ETH, 1)]);
    const crossing = cheapestCrossing(ctx, byChain(node(DAI1, 1000), node(USDC8453, -1000)), routes);
    expect([crossing.planned, crossing.unmet]).toEqual([[], { usd: usd("1000"), from: [ETH], to: [BASE] }]);
  });
});

import fc from "fast-check";
import highsModule from "highs";
import { beforeAll, describe, expect, it } from "vitest";
import { CHAINS, portfolio } from "../../test/arbitraries.ts";
import {
  BASE,
  chain,
  DAI1,
  ETH,
  policy,
  sleeve,
  snapshot,
  supply,
  token,
  USDC1,
  USDC8453,
  usd,
  WETH8453,
} from "../../test/fixtures.ts";
import { type BridgeRoute, type CostModel, compileCostModel } from "../cost.ts";
import { NonPositiveNavError } from "../errors.ts";
import { mulDiv, WAD } from "../math.ts";
import type { Snapshot } from "../model.ts";
import type { Policy } from "../policy.ts";
import { type PortfolioState, portfolioState } from "../state.ts";
import { flowContext } from "./context.ts";
import { solveFlows } from "./index.ts";
import { sleeveFlows } from "./sleeves.ts";
import { type FlowContext, type FlowSolution, netUsd } from "./types.ts";

const RUNS = { numRuns: Number(process.env.PROPERTY_RUNS ?? 60) };
// The package's types describe it as CommonJS; under Node's ESM the default import is the loader itself.
const loadHighs = highsModule as unknown as typeof highsModule.default;
let highs: Awaited<ReturnType<typeof loadHighs>>;
beforeAll(async () => {
  highs = await loadHighs();
});

/** A USD wad as a float of dollars: for the reference model only, never for an amount the planner uses. */
const dollars = (wad: bigint) => Number(wad / 10n ** 12n) / 1e6;

/** Random costs: a swap cost per chain, WETH and USDC bridges between every pair of chains, a premium. */
const costs = fc.record({
  swapBps: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 3, maxLength: 3 }),
  bridges: fc.array(
    fc.record({ feeBps: fc.integer({ min: 0, max: 20 }), fixed: fc.integer({ min: 0, max: 5 }) }),
    {
      minLength: 12,
      maxLength: 12,
    },
  ),
  premiumBps: fc.integer({ min: 0, max: 30 }),
});

function costModelOf(c: { swapBps: number[]; bridges: { feeBps: number; fixed: number }[] }): CostModel {
  const bridges: BridgeRoute[] = [];
  for (const symbol of ["WETH", "USDC"])
    for (const fromChainId of CHAINS)
      for (const toChainId of CHAINS) {
        if (fromChainId === toChainId) continue;
        const b = c.bridges[bridges.length] as { feeBps: number; fixed: number };
        bridges.push({ symbol, fromChainId, toChainId, feeBps: b.feeBps, fixedUsd: usd(String(b.fixed)) });
      }
  return {
    swap: {
      default: { feeBps: 0, slippageBps: 0 },
      chains: CHAINS.map((chainId, i) => ({ chainId, feeBps: c.swapBps[i] as number, slippageBps: 0 })),
    },
    bridges,
  };
}

/** Deltas to target and which sleeves leave entirely, as the planner's first pass hands them to the flow solver. */
function toTarget(st: PortfolioState): { d: bigint[]; full: boolean[] } {
  const full: boolean[] = [];
  const d = st.sleeves.map((s) => {
    const p = mulDiv(s.targetWad, st.navUsd, WAD);
    const delta = p - s.valueUsd;
    full.push(s.sleeve.kind === "debt" ? delta > 0n && p >= 0n : delta < 0n && p <= 0n);
    return delta;
  });
  return { d, full };
}

/** The plan's cost in the model: swap fees and slippage, bridge fees and fixed costs, and the premium on bridges. */
const planCost = (ctx: FlowContext, sol: FlowSolution) =>
  dollars(
    sol.feesUsd +
      sol.slippageUsd +
      sol.bridgeUsd +
      sol.transfers.reduce((a, t) => a + (t.usd * BigInt(ctx.bridge.premiumCbps)) / 1_000_000n, 0n),
  );

/**
 * The exact optimum of the same model as a mixed-integer LP (CPLEX LP format): per chain a hub, per asset a node with
 * its net supply; asset → hub pays the chain's swap, hub → asset nothing; a bridge pays fee + premium per dollar and its
 * fixed cost when used (binary). Unmet demand costs $1,000 a dollar, so the solve ships all it can, like the planner.
 */
function optimum(ctx: FlowContext, d: bigint[], full: boolean[]): number {
  const { nodes } = sleeveFlows(ctx, d, full, new Map());
  const supply = new Map<string, number>();
  for (const n of nodes.values()) supply.set(n.asset, dollars(netUsd(n)));
  // Routes join chains the portfolio is on (as in the planner): no transit through a chain without sleeves.
  const chains = new Set([...nodes.values()].map((n) => n.chainId));
  const routes = ctx.costs.routes.filter((r) => chains.has(r.fromChainId) && chains.has(r.toChainId));
  for (const r of routes) for (const a of [r.fromAsset, r.toAsset]) if (!supply.has(a)) supply.set(a, 0);
  const assets = [...supply.keys()];
  if (assets.length === 0) return 0;
  const chainOf = (a: string) => (ctx.assets.get(a as never) as { chainId: number }).chainId;
  // No route carries more than all the surplus: the tightest bound keeps the relaxation (and the solve) quick.
  const big = Math.ceil([...supply.values()].reduce((x, y) => x + Math.max(y, 0), 0)) + 1;
  const obj: string[] = [];
  const rows: string[] = [];
  const flowOf = new Map<string, string[]>(assets.map((a) => [a, []]));
  const hubOf = new Map<number, string[]>();
  assets.forEach((a, i) => {
    const c = chainOf(a);
    obj.push(`+ ${ctx.costs.chainSwapCbps(c) / 1e6} s${i}`, `+ 1000 w${i}`);
    (flowOf.get(a) as string[]).push(`+ s${i}`, `- t${i}`, `+ u${i}`, `- w${i}`);
    hubOf.set(c, [...(hubOf.get(c) ?? []), `+ s${i}`, `- t${i}`]);
  });
  routes.forEach((r, k) => {
    obj.push(`+ ${(r.feeCbps + ctx.bridge.premiumCbps) / 1e6} x${k}`, `+ ${dollars(r.fixedUsd)} y${k}`);
    (flowOf.get(r.fromAsset) as string[]).push(`+ x${k}`);
    (flowOf.get(r.toAsset) as string[]).push(`- x${k}`);
    rows.push(`cap${k}: x${k} - ${big} y${k} <= 0`);
  });
  assets.forEach((a, i) => {
    rows.push(`n${i}: ${(flowOf.get(a) as string[]).join(" ")} = ${supply.get(a)}`);
  });
  for (const [c, terms] of hubOf) rows.push(`h${c}: ${terms.join(" ")} = 0`);
  const lp = [
    "Minimize",
    ` obj: ${obj.join(" ")}`,
    "Subject To",
    ...rows.map((r) => ` ${r}`),
    "Binary",
    ` ${routes.map((_, k) => `y${k}`).join(" ")}`,
    "End",
  ].join("\n");
  const res = highs.solve(lp, { output_flag: false, mip_rel_gap: 1e-6 });
  if (res.Status !== "Optimal") throw new Error(`HiGHS: ${res.Status}`);
  const unmet = assets.reduce((x, _, i) => x + (res.Columns[`w${i}`]?.Primal ?? 0), 0);
  return res.ObjectiveValue - 1000 * unmet;
}

type Costs = { swapBps: number[]; bridges: { feeBps: number; fixed: number }[]; premiumBps: number };

/** The plan's cost within 0.5% of the exact optimum of the same model (or `fc.pre` skips an input out of scope). */
function expectNearOptimum({ snapshot, policy }: { snapshot: Snapshot; policy: Policy }, c: Costs): void {
  let st: PortfolioState;
  try {
    st = portfolioState(snapshot, { ...policy, bridge: { premiumBps: c.premiumBps } });
  } catch (e) {
    if (!(e instanceof NonPositiveNavError)) throw e;
    fc.pre(false);
    return;
  }
  fc.pre(st.navUsd >= usd("10000"));
  const ctx = flowContext(st, compileCostModel(costModelOf(c), snapshot.assets));
  const { d, full } = toTarget(st);
  const sol = solveFlows(ctx, d, full);
  expect(sol.unmet).toBeNull();
  const best = optimum(ctx, d, full);
  const cost = planCost(ctx, sol);
  // Rounding: a few cents on the legs.
  const cents = 0.01 * (4 + sol.swaps.length + sol.transfers.length);
  expect(cost).toBeLessThanOrEqual(best * 1.005 + cents);
  expect(cost).toBeGreaterThanOrEqual(best * 0.995 - cents);
}

/** No bridge costs but route `k` of {@link costModelOf}'s list: `{ k: [feeBps, fixed dollars] }`. */
const onlyRoutes = (paid: Record<number, [number, number]>) =>
  Array.from({ length: 12 }, (_, k) => ({ feeBps: paid[k]?.[0] ?? 0, fixed: paid[k]?.[1] ?? 0 }));

describe("cross-chain planning against an exact solve (HiGHS)", () => {
  it("plans within 0.5% of the optimum of the same model (swaps, bridge fees, fixed costs, premium)", () => {
    fc.assert(
      fc.property(portfolio({ minChains: 2 }), costs, expectNearOptimum),
      // Each run is a small MIP for HiGHS (tens of ms): half the planner properties' runs.
      { numRuns: Math.ceil(RUNS.numRuns / 2) },
    );
  }, 120_000);

  // An input the property once found (seed -1267187855): spread over the most that could cross ($19,921), both
  // routes cost 4.5 bps and each carried a part; refitted to its part, the $1 route looked dearer than the $5 one,
  // and the plan paid $5.00 where the optimum is $1.00 — one route carrying it all was never tried.
  it("pays the $1 route's fixed cost, not the $5 one's, when either could carry all $6 from chain 1 to Base", () => {
    const sleeves = [
      sleeve("dai", "supply", DAI1, 0),
      sleeve("usdc1", "token", USDC1, 0),
      sleeve("weth", "token", WETH8453, 0),
      sleeve("usdc", "token", USDC8453, 10_000),
    ];
    const snap = snapshot([
      chain(ETH, [supply(DAI1, "1"), token(USDC1, "5")]),
      chain(BASE, [token(WETH8453, "9.95")]),
    ]);
    // WETH 1→Base: 4 bps + $1 (route 1); USDC 1→Base: 2 bps + $5 (route 7); swaps 2 bps on chain 1, free on Base.
    const c = { swapBps: [2, 0, 0], bridges: onlyRoutes({ 1: [4, 1], 7: [2, 5] }), premiumBps: 0 };
    expectNearOptimum({ snapshot: snap, policy: policy(sleeves) }, c);
  });
});

import { describe, expect, it } from "vitest";
import {
  chain,
  debt,
  ETH,
  policy,
  sleeve,
  snapshot,
  supply,
  token,
  USDC1,
  usd,
  WETH1,
  zeroCost,
} from "../../test/fixtures.ts";
import { compileCostModel } from "../cost.ts";
import { WAD } from "../math.ts";
import { portfolioState } from "../state.ts";
import { flowContext } from "./context.ts";
import { sleeveFlows } from "./sleeves.ts";

const E6 = 10n ** 6n;
const E18 = 10n ** 18n;
/** Sleeves: 1 WETH and 1,000 USDC in the wallet, 5,000 USDC supplied on Aave, 1,000 USDC borrowed. */
const ctx = (() => {
  const snap = snapshot([
    chain(ETH, [
      token(WETH1, "1", "weth"),
      token(USDC1, "1000", "usdc"),
      supply(USDC1, "5000", "aave"),
      debt(USDC1, "1000", "loan"),
    ]),
  ]);
  const sleeves = [
    sleeve("weth", "token", WETH1, 2500),
    sleeve("usdc", "token", USDC1, 2500),
    sleeve("aave", "supply", USDC1, 5000),
    sleeve("loan", "debt", USDC1, 0),
  ];
  const st = portfolioState(
    snap,
    policy(sleeves, { healthFactor: { floorWad: WAD, liquidationThresholdBps: { [USDC1.id]: 8000 } } }),
  );
  return flowContext(st, compileCostModel(zeroCost, snap.assets));
})();
const flows = (d: bigint[], full: boolean[] = [], grossUp = new Map()) =>
  sleeveFlows(ctx, [...d, ...new Array<bigint>(4 - d.length).fill(0n)], full, grossUp);
const LOAN = [0n, 0n, 0n];

describe("sleeveFlows", () => {
  it("an exit releases its share of the position, all of it when it leaves entirely or asks more than it holds", () => {
    const half = flows([-usd("1000")]).exits;
    expect(half.map((e) => [e.i, e.amounts.get(WETH1.id), e.fraction, e.usd])).toEqual([
      [0, E18 / 2n, WAD / 2n, usd("1000")],
    ]);
    for (const f of [flows([-usd("3000")]), flows([-usd("500")], [true])])
      expect(f.exits.map((e) => [e.amounts.get(WETH1.id), e.fraction])).toEqual([[E18, WAD]]);
    expect(flows([-usd("500")]).nodes.get(WETH1.id)?.released).toBe(E18 / 4n);
  });

  it("a borrow releases the debt asset's units; one worth less than a unit releases nothing", () => {
    const borrow = flows([...LOAN, -usd("250")]);
    expect(borrow.exits.map((e) => [e.i, e.amounts.get(USDC1.id), e.fraction])).toEqual([[3, 250n * E6, 0n]]);
    expect(flows([...LOAN, -1n]).exits).toEqual([]);
  });

  it("a repay asks for its share of the debt, never more than the debt, all of it when full", () => {
    const part = flows([...LOAN, usd("400")]).sinks;
    expect(part.map((s) => [s.i, s.parts, s.fraction, s.cap, s.full])).toEqual([
      [3, [{ asset: USDC1.id, units: 400n * E6, need: 400n * E6 }], (4n * WAD) / 10n, 1000n * E6, false],
    ]);
    for (const f of [flows([...LOAN, usd("1500")]), flows([...LOAN, usd("1")], [false, false, false, true])])
      expect(f.sinks.map((s) => [s.parts[0]?.need, s.fraction])).toEqual([[1000n * E6, WAD]]);
  });

  it("a repay's ask is grossed up (rounded up) by the last pass's losses, its share from what it asks", () => {
    // 400 needed where the last pass delivered 3/4 of each ask: ask 533.333334, a 53.3% share of the debt.
    const f = flows([...LOAN, usd("400")], [], new Map([[USDC1.id, (3n * WAD) / 4n]]));
    expect(f.sinks.map((s) => [s.parts[0]?.units, s.parts[0]?.need, s.fraction])).toEqual([
      [533_333_334n, 400n * E6, (533_333_334n * WAD) / (1000n * E6)],
    ]);
    expect(f.nodes.get(USDC1.id)?.demand).toBe(533_333_334n);
  });

  it("a sink worth less than a unit asks nothing", () => {
    expect(flows([1n]).sinks).toEqual([]);
    expect(flows([...LOAN, 1n]).sinks).toEqual([]);
  });

  it("a repay into a debt sleeve that owes nothing is no sink", () => {
    const snap = snapshot([chain(ETH, [token(USDC1, "1000", "cash")])]);
    const sleeves = [sleeve("cash", "token", USDC1, 10_000), sleeve("loan", "debt", USDC1, 0)];
    const hf = { floorWad: WAD, liquidationThresholdBps: { [USDC1.id]: 8000 } };
    const st = portfolioState(snap, policy(sleeves, { healthFactor: hf }));
    const noDebt = flowContext(st, compileCostModel(zeroCost, snap.assets));
    expect(sleeveFlows(noDebt, [0n, usd("100")], [], new Map()).sinks).toEqual([]);
  });
});

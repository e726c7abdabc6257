import { describe, expect, it } from "vitest";
import {
  chain,
  DAI1,
  ETH,
  policy,
  registry,
  sleeve,
  snapshot,
  supply,
  token,
  USDC1,
  usd,
  WETH1,
  zeroCost,
} from "../test/fixtures.ts";
import {
  formatAmount,
  formatHealthFactor,
  formatPlanTable,
  formatStatusTable,
  formatTable,
  formatUsd,
} from "./format.ts";
import { WAD } from "./math.ts";
import { plan } from "./planner.ts";
import { portfolioState } from "./state.ts";

describe("format", () => {
  it("formats USD, amounts and health factors without floats", () => {
    expect(formatUsd(usd("1234567.891"))).toBe("$1,234,567.89");
    expect(formatUsd(-usd("0.5"))).toBe("-$0.50");
    expect(formatAmount(1_234_500_000n, USDC1.id, registry())).toBe("1,234.5 USDC");
    expect(formatAmount(1n, WETH1.id, registry())).toBe("0 WETH");
    expect(formatHealthFactor((185n * WAD) / 100n)).toBe("1.8500");
    expect(formatHealthFactor(null)).toBe("∞");
  });

  it("aligns a fixed-width table", () => {
    expect(
      formatTable(
        ["a", "bb"],
        [
          ["xxx", "1"],
          ["y", "22"],
        ],
        [1],
      ),
    ).toBe("a    bb\n---  --\nxxx   1\ny    22");
  });

  it("prints the status and the plan", () => {
    const pol = policy([
      sleeve("weth", "token", WETH1, 4000),
      sleeve("usdc", "supply", USDC1, 3500),
      sleeve("dai", "token", DAI1, 2500),
    ]);
    const snap = snapshot([chain(ETH, [token(WETH1, "30"), supply(USDC1, "20000"), token(DAI1, "20000")])]);
    const st = portfolioState(snap, pol);
    const status = formatStatusTable(st);
    expect(status).toContain("NAV $100,000.00  max drift 2000 bps");
    expect(status).toMatch(
      /weth\s+1\s+wallet\/token\s+\$60,000.00\s+60.00%\s+40.00%\s+\+2000.00\s+±500\s+OUT/,
    );
    const table = formatPlanTable(plan(st, zeroCost, { now: 1 }), snap.assets);
    expect(table.split("\n")[0]).toMatch(/^Plan [0-9a-f]{16} {2}to target {2}scope global {2}at 1$/);
    expect(table).toMatch(/1\s+1\s+sell\s+weth\s+10 WETH/);
    expect(table).toMatch(/2\s+swap\s+7.5 WETH → 15,000 USDC\s+14,925 USDC/);
  });
});

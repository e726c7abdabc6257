import type { Asset, BridgeQuote, Decision, Plan, Policy } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { holdOnQuotedBridges } from "./bridge-gate.ts";

const WAD = 10n ** 18n;
const USDC = "0x00000000000000000000000000000000000000dc";
const asset: Asset = { id: `1:${USDC}`, chainId: 1, address: USDC, symbol: "USDC", decimals: 6 };
const valuation = { prices: new Map([[asset.id, WAD]]), assets: new Map([[asset.id, asset]]) };
// $10k of drift removed, $5 of bridge fee estimated; the gate allows 10 bps ($10), the value-loss limit $100.
const plan = {
  driftRemovedUsd: 10_000n * WAD,
  estimatedCost: { gasUsd: 0n, feesUsd: 0n, slippageUsd: 0n, bridgeUsd: 5n * WAD, totalUsd: 5n * WAD },
  guards: { maxValueLossUsd: 100n * WAD },
} as unknown as Plan;
const policy = { maxCostOfDriftRemovedBps: 10 } as Policy;
const fired: Decision = { fire: true, reasons: [] };
const quote = (feeUsdc: bigint) => ({
  bridges: [{ fromChainId: 1, tokenIn: USDC, feeIn: feeUsdc * 10n ** 6n } as unknown as BridgeQuote],
});

describe("holdOnQuotedBridges", () => {
  it("lets a quote at or below the estimate, or one still inside the gate, through", () => {
    expect(holdOnQuotedBridges(plan, policy, valuation, [quote(5n)], fired)).toBeUndefined();
    expect(holdOnQuotedBridges(plan, policy, valuation, [quote(9n)], fired)).toBeUndefined();
    expect(holdOnQuotedBridges(plan, policy, valuation, [], fired)).toBeUndefined();
  });

  it("holds when the quoted fee breaks the cost gate, and says it was the quote", () => {
    const d = holdOnQuotedBridges(plan, policy, valuation, [quote(6n), quote(6n)], fired);
    expect(d?.fire).toBe(false);
    expect(d?.reasons.at(-1)).toMatchObject({ rule: "cost-gate", effect: "block", fired: true });
    expect(d?.reasons.at(-1)?.detail).toMatch(/^with the bridge fees quoted, estimated cost \$12/);
  });

  it("holds on the value-loss limit when there is no cost gate", () => {
    const open = {} as Policy;
    expect(holdOnQuotedBridges(plan, open, valuation, [quote(99n)], fired)).toBeUndefined();
    expect(holdOnQuotedBridges(plan, open, valuation, [quote(101n)], fired)?.reasons.at(-1)).toMatchObject({
      rule: "value-loss",
      fired: true,
    });
  });

  it("holds when a fee cannot be valued", () => {
    const none = { prices: new Map(), assets: valuation.assets };
    expect(holdOnQuotedBridges(plan, policy, none, [quote(1n)], fired)?.fire).toBe(false);
  });
});

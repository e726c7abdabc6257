import {
  type Asset,
  type AssetId,
  assetId,
  costGate,
  type Decision,
  type DecisionReason,
  type Plan,
  type Policy,
  type PriceBook,
  usdValue,
  valueLossGate,
} from "@ballast/core";
import type { RealizedChain } from "./types.ts";

/**
 * The cost gate and the value-loss limit again, with the bridge fees the quotes ask instead of the cost model's
 * estimate (pure): a bridge dearer than planned must still be worth the drift it removes. Returns the held decision
 * when the quoted fees break either (or cannot be valued), else undefined.
 */
export function holdOnQuotedBridges(
  plan: Plan,
  policy: Policy,
  valuation: { readonly prices: PriceBook; readonly assets: ReadonlyMap<AssetId, Asset> },
  realized: readonly Pick<RealizedChain, "bridges">[],
  decision: Decision,
): Decision | undefined {
  let quoted = 0n;
  for (const q of realized.flatMap((r) => r.bridges)) {
    const id = assetId(q.fromChainId, q.tokenIn);
    const price = valuation.prices.get(id);
    const asset = valuation.assets.get(id);
    if (price === undefined || !asset)
      return held(decision, {
        rule: "cost-gate",
        detail: `no price for ${id}: the bridge fee cannot be valued`,
      });
    quoted += usdValue(q.feeIn, asset.decimals, price, "up");
  }
  const c = plan.estimatedCost;
  if (quoted <= c.bridgeUsd) return undefined;
  const repriced: Plan = {
    ...plan,
    estimatedCost: { ...c, bridgeUsd: quoted, totalUsd: c.totalUsd - c.bridgeUsd + quoted },
  };
  const broken = [costGate(repriced, policy), valueLossGate(repriced)].find((r) => r.fired);
  return broken
    ? held(decision, { rule: broken.rule, detail: `with the bridge fees quoted, ${broken.detail}` })
    : undefined;
}

function held(decision: Decision, reason: Pick<DecisionReason, "rule" | "detail">): Decision {
  return { fire: false, reasons: [...decision.reasons, { ...reason, effect: "block", fired: true }] };
}

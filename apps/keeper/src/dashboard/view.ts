import type { InFlightItem } from "@ballast/chain";
import {
  type AssetRegistry,
  formatAmount,
  formatHealthFactor,
  formatUsd,
  healthFactors,
  type Leg,
  type Plan,
  wadToBpsNumber,
} from "@ballast/core";
import type { CycleResult } from "@ballast/engine";

/** One sleeve as the dashboard shows it. USD and wad values are decimal strings; bps are display numbers. */
export type SleeveView = {
  id: string;
  chainId: number;
  kind: string;
  protocol: string;
  targetBps: number;
  weightBps: number;
  driftBps: number;
  bandBps: number;
  valueUsd: string;
  outOfBand: boolean;
};

/** One leg of a plan, already in words (amounts with their symbols). */
export type LegView = {
  chainId: number;
  step: number;
  action: string;
  sleeve: string | null;
  amounts: string;
  minOut: string | null;
  usd: string;
};

/** The simulation of one chain's batch. */
export type SimulationView = {
  chainId: number;
  chain: string;
  ok: boolean;
  calls: number;
  gasUsed: string | null;
  error: string | null;
};

/** A plan as the dashboard shows it. */
export type PlanView = {
  id: string;
  navUsd: string;
  postNavUsd: string;
  turnoverUsd: string;
  costUsd: string;
  legs: LegView[];
  transfers: { symbol: string; fromChainId: number; toChainId: number; amount: string; usd: string }[];
};

/**
 * What one cycle saw, decided and simulated, as plain JSON: the row the journal keeps per cycle and the
 * dashboard reads back, so `ballast dashboard` needs nothing but the journal.
 */
export type CycleView = {
  at: number;
  navUsd: string | null;
  sleeves: SleeveView[];
  healthFactors: { chainId: number; protocol: string; healthFactor: string | null }[];
  healthFactorFloor: string | null;
  decision: {
    fire: boolean;
    reasons: { rule: string; effect: string; fired: boolean; detail: string }[];
  } | null;
  plan: PlanView | null;
  simulations: SimulationView[];
  chainErrors: { chainId: number; chain: string; error: string }[];
  staleChains: number[];
  warnings: string[];
  /**
   * What was in flight when the cycle planned (those chains held): journaled transactions not final yet, and
   * cross-chain transfers once they join the in-flight ledger. Absent in cycles journaled before it was recorded.
   */
  inFlight?: { kind: string; chainId: number; planId: string; detail: string }[];
};

const legView = (l: Leg, assets: AssetRegistry): LegView => {
  const amt = (amount: bigint, asset: string) => formatAmount(amount, asset as never, assets);
  return l.type === "swap"
    ? {
        chainId: l.chainId,
        step: l.step,
        action: "swap",
        sleeve: null,
        amounts: `${amt(l.amountIn, l.assetIn)} → ${amt(l.expectedOut, l.assetOut)}`,
        minOut: amt(l.minOut, l.assetOut),
        usd: formatUsd(l.usd),
      }
    : {
        chainId: l.chainId,
        step: l.step,
        action: l.action,
        sleeve: l.sleeveId,
        amounts: l.amounts.map((a) => amt(a.amount, a.asset)).join(" + "),
        minOut: null,
        usd: formatUsd(l.usd),
      };
};

/** A plan in words, with the symbols of `assets`. */
export function planView(plan: Plan, assets: AssetRegistry): PlanView {
  return {
    id: plan.id,
    navUsd: formatUsd(plan.navUsd),
    postNavUsd: formatUsd(plan.postNavUsd),
    turnoverUsd: formatUsd(plan.turnoverUsd),
    costUsd: formatUsd(plan.estimatedCost.totalUsd),
    legs: plan.chains.flatMap((c) => c.legs.map((l) => legView(l, assets))),
    transfers: plan.transfers.map((t) => ({
      symbol: t.symbol,
      fromChainId: t.fromChainId,
      toChainId: t.toChainId,
      amount: formatAmount(t.amount, t.assetFrom, assets),
      usd: formatUsd(t.usd),
    })),
  };
}

/** The journal row of a cycle (pure); `inFlight`: what was in flight when it planned. */
export function cycleView(r: CycleResult, at: number, inFlight: readonly InFlightItem[] = []): CycleView {
  const s = r.state;
  return {
    at,
    navUsd: s ? s.navUsd.toString() : null,
    sleeves: (s?.sleeves ?? []).map((x) => ({
      id: x.sleeve.id,
      chainId: x.sleeve.chainId,
      kind: x.sleeve.kind,
      protocol: x.sleeve.protocol,
      targetBps: x.sleeve.targetBps,
      weightBps: wadToBpsNumber(x.weightWad),
      driftBps: wadToBpsNumber(x.driftWad),
      bandBps: wadToBpsNumber(x.bandWad),
      valueUsd: x.valueUsd.toString(),
      outOfBand: x.outOfBand,
    })),
    healthFactors: s
      ? healthFactors(s).map((h) => ({
          chainId: h.chainId,
          protocol: h.protocol,
          healthFactor: h.healthFactorWad === null ? null : formatHealthFactor(h.healthFactorWad),
        }))
      : [],
    healthFactorFloor: s?.policy.healthFactor ? formatHealthFactor(s.policy.healthFactor.floorWad) : null,
    decision: r.decision
      ? { fire: r.decision.fire, reasons: r.decision.reasons.map((x) => ({ ...x })) }
      : null,
    plan: r.plan ? planView(r.plan, r.snapshot.assets) : null,
    simulations: r.batches.map((b) => ({
      chainId: b.chainId,
      chain: b.key,
      ok: b.ok,
      calls: b.calls.length,
      gasUsed: b.simulation ? b.simulation.gasUsed.toString() : null,
      error: b.error ? b.error.shortMessage : null,
    })),
    chainErrors: r.chainErrors.map((e) => ({
      chainId: e.chainId,
      chain: e.key,
      error: e.error.shortMessage,
    })),
    staleChains: [...r.staleChains],
    warnings: [...r.warnings],
    inFlight: inFlight.map((i) => ({ kind: i.kind, chainId: i.chainId, planId: i.planId, detail: i.detail })),
  };
}

import type { TxRecord } from "@ballast/chain";
import { formatUsd, healthFactors } from "@ballast/core";
import type { Logger } from "pino";
import { type Keeper, type KeeperCycle, planSummary } from "../keeper.ts";
import type { AlertsConfig } from "./config.ts";
import {
  type AlertRules,
  type AlertWatch,
  type CycleFacts,
  cycleAlerts,
  newWatch,
  type SettledFact,
  settledAlerts,
} from "./events.ts";
import { createNotifier, type Notifier } from "./notifier.ts";

/** The keeper's alerting: the notifier and what the rules remember between cycles. */
export type KeeperAlerts = { notifier: Notifier; watch: AlertWatch; rules: AlertRules };

/**
 * Builds the alerting of `keeper.alerts`, or null when it has no sink. The config's RPC URLs and `secrets` are
 * redacted from every message. Throws a SecretError when a sink's variable is not set.
 */
export function createKeeperAlerts(
  config: AlertsConfig,
  o: { log: Logger; env: Record<string, string | undefined>; secrets: readonly string[] },
): KeeperAlerts | null {
  if (config.sinks.length === 0) return null;
  return {
    notifier: createNotifier(config, o),
    watch: newWatch(),
    rules: { healthFactorMarginWad: config.healthFactorMargin, staleAfterSeconds: config.staleAfter },
  };
}

/** Names a chain by its id as the config does. */
const chainName = (k: Keeper) => (chainId: number) =>
  k.chains.find((x) => x.setup.chainId === chainId)?.key ?? String(chainId);

/** The facts of a keeper cycle the alert rules read; replaced transactions come from the journal. */
export async function cycleFacts(k: Keeper, c: KeeperCycle, at: number): Promise<CycleFacts> {
  const r = c.result;
  const name = chainName(k);
  const plan = r.plan;
  return {
    at,
    chains: k.chains.map((x) => x.key),
    chainErrors: r.chainErrors.map((e) => ({ chain: e.key, error: e.error.shortMessage })),
    healthFactors: r.state
      ? healthFactors(r.state).map((h) => ({
          chain: name(h.chainId),
          protocol: h.protocol,
          healthFactorWad: h.healthFactorWad,
        }))
      : [],
    healthFactorFloorWad: r.state?.policy.healthFactor?.floorWad ?? null,
    rebalance:
      plan && c.sent.length > 0
        ? {
            planId: plan.id,
            summary: planSummary(plan),
            reasons: (r.decision?.reasons ?? []).filter((x) => x.fired).map((x) => `${x.rule}: ${x.detail}`),
            nav: formatUsd(plan.navUsd),
          }
        : null,
    settled: settledFacts(c.settled, name),
    sent: await Promise.all(
      c.sent.map(async (s) => {
        const record = plan ? await k.journal.txStore.get(s.chainId, plan.id) : undefined;
        const attempts = record ? record.attempts : [];
        return {
          chain: s.key,
          status: s.status,
          hash: s.hash,
          gasUsed: s.gasUsed,
          error: s.error,
          replaced: attempts.slice(0, -1).map((a) => a.hash),
        };
      }),
    ),
  };
}

/** Final transactions of the in-flight ledger as alert facts; `name` names a chain by its id. */
export function settledFacts(records: readonly TxRecord[], name: (chainId: number) => string): SettledFact[] {
  return records.flatMap((r) => {
    if (r.status !== "confirmed" && r.status !== "reverted" && r.status !== "dropped") return [];
    return [
      {
        chain: name(r.chainId),
        planId: r.planId,
        status: r.status,
        hash: r.inclusion?.hash ?? r.attempts.at(-1)?.hash,
        gasUsed: r.inclusion?.gasUsed,
        error:
          r.status === "reverted"
            ? `reverted in block ${r.inclusion?.blockNumber ?? "?"}`
            : r.status === "dropped"
              ? `dropped: ${r.droppedReason ?? "no longer known to the chain"}`
              : undefined,
        replaced: r.attempts.slice(0, -1).map((a) => a.hash),
      },
    ];
  });
}

/**
 * Queues the alerts of transactions that became final when the daemon settled what a previous run left in flight
 * (before its first cycle); never throws.
 */
export function alertSettled(
  a: KeeperAlerts | null,
  k: Keeper,
  settled: readonly TxRecord[],
  at: number,
): void {
  if (!a || settled.length === 0) return;
  for (const alert of settledAlerts(settledFacts(settled, chainName(k)), at)) a.notifier.notify(alert);
}

/** Queues the alerts of a cycle; never throws and never waits for delivery. */
export async function alertCycle(
  a: KeeperAlerts | null,
  k: Keeper,
  c: KeeperCycle,
  at: number,
): Promise<void> {
  if (!a) return;
  try {
    for (const alert of cycleAlerts(await cycleFacts(k, c, at), a.watch, a.rules)) a.notifier.notify(alert);
  } catch (e) {
    k.log.error({ err: e instanceof Error ? e.message : String(e) }, "alerts: could not evaluate the cycle");
  }
}

import { formatHealthFactor } from "@ballast/core";
import type { AlertEvent } from "./config.ts";

/** How urgently a person should look. */
export type Severity = "info" | "warning" | "critical";

/** One alert: `subject` names what it is about (a chain, an account, a plan), for de-duplication. */
export type Alert = {
  event: AlertEvent;
  severity: Severity;
  subject: string;
  title: string;
  lines: string[];
  /** Unix seconds. */
  at: number;
};

/** What a cycle did, as the alert rules need it (built from the keeper's cycle by `cycleFacts`). */
export type CycleFacts = {
  at: number;
  chains: string[];
  chainErrors: { chain: string; error: string }[];
  healthFactors: { chain: string; protocol: string; healthFactorWad: bigint | null }[];
  healthFactorFloorWad: bigint | null;
  /** The plan that was sent this cycle, if any. */
  rebalance: { planId: string; summary: string; reasons: string[]; nav: string } | null;
  sent: TxFact[];
  /** Transactions an earlier cycle or run left in flight that became final while this cycle settled the ledger. */
  settled: SettledFact[];
};

/** A transaction left in flight that is final now, with the plan it belongs to. */
export type SettledFact = Omit<TxFact, "status"> & {
  planId: string;
  status: "confirmed" | "reverted" | "dropped";
};

/** One chain's transaction as the alert rules see it. */
export type TxFact = {
  chain: string;
  /** `in-flight`: sent, not final yet (alerted when it settles); `held`: not sent on purpose (pause, breaker, cap). */
  status: "confirmed" | "in-flight" | "refused" | "failed" | "held";
  hash?: string | undefined;
  gasUsed?: bigint | undefined;
  error?: string | undefined;
  /** Hashes this transaction replaced (fee bumps), oldest first. */
  replaced: string[];
};

/** What the alert rules remember between cycles, so a lasting condition alerts once and again when it ends. */
export type AlertWatch = {
  /** Chain → unix seconds of its first failed read in the current run of failures. */
  failingSince: Map<string, number>;
  /** Chains whose staleness was alerted. */
  stale: Set<string>;
  /** Account (chain/protocol) → the health-factor level last alerted. */
  healthFactor: Map<string, "warning" | "critical">;
};

/** Thresholds of the alert rules. */
export type AlertRules = { healthFactorMarginWad: bigint; staleAfterSeconds: number };

/** An empty watch. */
export const newWatch = (): AlertWatch => ({
  failingSince: new Map(),
  stale: new Set(),
  healthFactor: new Map(),
});

const minutes = (s: number) => (s < 120 ? `${s} s` : `${Math.round(s / 60)} min`);

function txAlerts(f: CycleFacts): Alert[] {
  const planId = f.rebalance?.planId ?? "";
  return [
    ...f.sent.flatMap((s) => txOutcomeAlerts({ ...s, planId }, f.at)),
    ...settledAlerts(f.settled, f.at),
  ];
}

/** The alerts of transactions left in flight that became final: confirmed, reverted or dropped, and replaced. */
export const settledAlerts = (settled: readonly SettledFact[], at: number): Alert[] =>
  settled.flatMap((s) => txOutcomeAlerts(s, at));

/** The alerts of one transaction's outcome: its fee replacements, then confirmed, failed or refused. */
function txOutcomeAlerts(
  s: Omit<SettledFact, "status"> & { status: TxFact["status"] | SettledFact["status"] },
  at: number,
): Alert[] {
  const plan = `plan ${s.planId.slice(0, 12)}`;
  const base = { subject: `${s.planId.slice(0, 12)}:${s.chain}`, at };
  const out: Alert[] = [];
  if (s.replaced.length > 0)
    out.push({
      ...base,
      event: "tx-replaced",
      severity: "warning",
      title: `Transaction on ${s.chain} replaced ${s.replaced.length}× with higher fees`,
      lines: [...s.replaced.map((h) => `replaced ${h}`), ...(s.hash ? [`now ${s.hash}`] : [])],
    });
  if (s.status === "confirmed")
    out.push({
      ...base,
      event: "tx-confirmed",
      severity: "info",
      title: `Transaction confirmed on ${s.chain}`,
      lines: [`tx ${s.hash ?? "?"}`, `gas used ${s.gasUsed?.toLocaleString("en-US") ?? "?"}`, plan],
    });
  else if (s.status === "failed" || s.status === "reverted" || s.status === "dropped")
    out.push({
      ...base,
      event: "tx-failed",
      severity: "critical",
      title: `Transaction ${s.status === "failed" ? "failed" : s.status} on ${s.chain}`,
      lines: [...(s.hash ? [`tx ${s.hash}`] : []), s.error ?? "unknown error", plan],
    });
  else if (s.status === "refused")
    out.push({
      ...base,
      event: "simulation-refused",
      severity: "warning",
      title: `Batch refused on ${s.chain}: not sent`,
      lines: [s.error ?? "simulation failed", plan],
    });
  return out;
}

function staleAlerts(f: CycleFacts, w: AlertWatch, rules: AlertRules): Alert[] {
  const out: Alert[] = [];
  for (const chain of f.chains) {
    const err = f.chainErrors.find((e) => e.chain === chain);
    if (!err) {
      const since = w.failingSince.get(chain);
      w.failingSince.delete(chain);
      if (w.stale.delete(chain) && since !== undefined)
        out.push({
          event: "chain-stale",
          severity: "info",
          subject: chain,
          title: `Chain ${chain} is readable again`,
          lines: [`it was unreadable for ${minutes(f.at - since)}`],
          at: f.at,
        });
      continue;
    }
    const since = w.failingSince.get(chain) ?? f.at;
    w.failingSince.set(chain, since);
    if (!w.stale.has(chain) && f.at - since >= rules.staleAfterSeconds) {
      w.stale.add(chain);
      out.push({
        event: "chain-stale",
        severity: "critical",
        subject: chain,
        title: `Chain ${chain} unreadable for ${minutes(f.at - since)}`,
        lines: [err.error, "it gets no transaction until it can be read again"],
        at: f.at,
      });
    }
  }
  return out;
}

function healthAlerts(f: CycleFacts, w: AlertWatch, rules: AlertRules): Alert[] {
  const floor = f.healthFactorFloorWad;
  if (floor === null) return [];
  const out: Alert[] = [];
  for (const h of f.healthFactors) {
    const subject = `${h.chain}/${h.protocol}`;
    const hf = h.healthFactorWad;
    const level =
      hf === null
        ? null
        : hf < floor
          ? "critical"
          : hf < floor + rules.healthFactorMarginWad
            ? "warning"
            : null;
    const before = w.healthFactor.get(subject);
    if (level === (before ?? null)) continue;
    if (level === null) {
      w.healthFactor.delete(subject);
      out.push({
        event: "health-factor",
        severity: "info",
        subject,
        title: `Health factor on ${h.chain} back to ${formatHealthFactor(hf)}`,
        lines: [`${h.protocol}, floor ${formatHealthFactor(floor)}`],
        at: f.at,
      });
      continue;
    }
    w.healthFactor.set(subject, level);
    out.push({
      event: "health-factor",
      severity: level,
      subject,
      title: `Health factor ${formatHealthFactor(hf)} on ${h.chain} ${level === "critical" ? "below" : "near"} the floor`,
      lines: [`${h.protocol}, floor ${formatHealthFactor(floor)}`],
      at: f.at,
    });
  }
  return out;
}

/**
 * The alerts of one cycle (pure apart from updating `watch`): the rebalance and its transactions, refused
 * batches, health factors crossing into (or out of) the floor's margin, and chains unreadable for too long (once,
 * then once more on recovery).
 */
export function cycleAlerts(f: CycleFacts, watch: AlertWatch, rules: AlertRules): Alert[] {
  const rebalance: Alert[] = f.rebalance
    ? [
        {
          event: "rebalance",
          severity: "info",
          subject: f.rebalance.planId,
          title: `Rebalance fired: plan ${f.rebalance.planId.slice(0, 12)}`,
          lines: [...f.rebalance.reasons, f.rebalance.summary, `NAV ${f.rebalance.nav}`],
          at: f.at,
        },
      ]
    : [];
  return [...rebalance, ...txAlerts(f), ...healthAlerts(f, watch, rules), ...staleAlerts(f, watch, rules)];
}

/** The alert for a keeper that cannot start (journal, key, config of the keys). */
export const startupAlert = (error: string, at: number): Alert => ({
  event: "startup",
  severity: "critical",
  subject: "startup",
  title: "Keeper could not start",
  lines: [error],
  at,
});

import type { TxRecord } from "@ballast/chain";
import { fromJson, type Journal } from "../journal.ts";
import type { CycleView } from "./view.ts";

// `cycles`: one small row per kept cycle for the drift history (NAV, drift per sleeve), with the full view only for
// cycles that carried a plan; `cycle_latest`: the full view of each portfolio's newest cycle, overwritten every cycle.
// Both are created by the journal's migrations (`migrations.ts`).

/** One point of the drift history: NAV (USD wad, decimal) and each sleeve's drift in bps. */
export type CyclePoint = {
  at: number;
  planId: string | null;
  fire: boolean;
  navUsd: string | null;
  drift: Record<string, number>;
};

/**
 * Journals a cycle for the dashboard. The newest cycle is always kept whole (for `/api/status`); for the history,
 * every cycle with a plan, the one right after it and any whose failing chains changed are kept, and quiet cycles
 * once per `sampleSeconds` (`keeper.dashboard.sampleEvery`). See `pnpm bench:dashboard` for the size per day.
 */
export async function recordCycle(j: Journal, view: CycleView, sampleSeconds: number): Promise<void> {
  const json = JSON.stringify(view);
  const errors = view.chainErrors.map((e) => e.chain).join(",");
  await j.sql.transaction(async (sql) => {
    await sql.run(
      `INSERT INTO cycle_latest (portfolio, json) VALUES (?, ?)
       ON CONFLICT (portfolio) DO UPDATE SET json = excluded.json`,
      [j.portfolio, json],
    );
    const [last] = await sql.all<{ at: number; planId: string | null; errors: string }>(
      `SELECT at, plan_id AS "planId", errors FROM cycles WHERE portfolio = ? ORDER BY at DESC, id DESC LIMIT 1`,
      [j.portfolio],
    );
    const quiet = view.plan === null && last?.planId === null && last.errors === errors;
    if (last && quiet && view.at - last.at < sampleSeconds) return;
    await sql.run(
      "INSERT INTO cycles (at, plan_id, fire, nav_usd, drift, errors, json, portfolio) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      [
        view.at,
        view.plan?.id ?? null,
        view.decision?.fire ? 1 : 0,
        view.navUsd,
        JSON.stringify(Object.fromEntries(view.sleeves.map((s) => [s.id, s.driftBps]))),
        errors,
        view.plan ? json : null,
        j.portfolio,
      ],
    );
  });
}

/** The newest journaled cycle, and the newest one that carried a plan. */
export async function latestCycles(
  j: Journal,
): Promise<{ latest: CycleView | null; planned: CycleView | null }> {
  const [latest] = await j.sql.all<{ json: string }>("SELECT json FROM cycle_latest WHERE portfolio = ?", [
    j.portfolio,
  ]);
  const [planned] = await j.sql.all<{ json: string }>(
    "SELECT json FROM cycles WHERE portfolio = ? AND plan_id IS NOT NULL ORDER BY at DESC, id DESC LIMIT 1",
    [j.portfolio],
  );
  const parse = (r: { json: string } | undefined) => (r ? (JSON.parse(r.json) as CycleView) : null);
  return { latest: parse(latest), planned: parse(planned) };
}

/**
 * History points with `from <= at <= to`, oldest first: at most about `maxPoints`, thinned evenly in SQL (cycles with
 * a plan and the newest one are always kept).
 */
export async function cyclePoints(
  j: Journal,
  from: number,
  to: number,
  maxPoints: number,
): Promise<CyclePoint[]> {
  const [count] = await j.sql.all<{ n: number; newest: number | null }>(
    "SELECT count(*) AS n, max(id) AS newest FROM cycles WHERE portfolio = ? AND at >= ? AND at <= ?",
    [j.portfolio, from, to],
  );
  const stride = Math.max(1, Math.ceil((count?.n ?? 0) / maxPoints));
  const rows = await j.sql.all<{
    at: number;
    planId: string | null;
    fire: number;
    navUsd: string | null;
    drift: string;
  }>(
    `SELECT at, plan_id AS "planId", fire, nav_usd AS "navUsd", drift FROM cycles
     WHERE portfolio = ? AND at >= ? AND at <= ? AND (id % ? = 0 OR plan_id IS NOT NULL OR id = ?) ORDER BY at, id`,
    [j.portfolio, from, to, stride, count?.newest ?? -1],
  );
  return rows.map((r) => ({
    ...r,
    fire: r.fire === 1,
    drift: JSON.parse(r.drift) as Record<string, number>,
  }));
}

/** A journaled transaction as the dashboard shows it. */
export type TxView = {
  chainId: number;
  planId: string;
  status: string;
  at: number;
  nonce: number;
  hash: string | null;
  replaced: string[];
  block: string | null;
  gasUsed: string | null;
  droppedReason: string | null;
};

const txView = (at: number, r: TxRecord): TxView => ({
  chainId: r.chainId,
  planId: r.planId,
  status: r.status,
  at,
  nonce: r.nonce,
  hash: r.inclusion?.hash ?? r.attempts.at(-1)?.hash ?? null,
  replaced: r.attempts.slice(0, -1).map((a) => a.hash),
  block: r.inclusion ? r.inclusion.blockNumber.toString() : null,
  gasUsed: r.inclusion ? r.inclusion.gasUsed.toString() : null,
  droppedReason: r.droppedReason ?? null,
});

/** Journaled transactions: those of `planId`, or every one sent in [from, to]; oldest first. */
export async function transactions(
  j: Journal,
  q: { planId: string } | { from: number; to: number },
): Promise<TxView[]> {
  const rows =
    "planId" in q
      ? await j.sql.all<{ at: number; json: string }>(
          "SELECT at, json FROM transactions WHERE portfolio = ? AND plan_id = ? ORDER BY chain_id",
          [j.portfolio, q.planId],
        )
      : await j.sql.all<{ at: number; json: string }>(
          "SELECT at, json FROM transactions WHERE portfolio = ? AND at >= ? AND at <= ? ORDER BY at",
          [j.portfolio, q.from, q.to],
        );
  return rows.map((r) => txView(r.at, fromJson<TxRecord>(r.json)));
}

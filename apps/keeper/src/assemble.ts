import type { Logger } from "pino";
import type { Config } from "./config.ts";
import type { Journal } from "./journal.ts";
import type { Keeper } from "./keeper.ts";
import type { Metrics } from "./metrics.ts";
import { buildRuntime } from "./setup.ts";

/**
 * A keeper for one portfolio over an open journal: its chains' clients and transaction managers (journaling to
 * `journal.txStore`), with RPC errors counted in `metrics` and the managers' own decisions logged.
 */
export function assembleKeeper(
  config: Config,
  journal: Journal,
  o: { env: Record<string, string | undefined>; needKeys: boolean; log: Logger; metrics: Metrics },
): Keeper {
  const { log, metrics } = o;
  const chains = buildRuntime(config, o.env, {
    store: journal.txStore,
    needKeys: o.needKeys,
    onRpcRequest: (chain, e) => {
      if (!e.ok) metrics.inc("ballast_rpc_errors_total", { chain, method: e.method });
    },
    onTxEvent: (chain, e) => {
      const line = { chain, planId: e.planId, event: e.kind };
      if (e.kind === "nonce-gap") log.fatal({ ...line, alert: "nonce-gap" }, `ALERT: ${e.detail}`);
      else if (e.kind === "nonce-reconciled" || e.kind === "dropped") log.error(line, e.detail);
      else log.warn(line, e.detail);
    },
  });
  return { config, chains, journal, metrics, log, lastReads: new Map() };
}

import { existsSync, writeFileSync } from "node:fs";
import { BallastError, healthFactors, planToJSON, toJsonValue } from "@ballast/core";
import { Command, InvalidArgumentError, Option } from "commander";
import { type Config, loadConfig } from "./config.ts";
import { runDaemon } from "./daemon.ts";
import { EXAMPLE_CONFIG } from "./example.ts";
import { openJournal } from "./journal.ts";
import { type Keeper, keeperCycle, renderPlan, renderProblems, renderStatus } from "./keeper.ts";
import { createLogger, redactProcessOutput } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import { buildRuntime } from "./setup.ts";

const env = process.env;
const nowSeconds = () => Math.floor(Date.now() / 1000);

const configOption = new Option("-c, --config <file>", "the portfolio config (YAML)").default(
  env.BALLAST_CONFIG ?? "ballast.yaml",
  "$BALLAST_CONFIG or ./ballast.yaml",
);

function open(file: string, opts: { needKeys: boolean }): Keeper {
  const config: Config = loadConfig(file, env);
  // status and plan print their own tables and errors; the daemon's output is its log.
  const log = createLogger({ level: env.BALLAST_LOG_LEVEL ?? (opts.needKeys ? "info" : "silent") });
  const journal = openJournal(config.keeper.journal);
  const chains = buildRuntime(config, env, { store: journal.txStore, needKeys: opts.needKeys });
  return { config, chains, journal, metrics: createMetrics(), log, lastReads: new Map() };
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError("expected a positive integer");
  return n;
};

/** Builds the `ballast` command line. */
export function program(): Command {
  const p = new Command("ballast")
    .description(
      "Keeps a multi-chain DeFi portfolio (wallet tokens, Aave V3, Uniswap V3 LP) at its target allocation:\n" +
        "one simulated, guarded batch transaction per chain when drift crosses the policy's bands.",
    )
    .showHelpAfterError()
    .addHelpText(
      "after",
      "\nStart here:\n  ballast demo                 two local chains with the real Aave and Uniswap, no keys needed\n  ballast init                 write a commented ballast.yaml\n  ballast status               where each sleeve stands\n  ballast plan                 what a rebalance would do (dry run, simulated)\n  ballast run                  the daemon (--once for one cycle)\n\nEnvironment: BALLAST_CONFIG (config path), BALLAST_LOG_LEVEL (info), and the variables your config names.",
    );

  p.command("init")
    .description("write a commented example config")
    .argument("[file]", "where to write it", "ballast.yaml")
    .option("-f, --force", "overwrite an existing file")
    .action((file: string, o: { force?: boolean }) => {
      if (existsSync(file) && !o.force)
        throw new BallastError(`${file} exists; pass --force to overwrite it.`);
      writeFileSync(file, EXAMPLE_CONFIG);
      console.log(
        `Wrote ${file}. Edit the RPC URLs, tokens and sleeves, then run: ballast status -c ${file}`,
      );
    });

  p.command("status")
    .description("per sleeve: current vs target weight, drift, USD; NAV and health factors")
    .addOption(configOption)
    .option("--json", "machine-readable output")
    .action(async (o: { config: string; json?: boolean }) => {
      const k = open(o.config, { needKeys: false });
      try {
        const { result } = await keeperCycle(k, { now: nowSeconds(), execute: false });
        if (!result.state)
          throw new BallastError("No status: the portfolio could not be valued.", {
            details: renderProblems(result),
          });
        if (o.json)
          console.log(
            JSON.stringify(
              toJsonValue({
                navUsd: result.state.navUsd,
                sleeves: result.state.sleeves.map((s) => ({
                  id: s.sleeve.id,
                  chainId: s.sleeve.chainId,
                  valueUsd: s.valueUsd,
                  weightWad: s.weightWad,
                  targetBps: s.sleeve.targetBps,
                  driftWad: s.driftWad,
                  bandWad: s.bandWad,
                  outOfBand: s.outOfBand,
                })),
                healthFactors: healthFactors(result.state),
                decision: result.decision,
              }),
              null,
              2,
            ),
          );
        else console.log(renderStatus(result));
        if (result.chainErrors.length > 0) process.exitCode = 1;
      } finally {
        k.journal.close();
      }
    });

  p.command("plan")
    .description(
      "dry run: the decision and its reasons, the plan as a table, the simulation of each chain's batch",
    )
    .addOption(configOption)
    .option("--force", "plan even when no rule fires")
    .option("--json", "machine-readable output (bigints as strings)")
    .action(async (o: { config: string; force?: boolean; json?: boolean }) => {
      const k = open(o.config, { needKeys: false });
      try {
        const { result } = await keeperCycle(k, {
          now: nowSeconds(),
          execute: false,
          force: o.force ?? false,
        });
        if (o.json) {
          console.log(
            JSON.stringify(
              {
                decision: toJsonValue(result.decision),
                plan: result.plan ? planToJSON(result.plan) : null,
                simulations: result.batches.map((b) => ({
                  chainId: b.chainId,
                  chain: b.key,
                  ok: b.ok,
                  calls: b.calls.length,
                  gasUsed: b.simulation ? String(b.simulation.gasUsed) : null,
                  error: b.error
                    ? { name: b.error.name, message: b.error.shortMessage, details: b.error.details ?? null }
                    : null,
                })),
                transfers: toJsonValue(result.transfers),
                chainErrors: result.chainErrors.map((e) => ({ chain: e.key, error: e.error.shortMessage })),
                warnings: result.warnings,
              },
              null,
              2,
            ),
          );
          return;
        }
        if (!result.decision)
          throw new BallastError("No plan: the portfolio could not be valued.", {
            details: renderProblems(result),
          });
        console.log(`Decision: ${result.decision.fire ? "REBALANCE" : "hold"}`);
        for (const r of result.decision.reasons)
          console.log(`  ${r.fired ? "●" : "○"} ${r.rule.padEnd(13)} ${r.detail}`);
        console.log("");
        console.log(renderPlan(result));
      } finally {
        k.journal.close();
      }
    });

  p.command("run")
    .description("the keeper daemon: watch every chain, rebalance when the policy says so")
    .addOption(configOption)
    .option("--once", "run a single cycle and exit")
    .option("--max-cycles <n>", "stop after n cycles", positiveInt)
    .action(async (o: { config: string; once?: boolean; maxCycles?: number }) => {
      const k = open(o.config, { needKeys: true });
      try {
        await runDaemon(k, {
          once: o.once ?? false,
          ...(o.maxCycles ? { maxCycles: o.maxCycles } : {}),
          now: nowSeconds,
        });
      } finally {
        k.journal.close();
      }
    });

  p.command("history")
    .description("past decisions, plans and transactions from the journal, newest first")
    .addOption(configOption)
    .option("-n, --limit <n>", "how many entries", positiveInt, 30)
    .option("--json", "machine-readable output")
    .action((o: { config: string; limit: number; json?: boolean }) => {
      const config = loadConfig(o.config, env);
      const j = openJournal(config.keeper.journal);
      try {
        const rows = j.history(o.limit);
        if (o.json) console.log(JSON.stringify(rows, null, 2));
        else if (rows.length === 0) console.log("The journal is empty: no cycle has run yet.");
        else
          for (const r of rows)
            console.log(
              `${new Date(r.at * 1000).toISOString()}  ${r.kind.padEnd(11)}  ${r.chainId ?? ""}${r.chainId ? "  " : ""}${r.planId ? `${r.planId.slice(0, 12)}  ` : ""}${r.summary}`,
            );
      } finally {
        j.close();
      }
    });

  p.command("demo")
    .description(
      "two local anvil chains with the real Aave V3 and Uniswap V3: fund, drift, rebalance, before/after",
    )
    .option("--keep", "leave the chains running at the end (Ctrl-C stops them)")
    .action(async (o: { keep?: boolean }) => {
      const { runDemo } = await loadDemo();
      await runDemo({ keep: o.keep ?? false });
    });
  return p;
}

/**
 * Loads the demo lazily: it needs `@ballast/testkit` (anvil and the protocol artifacts), an optional dependency
 * that a production install (`pnpm install --prod --no-optional`) leaves out.
 */
export async function loadDemo(load: () => Promise<typeof import("./demo.ts")> = () => import("./demo.ts")) {
  try {
    return await load();
  } catch (e) {
    const missing =
      (e as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && String(e).includes("@ballast/testkit");
    if (!missing) throw e;
    throw new BallastError("`ballast demo` needs @ballast/testkit, which this install does not have.", {
      details:
        "The demo starts local anvil chains with the real protocols from @ballast/testkit, an optional dependency " +
        "left out of production installs. Run the demo from a clone of the repository (`pnpm install && pnpm demo`), " +
        "or install the optional dependencies.",
    });
  }
}

/** Prints an error for a person: the short message and details; the stack only with BALLAST_DEBUG=1. */
export function reportError(e: unknown): number {
  if (e instanceof BallastError) {
    console.error(`error: ${e.shortMessage}`);
    if (e.details) console.error(e.details.replace(/^/gm, "  "));
    if (env.BALLAST_DEBUG) console.error(e);
    return e.name === "ConfigError" ? 2 : 1;
  }
  console.error(env.BALLAST_DEBUG ? e : `error: ${e instanceof Error ? e.message : String(e)}`);
  return 1;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("/cli.ts")) {
  redactProcessOutput();
  program()
    .parseAsync(process.argv)
    .catch((e: unknown) => {
      process.exitCode = reportError(e);
    });
}

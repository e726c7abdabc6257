import { existsSync, realpathSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkChainIds } from "@ballast/chain";
import { parseUsdWad } from "@ballast/config";
import { BallastError, redactUrl, toJsonValue } from "@ballast/core";
import { type CycleResult, moveOfSymbol } from "@ballast/engine";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { getAddress, isAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import pkg from "../package.json" with { type: "json" };
import { startupAlert } from "./alerts/events.ts";
import { createKeeperAlerts } from "./alerts/keeper.ts";
import { assembleKeeper } from "./assemble.ts";
import type { BacktestOptions } from "./backtest.ts";
import { isFinalTransfer, renderTransfers, transferJson } from "./bridges.ts";
import { type Config, ConfigError, configWarnings, loadConfig } from "./config.ts";
import { runDaemon } from "./daemon.ts";
import { runDashboardToken, serveJournalDashboard } from "./dashboard/serve.ts";
import { DiscoverError, discover } from "./discover/discover.ts";
import { KNOWN_CHAINS } from "./discover/known-chains.ts";
import { discoveredConfigYaml, renderDiscovery, sleeveRows } from "./discover/write.ts";
import { exampleConfig } from "./example.ts";
import { openJournal } from "./journal.ts";
import {
  errText,
  IncompleteCycleError,
  type Keeper,
  type KeeperCycle,
  keeperCycle,
  renderPlan,
  renderProblems,
  renderStatus,
  whatIfCycle,
} from "./keeper.ts";
import { createLogger, redactProcessOutput } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import { isFinalOrder, orderJson, renderOrders } from "./orders.ts";
import { colorEnabled, paint } from "./paint.ts";
import { type Progress, progressOn } from "./progress.ts";
import { pauseSending, renderRisk, resumeSending, riskSummary } from "./risk.ts";
import { resolvePrivateKey } from "./secrets.ts";
import { STOP_GRACE_MS } from "./signals.ts";
import { isPostgresUrl } from "./sql.ts";
import { statusJson } from "./status-json.ts";
import { parsePriceMoves, WhatIfError } from "./what-if.ts";
import { portfolioName, workCommand } from "./work.ts";
import { leaseJournal } from "./worker.ts";

const env = process.env;
const nowSeconds = () => Math.floor(Date.now() / 1000);

const configOption = new Option("-c, --config <file>", "the portfolio config (YAML)").default(
  env.BALLAST_CONFIG ?? "ballast.yaml",
  "$BALLAST_CONFIG or ./ballast.yaml",
);

/**
 * Loads the config, opens the journal and builds every chain; then checks that every RPC URL (and `sendRpc`) serves
 * its chain's configured id ({@link checkChainIds}: a mismatch is a config error, exit 2).
 */
async function open(
  file: string | Config,
  opts: { needKeys: boolean; portfolio?: string; progress?: Progress },
): Promise<Keeper> {
  const config: Config = typeof file === "string" ? loadConfig(file, env) : file;
  const portfolio = opts.portfolio ?? (typeof file === "string" ? portfolioName(file, config) : undefined);
  for (const warning of configWarnings(config)) console.error(`warning: ${warning}`);
  // status and plan print their own tables and errors; the daemon's output is its log.
  const log = createLogger({ level: env.BALLAST_LOG_LEVEL ?? (opts.needKeys ? "info" : "silent") });
  const metrics = createMetrics();
  // One process sends per journal: `run` takes the journal's lock (read-only commands do not).
  const opened = await openJournal(config.keeper.journal, {
    exclusive: opts.needKeys,
    ...(portfolio ? { portfolio } : {}),
  });
  // On Postgres the lock is the portfolio's lease (and its keys'), and every send is fenced by them.
  const leased =
    opts.needKeys && isPostgresUrl(config.keeper.journal) ? await leaseJournal(opened) : undefined;
  const journal = leased?.journal ?? opened;
  try {
    const k = assembleKeeper(config, journal, { env, needKeys: opts.needKeys, log, metrics });
    opts.progress?.update("checking each RPC's chain id");
    await Promise.all(k.chains.map((c) => checkChainIds(c.clients, { chain: c.key })));
    await leased?.takeKeys(k);
    return k;
  } catch (e) {
    await journal.close();
    throw e;
  }
}

const nonNegativeInt = (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError("expected an integer ≥ 0");
  return n;
};

/** The address `init` writes: `--address` (checksum-checked), else the address of $BALLAST_KEY, else none. */
function initAddress(given: string | undefined): string | undefined {
  if (given !== undefined) {
    if (!isAddress(given, { strict: true }))
      throw new ConfigError("--address", [
        { path: "--address", message: `not a checksummed address: "${given}"` },
      ]);
    return getAddress(given);
  }
  if (!env.BALLAST_KEY) return undefined;
  return privateKeyToAccount(resolvePrivateKey("env:BALLAST_KEY", env, "$BALLAST_KEY")).address;
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
    .version(pkg.version, "-V, --version", "the ballast version")
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      "after",
      "\nStart here:\n  ballast demo                 two local chains with the real Aave and Uniswap, no keys needed\n  ballast init                 write a commented ballast.yaml\n  ballast status               where each sleeve stands\n  ballast plan                 what a rebalance would do (dry run, simulated)\n  ballast run                  the daemon (--once for one cycle)\n  ballast backtest             the same decide + plan replayed over a price history (no RPC, no key)\n\nEnvironment: BALLAST_CONFIG (config path), BALLAST_LOG_LEVEL (info), and the variables your config names.",
    );

  initCommand(p);
  statusCommand(p);
  planCommand(p);
  runCommand(p);
  pauseResumeCommand(p);
  historyCommand(p);
  backtestCommand(p);
  dashboardCommand(p);
  demoCommand(p);
  workCommand(p, env);
  safePermissionsCommand(p);
  return p;
}

/** `ballast init`: the commented example config, or (`--discover`) the portfolio an address already holds. */
function initCommand(p: Command): void {
  p.command("init")
    .description("write a commented example config, or discover what an address holds and write its config")
    .argument("[file]", "where to write it", "ballast.yaml")
    .option("-f, --force", "overwrite an existing file")
    .option(
      "--address <0x…>",
      "the keeper account's address, written into the config so status and plan need no key (default: from $BALLAST_KEY when set)",
    )
    .option(
      "--discover",
      "read what --address (or --safe) holds on each chain and write one sleeve per holding",
    )
    .option("--safe <0x…>", "with --discover: a Safe's portfolio (account type safe, the keeper as a module)")
    .option(
      "--chains <names>",
      `with --discover: comma-separated chain names (default: every chain whose RPC variable is set; known: ${Object.keys(KNOWN_CHAINS).join(", ")})`,
    )
    .option(
      "--chains-from <config>",
      "with --discover: chain entries (rpc, protocols, tokens) from this config",
    )
    .option("--min-usd <usd>", "with --discover: leave out holdings worth less", "10")
    .option("--token <0x…>", "with --discover: also check this token (repeatable)", collect, [])
    .option(
      "--json",
      "machine-readable output: the file written and the account (with --discover: what was found; the file is still written)",
    )
    .action(async (file: string, o: InitOptions) => {
      if (existsSync(file) && !o.force)
        throw new BallastError(`${file} exists; pass --force to overwrite it.`);
      if (o.discover) return initDiscover(file, o);
      const address = initAddress(o.address);
      writeFileSync(file, exampleConfig(address));
      if (o.json) {
        console.log(JSON.stringify({ file: resolve(file), address: address ?? null }, null, 2));
        return;
      }
      console.log(
        `Wrote ${file}${address ? ` for account ${address}` : ""}. Edit the RPC URLs, tokens and sleeves, then run: ballast status -c ${file}`,
      );
      if (!address)
        console.log(
          "No --address and no $BALLAST_KEY: add account.address to run status and plan without the key.",
        );
    });
}

type InitOptions = {
  force?: boolean;
  address?: string;
  discover?: boolean;
  safe?: string;
  chains?: string;
  chainsFrom?: string;
  minUsd: string;
  token: string[];
  json?: boolean;
};

const collect = (v: string, all: string[]) => [...all, v];

/** `init --discover`: reads what the address holds, prints it, writes the config at today's weights. */
async function initDiscover(file: string, o: InitOptions): Promise<void> {
  const addr = (v: string, flag: string) => {
    if (!isAddress(v, { strict: false })) throw new DiscoverError(`${flag}: "${v}" is not an address`);
    return getAddress(v);
  };
  if (o.safe && o.address) throw new DiscoverError("--address and --safe: give one");
  const eoa = o.safe ? undefined : (o.address ?? initAddress(undefined));
  if (!o.safe && !eoa)
    throw new DiscoverError("--discover needs --address 0x… (or --safe 0x…, or $BALLAST_KEY)");
  const owner = o.safe ? { safe: addr(o.safe, "--safe") } : { address: addr(eoa as string, "--address") };
  const account = "safe" in owner ? owner.safe : owner.address;
  const progress = process.stderr.isTTY && !o.json;
  if (progress) process.stderr.write(`Discovering ${account}…\n`);
  const found = await discover({
    owner,
    chains: o.chains
      ?.split(",")
      .map((c) => c.trim())
      .filter(Boolean),
    chainsFrom: o.chainsFrom,
    minUsd: parseUsdWad(o.minUsd, "--min-usd"),
    tokens: o.token.map((t) => addr(t, "--token")),
    env,
  });
  writeFileSync(file, discoveredConfigYaml(found, owner, { at: new Date(), account }));
  if (o.json) {
    console.log(
      JSON.stringify(
        toJsonValue({ file, account, sleeves: sleeveRows(found.found), leftOut: found.leftOut }),
        null,
        2,
      ),
    );
    return;
  }
  console.log(renderDiscovery(found));
  console.log(
    `\nWrote ${file}: one sleeve per holding, each at today's weight. Next: ballast status -c ${file}`,
  );
}

/** `ballast status`: one read of every chain, the status table or JSON. */
function statusCommand(p: Command): void {
  p.command("status")
    .description("per sleeve: current vs target weight, drift, USD; NAV and health factors")
    .addOption(configOption)
    .option("--json", "machine-readable output")
    .action(async (o: { config: string; json?: boolean }) => {
      const progress = progressOn(process.stderr, { quiet: o.json ?? false });
      const k = await open(o.config, { needKeys: false, progress }).finally(() => progress.done());
      try {
        const now = nowSeconds();
        progress.update(`reading ${k.chains.length} chain${k.chains.length === 1 ? "" : "s"}`);
        const { result, transfers, orders } = await keeperCycle(k, { now, execute: false }).finally(() =>
          progress.done(),
        );
        if (!result.state)
          throw new IncompleteCycleError("No status: the portfolio could not be valued.", {
            details: renderProblems(result),
          });
        if (o.json)
          console.log(
            JSON.stringify(
              statusJson(
                { ...result, state: result.state },
                k.chains.map((c) => c.setup),
                {
                  risk: toJsonValue(await riskSummary(k, nowSeconds())),
                  transfers: transfers
                    .filter((t) => !isFinalTransfer(t.status))
                    .map((t) => transferJson(k, t, now)),
                  orders: orders.filter((r) => !isFinalOrder(r.status)).map((r) => orderJson(k, r, now)),
                },
              ),
              null,
              2,
            ),
          );
        else {
          console.log(renderStatus(result));
          const inFlight = renderTransfers(k, transfers, now);
          if (inFlight) console.log(inFlight);
          const open = renderOrders(k, orders, now);
          if (open) console.log(open);
          console.log(renderRisk(await riskSummary(k, nowSeconds())));
        }
        if (result.chainErrors.length > 0) process.exitCode = EXIT.partial;
      } finally {
        await k.journal.close();
      }
    });
}

/** `ballast plan`: the dry run — decision, plan table, simulations; or, with `--what-if`, the plan at moved prices. */
function planCommand(p: Command): void {
  p.command("plan")
    .description(
      "dry run: the decision and its reasons, the plan as a table, the simulation of each chain's batch",
    )
    .addOption(configOption)
    .option("--force", "plan even when no rule fires")
    .option(
      "--what-if <moves>",
      'decide and plan as if USD prices had moved, e.g. "ETH=-20%,BTC=+5%" (ETH also moves WETH): hypothetical, nothing is simulated or journaled',
    )
    .option("--json", "machine-readable output (bigints as strings)")
    .option("--no-color", "plain text even on a terminal (also NO_COLOR)")
    .action(
      async (o: { config: string; force?: boolean; whatIf?: string; json?: boolean; color: boolean }) => {
        const moves = o.whatIf === undefined ? undefined : parsePriceMoves(o.whatIf);
        const progress = progressOn(process.stderr, { quiet: o.json ?? false });
        const k = await open(o.config, { needKeys: false, progress }).finally(() => progress.done());
        try {
          const now = nowSeconds();
          const force = o.force ?? false;
          progress.update(
            `reading, planning and simulating on ${k.chains.length} chain${k.chains.length === 1 ? "" : "s"}`,
          );
          const cycle = await (moves
            ? whatIfCycle(k, { now, force, priceMoves: checkedMoves(k, moves) }).then((result) => ({
                result,
                transfers: [],
              }))
            : keeperCycle(k, { now, execute: false, force })
          ).finally(() => progress.done());
          const result = cycle.result;
          // Bridge transfers in flight (amount, route, age, expected arrival), as in `status`.
          const transfers = cycle.transfers.filter((t) => !isFinalTransfer(t.status));
          if (o.json)
            console.log(
              JSON.stringify(
                { ...planJson(result, o.whatIf), inFlight: transfers.map((t) => transferJson(k, t, now)) },
                null,
                2,
              ),
            );
          else {
            printPlan(result, o.whatIf, o.color);
            const inFlight = renderTransfers(k, transfers, now);
            if (inFlight) console.log(`\n${inFlight}`);
          }
          process.exitCode = planExitCode(result);
        } finally {
          await k.journal.close();
        }
      },
    );
}

/** The `--what-if` moves, each checked to move a configured token ({@link moveOfSymbol}). */
function checkedMoves(k: Keeper, moves: ReturnType<typeof parsePriceMoves>) {
  const symbols = [...new Set(k.chains.flatMap((c) => c.setup.tokens.map((t) => t.symbol.toUpperCase())))];
  for (const [symbol, move] of moves)
    if (!symbols.some((s) => moveOfSymbol(new Map([[symbol, move]]), s)))
      throw new WhatIfError(`--what-if: no configured token is ${symbol}`, {
        details: `Tokens in the config: ${symbols.join(", ")}.`,
      });
  return moves;
}

/** `plan --json`: decision, plan, each batch's simulation, transfers and errors (`hypothetical` under --what-if). */
function planJson(result: CycleResult, hypothetical: string | undefined) {
  const err = (e: BallastError) => ({ name: e.name, message: e.shortMessage, details: e.details ?? null });
  return {
    ...(hypothetical === undefined ? {} : { hypothetical: { whatIf: hypothetical, simulated: false } }),
    decision: toJsonValue(result.decision),
    plan: result.plan ? toJsonValue(result.plan) : null,
    simulations: result.batches.map((b) => ({
      chainId: b.chainId,
      chain: b.key,
      ok: b.ok,
      calls: b.calls.length,
      gasUsed: b.simulation ? String(b.simulation.gasUsed) : null,
      error: b.error ? err(b.error) : null,
    })),
    transfers: toJsonValue(result.transfers),
    error: result.error ? err(result.error) : null,
    chainErrors: result.chainErrors.map((e) => ({ chain: e.key, error: err(e.error) })),
    warnings: result.warnings,
  };
}

/** `plan` for a person: the decision with its reasons, the plan table, a portfolio-level failure in words. */
function printPlan(result: CycleResult, hypothetical: string | undefined, color: boolean): void {
  if (!result.decision)
    throw new IncompleteCycleError("No plan: the portfolio could not be valued.", {
      details: renderProblems(result),
    });
  const c = paint(colorEnabled(process.stdout, env, color));
  if (hypothetical !== undefined)
    console.log(
      `${c.yellow(`HYPOTHETICAL — prices moved ${hypothetical} from the latest block`)}: pools and LP positions follow; nothing is simulated, sent or journaled.\n`,
    );
  console.log(`Decision: ${c.bold(result.decision.fire ? "REBALANCE" : "hold")}`);
  for (const r of result.decision.reasons) {
    const tint = !r.fired ? c.dim : r.effect === "block" ? c.red : c.yellow;
    console.log(`  ${tint(`${r.fired ? "●" : "○"} ${r.rule.padEnd(13)}`)} ${r.detail}`);
  }
  console.log("");
  console.log(renderPlan(result));
  // A portfolio-level failure (e.g. no plan keeps the health factor above its floor) is said, not hidden.
  if (result.stage === "failed") console.log(`\n${renderProblems(result)}`);
}

/** `ballast run`: the daemon (or one cycle). */
function runCommand(p: Command): void {
  p.command("run")
    .description("the keeper daemon: watch every chain, rebalance when the policy says so")
    .addOption(configOption)
    .option("--once", "run a single cycle and exit")
    .option("--max-cycles <n>", "stop after n cycles", positiveInt)
    .option("--json", "with --once: the cycle as JSON on stdout (decision, plan, each chain's outcome)")
    .action(async (o: { config: string; once?: boolean; maxCycles?: number; json?: boolean }) => {
      if (o.json && !o.once)
        throw new ConfigError("--json", [
          { path: "--json", message: "needs --once (a running daemon's output is its log)" },
        ]);
      const config = loadConfig(o.config, env);
      const alerts = createKeeperAlerts(config.keeper.alerts, {
        log: createLogger({ level: env.BALLAST_LOG_LEVEL ?? "info" }),
        env,
        secrets: Object.values(config.chains).flatMap((c) => [...c.rpc, ...(c.sendRpc ? [c.sendRpc] : [])]),
      });
      let k: Keeper;
      let dashboardTokenValue: string | null;
      try {
        k = await open(config, { needKeys: true, portfolio: portfolioName(o.config, config) });
        dashboardTokenValue = runDashboardToken(config, env);
      } catch (e) {
        // Journal or key problems at start: tell a person, then fail as before.
        alerts?.notifier.notify(startupAlert(errText(e), nowSeconds()));
        await alerts?.notifier.flush(10_000);
        throw e;
      }
      try {
        await runDaemon(k, {
          once: o.once ?? false,
          ...(o.maxCycles ? { maxCycles: o.maxCycles } : {}),
          now: nowSeconds,
          dashboardToken: dashboardTokenValue,
          alerts,
          graceMs: STOP_GRACE_MS,
          ...(o.json
            ? { onCycle: (c: KeeperCycle) => console.log(JSON.stringify(cycleJson(c), null, 2)) }
            : {}),
        });
      } finally {
        await k.journal.close();
      }
    });
}

/** `run --once --json`: the cycle's decision, its plan, and what each chain's batch became (bigints as strings). */
const cycleJson = ({ result, sent }: KeeperCycle) => ({
  decision: toJsonValue(result.decision),
  plan: result.plan ? toJsonValue(result.plan) : null,
  sent: sent.map((s) => toJsonValue(s)),
});

/** `ballast pause` / `ballast resume`: stop and restart sending, recorded in the journal. */
function pauseResumeCommand(p: Command): void {
  const chainOption = new Option("--chain <name>", "one chain (a key of chains:) instead of every chain");
  const sendingSwitch = (name: "pause" | "resume") =>
    p
      .command(name)
      .description(
        name === "pause"
          ? "stop sending (reads and status go on); a running daemon honours it at its next cycle"
          : "resume sending after a pause or a tripped circuit breaker",
      )
      .addOption(configOption)
      .addOption(chainOption)
      .option("--reason <text>", "why, for the journal and status", `ballast ${name} by an operator`)
      .action(async (o: { config: string; chain?: string; reason: string }) => {
        const config = loadConfig(o.config, env);
        if (o.chain !== undefined && !config.chains[o.chain])
          throw new BallastError(
            `Unknown chain "${o.chain}"; configured: ${Object.keys(config.chains).join(", ")}.`,
          );
        const j = await openJournal(config.keeper.journal, { portfolio: portfolioName(o.config, config) });
        try {
          const p = { at: nowSeconds(), reason: o.reason, ...(o.chain ? { chain: o.chain } : {}) };
          if (name === "pause") await pauseSending(j, p);
          else await resumeSending(j, p);
          console.log(`${name === "pause" ? "Paused" : "Resumed"} sending on ${o.chain ?? "every chain"}.`);
        } finally {
          await j.close();
        }
      });
  sendingSwitch("pause");
  sendingSwitch("resume");
}

/** `ballast history`: the journal alone (no RPC, no key, no RPC variables), newest first. */
function historyCommand(p: Command): void {
  p.command("history")
    .description(
      "past decisions (dry runs of status and plan marked), plans and transactions, from the journal alone",
    )
    .addOption(configOption)
    .option("-n, --limit <n>", "how many entries", positiveInt, 30)
    .option(
      "--since <when>",
      'entries at or after: a duration back ("24h", "7d"), unix seconds or an ISO date',
    )
    .option("--no-dry-runs", "leave out the decisions of status and plan")
    .option("--json", "machine-readable output (each record nested, bigints as strings)")
    .option("--no-color", "plain text even on a terminal (also NO_COLOR)")
    .action(
      async (o: {
        config: string;
        limit: number;
        since?: string;
        dryRuns: boolean;
        json?: boolean;
        color: boolean;
      }) => {
        // The journal is all it reads: a config whose RPC variables are not set still opens.
        const config = loadConfig(o.config, env, { offline: true });
        const { historyJson, historyLine, parseSince } = await import("./history.ts"); // with the backtest's date parser
        const since = o.since === undefined ? undefined : parseSince(o.since, nowSeconds());
        const j = await openJournal(config.keeper.journal, { portfolio: portfolioName(o.config, config) });
        try {
          const rows = await j.history(o.limit, {
            ...(since === undefined ? {} : { since }),
            dryRuns: o.dryRuns,
          });
          const colors = paint(colorEnabled(process.stdout, env, o.color));
          if (o.json) console.log(JSON.stringify(rows.map(historyJson), null, 2));
          else if (rows.length === 0) console.log("The journal is empty: no cycle has run yet.");
          else for (const r of rows) console.log(historyLine(r, colors));
        } finally {
          await j.close();
        }
      },
    );
}

/** `ballast backtest`: decide + plan replayed over a price history. */
function backtestCommand(p: Command): void {
  p.command("backtest")
    .description(
      "replay the keeper's own decide + plan over a price history: rebalances, turnover, cost drag, tracking error",
    )
    .addOption(configOption)
    .option("--prices <file>", "price history CSV: timestamp,SYMBOL,… (see the keeper README)")
    .option("--synthetic", "a seeded geometric Brownian motion instead of a CSV")
    .option("--from <when>", "first row: unix seconds or ISO date (UTC); the synthetic path's start")
    .option("--to <when>", "last row: unix seconds or ISO date (UTC)")
    .option("--compare <file>", "YAML list of policy variants to replay side by side (policies: [{name, …}])")
    .option("--nav <usd>", "starting NAV, USD; the portfolio starts at target", "1000000")
    .option("--supply-apr <percent>", "Aave supply rate, every asset", "3%")
    .option("--borrow-apr <percent>", "Aave borrow rate, every asset", "5%")
    .option("--lp-fee-apr <percent>", "fees an in-range LP position earns, of its principal", "10%")
    .option("--liquidation-threshold <percent>", "Aave liquidation threshold of every collateral", "80%")
    .option(
      "--bridge-fee <percent>",
      "bridge fee, of the value moved, on every route between chains",
      "0.05%",
    )
    .option("--bridge-fixed <usd>", "bridge fixed cost per transfer, USD (relayer gas)", "2")
    .option("--no-bridge", "no bridge route: each chain is rebalanced on its own")
    .option("--seed <n>", "synthetic: random seed", nonNegativeInt, 1)
    .option("--steps <n>", "synthetic: number of rows (default: up to --to, else 8,760)", positiveInt)
    .option("--interval <duration>", "synthetic: time between rows", "1h")
    .option("--vol <percent>", "synthetic: annual volatility of non-stable symbols", "60%")
    .option("--drift <percent>", "synthetic: annual drift", "0%")
    .option("--correlation <x>", "synthetic: correlation between non-stable symbols, 0 to 1", "0.7")
    .option("--stable <symbols>", "synthetic: symbols held at $1", "USDC,USDT,DAI,USDS")
    .option("--start-prices <pairs>", "synthetic: start prices, e.g. WETH=3000,WBTC=90000 (others: $1,000)")
    .option("--chart <file>", "where to write the SVG chart", "backtest.svg")
    .option("--no-chart", "write no chart")
    .option("--json", "machine-readable output (bigints as strings)")
    .addHelpText(
      "after",
      "\nThe price CSV has a header row `timestamp,WETH,USDC,…` (one column per token symbol of the config) and one row\nper moment: unix seconds or ISO 8601 (UTC unless a zone is given), strictly increasing; prices in USD as decimals.\nNo RPC and no key are used. Examples:\n  ballast backtest --synthetic --start-prices WETH=3000 --compare policies.yaml\n  ballast backtest --prices eth-usdc-2024.csv --from 2024-03-01 --json",
    )
    .action(async (o: BacktestOptions) => {
      const { printBacktest, runBacktestCommand } = await import("./backtest.ts");
      printBacktest(runBacktestCommand(o, env), o);
    });
}

/** `ballast dashboard`: the dashboard, read-only from the journal. */
function dashboardCommand(p: Command): void {
  p.command("dashboard")
    .description("serve the dashboard read-only from the journal alone (no RPC, no key); Ctrl-C stops it")
    .addOption(configOption)
    .option(
      "--listen <host:port>",
      "where to listen (default: keeper.listen; use another port while `run` serves it)",
    )
    .action(async (o: { config: string; listen?: string }) => {
      const config = loadConfig(o.config, env);
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      process.once("SIGTERM", () => stop.abort());
      const served = await serveJournalDashboard(config, {
        listen: o.listen ?? config.keeper.listen,
        env,
        signal: stop.signal,
        portfolio: portfolioName(o.config, config),
      });
      console.log(`Dashboard (read-only, from ${redactUrl(config.keeper.journal)}): ${served.url}`);
      await served.closed;
    });
}

/** `ballast demo`: two local chains, a drift, a rebalance. */
function demoCommand(p: Command): void {
  p.command("demo")
    .description(
      "two local anvil chains with the real Aave V3 and Uniswap V3: fund, drift, rebalance, before/after",
    )
    .option("--keep", "leave the chains running at the end (Ctrl-C stops them)")
    .option("--json", "no step-by-step output: the result as one JSON object on stdout (not with --keep)")
    .action(async (o: { keep?: boolean; json?: boolean }) => {
      if (o.json && o.keep)
        throw new ConfigError("--json", [
          { path: "--json", message: "not with --keep (a demo that keeps running prints as it goes)" },
        ]);
      const { runDemo } = await loadDemo();
      await runDemo({ keep: o.keep ?? false, json: o.json ?? false });
    });
}

const addressArg = (v: string, prev: string[] = []) => {
  if (!isAddress(v, { strict: false })) throw new InvalidArgumentError(`not an address: "${v}"`);
  return [...prev, getAddress(v)];
};

/** `ballast safe-permissions`: the Zodiac Roles v2 permission set of the config's Safe chains. */
function safePermissionsCommand(p: Command): void {
  p.command("safe-permissions")
    .description(
      "the Zodiac Roles v2 permissions that let the keeper's role call exactly what Ballast calls (Safe accounts)",
    )
    .addOption(configOption)
    .option(
      "--roles <address>",
      "the Roles modifier enabled as the Safe's module (default: each chain's account.roles.modifier)",
      (v) => addressArg(v)[0]!,
    )
    .option(
      "--member <address>",
      "a role member: the keeper's EOA or Gelato's dedicated sender (repeatable)",
      addressArg,
    )
    .option(
      "--json",
      "machine-readable output: per chain the role key, permissions, targets and calls to apply",
    )
    .addHelpText(
      "after",
      '\nThe Safe (owner of the Roles modifier) executes the printed calls; see the keeper README, "Trust model of a Safe account".',
    )
    .action(
      async (o: { config: string; roles?: `0x${string}`; member?: `0x${string}`[]; json?: boolean }) => {
        const config = loadConfig(o.config, env);
        // Loaded on demand: the Roles SDK (and ethers under it) is needed by this command only.
        const { renderSafePermissions, safePermissions } = await import("./safe-permissions.ts");
        const chains = safePermissions(config, { rolesModifier: o.roles, members: o.member ?? [] });
        console.log(o.json ? JSON.stringify(toJsonValue(chains), null, 2) : renderSafePermissions(chains));
      },
    );
}

/** Exit codes: 0 done, 1 an error, 2 bad config or usage, 3 a chain unreadable or its batch not buildable (partial). */
export const EXIT = { ok: 0, error: 1, config: 2, partial: 3 } as const;

/** The command line itself is wrong (an unknown option, a missing argument), as commander found it. */
class UsageError extends BallastError {
  override name = "UsageError";
}

/** Errors in what the user gave (config, environment, price history, backtest inputs): exit code 2. */
const CONFIG_ERRORS = new Set([
  "UsageError",
  "ConfigError",
  "SecretError",
  "PriceHistoryError",
  "BacktestInputError",
  "WhatIfError",
  "DiscoverError",
  "ChainMismatchError",
  "SetupError",
]);

/** The exit code of an error: 2 config, 3 partial (a chain unreadable, a batch not landed), else 1. */
function exitCodeOf(e: unknown): number {
  if (!(e instanceof BallastError)) return EXIT.error;
  if (CONFIG_ERRORS.has(e.name)) return EXIT.config;
  return e instanceof IncompleteCycleError ? EXIT.partial : EXIT.error;
}

/**
 * `plan`: 3 when a chain could not be read (so nothing was valued, or only part) or its batch could not be built or
 * simulated; 1 when planning itself failed (policy, valuation, planner).
 */
function planExitCode(r: {
  decision: unknown;
  error: unknown;
  chainErrors: readonly unknown[];
  batches: readonly { ok: boolean }[];
}) {
  if (!r.decision) return EXIT.partial;
  if (r.error) return EXIT.error;
  return r.chainErrors.length > 0 || r.batches.some((b) => !b.ok) ? EXIT.partial : EXIT.ok;
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

/**
 * Prints an error and returns the exit code. For a person: the short message and details on stderr (the stack
 * only with BALLAST_DEBUG=1). Under `--json`: `{"error":{"code","message","details?","field?"}}` on stdout.
 */
export function reportError(e: unknown, opts: { json?: boolean } = {}): number {
  if (opts.json) {
    const code = exitCodeOf(e);
    const error: Record<string, unknown> = {
      code: e instanceof BallastError ? e.name : e instanceof Error ? e.name : "Error",
      message: e instanceof BallastError ? e.shortMessage : e instanceof Error ? e.message : String(e),
    };
    if (e instanceof BallastError && e.details) error.details = e.details;
    if (e instanceof ConfigError) {
      // `field`: the first problem's path (`policy.sleeves.2.weight`); `fields`: every problem.
      if (e.issues[0]?.path) error.field = e.issues[0].path;
      error.fields = e.issues;
    } else if (e instanceof BallastError && typeof e.context.field === "string")
      error.field = e.context.field;
    console.log(JSON.stringify({ error, exitCode: code }));
    return code;
  }
  if (e instanceof BallastError) {
    console.error(`error: ${e.shortMessage}`);
    if (e.details) console.error(e.details.replace(/^/gm, "  "));
    if (env.BALLAST_DEBUG) console.error(e);
    return exitCodeOf(e);
  }
  console.error(env.BALLAST_DEBUG ? e : `error: ${e instanceof Error ? e.message : String(e)}`);
  return 1;
}

/** The script node was started with, symlinks resolved (a bin is usually a link), or "" when there is none. */
const mainScript = (): string => {
  try {
    return process.argv[1] ? realpathSync(process.argv[1]) : "";
  } catch {
    return "";
  }
};

const main = mainScript();
if (main === fileURLToPath(import.meta.url) || main.endsWith("/cli.ts")) {
  redactProcessOutput();
  const json = process.argv.includes("--json");
  const cli = program();
  // Under --json a usage error is JSON like every other error: commander's text (and the help after it) is not printed.
  if (json)
    for (const c of [cli, ...cli.commands])
      c.configureOutput({ outputError: () => {} }).showHelpAfterError(false);
  cli.parseAsync(process.argv).catch((e: unknown) => {
    if (!(e instanceof CommanderError)) process.exitCode = reportError(e, { json });
    // --help and --version exit 0; a usage error exits 2 (commander printed it, or under --json it is ours to print).
    else if (e.exitCode === 0) process.exitCode = EXIT.ok;
    else if (json)
      process.exitCode = reportError(new UsageError(e.message.replace(/^error: /, "")), { json });
    else process.exitCode = EXIT.config;
  });
}

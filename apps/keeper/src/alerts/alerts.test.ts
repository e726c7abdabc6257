import type { TxRecord } from "@ballast/chain";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { STAND_IN_PATHS, type StandIns, startStandIns } from "../../test/alert-stand-ins.ts";
import { type AlertsConfig, alertsSchema } from "./config.ts";
import { type Alert, type CycleFacts, cycleAlerts, newWatch } from "./events.ts";
import { settledFacts } from "./keeper.ts";
import { createNotifier } from "./notifier.ts";

const TELEGRAM_TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
const RPC_SECRET = "https://eth-mainnet.example/v2/rpc-api-key-0123456789";
const log = pino({ level: "silent" });

let standIns: StandIns | undefined;
afterEach(async () => {
  await standIns?.close();
  standIns = undefined;
});

const alert = (over: Partial<Alert> = {}): Alert => ({
  event: "tx-confirmed",
  severity: "info",
  subject: "plan:base",
  title: "Transaction confirmed on base",
  lines: ["tx 0xabc", "gas used 180,000"],
  at: 1_800_000_000,
  ...over,
});

/** Every sink type pointed at the stand-ins; URLs and the bot token come from the environment. */
async function setup(
  raw: Record<string, unknown> = {},
  fail: Parameters<typeof startStandIns>[0]["fail"] = {},
) {
  standIns = await startStandIns({ telegramToken: TELEGRAM_TOKEN, fail });
  const env = {
    SLACK_URL: `${standIns.url}${STAND_IN_PATHS.slack}`,
    DISCORD_URL: `${standIns.url}${STAND_IN_PATHS.discord}`,
    HOOK_URL: `${standIns.url}${STAND_IN_PATHS.webhook}`,
    TG_TOKEN: TELEGRAM_TOKEN,
  };
  const config: AlertsConfig = alertsSchema.parse({
    sinks: [
      { type: "webhook", url: "env:HOOK_URL" },
      { type: "slack", url: "env:SLACK_URL" },
      { type: "discord", url: "env:DISCORD_URL" },
      { type: "telegram", token: "env:TG_TOKEN", chatId: "-1001234", apiUrl: standIns.url },
    ],
    ...raw,
  });
  let clock = 1_800_000_000;
  const notifier = createNotifier(config, {
    log,
    env,
    secrets: [RPC_SECRET],
    baseDelayMs: 5,
    now: () => clock,
  });
  return { notifier, env, s: standIns, tick: (seconds: number) => (clock += seconds) };
}

describe("alert delivery to local stand-ins of each service", () => {
  it("sends each service its documented format, readable on a phone, with no secret in any payload", async () => {
    const { notifier, env, s } = await setup();
    notifier.notify(alert({ lines: ["tx 0xabc", `rpc ${RPC_SECRET} timed out`] }));
    await notifier.flush();
    expect(notifier.stats).toMatchObject({ delivered: 4, failed: 0 });
    const slack = s.accepted("slack")[0]?.body as { text: string };
    expect(slack.text.split("\n")[0]).toBe("🟢 *Transaction confirmed on base*");
    const discord = s.accepted("discord")[0]?.body as { content: string; allowed_mentions: unknown };
    expect(discord.content.split("\n")[0]).toBe("🟢 **Transaction confirmed on base**");
    expect(discord.allowed_mentions).toEqual({ parse: [] });
    const telegram = s.accepted("telegram")[0]?.body as { chat_id: string; text: string };
    expect(telegram.chat_id).toBe("-1001234");
    expect(telegram.text).toBe("🟢 Transaction confirmed on base\ntx 0xabc\nrpc [redacted] timed out");
    const hook = s.accepted("webhook")[0]?.body as Record<string, unknown>;
    expect(hook).toMatchObject({ event: "tx-confirmed", severity: "info", at: "2027-01-15T08:00:00.000Z" });
    for (const r of s.received)
      for (const secret of [
        TELEGRAM_TOKEN,
        env.SLACK_URL,
        env.DISCORD_URL,
        env.HOOK_URL,
        RPC_SECRET,
        "rpc-api-key",
      ])
        expect(r.raw).not.toContain(secret);
  });

  it("retries a 500 with back-off, honours Discord's 429 retry_after, and gives up on a 400 at once", async () => {
    const { notifier, s } = await setup({}, { slack: [500, 503], discord: [429], webhook: [400] });
    notifier.notify(alert());
    await notifier.flush();
    expect(s.received.filter((r) => r.service === "slack").map((r) => r.status)).toEqual([500, 503, 200]);
    expect(s.received.filter((r) => r.service === "discord").map((r) => r.status)).toEqual([429, 204]);
    expect(s.received.filter((r) => r.service === "webhook").map((r) => r.status)).toEqual([400]);
    expect(notifier.stats).toMatchObject({ delivered: 3, failed: 1 });
  });

  it("stops after the configured attempts without throwing", async () => {
    const { notifier, s } = await setup({ attempts: 3 }, { telegram: [502, 502, 502, 502] });
    expect(() => notifier.notify(alert())).not.toThrow();
    await notifier.flush();
    expect(s.received.filter((r) => r.service === "telegram")).toHaveLength(3);
    expect(notifier.stats.failed).toBe(1);
  });

  it("rate-limits per sink and reports what it held back with the next message", async () => {
    const { notifier, s, tick } = await setup({ rateLimit: { max: 2, per: "1h" } });
    for (const chain of ["a", "b", "c", "d"]) notifier.notify(alert({ subject: `plan:${chain}` }));
    await notifier.flush();
    expect(s.accepted("slack")).toHaveLength(2);
    expect(notifier.stats.rateLimited).toBe(2 * 4);
    tick(3_601);
    notifier.notify(alert({ subject: "plan:e" }));
    await notifier.flush();
    const last = s.accepted("slack").at(-1)?.body as { text: string };
    expect(last.text).toContain("(2 earlier alert(s) held back by the rate limit)");
  });

  it("de-duplicates the same event about the same subject within the window", async () => {
    const { notifier, s, tick } = await setup({ dedupWindow: "10m" });
    notifier.notify(alert());
    notifier.notify(alert());
    tick(601);
    notifier.notify(alert());
    await notifier.flush();
    expect(s.accepted("slack")).toHaveLength(2);
    expect(notifier.stats.duplicates).toBe(1);
  });

  it("sends only the events keeper.alerts.events lists", async () => {
    const { notifier, s } = await setup({ events: ["tx-failed"] });
    notifier.notify(alert());
    notifier.notify(alert({ event: "tx-failed", severity: "critical", title: "Transaction failed on base" }));
    await notifier.flush();
    expect(s.accepted("webhook").map((r) => (r.body as { event: string }).event)).toEqual(["tx-failed"]);
  });

  it("sends a sink only the events it lists", async () => {
    standIns = await startStandIns({ telegramToken: TELEGRAM_TOKEN });
    const config = alertsSchema.parse({
      sinks: [
        {
          type: "slack",
          url: `${standIns.url}${STAND_IN_PATHS.slack}`,
          events: ["tx-failed", "chain-stale"],
        },
      ],
    });
    const notifier = createNotifier(config, { log, env: {}, baseDelayMs: 5 });
    notifier.notify(alert());
    notifier.notify(alert({ event: "tx-failed", severity: "critical", title: "Transaction failed on base" }));
    await notifier.flush();
    expect(standIns.accepted("slack").map((r) => (r.body as { text: string }).text.split("\n")[0])).toEqual([
      "🔴 *Transaction failed on base*",
    ]);
  });

  it("logs each delivery and failure by sink name and event only: no URL, token or message text", async () => {
    const lines: string[] = [];
    const logged = pino({ level: "debug" }, { write: (l: string) => void lines.push(l) });
    standIns = await startStandIns({ telegramToken: TELEGRAM_TOKEN, fail: { telegram: [500, 500] } });
    const env = { SLACK_URL: `${standIns.url}${STAND_IN_PATHS.slack}`, TG_TOKEN: TELEGRAM_TOKEN };
    const config = alertsSchema.parse({
      attempts: 2,
      sinks: [
        { type: "slack", url: "env:SLACK_URL" },
        { type: "telegram", token: "env:TG_TOKEN", chatId: 5, apiUrl: standIns.url },
      ],
    });
    const notifier = createNotifier(config, { log: logged, env, secrets: [RPC_SECRET], baseDelayMs: 5 });
    notifier.notify(alert({ lines: [`rpc ${RPC_SECRET} timed out`] }));
    await notifier.flush();
    expect(notifier.stats).toMatchObject({ delivered: 1, failed: 1 });
    expect(lines.map((l) => JSON.parse(l).sink).sort()).toEqual(["slack#0", "telegram#1", "telegram#1"]);
    for (const secret of [TELEGRAM_TOKEN, STAND_IN_PATHS.slack, RPC_SECRET, "timed out"])
      expect(lines.join("")).not.toContain(secret);
  });

  it("refuses a config whose sink variable is not set, naming the variable only", () => {
    const config = alertsSchema.parse({ sinks: [{ type: "telegram", token: "env:NOPE_TOKEN", chatId: 1 }] });
    expect(() => createNotifier(config, { log, env: {} })).toThrow(/NOPE_TOKEN is not set/);
  });
});

const facts = (over: Partial<CycleFacts> = {}): CycleFacts => ({
  at: 1_000,
  chains: ["ethereum", "base"],
  chainErrors: [],
  healthFactors: [],
  healthFactorFloorWad: 18n * 10n ** 17n,
  rebalance: null,
  sent: [],
  settled: [],
  ...over,
});
const rules = { healthFactorMarginWad: 10n ** 17n, staleAfterSeconds: 300 };

describe("alert rules over cycles", () => {
  it("a rebalance alerts with its plan summary, then one alert per transaction outcome", () => {
    const out = cycleAlerts(
      facts({
        rebalance: {
          planId: "ab".repeat(32),
          summary: "5 legs on 2 chain(s), estimated cost $3.10",
          reasons: ["band: eth-idle +310 bps"],
          nav: "$100,000.00",
        },
        sent: [
          { chain: "ethereum", status: "confirmed", hash: "0x01", gasUsed: 300_000n, replaced: ["0x00"] },
          {
            chain: "base",
            status: "refused",
            error: "health factor after the batch 1.7 < floor 1.8",
            replaced: [],
          },
        ],
      }),
      newWatch(),
      rules,
    );
    expect(out.map((a) => a.event)).toEqual([
      "rebalance",
      "tx-replaced",
      "tx-confirmed",
      "simulation-refused",
    ]);
    expect(out[0]?.lines).toContain("5 legs on 2 chain(s), estimated cost $3.10");
  });

  it("a transaction left in flight alerts when it settles: confirmed (after its replacements), reverted or dropped", () => {
    const record = (chainId: number, status: TxRecord["status"], over: Partial<TxRecord> = {}): TxRecord => ({
      planId: "cd".repeat(32),
      chainId,
      sender: "0x0000000000000000000000000000000000000001",
      nonce: 7,
      to: "0x0000000000000000000000000000000000000002",
      data: "0x",
      value: 0n,
      gas: 300_000n,
      status,
      attempts: [{ hash: "0xa1", raw: "0x01", maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }],
      ...over,
    });
    const names: Record<number, string> = { 1: "ethereum", 8453: "base", 10: "optimism" };
    const settled = settledFacts(
      [
        record(1, "confirmed", {
          attempts: [
            { hash: "0xa1", raw: "0x01", maxFeePerGas: 1n, maxPriorityFeePerGas: 1n },
            { hash: "0xa2", raw: "0x02", maxFeePerGas: 2n, maxPriorityFeePerGas: 2n },
          ],
          inclusion: {
            hash: "0xa2",
            blockNumber: 90n,
            gasUsed: 210_000n,
            blockHash: "0xb1",
            effectiveGasPrice: 1n,
          },
        }),
        record(8453, "reverted", {
          inclusion: {
            hash: "0xa1",
            blockNumber: 91n,
            gasUsed: 50_000n,
            blockHash: "0xb1",
            effectiveGasPrice: 1n,
          },
        }),
        record(10, "dropped", { droppedReason: "nonce 7 used by another transaction" }),
        record(1, "broadcast"),
      ],
      (id) => names[id] ?? String(id),
    );
    const out = cycleAlerts(facts({ settled }), newWatch(), rules);
    expect(out.map((a) => [a.event, a.severity, a.subject, a.title])).toEqual([
      [
        "tx-replaced",
        "warning",
        "cdcdcdcdcdcd:ethereum",
        "Transaction on ethereum replaced 1× with higher fees",
      ],
      ["tx-confirmed", "info", "cdcdcdcdcdcd:ethereum", "Transaction confirmed on ethereum"],
      ["tx-failed", "critical", "cdcdcdcdcdcd:base", "Transaction reverted on base"],
      ["tx-failed", "critical", "cdcdcdcdcdcd:optimism", "Transaction dropped on optimism"],
    ]);
    expect(out[1]?.lines).toEqual(["tx 0xa2", "gas used 210,000", "plan cdcdcdcdcdcd"]);
    expect(out[2]?.lines).toEqual(["tx 0xa1", "reverted in block 91", "plan cdcdcdcdcdcd"]);
    expect(out[3]?.lines).toContain("dropped: nonce 7 used by another transaction");
  });

  it("a chain unreadable for staleAfter alerts once, then once on recovery", () => {
    const w = newWatch();
    const down = (at: number) => facts({ at, chainErrors: [{ chain: "base", error: "RPC timeout" }] });
    expect(cycleAlerts(down(1_000), w, rules)).toEqual([]);
    expect(cycleAlerts(down(1_200), w, rules)).toEqual([]);
    const stale = cycleAlerts(down(1_300), w, rules);
    expect(stale.map((a) => [a.event, a.severity, a.title])).toEqual([
      ["chain-stale", "critical", "Chain base unreadable for 5 min"],
    ]);
    expect(cycleAlerts(down(1_900), w, rules)).toEqual([]);
    const back = cycleAlerts(facts({ at: 2_000 }), w, rules);
    expect(back.map((a) => [a.event, a.severity])).toEqual([["chain-stale", "info"]]);
    expect(cycleAlerts(facts({ at: 2_100 }), w, rules)).toEqual([]);
  });

  it("a health factor alerts when it enters the margin, again below the floor, and once when it recovers", () => {
    const w = newWatch();
    const at = (hf: bigint | null) =>
      cycleAlerts(
        facts({ healthFactors: [{ chain: "base", protocol: "aave-v3", healthFactorWad: hf }] }),
        w,
        rules,
      ).map((a) => a.severity);
    expect(at(25n * 10n ** 17n)).toEqual([]);
    expect(at(185n * 10n ** 16n)).toEqual(["warning"]);
    expect(at(186n * 10n ** 16n)).toEqual([]);
    expect(at(17n * 10n ** 17n)).toEqual(["critical"]);
    expect(at(null)).toEqual(["info"]);
    expect(at(3n * 10n ** 18n)).toEqual([]);
  });
});

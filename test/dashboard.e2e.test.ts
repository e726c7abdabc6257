import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openJournal } from "@ballast/keeper";
import { type DemoChains, demoConfigYaml, seedDemoPortfolio } from "@ballast/keeper/demo";
import {
  ANVIL_PRIVATE_KEYS,
  setPrice,
  startTestChain,
  TEST_ACCOUNT_INDEX,
  testAccounts,
} from "@ballast/testkit";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dashboardRoutes } from "../apps/keeper/src/dashboard/server.ts";
import { recordCycle } from "../apps/keeper/src/dashboard/store.ts";
import type { CycleView } from "../apps/keeper/src/dashboard/view.ts";
import { createMetrics, serveMetrics } from "../apps/keeper/src/metrics.ts";
import { type OrderRecord, writeOrder } from "../apps/keeper/src/orders.ts";
import { STAND_IN_PATHS, type StandIns, startStandIns } from "../apps/keeper/test/alert-stand-ins.ts";
import { cli, ROOT, startCli } from "./cli.ts";

// Debian's chromium (`apt-get install -y chromium`; .ci/run installs it) driven by playwright-core.
const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM)
  console.warn(
    `dashboard e2e skipped: ${CHROMIUM} is missing (install it with: apt-get install -y chromium)`,
  );
/** Screenshots the run saves (one of them is the README's). */
export const ARTIFACTS = join(ROOT, "test", ".artifacts");

const DASHBOARD_TOKEN = "dashboard-token-5f1c2a9e7b";
const TELEGRAM_TOKEN = "987654:AAEsecretTelegramBotToken_x1";

let chains: DemoChains;
let dir: string;
let config: string;
let standIns: StandIns;
let keeper: ReturnType<typeof startCli> | undefined;
let context: BrowserContext | undefined;
let base: string;
const env = () => ({
  BALLAST_DEMO_KEY: ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX.keeper] as string,
  BALLAST_LOG_LEVEL: "info",
  DASHBOARD_TOKEN,
  TG_TOKEN: TELEGRAM_TOKEN,
  SLACK_URL: `${standIns.url}${STAND_IN_PATHS.slack}`,
  DISCORD_URL: `${standIns.url}${STAND_IN_PATHS.discord}`,
});

const until = async <T>(
  what: string,
  f: () => Promise<T | undefined> | T | undefined,
  ms = 60_000,
): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

type Status = {
  source: string;
  cycle: { sleeves: { id: string }[] } | null;
  plan: { plan: { id: string }; transactions: { chainId: number; status: string; hash: string }[] } | null;
};
const api = async <T>(
  path: string,
  token: string | null = DASHBOARD_TOKEN,
): Promise<{ status: number; body: T }> => {
  const res = await fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, body: (await res.json()) as T };
};

/** A config for the demo portfolio with the dashboard behind a token, explorers, and every alert sink. */
function writeConfig(): void {
  const yaml = demoConfigYaml(chains, { journal: join(dir, "ballast.db"), cooldown: "0s" })
    .replace(/(\n {4}chainId: 1\n)/, "$1    explorer: https://etherscan.io\n")
    .replace(/(\n {4}chainId: 8453\n)/, "$1    explorer: https://basescan.org\n");
  writeFileSync(
    config,
    `${yaml}  dashboard: { token: env:DASHBOARD_TOKEN }
  alerts:
    sinks:
      - { type: webhook, url: "${standIns.url}${STAND_IN_PATHS.webhook}" }
      - { type: slack, url: env:SLACK_URL }
      - { type: discord, url: env:DISCORD_URL }
      - { type: telegram, token: env:TG_TOKEN, chatId: "-100777", apiUrl: "${standIns.url}" }
`,
  );
}

/** Starts `ballast run` and waits for its listener; returns the dashboard's base URL. */
async function startKeeper(): Promise<string> {
  keeper = startCli(["run", "-c", config], env());
  let stderr = "";
  keeper.child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const port = await until("the keeper's listener", () => /"listen":"127\.0\.0\.1:(\d+)"/.exec(stderr)?.[1]);
  return `http://127.0.0.1:${port}`;
}

async function openPage(width: number, height: number): Promise<{ page: Page; errors: string[] }> {
  if (!context) throw new Error("no browser");
  const page = await context.newPage();
  await page.setViewportSize({ width, height });
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${base}/#token=${DASHBOARD_TOKEN}`);
  await page.waitForSelector("body[data-ready=true]");
  return { page, errors };
}

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  const [ethereum, baseChain] = await Promise.all([
    startTestChain({ chainId: 1 }),
    startTestChain({ chainId: 8453 }),
  ]);
  chains = { ethereum, base: baseChain };
  await seedDemoPortfolio(chains, testAccounts.keeper);
  dir = mkdtempSync(join(tmpdir(), "ballast-dashboard-"));
  config = join(dir, "ballast.yaml");
  standIns = await startStandIns({ telegramToken: TELEGRAM_TOKEN });
  writeConfig();
  base = await startKeeper();
  await until("the first journaled cycle", async () =>
    (await api<Status>("/api/status")).body.cycle ? true : undefined,
  );
  context = await chromium.launchPersistentContext(join(dir, "chromium-profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

afterAll(async () => {
  await context?.close();
  if (keeper && keeper.child.exitCode === null) {
    keeper.child.kill("SIGTERM");
    expect((await keeper.done).code).toBe(0);
  }
  await standIns?.close();
  await Promise.all([chains?.ethereum.stop(), chains?.base.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE_CHROMIUM)(
  "the dashboard in headless Chromium against a keeper on two local chains",
  () => {
    it("serves the page; its API needs the token and accepts no write", async () => {
      expect((await api<unknown>("/api/status", null)).status).toBe(401);
      expect((await api<unknown>("/api/status", "wrong-token")).status).toBe(401);
      expect((await fetch(`${base}/api/status`, { method: "POST" })).status).toBe(405);
      const { status, body } = await api<Status>("/api/status");
      expect(status).toBe(200);
      expect(body.source).toBe("keeper");
    });

    it("shows every sleeve against its target, then the rebalance, its plan, transactions and alerts after ETH falls", async () => {
      const { page, errors } = await openPage(1366, 900);
      const ids = ["eth-idle", "eth-usdc-lp", "weth-aave", "usdc-idle", "usdc-debt"];
      expect(
        await page
          .locator("[data-sleeve]")
          .evaluateAll((els) => els.map((e) => e.getAttribute("data-sleeve"))),
      ).toEqual(ids);
      expect(await page.locator("[data-out-of-band=true]").count()).toBe(0);
      expect(await page.locator("#drift-chart").getAttribute("data-rebalances")).toBe("0");
      expect(await page.locator("#drift-chart").getAttribute("data-marked")).toBe("0");
      expect(await page.locator("[data-hf-chain='8453']").count()).toBe(1);

      // ETH falls 20%: the keeper (tick: block) sees the new blocks, rebalances, and the page follows without a reload.
      await Promise.all(
        [chains.ethereum, chains.base].map((c) =>
          setPrice(c, { asset: "WETH", usdPrice: 2_400n * 10n ** 8n }),
        ),
      );
      const sent = await until(
        "both transactions confirmed",
        async () => {
          const p = (await api<Status>("/api/status")).body.plan;
          return p && p.transactions.length === 2 && p.transactions.every((t) => t.status === "confirmed")
            ? p
            : undefined;
        },
        90_000,
      );
      await page.waitForSelector(`[data-plan-id="${sent.plan.id}"]`, { timeout: 20_000 });
      await page.waitForFunction(
        () => document.querySelector("#drift-chart")?.getAttribute("data-rebalances") === "1",
        null,
        {
          timeout: 20_000,
        },
      );
      for (const tx of sent.transactions) {
        const link = page.locator(`[data-tx-hash="${tx.hash}"] a`);
        expect(await link.getAttribute("href")).toBe(
          `${tx.chainId === 1 ? "https://etherscan.io" : "https://basescan.org"}/tx/${tx.hash}`,
        );
      }
      // The rebalance is drawn on both charts, not only listed.
      for (const chart of ["#drift-chart", "#nav-chart"])
        await page.waitForSelector(`${chart}[data-marked="1"]`, { timeout: 20_000 });
      // Another range redraws the history from /api/history: the last hour still holds the rebalance.
      await page.click('#ranges button[data-range="1h"]');
      await page.waitForSelector('#ranges button.active[data-range="1h"]');
      await page.waitForSelector('#drift-chart[data-marked="1"]');
      expect(await page.locator("table.legs tbody tr").count()).toBeGreaterThan(0);
      expect(await page.locator("#rebalances li").count()).toBe(1);
      expect(await page.locator("#drift-chart canvas").count()).toBe(1);
      await page.waitForFunction(
        () => document.querySelectorAll("[data-out-of-band=true]").length === 0,
        null,
        {
          timeout: 20_000,
        },
      );

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "dashboard-laptop.png"), fullPage: true });
      const phone = await openPage(390, 844);
      await phone.page.waitForSelector(`[data-plan-id="${sent.plan.id}"]`);
      // Nothing wider than the phone's screen but the scrollable tables.
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await phone.page.screenshot({ path: join(ARTIFACTS, "dashboard-phone.png"), fullPage: true });
      expect([...errors, ...phone.errors]).toEqual([]);

      // The alerts of the rebalance reached every service, in its format, without a secret.
      const events = await until("the alerts", () => {
        const hook = standIns.accepted("webhook").map((r) => (r.body as { event: string }).event);
        const done = ["slack", "discord", "telegram"].every(
          (s) => standIns.accepted(s as "slack").length >= 3,
        );
        return hook.length >= 3 && done ? hook : undefined;
      });
      expect(events.sort()).toEqual(["rebalance", "tx-confirmed", "tx-confirmed"]);
      const text = (standIns.accepted("telegram")[0]?.body as { text: string } | undefined)?.text;
      expect(text).toMatch(/^🟢 Rebalance fired: plan [0-9a-f]{12}\n/);
      for (const r of standIns.received)
        for (const secret of [TELEGRAM_TOKEN, DASHBOARD_TOKEN, STAND_IN_PATHS.slack, STAND_IN_PATHS.discord])
          expect(r.raw).not.toContain(secret);
    });

    it("a keeper that cannot start (its key is not set) alerts before it exits", async () => {
      const before = standIns.accepted("webhook").length;
      const { BALLAST_DEMO_KEY: _key, ...noKey } = env();
      // Its own journal: the running keeper holds the lock of the shared one (one keeper per journal).
      const alone = join(dir, "no-key.yaml");
      writeFileSync(
        alone,
        readFileSync(config, "utf8").replace(join(dir, "ballast.db"), join(dir, "no-key.db")),
      );
      const r = await cli(["run", "--once", "-c", alone], { ...noKey, BALLAST_DEMO_KEY: "" });
      expect(r.code).toBe(2); // an environment error: the key variable is not set
      expect(r.stderr).toContain("BALLAST_DEMO_KEY");
      const startup = standIns.accepted("webhook").slice(before)[0]?.body as {
        event: string;
        lines: string[];
      };
      expect(startup.event).toBe("startup");
      expect(startup.lines.join(" ")).toContain("BALLAST_DEMO_KEY is not set");
    });

    it("ballast dashboard serves the same journal read-only, with no RPC, beside the running keeper", async () => {
      const readOnly = startCli(["dashboard", "-c", config, "--listen", "127.0.0.1:0"], { DASHBOARD_TOKEN });
      let out = "";
      readOnly.child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      const keeperBase = base;
      try {
        base = await until("the read-only dashboard", () => /(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1]);
        expect(base).not.toBe(keeperBase);
        const { body } = await api<Status>("/api/status");
        expect(body.source).toBe("journal");
        expect(body.plan?.transactions.map((t) => t.status)).toEqual(["confirmed", "confirmed"]);
        const history = await api<{ points: unknown[]; rebalances: unknown[] }>("/api/history?range=all");
        expect(history.body.rebalances).toHaveLength(1);
        expect(history.body.points.length).toBeGreaterThanOrEqual(2);
      } finally {
        base = keeperBase;
        readOnly.child.kill("SIGTERM");
        expect((await readOnly.done).code).toBe(0);
      }
    });

    it("shows what is in flight and the plan's cross-chain transfers (a journal with a chain holding)", async () => {
      const journal = await openJournal(":memory:");
      const server = await serveMetrics(
        "127.0.0.1:0",
        createMetrics(),
        () => ({ ok: true, chains: {} }),
        dashboardRoutes({
          journal,
          chains: () => [
            { key: "ethereum", chainId: 1, explorer: null },
            { key: "base", chainId: 8453, explorer: null },
          ],
          source: "journal",
          token: null,
          now: () => 2_000,
        }),
      );
      const keeperBase = base;
      try {
        const { body } = await api<{ cycle: CycleView }>("/api/status");
        const planId = "ef".repeat(32);
        await recordCycle(
          journal,
          {
            ...body.cycle,
            at: 1_000,
            plan: {
              id: planId,
              navUsd: "$1",
              postNavUsd: "$1",
              turnoverUsd: "$1",
              costUsd: "$1",
              legs: [],
              transfers: [
                { symbol: "USDC", fromChainId: 1, toChainId: 8453, amount: "500 USDC", usd: "$500.00" },
              ],
            },
            inFlight: [
              {
                kind: "transaction",
                chainId: 8453,
                planId,
                detail: "transaction nonce 7 broadcast (0xabcdef12…)",
              },
            ],
          },
          60,
        );
        // A Fusion order the relayer has (journaled as the keeper does): its own row, not the cycle's copy.
        const orderHash = `0x${"5a".repeat(32)}` as const;
        const A = "0x0000000000000000000000000000000000000001";
        const order: OrderRecord = {
          route: "1inch-fusion",
          label: "1inch Fusion order",
          chainId: 1,
          step: 2,
          tokenIn: A,
          tokenOut: A,
          amountIn: 10n * 10n ** 18n,
          minAmountOut: 29_640_510_900n,
          usd: 30_030n * 10n ** 18n,
          id: `${planId}:1:2`,
          planId,
          account: A,
          symbolIn: "WETH",
          symbolOut: "USDC",
          decimalsIn: 18,
          decimalsOut: 6,
          status: "submitted",
          createdAt: 1_900,
          // Only its hash is read back here; the order struct itself is the relayer's business.
          signed: { orderHash, signature: "0x", quoteId: "q", extension: "0x", order: {} as never },
          life: [],
        };
        await writeOrder(journal, order, 1_900);
        base = `http://127.0.0.1:${server.port}`;
        const status = await api<{ orders: unknown[] }>("/api/status");
        expect(status.body.orders).toEqual([
          {
            chainId: 1,
            route: "1inch-fusion",
            label: "1inch Fusion order",
            orderHash,
            status: "submitted",
            ageSeconds: 100,
            amountIn: "10 WETH",
            minAmountOut: "29640.5109 USDC",
            filledOut: null,
          },
        ]);
        const { page, errors } = await openPage(390, 844);
        const row = page.locator(`[data-order="${orderHash}"]`);
        expect(await row.textContent()).toBe(
          "ethereum 1inch Fusion order · 0x5a5a5a5a…5a5a10 WETH → at least 29640.5109 USDC: submitted, 100 s old, filled nothing yet",
        );
        const item = page.locator(`[data-in-flight="8453:${planId}"]`);
        expect(await item.textContent()).toContain("transaction nonce 7 broadcast");
        expect(await item.textContent()).toContain("base");
        expect(await page.locator("#plan").textContent()).toContain("Cross-chain transfers in this plan");
        expect(await page.locator("#plan").textContent()).toContain("500 USDC");
        expect(errors).toEqual([]);
      } finally {
        base = keeperBase;
        await server.close();
        await journal.close();
      }
    });
  },
);

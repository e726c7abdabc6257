import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterEach, describe, expect, it } from "vitest";
import { BUILD_OPTIONS } from "../../dashboard/build.ts";
import { ConfigError, parseConfig } from "../config.ts";
import { type Journal, openJournal } from "../journal.ts";
import { createMetrics, serveMetrics } from "../metrics.ts";
import type { HistoryResponse, StatusResponse } from "./api.ts";
import { DashboardError, runDashboardToken, serveJournalDashboard } from "./serve.ts";
import { chainInfos, dashboardRoutes } from "./server.ts";
import { recordCycle } from "./store.ts";
import type { CycleView } from "./view.ts";

const A = "0x0000000000000000000000000000000000000001";
const config = (keeper: Record<string, unknown>) => ({
  chains: {
    a: {
      chainId: 1,
      rpc: ["http://127.0.0.1:8545"],
      account: { type: "eip7702", key: "env:K" },
      tokens: { WETH: { address: A, decimals: 18 } },
      explorer: "https://etherscan.io",
    },
  },
  policy: {
    sleeves: [{ id: "eth", chain: "a", kind: "token", asset: "WETH", weight: "100%" }],
    bands: { absolute: "5%", relative: "25%" },
  },
  keeper,
});

const view = (at: number, over: Partial<CycleView> = {}): CycleView => ({
  at,
  navUsd: (1_000n * 10n ** 18n).toString(),
  sleeves: [
    {
      id: "eth",
      chainId: 1,
      kind: "token",
      protocol: "wallet",
      targetBps: 10_000,
      weightBps: 10_000,
      driftBps: at % 7,
      bandBps: 500,
      valueUsd: "1",
      outOfBand: false,
    },
  ],
  healthFactors: [],
  healthFactorFloor: null,
  decision: { fire: false, reasons: [] },
  plan: null,
  simulations: [],
  chainErrors: [],
  staleChains: [],
  warnings: [],
  ...over,
});
const plan = (id: string) => ({
  id,
  navUsd: "$1",
  postNavUsd: "$1",
  turnoverUsd: "$0",
  costUsd: "$0",
  legs: [],
  transfers: [],
});

let journal: Journal | undefined;
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  await journal?.close();
  close = undefined;
  journal = undefined;
});

/** The dashboard on a free port over an in-memory journal. */
async function serve(token: string | null) {
  const j = await openJournal(":memory:");
  journal = j;
  const c = parseConfig(config({}));
  const routes = dashboardRoutes({
    journal: j,
    chains: () => chainInfos(c.chains),
    source: "journal",
    token,
    now: () => 10_000,
  });
  const server = await serveMetrics("127.0.0.1:0", createMetrics(), () => ({ ok: true, chains: {} }), routes);
  close = server.close;
  const url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return { db: j, url };
}

describe("dashboard config", () => {
  it("refuses a dashboard beyond loopback without a token, and accepts one with it or with the dashboard off", () => {
    expect(() => parseConfig(config({ listen: "0.0.0.0:9464" }))).toThrow(ConfigError);
    try {
      parseConfig(config({ listen: "0.0.0.0:9464" }));
    } catch (e) {
      expect((e as ConfigError).issues[0]?.path).toBe("keeper.dashboard.token");
    }
    expect(
      parseConfig(config({ listen: "0.0.0.0:9464", dashboard: { token: "env:T" } })).keeper.dashboard.token,
    ).toBe("env:T");
    expect(
      parseConfig(config({ listen: "0.0.0.0:9464", dashboard: { enabled: false } })).keeper.dashboard.enabled,
    ).toBe(false);
    expect(parseConfig(config({ listen: "127.0.0.1:9464" })).keeper.dashboard).toEqual({
      enabled: true,
      sampleEvery: 60,
    });
  });
});

describe("dashboard token at start", () => {
  it("ballast dashboard refuses a non-loopback --listen without a token, before it listens", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ballast-dashboard-"));
    try {
      const file = join(dir, "ballast.db");
      await (await openJournal(file)).close();
      const c = parseConfig(config({ journal: file }));
      const serve = (listen: string) =>
        serveJournalDashboard(c, { listen, env: {}, signal: AbortSignal.abort() });
      await expect(serve("0.0.0.0:0")).rejects.toThrow(DashboardError);
      const served = await serve("127.0.0.1:0");
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      await served.closed;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ballast run needs no token when the dashboard is off, and resolves it from the environment when on", () => {
    const off = parseConfig(config({ listen: "0.0.0.0:9464", dashboard: { enabled: false } }));
    expect(runDashboardToken(off, {})).toBeNull();
    const on = parseConfig(config({ listen: "0.0.0.0:9464", dashboard: { token: "env:T" } }));
    expect(runDashboardToken(on, { T: "s3cret-token" })).toBe("s3cret-token");
    expect(() => runDashboardToken(on, {})).toThrow(/T is not set/);
  });
});

describe("journaled cycles", () => {
  it("keeps quiet cycles once a minute, but every planned cycle and the one after it", async () => {
    const { db, url } = await serve(null);
    await recordCycle(db, view(1_000), 60);
    await recordCycle(db, view(1_010), 60); // quiet, within a minute: dropped
    await recordCycle(db, view(1_060), 60); // a minute later: kept
    await recordCycle(db, view(1_070, { plan: plan("p1"), decision: { fire: true, reasons: [] } }), 60);
    await recordCycle(db, view(1_071), 60); // right after a plan: kept
    await recordCycle(db, view(1_072), 60); // quiet again: dropped
    await recordCycle(db, view(1_073, { chainErrors: [{ chainId: 1, chain: "a", error: "timeout" }] }), 60); // errors changed: kept
    await recordCycle(db, view(1_074, { chainErrors: [{ chainId: 1, chain: "a", error: "timeout" }] }), 60); // same: dropped
    const h = (await (await fetch(`${url}/api/history?from=0&to=5000`)).json()) as HistoryResponse;
    expect(h.points.map((p) => p.at)).toEqual([1_000, 1_060, 1_070, 1_071, 1_073]);
    expect(h.points.map((p) => p.drift[0])).toEqual([1_000 % 7, 1_060 % 7, 1_070 % 7, 1_071 % 7, 1_073 % 7]);
    expect(h.sleeves).toEqual([{ id: "eth", targetBps: 10_000, bandBps: 500 }]);
    const s = (await (await fetch(`${url}/api/status`)).json()) as StatusResponse;
    expect(s.cycle?.at).toBe(1_074); // the status always shows the newest cycle
    expect(s.plan?.plan?.id).toBe("p1");
    expect(s.chains).toEqual([{ key: "a", chainId: 1, explorer: "https://etherscan.io" }]);
  });
});

describe("dashboard server", () => {
  it("serves the bundle with a strict CSP; the API needs the token, accepts no write and validates its range", async () => {
    const { url } = await serve("s3cret-token");
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/app.js">');
    expect((await fetch(`${url}/app.js`)).headers.get("content-type")).toContain("text/javascript");
    expect((await fetch(`${url}/api/status`)).status).toBe(401);
    const auth = { headers: { authorization: "Bearer s3cret-token" } };
    expect((await fetch(`${url}/api/status`, auth)).status).toBe(200);
    expect((await fetch(`${url}/api/status`, { method: "POST", ...auth })).status).toBe(405);
    expect((await fetch(`${url}/api/history?range=3y`, auth)).status).toBe(400);
    expect((await fetch(`${url}/api/history?range=7d`, auth)).status).toBe(200);
    expect((await fetch(`${url}/nope`)).status).toBe(404);
  });

  it("dist/ is the bundle of its sources (run pnpm --filter @ballast/keeper build:dashboard after a change)", async () => {
    const out = await build({ ...BUILD_OPTIONS, write: false });
    for (const f of out.outputFiles) expect(f.text, f.path).toBe(readFileSync(f.path, "utf8"));
  });
});

import { once } from "node:events";
import { Agent, get, type IncomingMessage } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createMetrics, labelled, serveMetrics } from "./metrics.ts";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe("metrics", () => {
  it("renders counters and gauges in Prometheus text format", () => {
    const m = createMetrics();
    m.inc("ballast_cycles_total", { chain: "base", outcome: "ok" });
    m.inc("ballast_cycles_total", { chain: "base", outcome: "ok" });
    m.set("ballast_sleeve_drift_bps", { sleeve: 'we"ird' }, -125);
    const text = m.render();
    expect(text).toContain("# TYPE ballast_cycles_total counter");
    expect(text).toContain('ballast_cycles_total{chain="base",outcome="ok"} 2');
    expect(text).toContain('ballast_sleeve_drift_bps{sleeve="we\\"ird"} -125');
  });

  it("never carries a credential in a label value", () => {
    const m = createMetrics();
    m.inc("ballast_rpc_errors_total", {
      chain: "base",
      url: "https://rpc.example.org/v2/Kq7Zt2vXw9RbN4mLc8Yh?key=s3cret",
    });
    const text = m.render();
    expect(text).not.toMatch(/Kq7Zt2vXw9RbN4mLc8Yh|s3cret/);
    expect(text).toContain('url="https://rpc.example.org/v2/***?key=***"');
  });

  it("names a label every value carries (ballast work's portfolio) in every HELP text", () => {
    const m = labelled(createMetrics({ portfolio: "the portfolio's name" }), { portfolio: "alpha" });
    m.inc("ballast_cycles_total", { chain: "base", outcome: "ok" });
    m.set("ballast_nav_usd", {}, 1);
    const help = m
      .render()
      .split("\n")
      .filter((l) => l.startsWith("# HELP"));
    expect(help).toHaveLength(2);
    for (const line of help) expect(line).toContain("Every value also has portfolio (the portfolio's name).");
    expect(createMetrics().render()).not.toContain("portfolio");
  });

  it("serves /metrics and /healthz on 127.0.0.1", async () => {
    const m = createMetrics();
    m.inc("ballast_decisions_total", { outcome: "hold" });
    let ok = true;
    const s = await serveMetrics("127.0.0.1:0", m, () => ({ ok, chains: {} }));
    close = s.close;
    const metrics = await fetch(`http://127.0.0.1:${s.port}/metrics`);
    expect(await metrics.text()).toContain('ballast_decisions_total{outcome="hold"} 1');
    expect((await fetch(`http://127.0.0.1:${s.port}/healthz`)).status).toBe(200);
    ok = false;
    expect((await fetch(`http://127.0.0.1:${s.port}/healthz`)).status).toBe(503);
  });

  it("close() ends every connection: a spare one never used, and a keep-alive one whose answer is pending", async () => {
    // A browser holds both kinds; `server.close()` alone waited for them while the page kept polling.
    let asked!: () => void;
    const healthAsked = new Promise<void>((r) => {
      asked = r;
    });
    let answer!: () => void;
    const held = new Promise<void>((r) => {
      answer = r;
    });
    const s = await serveMetrics("127.0.0.1:0", createMetrics(), async () => {
      asked();
      await held;
      return { ok: true, chains: {} };
    });
    const spare = connect(s.port, "127.0.0.1");
    await once(spare, "connect");
    const spareClosed = once(spare, "close");
    const agent = new Agent({ keepAlive: true });
    const response = new Promise<IncomingMessage>((resolve, reject) =>
      get(`http://127.0.0.1:${s.port}/healthz`, { agent }, resolve).on("error", reject),
    );
    await healthAsked;
    const closed = s.close();
    answer();
    const res = await response;
    res.resume();
    expect(res.statusCode).toBe(200); // the pending answer is still given, as the connection's last
    expect(res.headers.connection).toBe("close");
    await closed;
    await spareClosed;
    agent.destroy();
  });
});

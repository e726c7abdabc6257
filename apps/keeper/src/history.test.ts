import { describe, expect, it } from "vitest";
import { historyJson, historyLine, parseSince } from "./history.ts";
import type { HistoryEntry } from "./journal.ts";
import { colorEnabled, paint } from "./paint.ts";

const NOW = 1_700_000_000;
const entry = (over: Partial<HistoryEntry> = {}): HistoryEntry => ({
  at: NOW,
  seq: 1,
  repeats: 1,
  firstAt: null,
  kind: "decision",
  dryRun: false,
  planId: null,
  chainId: null,
  summary: "hold — band: all sleeves inside their bands",
  json: "[]",
  ...over,
});

describe("history", () => {
  it("--since takes a duration back from now, unix seconds or an ISO date, and names itself when wrong", () => {
    expect(parseSince("24h", NOW)).toBe(NOW - 86_400);
    expect(parseSince("7d", NOW)).toBe(NOW - 7 * 86_400);
    expect(parseSince("1700000000", NOW)).toBe(1_700_000_000);
    expect(parseSince("2024-03-01", NOW)).toBe(Date.UTC(2024, 2, 1) / 1000);
    expect(() => parseSince("yesterday", NOW)).toThrow(/--since/);
  });

  it("--json nests each record as an object, bigints as strings", () => {
    const tx = entry({
      kind: "transaction",
      chainId: 8453,
      planId: "0xabc",
      json: JSON.stringify({ nonce: 7, value: { $n: "123456789012345678901" }, attempts: [{ hash: "0x1" }] }),
    });
    const j = historyJson(tx);
    expect(j).toMatchObject({
      kind: "transaction",
      chainId: 8453,
      dryRun: false,
      time: new Date(NOW * 1000).toISOString(),
      record: { nonce: 7, value: "123456789012345678901", attempts: [{ hash: "0x1" }] },
    });
    expect("json" in j).toBe(false);
  });

  it("marks dry runs, and colours only when asked", () => {
    const line = historyLine(entry({ dryRun: true }));
    expect(line).toContain("dry run");
    expect(line).not.toContain("\u001b[");
    expect(historyLine(entry({ kind: "plan", dryRun: true }))).toContain("dry plan");
    const coloured = historyLine(entry({ kind: "transaction", summary: "confirmed nonce 3" }), paint(true));
    expect(coloured).toContain("\u001b[32mtransaction");
  });
});

describe("colour", () => {
  it("only on a terminal, never with NO_COLOR or --no-color; FORCE_COLOR when piped", () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "" })).toBe(true);
    expect(colorEnabled({ isTTY: true }, {}, false)).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: "0" })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "1", FORCE_COLOR: "1" })).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { progressOn } from "./progress.ts";

const stream = (isTTY: boolean) => {
  const out: string[] = [];
  return { isTTY, out, write: (s: string) => out.push(s) };
};

describe("progress on long steps", () => {
  it("a terminal gets one live line rewritten in place, cleared at the end", () => {
    const s = stream(true);
    const p = progressOn(s);
    p.update("replaying target", "10%");
    p.update("replaying target", "55%");
    p.done();
    expect(s.out).toEqual([
      "\r\u001b[Kreplaying target … 10%",
      "\r\u001b[Kreplaying target … 55%",
      "\r\u001b[K",
    ]);
  });

  it("a pipe gets a plain line per phase, without control codes or percentages", () => {
    const s = stream(false);
    const p = progressOn(s);
    p.update("checking RPC chain ids");
    p.update("replaying target", "10%");
    p.update("replaying target", "55%");
    p.done();
    expect(s.out).toEqual(["checking RPC chain ids …\n", "replaying target …\n"]);
  });

  it("--json gets nothing, terminal or not", () => {
    for (const tty of [true, false]) {
      const s = stream(tty);
      const p = progressOn(s, { quiet: true });
      p.update("reading 2 chains", "1/2");
      p.done();
      expect(s.out).toEqual([]);
    }
  });
});

import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { sleep } from "./sleep.ts";

describe("sleep", () => {
  it("leaves no abort listener behind once the wait is over", async () => {
    const stop = new AbortController();
    for (let i = 0; i < 20; i++) await sleep(1, stop.signal);
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
  });

  it("ends early when the signal aborts", async () => {
    const stop = new AbortController();
    const t0 = performance.now();
    const wait = sleep(60_000, stop.signal);
    stop.abort();
    await wait;
    expect(performance.now() - t0).toBeLessThan(1_000);
  });
});

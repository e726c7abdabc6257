import { describe, expect, it } from "vitest";
import { bisectFailingCall } from "./simulate.ts";

describe("bisectFailingCall", () => {
  it("finds the first failing call of a batch with O(log n) prefix probes", async () => {
    for (const failing of [0, 1, 4, 9]) {
      let probes = 0;
      const idx = await bisectFailingCall(10, async (k) => {
        probes++;
        return k > failing;
      });
      expect(idx).toBe(failing);
      expect(probes).toBeLessThanOrEqual(5);
    }
  });

  it("returns undefined when the batch passes", async () => {
    expect(await bisectFailingCall(3, async () => false)).toBeUndefined();
  });
});

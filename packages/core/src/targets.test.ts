import { describe, expect, it } from "vitest";
import { WAD } from "./math.ts";
import { desiredValues, type TargetSleeve } from "./targets.ts";

const D = (x: number) => BigInt(x) * WAD;
const pct = (x: number) => (BigInt(x) * WAD) / 100n;
const s = (cur: number, weightPct: number, bandPct = 5, debt = false): TargetSleeve => ({
  cur: D(cur),
  weight: pct(weightPct),
  band: pct(bandPct),
  debt,
});

describe("desiredValues", () => {
  const all = (n: number) => [{ members: [...Array(n).keys()], nav: D(100) }];

  it("to target: weight × NAV", () => {
    const P = desiredValues({
      sleeves: [s(60, 40), s(20, 35), s(20, 25)],
      groups: all(3),
      mode: "target",
      minTrade: 0n,
      fixed: new Map(),
    });
    expect(P).toEqual([D(40), D(35), D(25)]);
  });

  it("to target with a frozen sleeve: the other side trades less", () => {
    // dai (index 2) is frozen at 20 instead of 25: 5 less to place, so weth sells 5 less.
    const P = desiredValues({
      sleeves: [s(60, 40), s(20, 35), s(20, 25)],
      groups: all(3),
      mode: "target",
      minTrade: 0n,
      fixed: new Map([[2, D(20)]]),
    });
    expect(P).toEqual([D(45), D(35), D(20)]);
  });

  it("to target: a sleeve set to 0 closes exactly; a remainder goes to the others", () => {
    // weth frozen 1 wei above its target: the closing LP (index 2) would have shrunk its exit by that wei and stayed
    // open with dust. It takes a remainder only when no other sleeve can.
    const P = desiredValues({
      sleeves: [s(30, 60), s(40, 40), s(30, 0)],
      groups: all(3),
      mode: "target",
      minTrade: 0n,
      fixed: new Map([[0, D(60) - 1n]]),
    });
    expect(P).toEqual([D(60) - 1n, D(40) + 1n, 0n]);
    const alone = desiredValues({
      sleeves: [s(70, 100), s(30, 0)],
      groups: all(2),
      mode: "target",
      minTrade: 0n,
      fixed: new Map([[0, D(100) - 1n]]),
    });
    expect(alone).toEqual([D(100) - 1n, 1n]);
  });

  it("band edge: out-of-band sleeves stop just inside the band, in-band sleeves stay", () => {
    // Bands 5 points; margin max(5%×5, 0.01) = 0.25 points. weth 60 → 44.75; usdc 20 → 30.25, then usdc (already
    // buying) absorbs the 5 left over rather than opening a leg on dai (20, inside its band).
    const P = desiredValues({
      sleeves: [s(60, 40), s(20, 35), s(20, 25)],
      groups: all(3),
      mode: "band-edge",
      minTrade: 0n,
      fixed: new Map(),
    });
    expect(P[0]).toBe(pct(4475));
    expect(P[1]).toBe(pct(3525));
    expect(P[2]).toBe(D(20));
    expect((P[0] as bigint) + (P[1] as bigint) + (P[2] as bigint)).toBe(D(100));
  });

  it("band edge: debt stays ≤ 0 and assets ≥ 0", () => {
    const P = desiredValues({
      sleeves: [s(171, 150, 5), s(-71, -50, 5, true)],
      groups: [{ members: [0, 1], nav: D(100) }],
      mode: "band-edge",
      minTrade: 0n,
      fixed: new Map(),
    });
    expect(P[1] as bigint).toBeLessThanOrEqual(0n);
    expect((P[0] as bigint) + (P[1] as bigint)).toBe(D(100));
    expect(P[0] as bigint).toBeLessThanOrEqual(pct(15500));
  });

  it("caps turnover", () => {
    const P = desiredValues({
      sleeves: [s(60, 40), s(40, 60)],
      groups: all(2),
      mode: "target",
      minTrade: 0n,
      fixed: new Map(),
      maxTurnover: D(5),
    });
    expect(P).toEqual([D(55), D(45)]);
  });
});

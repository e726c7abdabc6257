import { describe, expect, it } from "vitest";
import { FeeCapExceededError } from "./errors.ts";
import { bumpFees, computeFees, padGas } from "./fees.ts";

const gwei = (n: number) => BigInt(Math.round(n * 1e9));

describe("computeFees", () => {
  it("is min(cap, 2 × base + priority)", () => {
    expect(
      computeFees({
        baseFeePerGas: gwei(10),
        priorityFeePerGas: gwei(1),
        policy: { maxFeePerGas: gwei(100) },
      }),
    ).toEqual({
      maxFeePerGas: gwei(21),
      maxPriorityFeePerGas: gwei(1),
    });
    expect(
      computeFees({
        baseFeePerGas: gwei(60),
        priorityFeePerGas: gwei(1),
        policy: { maxFeePerGas: gwei(100) },
      }),
    ).toEqual({
      maxFeePerGas: gwei(100),
      maxPriorityFeePerGas: gwei(1),
    });
  });

  it("clamps the priority fee to the policy", () => {
    const f = computeFees({
      baseFeePerGas: gwei(1),
      priorityFeePerGas: gwei(50),
      policy: { maxFeePerGas: gwei(100), maxPriorityFeePerGas: gwei(2), minPriorityFeePerGas: gwei(0.5) },
    });
    expect(f.maxPriorityFeePerGas).toBe(gwei(2));
    const g = computeFees({
      baseFeePerGas: gwei(1),
      priorityFeePerGas: 0n,
      policy: { maxFeePerGas: gwei(100), minPriorityFeePerGas: gwei(0.5) },
    });
    expect(g.maxPriorityFeePerGas).toBe(gwei(0.5));
  });

  it("throws FeeCapExceededError when the cap cannot cover base + priority", () => {
    expect(() =>
      computeFees({
        baseFeePerGas: gwei(150),
        priorityFeePerGas: gwei(1),
        policy: { maxFeePerGas: gwei(100) },
      }),
    ).toThrow(FeeCapExceededError);
  });
});

describe("bumpFees", () => {
  const policy = { maxFeePerGas: gwei(100) };
  it("raises both fields by at least 12.5%", () => {
    const prev = { maxFeePerGas: gwei(8), maxPriorityFeePerGas: gwei(1) };
    const next = bumpFees({
      previous: prev,
      market: { maxFeePerGas: gwei(2), maxPriorityFeePerGas: gwei(0.1) },
      policy,
    });
    expect(next).toEqual({ maxFeePerGas: gwei(9), maxPriorityFeePerGas: gwei(1.125) });
  });

  it("follows the market when it is higher, and never accepts less than 12.5%", () => {
    const prev = { maxFeePerGas: gwei(8), maxPriorityFeePerGas: gwei(1) };
    const next = bumpFees({
      previous: prev,
      market: { maxFeePerGas: gwei(40), maxPriorityFeePerGas: gwei(3) },
      policy,
      bumpBps: 500,
    });
    expect(next).toEqual({ maxFeePerGas: gwei(40), maxPriorityFeePerGas: gwei(3) });
  });

  it("rounds up (tiny fees still move)", () => {
    const next = bumpFees({
      previous: { maxFeePerGas: 3n, maxPriorityFeePerGas: 1n },
      market: { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n },
      policy,
    });
    expect(next).toEqual({ maxFeePerGas: 4n, maxPriorityFeePerGas: 2n });
  });

  it("gives up at the cap", () => {
    const prev = { maxFeePerGas: gwei(95), maxPriorityFeePerGas: gwei(1) };
    expect(bumpFees({ previous: prev, market: prev, policy })).toBeUndefined();
  });
});

describe("padGas", () => {
  it("adds 20% with a floor of 25 000", () => {
    expect(padGas(1_000_000n)).toBe(1_200_000n);
    expect(padGas(50_000n)).toBe(75_000n);
    expect(padGas(100_000n, { bps: 5_000, floor: 0n })).toBe(150_000n);
  });
});

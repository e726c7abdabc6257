import type { FloorGuard } from "@ballast/core";
import { decodeFunctionData, type Hex, parseAbi } from "viem";
import { describe, expect, it } from "vitest";
import { multicall3Abi } from "./abis.ts";
import { ExecutorConfigError, GuardViolationError } from "./errors.ts";
import {
  checkGuards,
  encodeGuardReads,
  type GuardReads,
  guardTokens,
  NATIVE_TOKEN,
  needsReads,
} from "./guards.ts";

const USDC = "0x00000000000000000000000000000000000000A1" as const;
const WETH = "0x00000000000000000000000000000000000000b2" as const;
const POOL = "0x00000000000000000000000000000000000000C3" as const;
const reads = (usdc: bigint, weth: bigint, hf?: bigint): GuardReads => ({
  balances: new Map([
    [USDC.toLowerCase(), usdc],
    [WETH.toLowerCase(), weth],
  ]),
  floors: hf === undefined ? [] : [hf],
});
const E18 = 10n ** 18n;
/** A floor as a lending protocol contributes one: output 5 of the pool's `getUserAccountData` (the chain knows none). */
const hfFloor = (floorWad: bigint, account: Hex = USDC): FloorGuard => ({
  kind: "healthFactor",
  subject: POOL,
  read: {
    address: POOL,
    abi: parseAbi([
      "function getUserAccountData(address) view returns (uint256, uint256, uint256, uint256, uint256, uint256)",
    ]),
    functionName: "getUserAccountData",
    args: [account],
  },
  output: 5,
  min: floorWad,
});

describe("checkGuards", () => {
  it("passes and reports deltas, value change and HF", () => {
    const r = checkGuards(
      {
        balanceDeltas: [
          { token: USDC, min: 2_900n * 10n ** 6n, label: "swap minOut" },
          { token: WETH, min: -E18 },
        ],
        prices: [
          { token: USDC, decimals: 6, priceUsdWad: E18 },
          { token: WETH, decimals: 18, priceUsdWad: 3_000n * E18 },
        ],
        maxValueLossUsd: 50n * E18,
        floors: [hfFloor((18n * E18) / 10n)],
      },
      reads(0n, E18, 3n * E18),
      reads(2_990n * 10n ** 6n, 0n, 2n * E18),
    );
    expect(r.balances.map((b) => b.delta)).toEqual([2_990n * 10n ** 6n, -E18]);
    expect(r.valueChangeUsd).toBe(-10n * E18);
    expect(r.floors).toEqual([{ kind: "healthFactor", subject: POOL, value: 2n * E18 }]);
  });

  it("throws GuardViolationError for a swap below minOut", () => {
    const run = () =>
      checkGuards(
        { balanceDeltas: [{ token: USDC, min: 3_000n, label: "swap#1 minOut" }] },
        reads(0n, 0n),
        reads(2_999n, 0n),
      );
    expect(run).toThrow(GuardViolationError);
    try {
      run();
    } catch (e) {
      expect((e as GuardViolationError).guard).toBe("balanceDelta");
      expect((e as GuardViolationError).expected).toBe(3_000n);
      expect((e as GuardViolationError).actual).toBe(2_999n);
    }
  });

  it("throws for a value loss above the limit", () => {
    const g = {
      prices: [{ token: WETH, decimals: 18, priceUsdWad: 3_000n * E18 }],
      maxValueLossUsd: 10n * E18,
    };
    expect(() => checkGuards(g, reads(0n, E18), reads(0n, E18 - E18 / 100n))).toThrow(GuardViolationError);
    expect(() => checkGuards(g, reads(0n, E18), reads(0n, E18 - E18 / 1000n))).not.toThrow();
  });

  it("value-loss boundary: a loss of exactly the limit passes, one wei of USD more throws", () => {
    // 1 WETH at $3,000; the limit is $30 = 1% of it.
    const g = {
      prices: [{ token: WETH, decimals: 18, priceUsdWad: 3_000n * E18 }],
      maxValueLossUsd: 30n * E18,
    };
    const r = checkGuards(g, reads(0n, E18), reads(0n, E18 - E18 / 100n));
    expect(r.valueChangeUsd).toBe(-30n * E18);
    // Losing one more wei of WETH costs 3,000 wei of USD (rounded away from zero): over the limit.
    const over = () => checkGuards(g, reads(0n, E18), reads(0n, E18 - E18 / 100n - 1n));
    expect(over).toThrow(GuardViolationError);
    try {
      over();
    } catch (e) {
      expect((e as GuardViolationError).guard).toBe("valueLoss");
      expect((e as GuardViolationError).actual).toBe(30n * E18 + 3_000n);
    }
  });

  it("throws under the health-factor floor", () => {
    const g = { floors: [hfFloor((18n * E18) / 10n)] };
    expect(() => checkGuards(g, reads(0n, 0n), reads(0n, 0n, (17n * E18) / 10n))).toThrow(
      new GuardViolationError("healthFactor", (18n * E18) / 10n, (17n * E18) / 10n, POOL),
    );
  });

  it("refuses a value-loss limit without prices", () => {
    expect(() => checkGuards({ maxValueLossUsd: 1n }, reads(0n, 0n), reads(0n, 0n))).toThrow(
      new ExecutorConfigError("The maxValueLossUsd guard needs prices for the tokens it values."),
    );
  });

  it("a health factor exactly at the floor holds", () => {
    const floorWad = (18n * E18) / 10n;
    const r = checkGuards({ floors: [hfFloor(floorWad)] }, reads(0n, 0n), reads(0n, 0n, floorWad));
    expect(r.floors[0]?.value).toBe(floorWad);
  });

  it("values a loss away from zero and a gain toward zero, so a loss is never under-counted", () => {
    // One micro-USDC at $1/3 is 333,333,333,333.33… wei of USD.
    const g = { prices: [{ token: USDC, decimals: 6, priceUsdWad: E18 / 3n }] };
    expect(checkGuards(g, reads(1n, 0n), reads(0n, 0n)).valueChangeUsd).toBe(-333_333_333_334n);
    expect(checkGuards(g, reads(0n, 0n), reads(1n, 0n)).valueChangeUsd).toBe(333_333_333_333n);
  });
});

describe("guard reads", () => {
  it("dedupes tokens and needs reads only when something is guarded", () => {
    expect(
      guardTokens({
        balanceDeltas: [{ token: USDC, min: 0n }],
        prices: [{ token: USDC.toLowerCase() as `0x${string}`, decimals: 6, priceUsdWad: E18 }],
      }),
    ).toEqual([USDC]);
    expect(needsReads({})).toBe(false);
    expect(needsReads({ balanceDeltas: [] })).toBe(false);
    expect(needsReads({ balanceDeltas: [{ token: USDC, min: 0n }] })).toBe(true);
    expect(needsReads({ maxValueLossUsd: 0n })).toBe(true);
    expect(needsReads({ floors: [hfFloor(E18)] })).toBe(true);
  });

  it("encodes one aggregate3 call (native via getEthBalance)", () => {
    const r = encodeGuardReads({
      guards: {
        balanceDeltas: [
          { token: NATIVE_TOKEN, min: 0n },
          { token: WETH, min: 0n },
        ],
        floors: [hfFloor(E18)],
      },
      account: USDC,
      multicall3: "0xcA11bde05977b3631167028862bE2a173976CA11",
    });
    expect(r.to).toBe("0xcA11bde05977b3631167028862bE2a173976CA11");
    expect(r.data.slice(0, 10)).toBe("0x82ad56cb");
    expect(r.data).toContain("4d2301cc"); // getEthBalance
    expect(r.data).toContain("bf92857c"); // getUserAccountData
    // A failing read reverts the whole aggregate: a guard never reads a failed balance as zero.
    const [calls] = decodeFunctionData({ abi: multicall3Abi, data: r.data }).args as [
      readonly { target: string; allowFailure: boolean; callData: Hex }[],
    ];
    expect(calls.map((c) => [c.target, c.allowFailure, c.callData.slice(0, 10)])).toEqual([
      ["0xcA11bde05977b3631167028862bE2a173976CA11", false, "0x4d2301cc"],
      [WETH, false, "0x70a08231"], // balanceOf
      [POOL, false, "0xbf92857c"],
    ]);
  });
});

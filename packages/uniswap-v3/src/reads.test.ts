import type { ReadResult } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { UniswapReadError } from "./errors.ts";
import { decodeLpReads, lpReads } from "./reads.ts";

const NPM = "0x4000000000000000000000000000000000000004";
const OWNER = "0x5000000000000000000000000000000000000005";
const FACTORY = "0x1F98431c8aD98523631AE4a59f267346ea31F984";
const key = {
  tokenId: 7n,
  pool: "0x3000000000000000000000000000000000000003",
  token0: "0x1000000000000000000000000000000000000001",
  token1: "0x2000000000000000000000000000000000000002",
  fee: 500,
  tickLower: -600,
  tickUpper: 600,
} as const;

const ok = (result: unknown): ReadResult => ({ status: "success", result });
const fail: ReadResult = { status: "failure", error: new Error("reverted") };

describe("lpReads layout", () => {
  it("steady state: balance, scan window, positions, 5 pool reads per pool, one per distinct tick", () => {
    const reads = lpReads({ positionManager: NPM, factory: FACTORY, owner: OWNER, keys: [key] });
    expect(reads.map((r) => r.functionName)).toEqual([
      "balanceOf",
      ...Array(8).fill("tokenOfOwnerByIndex"), // known + 2, at least 8
      "positions",
      "slot0",
      "liquidity",
      "feeGrowthGlobal0X128",
      "feeGrowthGlobal1X128",
      "tickSpacing",
      "ticks",
      "ticks",
    ]);
    expect(reads.filter((r) => r.functionName === "ticks").map((r) => r.args)).toEqual([[-600], [600]]);
  });

  it("reads factory() only when an id has no key and no factory was given", () => {
    const names = (p: Parameters<typeof lpReads>[0]) => lpReads(p).map((r) => r.functionName);
    expect(names({ positionManager: NPM, tokenIds: [1n] })).toEqual(["factory", "positions"]);
    expect(names({ positionManager: NPM, factory: FACTORY, tokenIds: [1n] })).toEqual(["positions"]);
  });
});

describe("decodeLpReads", () => {
  it("asks for another round, with a wider scan, when the owner holds more than the window", () => {
    const params = { positionManager: NPM, factory: FACTORY, owner: OWNER, scan: 2 } as const;
    const results = [ok(3n), ok(11n), ok(12n)];
    const r = decodeLpReads(params, results);
    expect(r.complete).toBe(false);
    expect(r.balance).toBe(3n);
    expect(r.next).toMatchObject({ scan: 5, tokenIds: [11n, 12n] });
  });

  it("an owner with no NFTs is complete in one round", () => {
    const params = { positionManager: NPM, factory: FACTORY, owner: OWNER } as const;
    const results = [ok(0n), ...Array(8).fill(fail)];
    expect(decodeLpReads(params, results)).toMatchObject({ complete: true, positions: [], keys: [] });
  });

  it("throws UniswapReadError on a result count mismatch or a failed balanceOf", () => {
    const params = { positionManager: NPM, factory: FACTORY, owner: OWNER, scan: 1 } as const;
    expect(() => decodeLpReads(params, [ok(0n)])).toThrow(UniswapReadError);
    expect(() => decodeLpReads(params, [fail, fail])).toThrow(UniswapReadError);
  });
});

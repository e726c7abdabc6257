import type { AssetId, FloorGuard } from "@ballast/core";
import { describe, expect, it } from "vitest";
import type { ChainFetch } from "../types.ts";
import { emptyBatch, withOutcome } from "./batch.ts";

const WETH = "1:0x000000000000000000000000000000000000000a" as AssetId;
const USDC = "1:0x0000000000000000000000000000000000000002" as AssetId;
const fetch = { reads: { lending: { state: "read" }, dex: { state: 7 } } } as unknown as ChainFetch;
const floor = (min: bigint, address: `0x${string}`): FloorGuard => ({
  kind: "healthFactor",
  subject: address,
  read: { address, abi: [], functionName: "getUserAccountData", args: [] },
  output: 5,
  min,
});
const POOL = "0x00000000000000000000000000000000000000a1";

describe("withOutcome (the realize phases' fold)", () => {
  it("starts from the protocols' states as read, nothing spendable or touched", () => {
    const b = emptyBatch(fetch);
    expect([...b.states]).toEqual([
      ["lending", "read"],
      ["dex", 7],
    ]);
    expect([b.funds.size, b.min.size, b.touched.size, b.realized.length, b.unpricedUsd]).toEqual([
      0,
      0,
      0,
      0,
      0n,
    ]);
  });

  it("adds a leg's effects to the funds, the guards' bounds and the touched assets; a sale only to the funds", () => {
    const swap = withOutcome(emptyBatch(fetch), {
      effects: [
        { asset: WETH, min: -2n, funds: -2n },
        { asset: USDC, min: 5_000n, funds: 5_000n },
      ],
      surplus: { asset: USDC, amount: 25n },
    });
    const sold = withOutcome(swap, { sold: [{ asset: WETH, amount: 3n }] });
    expect(Object.fromEntries(sold.funds)).toEqual({ [WETH]: 1n, [USDC]: 5_000n });
    expect(Object.fromEntries(sold.min)).toEqual({ [WETH]: -2n, [USDC]: 5_000n });
    expect([...sold.touched]).toEqual([WETH, USDC]);
    expect(Object.fromEntries(sold.sold)).toEqual({ [WETH]: 3n });
    expect(Object.fromEntries(sold.surplus)).toEqual({ [USDC]: 25n });
    // A sale touches nothing: no balance-delta guard for what only leaves the wallet's idle balance.
    const onlySold = withOutcome(emptyBatch(fetch), { sold: [{ asset: WETH, amount: 3n }] });
    expect([onlySold.touched.size, onlySold.min.size]).toEqual([0, 0]);
  });

  it("keeps one floor per kind and contract (the last), the protocol's next state, and the lists in leg order", () => {
    const a = withOutcome(emptyBatch(fetch), {
      floors: [floor(1n, POOL)],
      state: { protocol: "lending", state: "after 1" },
      unpricedUsd: 10n,
      realized: { step: 1, action: "supply", calls: [], flows: [] },
      warnings: ["one"],
    });
    const b = withOutcome(a, {
      floors: [floor(2n, POOL.toUpperCase().replace("0X", "0x") as `0x${string}`)],
      unpricedUsd: -4n,
      realized: { step: 2, action: "borrow", calls: [], flows: [] },
      warnings: ["two"],
    });
    expect([...b.floors.values()].map((f) => f.min)).toEqual([2n]);
    expect(b.states.get("lending")).toBe("after 1");
    expect(b.states.get("dex")).toBe(7);
    expect(b.unpricedUsd).toBe(6n);
    expect(b.realized.map((r) => r.step)).toEqual([1, 2]);
    expect(b.warnings).toEqual(["one", "two"]);
  });

  it("never changes the batch it is given", () => {
    const start = emptyBatch(fetch);
    withOutcome(start, {
      effects: [{ asset: WETH, min: 1n, funds: 1n }],
      sold: [{ asset: USDC, amount: 1n }],
      state: { protocol: "dex", state: 8 },
      floors: [floor(1n, POOL)],
      realized: { step: 1, action: "swap", calls: [], flows: [] },
      warnings: ["w"],
    });
    expect([
      start.funds.size,
      start.min.size,
      start.touched.size,
      start.sold.size,
      start.floors.size,
    ]).toEqual([0, 0, 0, 0, 0]);
    expect([start.states.get("dex"), start.realized.length, start.warnings.length]).toEqual([7, 0, 0]);
  });
});

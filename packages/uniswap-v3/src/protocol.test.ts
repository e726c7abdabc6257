import { describe, expect, it } from "vitest";
import type { LpPositionKey } from "./position.ts";
import { lpKeysFromJson, lpKeysToJson } from "./protocol.ts";

describe("lpKeysToJson / lpKeysFromJson", () => {
  it("round-trips through JSON text and drops malformed entries", () => {
    const keys: LpPositionKey[] = [
      {
        tokenId: 2n ** 70n + 3n,
        pool: "0x00000000000000000000000000000000000000a1",
        token0: "0x00000000000000000000000000000000000000b2",
        token1: "0x00000000000000000000000000000000000000c3",
        fee: 500,
        tickLower: -200_010,
        tickUpper: -190_000,
      },
    ];
    const text = JSON.stringify(lpKeysToJson(keys));
    expect(lpKeysFromJson(JSON.parse(text))).toEqual(keys);
    expect(lpKeysFromJson([{ ...JSON.parse(text)[0], fee: "500" }, null, 7])).toEqual([]);
    expect(lpKeysFromJson("nope")).toEqual([]);
  });
});

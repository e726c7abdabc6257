import { describe, expect, it } from "vitest";
import { UnsupportedSwapError } from "./errors.ts";
import { decodePath, describePath, encodePath } from "./path.ts";

const A = "0x1000000000000000000000000000000000000001";
const B = "0x2000000000000000000000000000000000000002";
const C = "0x3000000000000000000000000000000000000003";

describe("path", () => {
  it("packs token (20) fee (3) token … and unpacks it", () => {
    const packed = encodePath({ tokens: [A, B, C], fees: [500, 3000] });
    expect(packed).toBe(`${A}0001f4${B.slice(2)}000bb8${C.slice(2)}`);
    expect(decodePath(packed)).toEqual({ tokens: [A, B, C], fees: [500, 3000] });
  });

  it("rejects malformed paths", () => {
    expect(() => encodePath({ tokens: [A], fees: [] })).toThrow(UnsupportedSwapError);
    expect(() => encodePath({ tokens: [A, B], fees: [500, 500] })).toThrow(UnsupportedSwapError);
    expect(() => decodePath(`${A}0001f4`)).toThrow(UnsupportedSwapError);
  });

  it("describes a route for humans", () => {
    expect(describePath({ tokens: [A, B], fees: [500] }, { [A]: "WETH" })).toBe("WETH -0.05%-> 0x2000…0002");
  });
});

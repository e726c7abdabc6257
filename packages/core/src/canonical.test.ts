import { describe, expect, it } from "vitest";
import { canonicalJson, hashOf, toJsonValue } from "./canonical.ts";

describe("canonical JSON", () => {
  it("sorts keys, stringifies bigints, flattens maps and drops undefined", () => {
    const v = {
      b: 1n,
      a: new Map([
        ["z", 1],
        ["y", 2],
      ]),
      c: undefined,
      d: [new Set([3, 1])],
    };
    expect(canonicalJson(v)).toBe('{"a":{"y":2,"z":1},"b":"1","d":[[1,3]]}');
  });

  it("gives equal hashes for equal values regardless of key order", () => {
    expect(hashOf({ x: 1, y: [1n, 2n] })).toBe(hashOf({ y: [1n, 2n], x: 1 }));
    expect(hashOf({ x: 1 })).not.toBe(hashOf({ x: 2 }));
    expect(hashOf({ x: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses values JSON cannot carry", () => {
    expect(() => toJsonValue(Number.NaN)).toThrow(RangeError);
    expect(() => toJsonValue(() => 1)).toThrow(TypeError);
  });
});

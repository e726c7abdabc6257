import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils";
import { describe, expect, it } from "vitest";
import { canonicalJson, hashOf, sha256Hex, toJsonValue } from "./canonical.ts";

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

describe("canonicalJson", () => {
  it("writes the same text as JSON.stringify(toJsonValue(x))", () => {
    const v = {
      z: [1, 'a"b', null, undefined, true, 2n, -0, 1e21],
      m: new Map<unknown, unknown>([
        [2, { b: 1, a: [new Map([["k", 3n]])] }],
        ["1", new Set(["y", "x"])],
      ]),
      u: undefined,
      e: {},
      s: "é\n",
    };
    expect(canonicalJson(v)).toBe(JSON.stringify(toJsonValue(v)));
  });
});

describe("toJsonValue", () => {
  it("sorts the keys of every object, however many share a shape or a first key", () => {
    // Objects of one shape in two key orders, shapes that share a first key, more such shapes than are remembered.
    const v = [
      { b: 1, a: 2 },
      { a: 3, b: 4 },
      { b: 5, a: 6 },
      { b: 7, c: 8 },
      { b: 9, a: 10, c: 11 },
      ...Array.from({ length: 12 }, (_, k) => ({
        b: k,
        [`k${k % 10}`]: k,
        a: { z: 1, y: [{ d: 1, c: 2 }] },
      })),
    ];
    const sorted = (x: unknown): unknown =>
      Array.isArray(x)
        ? x.map(sorted)
        : typeof x === "object" && x !== null
          ? Object.fromEntries(
              Object.keys(x)
                .sort()
                .map((k) => [k, sorted((x as Record<string, unknown>)[k])]),
            )
          : x;
    expect(canonicalJson(v)).toBe(JSON.stringify(sorted(v)));
    expect(canonicalJson(v.slice(0, 2))).toBe('[{"a":2,"b":1},{"a":3,"b":4}]');
  });
});

describe("sha256Hex", () => {
  it("hashes UTF-8 as @noble/hashes does, whichever SHA-256 the host gives", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const texts = ["", "plan", "é€𝄞 ünïcödé", "lone \ud800 surrogate", "x".repeat(100_003)];
    for (const t of texts) expect(sha256Hex(t)).toBe(bytesToHex(sha256(utf8ToBytes(t))));
  });
});

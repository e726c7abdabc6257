import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils";

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Converts a value into plain JSON with a stable shape: bigints become decimal strings, Maps become objects with sorted
 * keys, Sets become sorted arrays, object keys are sorted, `undefined` fields are dropped. Non-finite numbers throw.
 */
export function toJsonValue(value: unknown): JsonValue {
  switch (typeof value) {
    case "bigint":
      return value.toString();
    case "number":
      if (!Number.isFinite(value)) throw new RangeError(`cannot serialize the number ${value}`);
      return value;
    case "string":
    case "boolean":
      return value;
    case "undefined":
      return null;
    case "object": {
      if (value === null) return null;
      if (Array.isArray(value)) return value.map(toJsonValue);
      if (value instanceof Map) {
        const entries = [...value.entries()].map(([k, v]) => [String(k), v] as const).sort(byKey);
        const out: Record<string, JsonValue> = {};
        for (const [k, v] of entries) out[k] = toJsonValue(v);
        return out;
      }
      if (value instanceof Set) return [...value].map(toJsonValue).sort(byJson);
      const out: Record<string, JsonValue> = {};
      for (const k of Object.keys(value).sort()) {
        const v = (value as Record<string, unknown>)[k];
        if (v !== undefined) out[k] = toJsonValue(v);
      }
      return out;
    }
    default:
      throw new TypeError(`cannot serialize a ${typeof value}`);
  }
}

const byKey = (a: readonly [string, unknown], b: readonly [string, unknown]) =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
const byJson = (a: JsonValue, b: JsonValue) => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Canonical JSON text of a value (see {@link toJsonValue}): equal inputs give byte-equal text. */
export const canonicalJson = (value: unknown): string => JSON.stringify(toJsonValue(value));

/** The host's native SHA-256 (Node, Bun, Deno with Node globals), found at run time with no import; else undefined. */
type NodeCrypto = {
  createHash(alg: "sha256"): { update(s: string, enc: "utf8"): { digest(enc: "hex"): string } };
};
const nativeCrypto = (): NodeCrypto | undefined => {
  const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  try {
    return host.process?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined;
  } catch {
    return undefined;
  }
};
const native = nativeCrypto();

/** Hex SHA-256 of a text's UTF-8 bytes: the host's native hash where there is one, else `@noble/hashes`. */
export const sha256Hex = (text: string): string =>
  native
    ? native.createHash("sha256").update(text, "utf8").digest("hex")
    : bytesToHex(sha256(utf8ToBytes(text)));

/** Hex SHA-256 of the canonical JSON of a value. */
export const hashOf = (value: unknown): string => sha256Hex(canonicalJson(value));

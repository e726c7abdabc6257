import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils";

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Converts a value into plain JSON with a stable shape: bigints become decimal strings, Maps become objects with sorted
 * keys, Sets become sorted arrays, object keys are sorted, `undefined` fields are dropped. Non-finite numbers throw.
 */
export const toJsonValue = (value: unknown): JsonValue => jsonOf(value, new Map());

/**
 * Sorted key lists seen in one conversion, by first key: objects of one shape (every holding, every sleeve) list the
 * same keys in the same order, so their sorted order is found by comparing the lists instead of sorting each again.
 */
type KeyOrders = Map<string, { readonly keys: readonly string[]; readonly sorted: readonly string[] }[]>;

function jsonOf(value: unknown, orders: KeyOrders): JsonValue {
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
      if (Array.isArray(value)) {
        const out: JsonValue[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) out[i] = jsonOf(value[i], orders);
        return out;
      }
      if (value instanceof Map) {
        const entries = [...value.entries()].map(([k, v]) => [String(k), v] as const).sort(byKey);
        const out: Record<string, JsonValue> = {};
        for (const [k, v] of entries) out[k] = jsonOf(v, orders);
        return out;
      }
      if (value instanceof Set) return [...value].map((v) => jsonOf(v, orders)).sort(byJson);
      const out: Record<string, JsonValue> = {};
      for (const k of sortedKeys(Object.keys(value), orders)) {
        const v = (value as Record<string, unknown>)[k];
        if (v !== undefined) out[k] = jsonOf(v, orders);
      }
      return out;
    }
    default:
      throw new TypeError(`cannot serialize a ${typeof value}`);
  }
}

/** `keys` sorted, from `orders` when an object with the same key list was seen (at most 8 lists per first key). */
function sortedKeys(keys: string[], orders: KeyOrders): readonly string[] {
  const first = keys[0];
  if (first === undefined) return keys;
  let seen = orders.get(first);
  if (!seen) {
    seen = [];
    orders.set(first, seen);
  }
  next: for (const o of seen) {
    if (o.keys.length !== keys.length) continue;
    for (let i = 1; i < keys.length; i++) if (o.keys[i] !== keys[i]) continue next;
    return o.sorted;
  }
  const sorted = [...keys].sort();
  if (seen.length < 8) seen.push({ keys, sorted });
  return sorted;
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

import type { Hex } from "@ballast/core";
import { type Abi, decodeErrorResult, isHex, size, slice } from "viem";
import { simple7702AccountAbi } from "./abis.ts";

/** A revert payload, decoded as far as the known ABIs allow. */
export type DecodedRevert = {
  /** One human line: the `Error(string)` message, the panic, or `Name(args)` of a custom error. */
  readonly reason: string;
  /** `Error`, `Panic`, `ExecuteError` or the custom error's name; undefined when unknown or empty. */
  readonly errorName: string | undefined;
  readonly args: readonly unknown[] | undefined;
  /** The failing call's index when the payload is an `ExecuteError(index, reason)` from a batch account. */
  readonly index: number | undefined;
  /** The raw payload. */
  readonly data: Hex;
  /** The decoded inner reason of an `ExecuteError`. */
  readonly inner: DecodedRevert | undefined;
};

const PANICS: Record<number, string> = {
  0: "generic compiler panic",
  1: "assertion failed",
  17: "arithmetic overflow or underflow",
  18: "division or modulo by zero",
  33: "invalid enum value",
  34: "corrupt storage byte array",
  49: "pop on an empty array",
  50: "array index out of bounds",
  65: "out of memory",
  81: "call to an uninitialized function",
};

/** Safe 1.3.0 revert codes (the ones a keeper can hit). */
export const SAFE_ERRORS: Readonly<Record<string, string>> = {
  GS000: "could not finish initialization",
  GS001: "threshold needs to be defined",
  GS010: "not enough gas to execute the Safe transaction",
  GS011: "could not pay gas costs with ether",
  GS012: "could not pay gas costs with token",
  GS013: "the Safe transaction failed (an inner call reverted)",
  GS020: "signatures data too short",
  GS021: "invalid contract signature location: inside static part",
  GS022: "invalid contract signature location: length not present",
  GS023: "invalid contract signature location: data not complete",
  GS024: "invalid contract signature provided",
  GS025: "hash has not been approved",
  GS026: "invalid owner provided (signer is not an owner or signatures are out of order)",
  GS030: "only owners can approve a hash",
  GS031: "method can only be called from this contract",
  GS101: "invalid module address provided",
  GS102: "module has already been added",
  GS104: "method can only be called from an enabled module",
};

/** Zodiac Roles v2 `PermissionChecker.Status`: why the modifier refused a call (`ConditionViolation(status, info)`). */
export const ROLES_STATUS: readonly string[] = [
  "Ok",
  "DelegateCallNotAllowed",
  "TargetAddressNotAllowed",
  "FunctionNotAllowed",
  "SendNotAllowed",
  "OrViolation",
  "NorViolation",
  "ParameterNotAllowed",
  "ParameterLessThanAllowed",
  "ParameterGreaterThanAllowed",
  "ParameterNotAMatch",
  "NotEveryArrayElementPasses",
  "NoArrayElementPasses",
  "ParameterNotSubsetOfAllowed",
  "BitmaskOverflow",
  "BitmaskNotAllowed",
  "CustomConditionViolation",
  "AllowanceExceeded",
  "CallAllowanceExceeded",
  "EtherAllowanceExceeded",
];

const formatArg = (v: unknown): string =>
  typeof v === "bigint"
    ? v.toString()
    : Array.isArray(v)
      ? `[${v.map(formatArg).join(", ")}]`
      : typeof v === "object" && v !== null
        ? `{${Object.entries(v)
            .map(([k, x]) => `${k}: ${formatArg(x)}`)
            .join(", ")}}`
        : String(v);

/**
 * Decodes a revert payload: `Error(string)` (with Safe `GSxxx` codes spelled out), `Panic(uint256)`,
 * `ExecuteError(index, bytes)` of `Simple7702Account` (recursively, giving the failing call's index), a Roles
 * modifier's `ConditionViolation` (its status named), and custom errors of the `abis` given.
 */
export function decodeRevert(data: Hex | undefined, abis: readonly Abi[] = []): DecodedRevert {
  const raw: Hex = data && isHex(data) ? data : "0x";
  const empty = {
    reason: "reverted without a reason",
    errorName: undefined,
    args: undefined,
    index: undefined,
    data: raw,
    inner: undefined,
  };
  if (size(raw) < 4) return empty;
  const abi = [...simple7702AccountAbi, ...abis.flat()] as Abi;
  let decoded: { errorName: string; args: readonly unknown[] | undefined };
  try {
    const d = decodeErrorResult({ abi, data: raw });
    decoded = { errorName: d.errorName, args: d.args as readonly unknown[] | undefined };
  } catch {
    return { ...empty, reason: `unknown error ${slice(raw, 0, 4)}` };
  }
  const { errorName, args } = decoded;
  if (errorName === "Error") {
    const msg = String(args?.[0] ?? "");
    const safe = SAFE_ERRORS[msg];
    return { ...empty, errorName, args, reason: safe ? `${msg}: ${safe}` : msg };
  }
  if (errorName === "Panic") {
    const code = Number(args?.[0] ?? 0n);
    const what = PANICS[code] ?? "unknown panic";
    return { ...empty, errorName, args, reason: `panic 0x${code.toString(16).padStart(2, "0")} (${what})` };
  }
  if (errorName === "ExecuteError") {
    const index = Number(args?.[0] ?? 0n);
    const inner = decodeRevert(args?.[1] as Hex | undefined, abis);
    return { ...empty, errorName, args, index, inner, reason: inner.reason };
  }
  if (errorName === "ConditionViolation") {
    const status = Number(args?.[0] ?? 0);
    const reason = `the Roles modifier refused the call: ${ROLES_STATUS[status] ?? `status ${status}`}`;
    return { ...empty, errorName, args, reason };
  }
  return { ...empty, errorName, args, reason: `${errorName}(${(args ?? []).map(formatArg).join(", ")})` };
}

/** Finds the revert payload inside a viem error (walking its causes); undefined if there is none. */
export function revertDataOf(err: unknown): Hex | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 10; depth++) {
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string" && isHex(data)) return data;
    if (data && typeof data === "object") {
      const nested = (data as { data?: unknown }).data;
      if (typeof nested === "string" && isHex(nested)) return nested;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

import { encodeAbiParameters, encodeErrorResult, parseAbi } from "viem";
import { describe, expect, it } from "vitest";
import { simple7702AccountAbi } from "./abis.ts";
import { decodeRevert, revertDataOf } from "./decode.ts";

const errorString = (msg: string) =>
  encodeErrorResult({
    abi: parseAbi(["error Error(string)"]),
    errorName: "Error",
    args: [msg],
  });

describe("decodeRevert", () => {
  it("decodes Error(string) and spells out Safe codes", () => {
    expect(decodeRevert(errorString("STF")).reason).toBe("STF");
    expect(decodeRevert(errorString("GS013")).reason).toMatch(/^GS013: the Safe transaction failed/);
  });

  it("decodes panics", () => {
    const data = `0x4e487b71${encodeAbiParameters([{ type: "uint256" }], [0x11n]).slice(2)}` as const;
    const d = decodeRevert(data);
    expect(d.errorName).toBe("Panic");
    expect(d.reason).toBe("panic 0x11 (arithmetic overflow or underflow)");
  });

  it("unwraps ExecuteError(index, reason) with a custom inner error", () => {
    const custom = parseAbi(["error TooLittleReceived(uint256 minOut, uint256 got)"]);
    const inner = encodeErrorResult({ abi: custom, errorName: "TooLittleReceived", args: [100n, 90n] });
    const data = encodeErrorResult({
      abi: simple7702AccountAbi,
      errorName: "ExecuteError",
      args: [3n, inner],
    });
    const d = decodeRevert(data, [custom]);
    expect(d.index).toBe(3);
    expect(d.reason).toBe("TooLittleReceived(100, 90)");
    expect(d.inner?.errorName).toBe("TooLittleReceived");
    // Without the ABI the selector is reported.
    expect(decodeRevert(data).reason).toMatch(/^unknown error 0x/);
  });

  it("handles empty and short payloads", () => {
    expect(decodeRevert("0x").reason).toBe("reverted without a reason");
    expect(decodeRevert(undefined).reason).toBe("reverted without a reason");
    expect(decodeRevert("0x1234").errorName).toBeUndefined();
  });

  it("finds revert data in an error's causes", () => {
    const data = errorString("nope");
    const err = new Error("outer", {
      cause: new Error("mid", { cause: Object.assign(new Error("raw"), { data }) }),
    });
    expect(revertDataOf(err)).toBe(data);
    expect(revertDataOf(new Error("x"))).toBeUndefined();
  });
});

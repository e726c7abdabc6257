import { describe, expect, it } from "vitest";
import {
  BallastError,
  HealthFactorFloorError,
  InvalidAmountError,
  InvalidPolicyError,
  NoBridgeError,
  PolicyWeightSumError,
} from "./errors.ts";

describe("errors", () => {
  it("carry a short message, details, context and the cause chain", () => {
    const cause = new Error("boom");
    const e = new BallastError("Short.", { details: "more", cause, context: { a: 1 } });
    expect(e.shortMessage).toBe("Short.");
    expect(e.message).toBe("Short.\n\nDetails: more\nCause: boom");
    expect(e.context).toEqual({ a: 1 });
    expect(e.walk()).toBe(cause);
    expect(e.walk((x) => x === cause)).toBe(cause);
  });

  it("name the field and keep typed fields", () => {
    const a = new InvalidAmountError("holdings[0].amount", -1n, "≥ 0");
    expect(a).toBeInstanceOf(BallastError);
    expect(a.name).toBe("InvalidAmountError");
    expect(a.shortMessage).toBe("Invalid amount at holdings[0].amount: expected ≥ 0, got -1.");
    expect(new PolicyWeightSumError(9000).context).toEqual({
      field: "policy.sleeves[].targetBps",
      sumBps: 9000,
    });
    expect(new InvalidPolicyError("policy.x", "y", "z").shortMessage).toBe(
      'Invalid policy at policy.x: expected z, got "y".',
    );
    const nb = new NoBridgeError(10n, [1], [8453]);
    expect(nb.context).toMatchObject({ field: "costModel.bridges", unmetUsd: "10" });
    expect(new HealthFactorFloorError(1, "aave-v3", 17n * 10n ** 17n, 18n * 10n ** 17n).shortMessage).toBe(
      "Projected health factor on chain 1 (aave-v3) is 1.7000, below the floor 1.8000.",
    );
  });
});

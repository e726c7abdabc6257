import { WAD } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { chooseSwapMode } from "./mode.ts";

describe("chooseSwapMode", () => {
  it("is atomic without a Fusion threshold", () => {
    expect(chooseSwapMode({ amountUsd: 10n ** 9n * WAD })).toBe("atomic");
    expect(chooseSwapMode({ amountUsd: 10n ** 9n * WAD, fusionAboveUsd: undefined })).toBe("atomic");
  });

  it("is async strictly above the threshold", () => {
    const fusionAboveUsd = 50_000n * WAD;
    expect(chooseSwapMode({ amountUsd: 49_999n * WAD, fusionAboveUsd })).toBe("atomic");
    expect(chooseSwapMode({ amountUsd: fusionAboveUsd, fusionAboveUsd })).toBe("atomic");
    expect(chooseSwapMode({ amountUsd: fusionAboveUsd + 1n, fusionAboveUsd })).toBe("async");
  });
});

import { useTestChain } from "@ballast/testkit/vitest";
import { describe, expect, it } from "vitest";
import { formatRatio, measureRebalanceGas } from "../bench/gas.ts";

const chain = useTestChain({ chainId: 31337 });

describe("gas of one rebalance (what `pnpm bench:gas` prints)", () => {
  it("one EIP-7702 batch costs at most 75% of the same legs sent separately", async () => {
    const f = await measureRebalanceGas(chain);
    expect(f.calls).toBe(8);
    expect(f.separate).toHaveLength(8);
    expect(f.batch * 100n).toBeLessThanOrEqual(f.separateTotal * 75n);
    expect(f.batchWithDelegation).toBeGreaterThan(f.batch);
  });

  it("formats the ratio with two decimals", () => {
    expect(formatRatio(600_149n, 841_466n)).toBe("0.71");
    expect(formatRatio(1n, 3n)).toBe("0.33");
    expect(formatRatio(2n, 3n)).toBe("0.67");
    expect(formatRatio(5n, 5n)).toBe("1.00");
  });
});

import { assetId } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { getSqrtRatioAtTick } from "./math/tickMath.ts";
import type { PoolSnapshot } from "./sleeve.ts";
import { poolAtPrices } from "./what-if.ts";

const token0 = "0x0000000000000000000000000000000000000001" as const;
const token1 = "0x0000000000000000000000000000000000000002" as const;
const pool: PoolSnapshot = {
  address: "0x00000000000000000000000000000000000000aa",
  token0,
  token1,
  fee: 500,
  tickSpacing: 10,
  tick: -201_000,
  sqrtPriceX96: getSqrtRatioAtTick(-201_000) + 12_345n,
  liquidity: 10n ** 18n,
};
const Q192 = 2n ** 192n;
const priceWad = (p: PoolSnapshot) => (p.sqrtPriceX96 * p.sqrtPriceX96 * 10n ** 18n) / Q192;

describe("poolAtPrices", () => {
  it("scales token1-per-token0 by move0 / move1, with the tick of the new sqrt price", () => {
    const moves = new Map([[assetId(1, token0), { num: 8n, den: 10n }]]);
    const moved = poolAtPrices(pool, 1, moves);
    // The price is token1 per token0 in base units: −20% on token0 is × 0.8 (to ~1e-10 relative, the sqrt floor).
    const want = (priceWad(pool) * 8n) / 10n;
    expect(Number(priceWad(moved) - want) / Number(want)).toBeCloseTo(0, 8);
    expect(getSqrtRatioAtTick(moved.tick)).toBeLessThanOrEqual(moved.sqrtPriceX96);
    expect(getSqrtRatioAtTick(moved.tick + 1)).toBeGreaterThan(moved.sqrtPriceX96);
    expect(moved.liquidity).toBe(pool.liquidity);
    // Both tokens moved alike: the pool's price does not change.
    const both = new Map([
      [assetId(1, token0), { num: 3n, den: 2n }],
      [assetId(1, token1), { num: 3n, den: 2n }],
    ]);
    expect(poolAtPrices(pool, 1, both)).toBe(pool);
    // token1 up 25%: token1 per token0 falls to 1 / 1.25.
    const up1 = poolAtPrices(pool, 1, new Map([[assetId(1, token1), { num: 5n, den: 4n }]]));
    expect(Number(priceWad(up1) - (priceWad(pool) * 4n) / 5n) / Number(priceWad(pool))).toBeCloseTo(0, 8);
  });
});

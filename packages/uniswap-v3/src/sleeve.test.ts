import { describe, expect, it } from "vitest";
import type { LpPosition } from "./position.ts";
import { rangeAround } from "./range.ts";
import { lpEntryRange, type PoolSnapshot } from "./sleeve.ts";

const FACTORY = "0x1F98431c8aD98523631AE4a59f267346ea31F984" as const;
const WETH = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const;
const USDC = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" as const;

describe("lpEntryRange", () => {
  const pool: PoolSnapshot = {
    address: FACTORY,
    token0: WETH,
    token1: USDC,
    fee: 500,
    tickSpacing: 10,
    sqrtPriceX96: 1n << 96n,
    tick: -196_250,
    liquidity: 1n,
  };
  const pos = (tickLower: number, tickUpper: number) => ({ tokenId: 9n, tickLower, tickUpper }) as LpPosition;
  it("tops up the sleeve's first position when it holds the current tick, else a new ±rangeBps range", () => {
    expect(lpEntryRange(pool, [pos(-197_000, -195_000)], 1000)).toEqual({
      tickLower: -197_000,
      tickUpper: -195_000,
      tokenId: 9n,
    });
    expect(lpEntryRange(pool, [pos(-190_000, -180_000)], 1000)).toEqual(
      rangeAround({ tick: pool.tick, tickSpacing: 10, widthBps: 1000 }),
    );
    expect(lpEntryRange(pool, [], 500)).toEqual(
      rangeAround({ tick: pool.tick, tickSpacing: 10, widthBps: 500 }),
    );
  });
});

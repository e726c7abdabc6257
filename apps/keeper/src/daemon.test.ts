import { describe, expect, it } from "vitest";
import { type Heads, nextHeadPollMs } from "./daemon.ts";

/** Just what `nextHeadPollMs` reads of a keeper: each chain's id and block time. */
const keeperOf = (...chains: [chainId: number, blockTimeMs: number][]) =>
  ({
    chains: chains.map(([chainId, blockTimeMs]) => ({
      setup: { chainId },
      clients: { chain: { blockTimeMs } },
    })),
  }) as never;

describe("nextHeadPollMs (tick: block)", () => {
  it("waits until the next block is due, not a whole block time after the last look", () => {
    const k = keeperOf([1, 1_000]);
    const heads: Heads = new Map([[1, { block: 7n, seenAt: 10_000 }]]);
    // 300 ms after the head was seen, the next one is due in 700 ms.
    expect(nextHeadPollMs(k, heads, 10_300)).toBe(700);
  });

  it("looks every 1/20 of the block time (at least 50 ms) once a block is due or overdue", () => {
    const heads: Heads = new Map([[1, { block: 7n, seenAt: 10_000 }]]);
    expect(nextHeadPollMs(keeperOf([1, 1_000]), heads, 11_000)).toBe(50);
    expect(nextHeadPollMs(keeperOf([1, 12_000]), heads, 30_000)).toBe(600);
    // Before any head is seen: the short poll.
    expect(nextHeadPollMs(keeperOf([1, 12_000]), new Map(), 0)).toBe(600);
  });

  it("follows the chain whose block is due first", () => {
    const k = keeperOf([1, 12_000], [8453, 2_000]);
    const heads: Heads = new Map([
      [1, { block: 100n, seenAt: 0 }],
      [8453, { block: 50n, seenAt: 500 }],
    ]);
    // ethereum's next block is due at 12,000, base's at 2,500.
    expect(nextHeadPollMs(k, heads, 1_000)).toBe(1_500);
  });
});

/** `realizePlan` without a chain: which chains get a batch, with which deadline and limit, and how failures are kept apart. */

import { makePositions } from "@ballast/aave-v3/test-fixtures";
import type { Protocol } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { LegRealizationError } from "../src/index.ts";
import { DEFAULT_DEADLINE_SECONDS, realizePlan } from "../src/realize.ts";
import {
  aave,
  CHAIN_ID,
  chain,
  chainPlan,
  DEST_CHAIN_ID,
  E6,
  leg,
  plan,
  policy,
  rateVenue,
  slots,
  state,
  swap,
  TIMESTAMP,
  testBridge,
  transfer,
  USDC,
  WAD,
  WETH,
} from "./realize-fixtures.ts";

const realize = (p: ReturnType<typeof plan>, chains: ReturnType<typeof chain>[], deadlineSeconds?: number) =>
  realizePlan({ plan: p, state: state(), policy: policy(), slots, chains, deadlineSeconds });

describe("realizePlan", () => {
  it("a sending chain gets its batch; a receiving one, or one awaiting transfers, waits with a warning", async () => {
    const local = chain({ bridge: testBridge(0n), wallet: [[USDC, 10n * E6]] });
    const base = chain({ key: "base", chainId: DEST_CHAIN_ID });
    const op = chain({ key: "op", chainId: 10 });
    const r = await realize(
      plan(
        [
          chainPlan([leg(1, "sell", USDC, 10n * E6)]),
          chainPlan([leg(1, "supply", USDC, E6), leg(2, "supply", WETH, 1n)], DEST_CHAIN_ID),
          chainPlan([leg(1, "supply", USDC, E6)], 10, true),
          chainPlan([leg(1, "supply", USDC, E6)], 42), // no setup for it: nothing
        ],
        [transfer(10n * E6, 10n * E6)],
      ),
      [local, base, op],
    );
    expect(r.realized.map((c) => [c.key, c.bridges.length])).toEqual([["local", 1]]);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      `chain "base" (${DEST_CHAIN_ID}) awaits a cross-chain transfer: its 2 legs run in a later cycle, once it has arrived`,
      'chain "op" (10) awaits a cross-chain transfer: its 1 legs run in a later cycle, once it has arrived',
    ]);
    expect(r.realized[0]?.guards.maxValueLossUsd).toBe(7n * WAD + 10n * WAD);
  });

  it("only chains with a call or a transfer get a batch; the deadline is the snapshot's time plus deadlineSeconds", async () => {
    const venue = rateVenue("uni", 2000n * E6);
    const local = chain({ venues: [venue], wallet: [[WETH, WAD]] });
    const idle = chain({ key: "base", chainId: DEST_CHAIN_ID });
    const legs = [
      leg(1, "sell", WETH, WAD),
      swap(2, WETH, USDC, WAD, 1990n * E6),
      leg(3, "buy-hold", USDC, 1990n * E6),
    ];
    const p = plan([
      chainPlan(legs),
      chainPlan([leg(1, "sell", USDC, E6), leg(2, "buy-hold", WETH, 1n)], DEST_CHAIN_ID),
    ]);
    const r = await realize(p, [local, idle], 60);
    expect(r.realized.map((c) => c.key)).toEqual(["local"]);
    expect(r.realized[0]?.guards.maxValueLossUsd).toBe(7n * WAD);
    await realize(p, [local, idle]);
    expect(venue.requests.map((q) => q.deadline)).toEqual([
      TIMESTAMP + 60n,
      TIMESTAMP + BigInt(DEFAULT_DEADLINE_SECONDS),
    ]);
    const noSwap = await realize(
      plan([chainPlan([leg(1, "sell", WETH, WAD), leg(2, "supply", WETH, WAD)])]),
      [local],
    );
    expect(noSwap.realized.map((c) => c.realized.length)).toEqual([2]);
  });

  it("a chain's batch carries only its own transfers out", async () => {
    const local = chain({ wallet: [[USDC, E6]] }); // no bridge: another chain's transfer would fail it
    const op = chain({ key: "op", chainId: 10, bridge: testBridge(0n), wallet: [[USDC, E6]] });
    const legs = [leg(1, "sell", USDC, E6), leg(2, "supply", USDC, E6)];
    const r = await realize(
      plan([chainPlan(legs), chainPlan(legs.slice(0, 1), 10)], [{ ...transfer(E6, E6), fromChainId: 10 }]),
      [local, op],
    );
    expect(r.errors).toEqual([]);
    expect(r.realized.map((c) => [c.key, c.bridges.length])).toEqual([
      ["local", 0],
      ["op", 1],
    ]);
  });

  it("one chain's failure is its error, the others still realize; an unexpected one is wrapped", async () => {
    const local = chain({ protocols: [], wallet: [[USDC, E6]] });
    const base = chain({ key: "base", chainId: DEST_CHAIN_ID, wallet: [[USDC, E6]] });
    const r = await realize(
      plan([
        chainPlan([leg(1, "sell", USDC, E6), leg(2, "supply", USDC, E6)]),
        chainPlan([leg(1, "sell", USDC, E6), leg(2, "supply", USDC, E6)], DEST_CHAIN_ID),
      ]),
      [local, base],
    );
    expect(r.realized.map((c) => c.key)).toEqual(["base"]);
    expect(r.errors).toEqual([{ chainId: CHAIN_ID, key: "local", error: expect.any(LegRealizationError) }]);
    expect(r.errors[0]?.error.shortMessage).toBe(
      'Chain "local" step 2 (supply): chain "local" has no aave-v3 configured.',
    );
    const buggy: Protocol = {
      ...aave,
      afterSwaps: () => {
        throw new TypeError("bug");
      },
    };
    const unexpected = await realize(
      plan([chainPlan([leg(1, "sell", USDC, E6), leg(2, "supply", USDC, E6)])]),
      [chain({ protocols: [buggy], wallet: [[USDC, E6]] })],
    );
    const error = unexpected.errors[0]?.error;
    expect(error).toBeInstanceOf(LegRealizationError);
    expect(error?.shortMessage).toBe('Chain "local" step 0 (realize): unexpected failure.');
    expect(error?.cause).toEqual(new TypeError("bug"));
  });
});

describe("realizeChainPlan through realizePlan: the swaps' effect on a protocol's state", () => {
  it("entries are encoded against the state as the swaps leave it; a protocol with no read is not asked", async () => {
    const seen: unknown[] = [];
    // The swap leaves the USDC reserve frozen (what afterSwaps may project): the supply after it is refused.
    const frozen = makePositions({ reserves: { USDC: { isFrozen: true } } });
    const projecting: Protocol = {
      ...aave,
      afterSwaps: (s, quotes) => {
        seen.push([s !== undefined, quotes.length]);
        return frozen;
      },
    };
    const unread: Protocol = {
      ...aave,
      name: "unread",
      afterSwaps: () => {
        throw new Error("no read, no projection");
      },
    };
    const c = chain({
      protocols: [projecting, unread],
      venues: [rateVenue("uni", 2000n * E6)],
      wallet: [[WETH, WAD]],
    });
    const legs = [
      leg(1, "sell", WETH, WAD),
      swap(2, WETH, USDC, WAD, 1990n * E6),
      leg(3, "supply", USDC, 1990n * E6),
    ];
    const r = await realize(plan([chainPlan(legs)]), [c]);
    expect(seen).toEqual([[true, 1]]);
    expect(r.errors[0]?.error.shortMessage).toBe(
      'Chain "local" step 3 (supply): the Aave adapter refused the supply.',
    );
  });
});

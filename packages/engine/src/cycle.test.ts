import type { InFlightItem } from "@ballast/chain";
import type { Decision, Plan } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { heldChains, holdInFlight, withInTransit } from "./cycle.ts";
import type { ChainSetup } from "./types.ts";

const chains = [
  { key: "ethereum", chainId: 1 },
  { key: "base", chainId: 8453 },
] as unknown as ChainSetup[];
const fired: Decision = {
  fire: true,
  reasons: [{ rule: "band", effect: "trigger", fired: true, detail: "eth-idle out of band" }],
};
const item = (chainId: number): InFlightItem => ({
  kind: "transaction",
  chainId,
  sender: "0x0000000000000000000000000000000000000001",
  planId: "0xabcdef0123456789",
  detail: "transaction nonce 5 broadcast",
});
const planOn = (...ids: number[]) =>
  ({ chains: ids.map((chainId) => ({ chainId, legs: [{}], awaitsTransfers: false })) }) as unknown as Plan;

describe("holdInFlight", () => {
  it("leaves a decision alone when nothing is in flight", () => {
    expect(holdInFlight(fired, chains, [], planOn(1, 8453))).toBe(fired);
  });

  it("holds the decision when every planned chain has something in flight, and says so", () => {
    const d = holdInFlight(fired, chains, [item(1), item(8453)], planOn(1, 8453));
    expect(d.fire).toBe(false);
    const reason = d.reasons.find((r) => r.rule === "in-flight");
    expect(reason).toMatchObject({ effect: "block", fired: true });
    expect(reason?.detail).toMatch(
      /^hold: in flight on ethereum \(transaction nonce 5 broadcast, plan 0xabcdef0123\)/,
    );
  });

  it("still fires for a free chain; the held one is named", () => {
    const d = holdInFlight(fired, chains, [item(8453)], planOn(1, 8453));
    expect(d.fire).toBe(true);
    expect(d.reasons.find((r) => r.rule === "in-flight")).toMatchObject({ fired: false });
    expect(d.reasons.at(-1)?.detail).toContain("base (");
  });

  it("adds the reason to a decision that did not fire (no plan)", () => {
    const hold: Decision = { fire: false, reasons: [] };
    const d = holdInFlight(hold, chains, [item(1)]);
    expect(d.fire).toBe(false);
    expect(d.reasons.map((r) => r.rule)).toEqual(["in-flight"]);
  });

  const bridge: InFlightItem = {
    ...item(1),
    kind: "bridge",
    toChainId: 8453,
    detail: "across 1000 USDC to chain 8453",
  };
  const three = [...chains, { key: "optimism", chainId: 10 }] as unknown as ChainSetup[];

  it("holds both chains of a bridge transfer in flight: its origin and its destination", () => {
    for (const planned of [planOn(8453), planOn(1), planOn(1, 8453)]) {
      const d = holdInFlight(fired, three, [bridge], planned);
      expect(d.fire).toBe(false);
      expect(d.reasons.at(-1)).toMatchObject({ rule: "in-flight", fired: true });
      expect(d.reasons.at(-1)?.detail).toContain("ethereum → base (across 1000 USDC to chain 8453");
    }
    expect([...heldChains([bridge])].sort()).toEqual([1, 8453]);
  });

  it("lets a chain the transfer does not touch rebalance", () => {
    const d = holdInFlight(fired, three, [bridge], planOn(1, 8453, 10));
    expect(d.fire).toBe(true);
    expect(d.reasons.at(-1)).toMatchObject({ rule: "in-flight", fired: false });
    expect(holdInFlight(fired, three, [bridge, item(10)], planOn(1, 8453, 10)).fire).toBe(false);
  });
});

describe("withInTransit", () => {
  const USDC = "0x00000000000000000000000000000000000000Dc";
  const chain = { chainId: 8453, blockNumber: 1n, timestamp: 1n, holdings: [], prices: new Map() };
  it("adds what is on its way to the destination as a wallet holding of the arriving token", () => {
    const out = withInTransit(chain, [
      { id: "7", chainId: 8453, token: USDC, amount: 5n },
      { id: "8", chainId: 1, token: USDC, amount: 9n },
    ]);
    expect(out.holdings).toEqual([
      {
        id: "in-transit:7",
        chainId: 8453,
        protocol: "wallet",
        kind: "token",
        ref: `8453:${USDC.toLowerCase()}`,
        exposures: [{ asset: `8453:${USDC.toLowerCase()}`, amount: 5n }],
      },
    ]);
    expect(withInTransit(chain, [])).toBe(chain);
  });
});

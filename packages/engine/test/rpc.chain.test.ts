import { testAccounts } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { describe, expect, it } from "vitest";
import { fetchChainSnapshot } from "../src/index.ts";
import {
  aaveSupplyBorrow,
  countingClient,
  give,
  lpIdsOf,
  lpKeysOf,
  mintLp,
  setupFor,
  usdc,
  weth,
  withLp,
} from "./helpers.ts";

const chain = useTestChain({ chainId: 1 });
const owner = testAccounts.bob;

/** Aave supply + borrow, then `n` LP positions; returns nothing, the chain holds them. */
async function seed(n: number) {
  const d = chain.deployment;
  await give(chain, owner.address, "WETH", weth(40));
  await give(chain, owner.address, "USDC", usdc(100_000));
  await aaveSupplyBorrow(
    chain,
    owner,
    { token: d.tokens.WETH.address, amount: weth(10) },
    { token: d.tokens.USDC.address, amount: usdc(5_000) },
  );
  for (let i = 0; i < n; i++)
    await mintLp(chain, owner, { wethMax: weth(1), usdcMax: usdc(5_000), rangeBps: 500 + 500 * i });
}

describe("fetchChainSnapshot RPC requests (counting transport)", () => {
  it("is ONE eth_call (and nothing else) in the steady state, with 1 or 4 LP positions", async () => {
    const results: { positions: number; requests: Record<string, number> }[] = [];
    for (const n of [1, 3]) {
      await seed(n);
      const c = countingClient(chain);
      const setup = setupFor(chain, "ethereum", owner, { client: c.client });

      // Cold: nothing known; the NFTs are enumerated, then read, then their pools and ticks (3 calls).
      const cold = await fetchChainSnapshot(setup);
      const held = n === 1 ? 1 : 4; // the second seed adds 3 to the first one's position
      expect(lpIdsOf(cold.hints)).toHaveLength(held);
      expect(c.counts).toEqual({ eth_call: 3 });
      expect(cold.ethCalls).toBe(3);

      // Ids known, keys not: positions in the first call, pools and ticks in a second.
      c.reset();
      const idsOnly = await fetchChainSnapshot(withLp(setup, { tokenIds: lpIdsOf(cold.hints) }));
      expect(c.counts).toEqual({ eth_call: 2 });
      expect(idsOnly.snapshot.holdings).toEqual(cold.snapshot.holdings);

      // Steady state: keys passed back → exactly one request, an eth_call, whatever the number of positions.
      c.reset();
      const steady = await fetchChainSnapshot(withLp(setup, { keys: lpKeysOf(cold.hints) }));
      expect(c.counts).toEqual({ eth_call: 1 });
      expect(c.total()).toBe(1);
      expect(steady.ethCalls).toBe(1);
      expect(steady.snapshot.holdings).toEqual(cold.snapshot.holdings);
      expect(steady.snapshot.holdings.filter((h) => h.protocol === "uniswap-v3")).toHaveLength(held);
      expect(steady.snapshot.holdings.filter((h) => h.protocol === "aave-v3")).toHaveLength(2);

      // A pinned block: still one eth_call, at that block.
      c.reset();
      const pinned = await fetchChainSnapshot(withLp(setup, { keys: lpKeysOf(cold.hints) }), {
        blockNumber: steady.snapshot.blockNumber,
      });
      expect(c.counts).toEqual({ eth_call: 1 });
      expect(pinned.snapshot).toEqual(steady.snapshot);
      results.push({ positions: held, requests: { ...c.counts } });
    }
    expect(results.map((r) => r.requests)).toEqual([{ eth_call: 1 }, { eth_call: 1 }]);
  });

  it("discovers a new NFT with follow-up calls pinned to the first call's block, then is back to one", async () => {
    await seed(1);
    const c = countingClient(chain);
    const setup = setupFor(chain, "ethereum", owner, { client: c.client });
    const before = await fetchChainSnapshot(setup);
    await mintLp(chain, owner, { wethMax: weth(1), usdcMax: usdc(5_000), rangeBps: 2000 });
    c.reset();
    const seen = await fetchChainSnapshot(withLp(setup, { keys: lpKeysOf(before.hints) }));
    expect(lpIdsOf(seen.hints)).toHaveLength(2);
    expect(lpIdsOf(seen.hints).slice(0, 1)).toEqual(lpIdsOf(before.hints));
    // One call, then the new id's positions(), then its ticks: every request an eth_call.
    expect(Object.keys(c.counts)).toEqual(["eth_call"]);
    expect(c.counts.eth_call).toBe(3);
    c.reset();
    await fetchChainSnapshot(withLp(setup, { keys: lpKeysOf(seen.hints) }));
    expect(c.counts).toEqual({ eth_call: 1 });
  });
});

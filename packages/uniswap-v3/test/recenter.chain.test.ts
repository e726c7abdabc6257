import { setPrice, testAccounts } from "@ballast/testkit";
import { useSharedState, useTestChain } from "@ballast/testkit/vitest";
import { parseEventLogs } from "viem";
import { describe, expect, it } from "vitest";
import { positionManagerAbi } from "../src/abi.ts";
import { fetchLpPositions } from "../src/fetch.ts";
import { getPositionAmounts, isInRange, type LpPosition } from "../src/position.ts";
import { type MintBudget, quoteRecenter } from "../src/recenter.ts";
import { uniswapV3Venue } from "../src/venue.ts";
import { balanceOf, deadline, executeBatch, mintedTokenIds, mintPosition } from "./helpers.ts";

const chain = useTestChain({ chainId: 1 });
const { erin } = testAccounts;
const E18 = 10n ** 18n;

async function positionsOf(owner: `0x${string}`): Promise<readonly LpPosition[]> {
  return (
    await fetchLpPositions(chain.publicClient, {
      positionManager: chain.deployment.uniswap.positionManager,
      factory: chain.deployment.uniswap.factory,
      owner,
    })
  ).positions;
}

/** USD (wad) of WETH (token0, 18 dec) and USDC (token1, 6 dec) amounts at a WETH price in whole USD. */
const usd = (amount0: bigint, amount1: bigint, wethUsd: bigint) => amount0 * wethUsd + amount1 * 10n ** 12n;

describe("encodeRecenter / quoteRecenter", () => {
  // One position for every case (each test starts from it: the price move and the re-center are reverted after).
  const minted = useSharedState(chain, () =>
    mintPosition(chain, erin, {
      poolKey: "WETH/USDC/500",
      widthBps: 300,
      amount0: 5n * E18,
      amount1: 15_000n * 10n ** 6n,
      batch: true, // minted to the delegated EOA itself
    }),
  );
  for (const [side, wethUsd, budget, maxIdleBps] of [
    // "guaranteed": the exit's and swap's slippage allowances (1%) partly stay idle; "expected": ~nothing does.
    ["above", 3_400n, "guaranteed", 100n],
    ["below", 2_650n, "guaranteed", 100n],
    ["above", 3_300n, "expected", 1n],
    ["below", 2_700n, "expected", 1n],
  ] as const) {
    it(`re-centers a position the price left (${side}, ${budget} budget) in ONE EIP-7702 batch`, async () => {
      const { tokenId, pool } = minted();
      await setPrice(chain, { asset: "WETH", usdPrice: wethUsd * 10n ** 8n });
      const [position] = await positionsOf(erin.address);
      expect(position!.tokenId).toBe(tokenId);
      expect(isInRange(position!)).toBe(false);
      const old = getPositionAmounts(position!);
      expect(side === "above" ? old.amount0 : old.amount1).toBe(0n); // single-sided now

      const venue = uniswapV3Venue({
        client: chain.publicClient,
        quoter: chain.deployment.uniswap.quoterV2,
        router: chain.deployment.uniswap.swapRouter,
        feeTiers: [500],
      });
      const plan = await quoteRecenter(venue, {
        position: position!,
        range: { widthBps: 500 },
        account: erin.address,
        chainId: 1,
        slippageBps: 100,
        deadline: await deadline(chain),
        mintBudget: budget as MintBudget,
      });
      expect(plan.swap?.tokenIn).toBe(side === "above" ? pool.token1 : pool.token0);

      const before = await Promise.all(
        [pool.token0, pool.token1].map((t) => balanceOf(chain, t, erin.address)),
      );
      const receipt = await executeBatch(chain, erin, plan.calls);
      expect(receipt.status).toBe("success");

      // One transaction: the old NFT burned, a new one minted to the account.
      const transfers = parseEventLogs({
        abi: positionManagerAbi,
        logs: receipt.logs,
        eventName: "Transfer",
      });
      expect(transfers.some((t) => t.args.tokenId === tokenId && /^0x0+$/.test(t.args.to))).toBe(true);
      const [newId] = mintedTokenIds(receipt);
      const after = await positionsOf(erin.address);
      expect(after.map((p) => p.tokenId)).toEqual([newId]);
      const fresh = after[0]!;
      expect({ tickLower: fresh.tickLower, tickUpper: fresh.tickUpper }).toEqual(plan.range);
      expect(isInRange(fresh)).toBe(true);
      // The mint was priced after the swap's modelled impact: the liquidity is what the plan expected (±0.1%).
      expect(fresh.liquidity * 1_000n >= plan.deposit.liquidity * 999n).toBe(true);
      expect(fresh.liquidity * 1_000n <= plan.deposit.liquidity * 1_001n).toBe(true);

      // Value: the new position plus what stayed idle ≈ the old position (pool fee and impact only).
      const now = getPositionAmounts(fresh);
      const balances = await Promise.all(
        [pool.token0, pool.token1].map((t) => balanceOf(chain, t, erin.address)),
      );
      const idle0 = balances[0]! - before[0]!;
      const idle1 = balances[1]! - before[1]!;
      expect(idle0 >= 0n && idle1 >= 0n).toBe(true); // never drew on other balances
      const oldUsd = usd(old.amount0, old.amount1, wethUsd);
      const newUsd = usd(now.amount0, now.amount1, wethUsd);
      const idleUsd = usd(idle0, idle1, wethUsd);
      expect((newUsd + idleUsd) * 10_000n).toBeGreaterThan(oldUsd * 9_980n);
      expect(idleUsd * 10_000n).toBeLessThan(oldUsd * maxIdleBps);
    });
  }
});

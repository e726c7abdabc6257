import type { Call } from "@ballast/core";
import { testAccounts } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { type Address, decodeFunctionData, erc20Abi } from "viem";
import { describe, expect, it } from "vitest";
import { type PolicyRules, runCycle, type SleeveSpec } from "../src/index.ts";
import { aaveSupplyBorrow, allowance, give, mintLp, setupFor, usdc, WAD, weth } from "./helpers.ts";

const chain = useTestChain({ chainId: 1 });
const owner = testAccounts.alice;

const rules: PolicyRules = {
  bands: { absoluteBps: 300, relativeBps: 2500 },
  rebalanceTo: "target",
  minTradeUsd: 100n * WAD,
  maxSlippageBps: 100,
  maxValueLossBps: 100,
  healthFactorFloorWad: (15n * WAD) / 10n,
};

/** Every (token, spender) pair the calls approve. */
function approvals(calls: readonly Call[]): { token: Address; spender: Address }[] {
  const seen = new Map<string, { token: Address; spender: Address }>();
  for (const c of calls) {
    if (!c.data.startsWith("0x095ea7b3")) continue;
    const { args } = decodeFunctionData({ abi: erc20Abi, data: c.data });
    const spender = args[0] as Address;
    seen.set(`${c.to}:${spender}`.toLowerCase(), { token: c.to, spender });
  }
  return [...seen.values()];
}

const allowances = (pairs: readonly { token: Address; spender: Address }[]) =>
  Promise.all(pairs.map((p) => allowance(chain, p.token, owner.address, p.spender)));

describe("allowances after a batch", () => {
  it("a batch that swaps, supplies, repays and adds LP leaves every allowance it set as it was", async () => {
    const d = chain.deployment;
    // $70k at ETH $3,000: 10 WETH idle, an LP of ~2 WETH + ~$6k, 5 WETH on Aave against a $6k USDC debt.
    await give(chain, owner.address, "WETH", weth(17));
    await give(chain, owner.address, "USDC", usdc(6_000));
    await mintLp(chain, owner, { wethMax: weth(2), usdcMax: usdc(6_000), rangeBps: 1000 });
    await aaveSupplyBorrow(
      chain,
      owner,
      { token: d.tokens.WETH.address, amount: weth(5) },
      { token: d.tokens.USDC.address, amount: usdc(6_000) },
    );
    // Move idle WETH into Aave and the LP, and pay down half the debt: the USDC for both comes from a swap.
    const sleeves: SleeveSpec[] = [
      { id: "eth-idle", chain: "ethereum", kind: "token", asset: "WETH", weightBps: 500 },
      { id: "usdc-idle", chain: "ethereum", kind: "token", asset: "USDC", weightBps: 0 },
      { id: "eth-aave", chain: "ethereum", kind: "aave-supply", asset: "WETH", weightBps: 4000 },
      { id: "usdc-debt", chain: "ethereum", kind: "aave-borrow", asset: "USDC", weightBps: -500 },
      {
        id: "eth-usdc-lp",
        chain: "ethereum",
        kind: "uniswap-v3-lp",
        pool: "WETH/USDC/500",
        rangeBps: 1000,
        weightBps: 6000,
      },
    ];
    const setup = setupFor(chain, "ethereum", owner);
    const now = Number((await chain.publicClient.getBlock()).timestamp);
    const r = await runCycle({ chains: [setup], sleeves, rules, now });
    expect(r.error).toBeNull();
    const batch = r.batches[0]!;
    expect(batch.ok).toBe(true);
    const actions = batch.realized.map((x) => x.action ?? "swap");
    expect(actions).toEqual(expect.arrayContaining(["swap", "supply", "repay"]));
    expect(actions.some((a) => a === "mint" || a === "increase")).toBe(true);

    const pairs = approvals(batch.calls);
    const spenders = new Set(pairs.map((p) => p.spender.toLowerCase()));
    for (const s of [d.uniswap.positionManager, d.uniswap.swapRouter, d.aave.pool])
      expect(spenders).toContain(s.toLowerCase());
    const before = await allowances(pairs);
    await setup.executor.execute(batch.calls, { planId: r.plan!.id, guards: batch.guards });
    const after = await allowances(pairs);
    const name = (a: Address) =>
      Object.entries({
        ...d.tokens,
        positionManager: { address: d.uniswap.positionManager },
        router: { address: d.uniswap.swapRouter },
        aavePool: { address: d.aave.pool },
      }).find(([, t]) => t.address.toLowerCase() === a.toLowerCase())?.[0] ?? a;
    const show = (xs: bigint[]) => pairs.map((p, i) => `${name(p.token)}→${name(p.spender)}: ${xs[i]}`);
    expect(show(after)).toEqual(show(before));
  });
});

import { safeAbi } from "@ballast/chain";
import { setPrice } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { ethers } from "ethers";
import { type Address, decodeFunctionData, type Hex } from "viem";
import { beforeAll, expect, it } from "vitest";
import type { HandlerContext } from "../src/handler.ts";
import { evaluate } from "../src/lib.ts";
import { chainArgs, seedSafe } from "./fixtures.ts";

const eth = useTestChain({ chainId: 1 });
const base = useTestChain({ chainId: 8453 });
let safes: { eth: Address; base: Address };

beforeAll(async () => {
  safes = { eth: await seedSafe(eth), base: await seedSafe(base) };
});

/** Half the portfolio per chain: WETH idle / USDC idle / Aave WETH on each, weights 15/15/20 %. */
const policy = JSON.stringify({
  sleeves: ["ethereum", "base"].flatMap((chain) => [
    { id: `${chain}-weth`, chain, kind: "token", asset: "WETH", weight: "15%" },
    { id: `${chain}-usdc`, chain, kind: "token", asset: "USDC", weight: "15%" },
    { id: `${chain}-aave`, chain, kind: "aave-supply", asset: "WETH", weight: "20%" },
  ]),
  bands: { absolute: "3%", relative: "25%" },
  rebalanceTo: "target",
  minTrade: "50",
  maxSlippage: "1%",
  maxValueLoss: "1%",
});

function context(taskChainId: number): HandlerContext {
  const providers: Record<number, ethers.providers.StaticJsonRpcProvider> = {
    1: new ethers.providers.StaticJsonRpcProvider(eth.rpcUrl, 1),
    8453: new ethers.providers.StaticJsonRpcProvider(base.rpcUrl, 8453),
  };
  const store = new Map<string, string>();
  return {
    gelatoArgs: { chainId: taskChainId },
    userArgs: {
      portfolio: JSON.stringify({
        chains: [chainArgs(eth, safes.eth), { ...chainArgs(base, safes.base), key: "base", chainId: 8453 }],
      }),
    },
    secrets: { get: async (k) => (k === "BALLAST_POLICY" ? policy : undefined) },
    storage: { get: async (k) => store.get(k), set: async (k, v) => void store.set(k, v) },
    multiChainProvider: {
      default: () => providers[taskChainId] as ethers.providers.StaticJsonRpcProvider,
      chainId: (id) => {
        const p = providers[id];
        if (!p) throw new Error(`no provider for chain ${id}`);
        return p;
      },
    },
  };
}

it("reads every chain of the portfolio through multiChainProvider; each task gets calldata for its own chain", async () => {
  const idle = await evaluate(context(1));
  expect(idle.cycle.chainErrors).toEqual([]);
  expect(idle.cycle.state?.sleeves).toHaveLength(6);
  expect(idle.result.canExec).toBe(false);

  // ETH −30% on both chains: each chain rebalances alone (no bridge); the Base task returns the Base Safe's call.
  await Promise.all([eth, base].map((c) => setPrice(c, { asset: "WETH", usdPrice: 2_100n * 10n ** 8n })));
  const onBase = await evaluate(context(8453));
  if (!onBase.result.canExec) throw new Error(onBase.result.message);
  expect(onBase.cycle.batches.map((b) => b.chainId)).toEqual([1, 8453]);
  const [call] = onBase.result.callData;
  expect(call?.to).toBe(safes.base);
  expect(decodeFunctionData({ abi: safeAbi, data: call?.data as Hex }).functionName).toBe(
    "execTransactionFromModule",
  );
});

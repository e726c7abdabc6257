/** Shared fixtures: a Safe on a testkit chain holding a small portfolio, and a Gelato-like context for the handler. */

import type { AaveV3Config } from "@ballast/aave-v3";
import { encodeExecuteBatch } from "@ballast/chain";
import {
  aavePoolAbi,
  createSafe,
  delegationDesignator,
  execSafeTransaction,
  fund,
  impersonate,
  type TestChain,
  testAccounts,
  testkitAaveMarket,
} from "@ballast/testkit";
import { ethers } from "ethers";
import { type Address, encodeFunctionData, erc20Abi, getAddress, type Hex, parseUnits } from "viem";
import type { ChainArgs } from "../src/config.ts";
import type { HandlerContext } from "../src/handler.ts";

/** The address the tests impersonate as Gelato's dedicated msg.sender. */
export const DEDICATED: Address = getAddress("0x00000000000000000000000000000000d3d1c8ed");
/** The Safe owner and task creator of the tests. */
export const owner = testAccounts.alice;

/** The policy secret (the keeper's `policy` section as JSON): idle WETH 30%, idle USDC 30%, WETH on Aave 40%; 5/25 bands. */
export const policyJson = JSON.stringify({
  sleeves: [
    { id: "weth-idle", chain: "ethereum", kind: "token", asset: "WETH", weight: "30%" },
    { id: "usdc-idle", chain: "ethereum", kind: "token", asset: "USDC", weight: "30%" },
    { id: "weth-aave", chain: "ethereum", kind: "aave-supply", asset: "WETH", weight: "40%" },
  ],
  bands: { absolute: "5%", relative: "25%" },
  rebalanceTo: "target",
  minTrade: "50",
  maxSlippage: "1%",
  maxValueLoss: "1%",
  cooldown: "1h",
});

/** The `portfolio` user arg's chain entry for a Safe on a testkit chain. */
export function chainArgs(
  chain: TestChain,
  safe: Address,
  module: Address = DEDICATED,
): Omit<ChainArgs, "aave"> & { readonly aave: AaveV3Config } {
  const d = chain.deployment;
  return {
    key: "ethereum",
    chainId: chain.chainId,
    priceFeeds: {},
    safe,
    multiSendCallOnly: d.safe.multiSendCallOnly,
    dedicatedMsgSender: module,
    tokens: {
      WETH: { address: d.tokens.WETH.address, decimals: 18 },
      USDC: { address: d.tokens.USDC.address, decimals: 6 },
    },
    aave: {
      pool: d.aave.pool,
      poolAddressesProvider: d.aave.poolAddressesProvider,
      uiPoolDataProvider: d.aave.uiPoolDataProvider,
      version: testkitAaveMarket(d).version,
    },
    uniswap: {
      factory: d.uniswap.factory,
      positionManager: d.uniswap.positionManager,
      quoter: d.uniswap.quoterV2,
      router: d.uniswap.swapRouter,
      feeTiers: [500, 3000],
    },
  };
}

/**
 * A Safe (owner alice, threshold 1) with `modules` enabled, holding ≈ $100k at ETH $3,000: 10 WETH idle,
 * 30,000 USDC idle and 13.33 WETH supplied to Aave by the Safe itself (owner `execTransaction`s).
 */
export async function seedSafe(
  chain: TestChain,
  modules: readonly Address[] = [DEDICATED],
  saltNonce = 0n,
): Promise<Address> {
  const d = chain.deployment;
  const safe = await createSafe(chain, { owners: [owner.address], modules, saltNonce });
  const supplied = parseUnits("13.333333", 18);
  await fund(chain, { account: safe, token: "WETH", amount: parseUnits("10", 18) + supplied });
  await fund(chain, { account: safe, token: "USDC", amount: parseUnits("30000", 6) });
  const owners = [owner.address];
  await execSafeTransaction(chain, {
    safe,
    owners,
    to: d.tokens.WETH.address,
    data: encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [d.aave.pool, supplied] }),
  });
  await execSafeTransaction(chain, {
    safe,
    owners,
    to: d.aave.pool,
    data: encodeFunctionData({
      abi: aavePoolAbi,
      functionName: "supply",
      args: [d.tokens.WETH.address, supplied, safe, 0],
    }),
  });
  return safe;
}

/** A Gelato-like context: ethers v5 providers (as Gelato's runtime gives), in-memory storage, the given secrets. */
export function contextFor(
  chain: TestChain,
  params: {
    chains: readonly ChainArgs[];
    secrets?: Record<string, string | undefined>;
    taskChainId?: number;
    storage?: Map<string, string>;
  },
): HandlerContext & { storage: HandlerContext["storage"]; store: Map<string, string> } {
  const store = params.storage ?? new Map<string, string>();
  const provider = new ethers.providers.StaticJsonRpcProvider(chain.rpcUrl, chain.chainId);
  const secrets = params.secrets ?? { BALLAST_POLICY: policyJson };
  return {
    gelatoArgs: { chainId: params.taskChainId ?? chain.chainId },
    userArgs: { portfolio: JSON.stringify({ chains: params.chains }) },
    secrets: { get: async (k) => secrets[k] },
    storage: {
      get: async (k) => store.get(k),
      set: async (k, v) => {
        store.set(k, v);
      },
    },
    multiChainProvider: { default: () => provider, chainId: () => provider },
    store,
  };
}

/** The USDC balance of `owner` and its WETH allowance to the dedicated msg.sender (the completion check). */
export async function safeBalances(chain: TestChain, owner: Address) {
  const d = chain.deployment;
  const [usdc, allowance] = await Promise.all([
    chain.publicClient.readContract({
      address: d.tokens.USDC.address,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [owner],
    }),
    chain.publicClient.readContract({
      address: d.tokens.WETH.address,
      abi: erc20Abi,
      functionName: "allowance",
      args: [owner, DEDICATED],
    }),
  ]);
  return { usdc, allowance };
}

/**
 * Runs Gelato's callData as its dedicated msg.sender does (`batchExecuteCall`: the calls in order, atomically, as
 * msg.sender): the impersonated address delegated (EIP-7702 designator) to Simple7702Account calls `executeBatch` on
 * itself, with the gas limit from `eth_estimateGas` — no hand-picked gas.
 */
export async function runAsGelato(
  chain: TestChain,
  callData: readonly { to: string; data: string; value: string }[],
) {
  await chain.testClient.setCode({
    address: DEDICATED,
    bytecode: delegationDesignator(chain.deployment.simple7702Account),
  });
  const data = encodeExecuteBatch(
    callData.map((c) => ({ to: c.to as Address, data: c.data as Hex, value: BigInt(c.value) })),
  );
  // The estimate and the inclusion in one block context: the next block's timestamp is pinned, so the estimate does
  // not depend on the wall clock's second (gas depends on it: e.g. a pool writes its price observation once per
  // timestamp, and an inner batch short of gas makes the Safe return false, which the completion check reverts).
  const latest = await chain.publicClient.getBlock();
  await chain.testClient.setNextBlockTimestamp({ timestamp: latest.timestamp + 1n });
  const gas = await chain.publicClient.estimateGas({
    account: DEDICATED,
    to: DEDICATED,
    data,
    blockTag: "pending",
  });
  const gelato = await impersonate(chain, { address: DEDICATED, ethBalance: parseUnits("1", 18) });
  try {
    const hash = await gelato.walletClient.sendTransaction({
      account: DEDICATED,
      chain: chain.chain,
      to: DEDICATED,
      data,
      gas,
    });
    return await chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 25 });
  } finally {
    await gelato.stop();
  }
}

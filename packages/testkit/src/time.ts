import type { Account, Address, Chain, Transport, WalletClient } from "viem";
import type { TestChain } from "./chain.ts";

/** Moves the chain clock forward by `seconds` and mines a block at the new time; returns the new block timestamp. */
export async function advanceTime(chain: TestChain, params: { seconds: number | bigint }): Promise<bigint> {
  const head = await chain.publicClient.getBlock({ blockTag: "latest" });
  const timestamp = head.timestamp + BigInt(params.seconds);
  await chain.testClient.setNextBlockTimestamp({ timestamp });
  await chain.testClient.mine({ blocks: 1 });
  return timestamp;
}

/**
 * Moves the chain clock to at least `timestamp` and mines a block there (a clock already past it just mines one);
 * returns the new block timestamp. Two chains' heads are seconds apart when one has been idle (its head is its last
 * block, not the wall clock), so `advanceTime` by the same seconds leaves them apart: warp each to the same time.
 */
export async function advanceTimeTo(chain: TestChain, params: { timestamp: bigint }): Promise<bigint> {
  const head = await chain.publicClient.getBlock({ blockTag: "latest" });
  const timestamp = head.timestamp + 1n > params.timestamp ? head.timestamp + 1n : params.timestamp;
  await chain.testClient.setNextBlockTimestamp({ timestamp });
  await chain.testClient.mine({ blocks: 1 });
  return timestamp;
}

/** Mines `blocks` blocks (default 1); returns the new head block number. */
export async function mine(chain: TestChain, params: { blocks?: number } = {}): Promise<bigint> {
  await chain.testClient.mine({ blocks: params.blocks ?? 1 });
  return chain.publicClient.getBlockNumber({ cacheTime: 0 });
}

/** An impersonated account: a wallet client that sends as `address` without its key, and a way to stop. */
export type Impersonation = {
  address: Address;
  walletClient: WalletClient<Transport, Chain, Account>;
  stop: () => Promise<void>;
};

/** Lets the tests send transactions as any address (anvil_impersonateAccount); optionally gives it ETH for gas. */
export async function impersonate(
  chain: TestChain,
  params: { address: Address; ethBalance?: bigint | undefined },
): Promise<Impersonation> {
  await chain.testClient.impersonateAccount({ address: params.address });
  if (params.ethBalance !== undefined)
    await chain.testClient.setBalance({ address: params.address, value: params.ethBalance });
  return {
    address: params.address,
    walletClient: chain.walletClient(params.address),
    stop: () => chain.testClient.stopImpersonatingAccount({ address: params.address }),
  };
}

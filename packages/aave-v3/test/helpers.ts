/** Helpers for the chain tests: the testkit market as an `AaveMarket`, sending calls, funding and opening positions. */
import type { Call } from "@ballast/core";
import { fund, sendAndWait, type TestChain, testkitAaveMarket } from "@ballast/testkit";
import type { Address, TransactionReceipt } from "viem";
import { encodeAaveActions } from "../src/encode.ts";
import { fetchAavePositions } from "../src/fetch.ts";
import type { AaveAction } from "../src/project.ts";
import type { AaveMarket, AavePositions } from "../src/types.ts";

/** The testkit's local market: Aave 3.6 (`latest` layout) by default, or the 3.0 market (`legacy`). */
export const testkitMarket = (chain: TestChain): AaveMarket => testkitAaveMarket(chain.deployment);

/** Token address by symbol. */
export const token = (chain: TestChain, symbol: "WETH" | "USDC" | "WBTC"): Address =>
  chain.deployment.tokens[symbol].address;

/** Reads positions (one eth_call), optionally at a block. */
export const read = (chain: TestChain, user: Address, blockNumber?: bigint): Promise<AavePositions> =>
  fetchAavePositions(chain.publicClient, { market: testkitMarket(chain), user, blockNumber });

/**
 * Sends calls one transaction each from `user`. The Pool call (the only one that touches Aave state) is mined
 * at `at` when given; returns its receipt.
 */
export async function sendCalls(
  chain: TestChain,
  user: Address,
  calls: readonly Call[],
  at?: bigint,
): Promise<TransactionReceipt> {
  const wallet = chain.walletClient(user);
  let poolReceipt: TransactionReceipt | undefined;
  for (const call of calls) {
    const isPool = call.to.toLowerCase() === chain.deployment.aave.pool.toLowerCase();
    if (isPool && at !== undefined) await chain.testClient.setNextBlockTimestamp({ timestamp: at });
    const receipt = await sendAndWait(chain, wallet, call, "aave call");
    if (isPool) poolReceipt = receipt;
  }
  if (!poolReceipt) throw new Error("no Pool call in the batch");
  return poolReceipt;
}

/** Funds `user` and has it run `actions` through this package's encoders (read → encode → send). */
export async function act(
  chain: TestChain,
  user: Address,
  actions: readonly AaveAction[],
  funding: Partial<Record<"WETH" | "USDC" | "WBTC", bigint>> = {},
): Promise<void> {
  for (const [symbol, amount] of Object.entries(funding))
    await fund(chain, { account: user, token: symbol, amount });
  for (const action of actions) {
    const positions = await read(chain, user);
    await sendCalls(chain, user, encodeAaveActions({ positions, actions: [action] }));
  }
}

/** Bob supplies deep liquidity in every reserve so others can borrow. */
export async function seedLiquidity(
  chain: TestChain,
  bob: Address,
  amounts: Partial<Record<"WETH" | "USDC" | "WBTC", bigint>> = {
    WETH: 1_000n * 10n ** 18n,
    USDC: 5_000_000n * 10n ** 6n,
    WBTC: 100n * 10n ** 8n,
  },
) {
  const symbols = Object.keys(amounts) as ("WETH" | "USDC" | "WBTC")[];
  const funding = amounts;
  await act(
    chain,
    bob,
    symbols.map((s) => ({ type: "supply" as const, asset: token(chain, s), amount: amounts[s] ?? 0n })),
    funding,
  );
}

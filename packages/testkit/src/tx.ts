import type { Account, Address, Chain, Hash, Hex, TransactionReceipt, Transport, WalletClient } from "viem";
import type { TestChain } from "./chain.ts";
import { TransactionRevertedError } from "./errors.ts";

/** Gas limit the helpers send with: generous and fixed, so no estimate (estimates can be exactly tight). */
export const HELPER_GAS = 5_000_000n;

/** Waits for a transaction's receipt (short polling) and throws {@link TransactionRevertedError} if it reverted. */
export async function waitForSuccess(
  chain: TestChain,
  hash: Hash,
  label = "transaction",
): Promise<TransactionReceipt> {
  const receipt = await chain.publicClient.waitForTransactionReceipt({
    hash,
    pollingInterval: 20,
    timeout: 30_000,
  });
  if (receipt.status !== "success") throw new TransactionRevertedError(label, hash);
  return receipt;
}

/** Sends a call from a wallet client with a fixed generous gas limit and waits for it to succeed. */
export async function sendAndWait(
  chain: TestChain,
  wallet: WalletClient<Transport, Chain, Account>,
  call: { to: Address; data?: Hex | undefined; value?: bigint | undefined; gas?: bigint | undefined },
  label = "transaction",
): Promise<TransactionReceipt> {
  const hash = await wallet.sendTransaction({
    to: call.to,
    data: call.data,
    value: call.value ?? 0n,
    gas: call.gas ?? HELPER_GAS,
  } as never);
  return waitForSuccess(chain, hash, label);
}

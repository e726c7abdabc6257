import type { Hex, PrivateKeyAccount } from "viem";
import type { TestChain } from "./chain.ts";
import { TestkitError } from "./errors.ts";
import { waitForSuccess } from "./tx.ts";

/** The EIP-7702 delegation designator (`0xef0100 ‖ address`) an EOA's code holds once delegated. */
export function delegationDesignator(delegate: Hex): Hex {
  return `0xef0100${delegate.slice(2).toLowerCase()}`;
}

/**
 * Delegates a local account's EOA to `Simple7702Account` with one self-sent type-4 transaction (viem
 * `signAuthorization` with `executor: 'self'`, so the authorization nonce is the transaction nonce + 1).
 * Returns the account's code afterwards (the delegation designator).
 */
export async function delegateToSimple7702(
  chain: TestChain,
  params: { account: PrivateKeyAccount },
): Promise<Hex> {
  const wallet = chain.walletClient(params.account);
  const contractAddress = chain.deployment.simple7702Account;
  const authorization = await wallet.signAuthorization({
    account: params.account,
    contractAddress,
    executor: "self",
  });
  const hash = await wallet.sendTransaction({
    account: params.account,
    to: params.account.address,
    data: "0x",
    authorizationList: [authorization],
    gas: 100_000n,
  } as never);
  await waitForSuccess(chain, hash, "EIP-7702 delegation");
  await pendingNonceAtLeast(chain, params.account.address, authorization.nonce + 1);
  const code = await chain.publicClient.getCode({ address: params.account.address });
  if (code?.toLowerCase() !== delegationDesignator(contractAddress))
    throw new TestkitError(
      `delegateToSimple7702: ${params.account.address} is not delegated (code ${code}).`,
    );
  return code;
}

/**
 * Waits until the node's `pending` nonce of `address` is at least `nonce`. A self-sponsored delegation bumps the nonce
 * twice (the transaction, then its authorization), but anvil answers `pending` as the highest nonce in its pool + 1
 * while the mined transaction is still there (its receipt is already served): a send right after the receipt would
 * take the authorization's nonce and fail with "nonce too low" — a flake seen under load.
 */
async function pendingNonceAtLeast(chain: TestChain, address: Hex, nonce: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await chain.publicClient.getTransactionCount({ address, blockTag: "pending" })) < nonce) {
    if (Date.now() > deadline)
      throw new TestkitError(`delegateToSimple7702: the pending nonce of ${address} never reached ${nonce}.`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

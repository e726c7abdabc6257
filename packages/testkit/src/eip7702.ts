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
  const code = await chain.publicClient.getCode({ address: params.account.address });
  if (code?.toLowerCase() !== delegationDesignator(contractAddress))
    throw new TestkitError(
      `delegateToSimple7702: ${params.account.address} is not delegated (code ${code}).`,
    );
  return code;
}

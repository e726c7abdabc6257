import { type Address, encodeFunctionData, erc20Abi } from "viem";
import { mintableErc20Abi, weth9Abi } from "./abis.ts";
import type { TestChain } from "./chain.ts";
import { getToken } from "./deployment.ts";
import { sendAndWait } from "./tx.ts";

/** Options for {@link fund}. */
export type FundParameters = {
  /** Who receives the funds. */
  account: Address;
  /** `"ETH"`, a test token symbol (`"WETH"`, `"USDC"`, `"WBTC"`), or any ERC-20 address (needs `holder`). */
  token: "ETH" | string;
  /** Amount in base units (wei, or the token's smallest unit). */
  amount: bigint;
  /** For tokens the testkit cannot mint (e.g. on a fork): an address holding enough, impersonated to transfer. */
  holder?: Address | undefined;
};

/**
 * Gives an account ETH (added to its balance with `anvil_setBalance`) or tokens: USDC/WBTC are minted
 * (MintableERC20), WETH is deposited by the whale and transferred, other tokens move from an impersonated holder.
 */
export async function fund(chain: TestChain, params: FundParameters): Promise<void> {
  const { account, token, amount } = params;
  if (amount < 0n) throw new RangeError("fund: amount must not be negative");
  if (token === "ETH") {
    const balance = await chain.publicClient.getBalance({ address: account });
    await chain.testClient.setBalance({ address: account, value: balance + amount });
    return;
  }
  if (params.holder) {
    await transferFromHolder(chain, { holder: params.holder, token: token as Address, to: account, amount });
    return;
  }
  const info = getToken(chain.deployment, token);
  const whale = chain.deployment.accounts.whale;
  if (info.symbol === "WETH") {
    const balance = await chain.publicClient.getBalance({ address: whale });
    await chain.testClient.setBalance({ address: whale, value: balance + amount });
    const wallet = chain.walletClient(whale);
    await sendAndWait(
      chain,
      wallet,
      {
        to: info.address,
        data: encodeFunctionData({ abi: weth9Abi, functionName: "deposit" }),
        value: amount,
      },
      "fund: WETH deposit",
    );
    await sendAndWait(
      chain,
      wallet,
      {
        to: info.address,
        data: encodeFunctionData({ abi: weth9Abi, functionName: "transfer", args: [account, amount] }),
      },
      "fund: WETH transfer",
    );
    return;
  }
  await sendAndWait(
    chain,
    chain.walletClients.deployer,
    {
      to: info.address,
      data: encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [account, amount] }),
    },
    `fund: mint ${info.symbol}`,
  );
}

async function transferFromHolder(
  chain: TestChain,
  params: { holder: Address; token: Address; to: Address; amount: bigint },
): Promise<void> {
  await chain.testClient.impersonateAccount({ address: params.holder });
  try {
    const balance = await chain.publicClient.getBalance({ address: params.holder });
    if (balance < 10n ** 17n)
      await chain.testClient.setBalance({ address: params.holder, value: 10n ** 18n });
    await sendAndWait(
      chain,
      chain.walletClient(params.holder),
      {
        to: params.token,
        data: encodeFunctionData({
          abi: erc20Abi,
          functionName: "transfer",
          args: [params.to, params.amount],
        }),
      },
      "fund: transfer from holder",
    );
  } finally {
    await chain.testClient.stopImpersonatingAccount({ address: params.holder });
  }
}

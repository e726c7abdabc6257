// The README's example (imports by package name, as another package would).
import { aavePoolAbi, fund, setPrice, testAccounts } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { erc20Abi, maxUint256 } from "viem";
import { expect, it } from "vitest";

const chain = useTestChain({ chainId: 1 }); // a handle: use its properties inside tests and hooks
const { alice } = testAccounts;

it("supplies WETH to Aave", async () => {
  const { aave, tokens } = chain.deployment;
  await fund(chain, { account: alice.address, token: "WETH", amount: 10n ** 18n });
  const wallet = chain.walletClients.alice;
  const mined = async (hash: `0x${string}`) =>
    expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
  await mined(
    await wallet.writeContract({
      address: tokens.WETH.address,
      abi: erc20Abi,
      functionName: "approve",
      args: [aave.pool, maxUint256],
    }),
  );
  await mined(
    await wallet.writeContract({
      address: aave.pool,
      abi: aavePoolAbi,
      functionName: "supply",
      args: [tokens.WETH.address, 10n ** 18n, alice.address, 0],
      gas: 1_000_000n, // Aave/Uniswap estimates can be exactly tight: pad or fix
    }),
  );

  await setPrice(chain, { asset: "WETH", usdPrice: 2_500n * 10n ** 8n }); // feed + both pools follow
  const [, , , , , healthFactor] = await chain.publicClient.readContract({
    address: aave.pool,
    abi: aavePoolAbi,
    functionName: "getUserAccountData",
    args: [alice.address],
  });
  expect(healthFactor).toBe(2n ** 256n - 1n); // no debt
});

import { erc20Abi } from "viem";
import { describe, expect, it } from "vitest";
import { fund, testAccounts } from "../src/index.ts";
import { useTestChain } from "../src/vitest.ts";

// Two chains at once, as the keeper's end-to-end tests use them (Ethereum and Base chain ids).
const mainnet = useTestChain({ chainId: 1 });
const base = useTestChain({ chainId: 8453 });
const { alice } = testAccounts;

describe("two chains at once", () => {
  it("run side by side with their own chain ids, state and the same deterministic addresses", async () => {
    expect(mainnet.rpcUrl).not.toBe(base.rpcUrl);
    expect(await mainnet.publicClient.getChainId()).toBe(1);
    expect(await base.publicClient.getChainId()).toBe(8453);
    expect(base.deployment.chainId).toBe(8453);
    expect(base.deployment.aave.pool).toBe(mainnet.deployment.aave.pool);
    expect(base.deployment.tokens.USDC.address).toBe(mainnet.deployment.tokens.USDC.address);

    await fund(base, { account: alice.address, token: "USDC", amount: 5n * 10n ** 6n });
    const balanceOf = (chain: typeof base) =>
      chain.publicClient.readContract({
        address: chain.deployment.tokens.USDC.address,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [alice.address],
      });
    expect(await balanceOf(base)).toBe(5n * 10n ** 6n);
    expect(await balanceOf(mainnet)).toBe(0n);
  });

  it("signs with each chain's id (EIP-155)", async () => {
    const [a, b] = await Promise.all(
      [mainnet, base].map(async (chain) => {
        const hash = await chain.walletClients.alice.sendTransaction({ to: alice.address, value: 1n });
        return chain.publicClient.getTransaction({ hash });
      }),
    );
    expect(a?.chainId).toBe(1);
    expect(b?.chainId).toBe(8453);
  });
});

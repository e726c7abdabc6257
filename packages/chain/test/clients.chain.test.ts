import { testAccounts } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { erc20Abi } from "viem";
import { describe, expect, it } from "vitest";
import { createChainClients, pinClient, readMulticall } from "../src/index.ts";

const chain = useTestChain({ chainId: 31337 });

describe("chain clients on the testkit chain", () => {
  it("batches concurrent reads into ONE Multicall3 eth_call, and readMulticall never splits", async () => {
    const clients = createChainClients({ chain: 31337, rpcUrls: [chain.rpcUrl] });
    await clients.public.getBlockNumber();
    const requests = () => clients.pool.ranked()[0]?.successes ?? 0;
    const before = requests();
    const tokens = Object.values(chain.deployment.tokens);
    const holders = Object.values(testAccounts).map((a) => a.address);
    const reads = tokens.flatMap((t) =>
      holders.map((h) =>
        clients.public.readContract({
          address: t.address,
          abi: erc20Abi,
          functionName: "balanceOf",
          args: [h],
        }),
      ),
    );
    const balances = await Promise.all(reads);
    expect(balances).toHaveLength(30);
    expect(requests() - before).toBe(1);

    // 200 reads (> 1 024 bytes of calldata) in one request, each with its own status.
    const many = await readMulticall(clients.public, {
      contracts: Array.from({ length: 200 }, (_, i) => ({
        address: tokens[i % tokens.length]?.address ?? "0x",
        abi: erc20Abi,
        functionName: "balanceOf" as const,
        args: [holders[i % holders.length] ?? "0x"] as const,
      })),
    });
    expect(many).toHaveLength(200);
    expect(many.every((r) => r.status === "success")).toBe(true);
    expect(requests() - before).toBe(2);
  });

  it("pins the send path to one healthy URL", async () => {
    const clients = createChainClients({
      chain: 31337,
      rpcUrls: ["http://127.0.0.1:1", chain.rpcUrl],
      timeoutMs: 2_000,
    });
    const pinned = await pinClient(clients);
    expect(pinned.url).toBe(chain.rpcUrl);
    expect(await pinned.public.getChainId()).toBe(31337);
  });
});

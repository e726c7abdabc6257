import { encodeFunctionData, erc20Abi, maxUint256, pad, zeroAddress } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { startAcrossRelayer } from "../src/across-relayer.ts";
import {
  ACROSS_FILL_DEADLINE_BUFFER,
  type AcrossRelayer,
  advanceTimeTo,
  fund,
  sendAndWait,
  spokePoolArtifactAbi,
  type TestChain,
  testAccounts,
} from "../src/index.ts";
import { useTestChain } from "../src/vitest.ts";

// Two chains with the real Across SpokePool; deposits are sent with the published ABI (the typed client is
// @ballast/across's, tested there).
const a = useTestChain({ chainId: 1 });
const b = useTestChain({ chainId: 8453 });
const { alice } = testAccounts;
const USDC = 10n ** 6n;

let relayer: AcrossRelayer | undefined;
afterEach(async () => {
  await relayer?.stop();
  relayer = undefined;
});

const read = (chain: TestChain, functionName: string, args: readonly unknown[] = []) =>
  chain.publicClient.readContract({
    address: chain.deployment.across.spokePool,
    abi: spokePoolArtifactAbi(),
    functionName,
    args,
  } as never) as Promise<unknown>;

const usdcOf = (chain: TestChain) =>
  chain.publicClient.readContract({
    address: chain.deployment.tokens.USDC.address,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [alice.address],
  });

/** alice deposits `amount` USDC on `from` for `to`, output = amount − 1 USDC, deadline `deadlineIn` s after now. */
async function deposit(from: TestChain, to: TestChain, amount: bigint, deadlineIn = 600): Promise<bigint> {
  const { tokens, across } = from.deployment;
  await fund(from, { account: alice.address, token: "USDC", amount });
  const wallet = from.walletClients.alice;
  await sendAndWait(from, wallet, {
    to: tokens.USDC.address,
    data: encodeFunctionData({
      abi: erc20Abi,
      functionName: "approve",
      args: [across.spokePool, maxUint256],
    }),
  });
  const now = Number((await from.publicClient.getBlock()).timestamp);
  const id = (await read(from, "numberOfDeposits")) as number;
  const b32 = (x: `0x${string}`) => pad(x, { size: 32 });
  await sendAndWait(from, wallet, {
    to: across.spokePool,
    data: encodeFunctionData({
      abi: spokePoolArtifactAbi(),
      functionName: "deposit",
      args: [
        b32(alice.address),
        b32(alice.address),
        b32(tokens.USDC.address),
        b32(to.deployment.tokens.USDC.address),
        amount,
        amount - USDC,
        BigInt(to.chainId),
        b32(zeroAddress),
        now,
        now + deadlineIn,
        0,
        "0x",
      ],
    }),
  });
  return BigInt(id);
}

describe("Across on two local chains", () => {
  it("deploys the SpokePool behind its proxy on both chains, owned by the deployer, with each chain's id", async () => {
    for (const chain of [a, b]) {
      const { across, accounts } = chain.deployment;
      expect(across.spokePool).not.toBe(across.spokePoolImplementation);
      expect(((await read(chain, "owner")) as string).toLowerCase()).toBe(accounts.deployer.toLowerCase());
      expect(await read(chain, "chainId")).toBe(BigInt(chain.chainId));
      expect(await read(chain, "fillDeadlineBuffer")).toBe(ACROSS_FILL_DEADLINE_BUFFER);
      expect(await read(chain, "numberOfDeposits")).toBe(0);
    }
  });

  it("fills a deposit on the destination after the configured delay, through fillRelay", async () => {
    relayer = startAcrossRelayer({ chains: [a, b], fillDelayMs: 300 });
    const before = await usdcOf(b);
    const started = Date.now();
    const id = await deposit(a, b, 100n * USDC);
    const filled = await relayer.waitFor({ originChainId: a.chainId, depositId: id });
    expect(filled.fill!.at - filled.seenAt).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect((await usdcOf(b)) - before).toBe(99n * USDC);
    expect(await usdcOf(a)).toBe(0n);
    expect(relayer.errors).toEqual([]);
  });

  it("never fills when told so, and refunds the deposit on its origin once it has expired", async () => {
    relayer = startAcrossRelayer({ chains: [a, b], mode: "never" });
    const id = await deposit(b, a, 50n * USDC, 120);
    // Seen (however long the first polls take on a loaded machine), and not filled: in `never` mode the poll that
    // records a deposit is the one that would have filled it.
    const deadline = Date.now() + 15_000;
    while (relayer.deposits.length === 0 && relayer.errors.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(relayer.deposits.map((d) => [d.originChainId, d.depositId, d.fill])).toEqual([
      [b.chainId, id, undefined],
    ]);
    expect(await usdcOf(b)).toBe(0n);

    const { fillDeadline } = relayer.deposits[0]!.relayData;
    // Each chain to the same absolute time: an idle chain's head lags the other's by seconds.
    await Promise.all([a, b].map((c) => advanceTimeTo(c, { timestamp: BigInt(fillDeadline) + 1n })));
    const refunded = await relayer.waitFor({ originChainId: b.chainId, depositId: id, refunded: true });
    expect(refunded.fill).toBeUndefined();
    expect(await usdcOf(b)).toBe(50n * USDC);
    expect(await usdcOf(a)).toBe(0n);
    expect(relayer.errors).toEqual([]);
  });

  it("stops cleanly: no poll runs after stop()", async () => {
    relayer = startAcrossRelayer({ chains: [a, b] });
    await relayer.stop();
    const id = await deposit(a, b, 10n * USDC);
    await new Promise((r) => setTimeout(r, 200));
    expect(relayer.deposits.find((d) => d.depositId === id && d.originChainId === a.chainId)).toBeUndefined();
  });
});

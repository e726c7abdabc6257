import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Address } from "@ballast/core";
import { delegateToSimple7702, fund, positionManagerAbi, testAccounts } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { encodeFunctionData, erc20Abi, parseAbi, parseGwei } from "viem";
import { describe, expect, it } from "vitest";
import { callIndex, flatten, healthFactorFloor, rebalanceLegs, setupPortfolio } from "../bench/rebalance.ts";
import {
  createChainClients,
  createTxManager,
  delegationCode,
  ExecutorConfigError,
  eip7702Executor,
  GuardViolationError,
  getDelegation,
  memoryTxStore,
  SimulationFailedError,
  TransactionTimeoutError,
} from "../src/index.ts";

const chain = useTestChain({ chainId: 31337 });

async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

function setup(account = testAccounts.alice, rpcUrls: string[] = [chain.rpcUrl]) {
  const clients = createChainClients({
    chain: 31337,
    rpcUrls,
    account,
    pollingIntervalMs: 25,
    timeoutMs: 5_000,
  });
  const store = memoryTxStore();
  const manager = createTxManager({
    clients,
    store,
    fees: { maxFeePerGas: parseGwei("200") },
    pollIntervalMs: 25,
    timeoutMs: 20_000,
  });
  const executor = eip7702Executor({
    firewall: "off",
    clients,
    manager,
    implementation: chain.deployment.simple7702Account,
    abis: [parseAbi(["error ExampleError(uint256 code)"])],
  });
  return { clients, store, manager, executor };
}

const aaveDebt = async (account: Address) =>
  chain.publicClient.readContract({
    address: chain.deployment.aave.reserves.USDC.variableDebtToken,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [account],
  });

describe("EIP-7702 executor on the testkit chain", () => {
  it("lands a 5-leg rebalance (withdraw, swap, supply, borrow, LP) as ONE transaction, delegating in it; a dead RPC URL is skipped", async () => {
    const account = testAccounts.alice;
    await setupPortfolio(chain, account.address);
    expect(await getDelegation(chain.publicClient, account.address)).toBeUndefined();
    const { legs, guards } = await rebalanceLegs(chain, account.address, { borrowUsdc: 500n * 10n ** 6n });
    expect(legs).toHaveLength(5);
    const calls = flatten(legs);

    const { executor, store, clients } = setup(account, [await deadUrl(), chain.rpcUrl]);
    const nonceBefore = await chain.publicClient.getTransactionCount({ address: account.address });
    const nftBefore = await chain.publicClient.readContract({
      address: chain.deployment.uniswap.positionManager,
      abi: positionManagerAbi,
      functionName: "balanceOf",
      args: [account.address],
    });

    const result = await executor.execute(calls, { planId: "plan-5-legs", guards });

    // One transaction: the inclusion block holds exactly it. The nonce moves by TWO: the transaction's own,
    // and the self-sponsored authorization's (EIP-7702 bumps the authority's nonce).
    expect(await chain.publicClient.getTransactionCount({ address: account.address })).toBe(nonceBefore + 2);
    const block = await chain.publicClient.getBlock({ blockNumber: result.record.inclusion.blockNumber });
    expect(block.transactions).toEqual([result.record.inclusion.hash]);
    const tx = await chain.publicClient.getTransaction({ hash: result.record.inclusion.hash });
    expect(tx.type).toBe("eip7702");
    expect(tx.to?.toLowerCase()).toBe(account.address.toLowerCase());
    // The delegation rode along, and every leg took effect.
    expect(await chain.publicClient.getCode({ address: account.address })).toBe(
      delegationCode(chain.deployment.simple7702Account).toLowerCase(),
    );
    expect(await aaveDebt(account.address)).toBeGreaterThanOrEqual(500n * 10n ** 6n);
    const nftAfter = await chain.publicClient.readContract({
      address: chain.deployment.uniswap.positionManager,
      abi: positionManagerAbi,
      functionName: "balanceOf",
      args: [account.address],
    });
    expect(nftAfter).toBe(nftBefore + 1n);
    // Simulation ran first, with the guards read in the same simulated block.
    expect(result.simulation?.method).toBe("eth_simulateV1");
    expect(result.simulation?.report?.floors.find((f) => f.kind === "healthFactor")?.value).toBeGreaterThan(
      15n * 10n ** 17n,
    );
    expect(store.records()).toHaveLength(1);
    expect(store.records()[0]?.status).toBe("confirmed");
    // The dead URL was tried, failed, and is ranked last.
    expect(clients.pool.ranked().at(-1)?.healthy).toBe(false);
  });

  it("catches a failing call in simulation with its index and reason, and sends nothing", async () => {
    const account = testAccounts.alice;
    await setupPortfolio(chain, account.address);
    await delegateToSimple7702(chain, { account });
    const { legs } = await rebalanceLegs(chain, account.address, { swapMinOut: 10n ** 30n });
    const calls = flatten(legs);
    const { executor, store } = setup(account);
    const nonceBefore = await chain.publicClient.getTransactionCount({ address: account.address });

    const err = await executor.execute(calls, { planId: "plan-bad-swap" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimulationFailedError);
    const e = err as SimulationFailedError;
    expect(e.index).toBe(callIndex(legs, "swap USDC → WETH (Uniswap V3)", 1));
    expect(e.reason).toBe("Too little received");
    expect(await chain.publicClient.getTransactionCount({ address: account.address })).toBe(nonceBefore);
    expect(store.records()).toHaveLength(0);
  });

  it("simulates without a key (no transaction manager) and refuses to send", async () => {
    const account = testAccounts.alice;
    await setupPortfolio(chain, account.address);
    const { legs } = await rebalanceLegs(chain, account.address);
    const calls = flatten(legs);
    const clients = createChainClients({ chain: 31337, rpcUrls: [chain.rpcUrl], pollingIntervalMs: 25 });
    const keyless = eip7702Executor({
      firewall: "off",
      clients,
      account: account.address,
      implementation: chain.deployment.simple7702Account,
    });
    const sim = await keyless.simulate(calls);
    expect(sim.success).toBe(true);
    expect(sim.gasUsed).toBeGreaterThan(100_000n);
    const nonceBefore = await chain.publicClient.getTransactionCount({ address: account.address });
    await expect(keyless.execute(calls, { planId: "no-key" })).rejects.toBeInstanceOf(ExecutorConfigError);
    expect(await chain.publicClient.getTransactionCount({ address: account.address })).toBe(nonceBefore);
    // The same batch fails simulation with an impossible minOut, as with a key.
    const bad = flatten((await rebalanceLegs(chain, account.address, { swapMinOut: 10n ** 30n })).legs);
    await expect(keyless.simulate(bad)).rejects.toBeInstanceOf(SimulationFailedError);
  });

  it("simulates a not-yet-delegated EOA with its delegation code and decodes a one-call batch's revert", async () => {
    const account = testAccounts.bob;
    const { executor } = setup(account);
    const usdc = chain.deployment.tokens.USDC.address;
    await fund(chain, { account: account.address, token: "USDC", amount: 10n ** 6n });
    // transfer more USDC than bob has: a one-call batch re-throws the inner revert as is.
    const { encodeFunctionData } = await import("viem");
    const err = await executor
      .simulate([
        {
          to: usdc,
          value: 0n,
          data: encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: [account.address, 1n] }),
        },
        {
          to: usdc,
          value: 0n,
          data: encodeFunctionData({
            abi: erc20Abi,
            functionName: "transfer",
            args: [testAccounts.carol.address, 10n ** 30n],
          }),
        },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimulationFailedError);
    expect((err as SimulationFailedError).index).toBe(1);
    expect((err as SimulationFailedError).reason).toMatch(/exceeds balance/);
    const one = await executor
      .simulate([
        {
          to: usdc,
          value: 0n,
          data: encodeFunctionData({
            abi: erc20Abi,
            functionName: "transfer",
            args: [testAccounts.carol.address, 10n ** 30n],
          }),
        },
      ])
      .catch((e: unknown) => e);
    expect((one as SimulationFailedError).index).toBe(0);
    const req = await executor.encode([]);
    expect(req.delegateTo).toBe(chain.deployment.simple7702Account);
  });

  it("refuses a batch whose simulated state breaks a guard (GuardViolationError), nothing sent", async () => {
    const account = testAccounts.alice;
    await setupPortfolio(chain, account.address);
    const { legs, guards } = await rebalanceLegs(chain, account.address, { borrowUsdc: 500n * 10n ** 6n });
    const { executor, store } = setup(account);
    const strict = {
      ...guards,
      balanceDeltas: [
        { token: chain.deployment.tokens.WETH.address, min: 10n ** 18n, label: "WETH idle +1" },
      ],
    };
    const err = await executor
      .execute(flatten(legs), { planId: "plan-guard", guards: strict })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GuardViolationError);
    expect((err as GuardViolationError).guard).toBe("balanceDelta");
    expect((err as GuardViolationError).subject).toBe("WETH idle +1");
    expect(store.records()).toHaveLength(0);
    // The health-factor floor, read from Aave after the batch in the same simulated block.
    const hf = await executor
      .simulate(flatten(legs), {
        guards: { floors: [healthFactorFloor(chain.deployment.aave.pool, account.address, 10n ** 30n)] },
      })
      .catch((e: unknown) => e);
    expect(hf).toBeInstanceOf(GuardViolationError);
    expect((hf as GuardViolationError).guard).toBe("healthFactor");
  });

  it("re-sends a plan whose journaled transaction ended dropped or reverted (simulated again, superseding it), never a confirmed one", async () => {
    const account = testAccounts.erin;
    const bob = testAccounts.bob.address;
    const usdc = chain.deployment.tokens.USDC.address;
    await fund(chain, { account: account.address, token: "USDC", amount: 10_000_000n });
    const { executor, store } = setup(account);
    const calls = [
      {
        to: usdc,
        value: 0n,
        data: encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: [bob, 1_000_000n] }),
      },
    ];
    const received = async () =>
      chain.publicClient.readContract({
        address: usdc,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [bob],
      });
    const start = await received();

    const first = await executor.execute(calls, { planId: "again" });
    expect(first.simulation).toBeDefined();
    // Confirmed: the same plan id is resumed, not simulated or sent again.
    const resumed = await executor.execute(calls, { planId: "again" });
    expect(resumed.simulation).toBeUndefined();
    expect(resumed.record.inclusion.hash).toBe(first.record.inclusion.hash);
    expect((await received()) - start).toBe(1_000_000n);

    // The journal says the chain lost it (what the manager records after a reorg): the plan goes out again.
    await store.markDropped(31337, "again", "lost in a reorg");
    const afterDrop = await executor.execute(calls, { planId: "again" });
    expect(afterDrop.simulation).toBeDefined();
    expect(afterDrop.record.inclusion.hash).not.toBe(first.record.inclusion.hash);
    expect((await received()) - start).toBe(2_000_000n);

    // Reverted is final too: the re-evaluated plan supersedes it.
    await store.markReverted(31337, "again", afterDrop.record.inclusion);
    const afterRevert = await executor.execute(calls, { planId: "again" });
    expect(afterRevert.simulation).toBeDefined();
    expect(afterRevert.record.inclusion.hash).not.toBe(afterDrop.record.inclusion.hash);
    expect((await received()) - start).toBe(3_000_000n);
  });

  it("sends with the fees it is given and waits no longer than the timeout it is given", async () => {
    const account = testAccounts.erin;
    const usdc = chain.deployment.tokens.USDC.address;
    await fund(chain, { account: account.address, token: "USDC", amount: 1_000_000n });
    const { executor, store } = setup(account);
    const calls = [
      {
        to: usdc,
        value: 0n,
        data: encodeFunctionData({
          abi: erc20Abi,
          functionName: "transfer",
          args: [testAccounts.bob.address, 1n],
        }),
      },
    ];
    const fees = { maxFeePerGas: parseGwei("123"), maxPriorityFeePerGas: parseGwei("2") };
    // Blocks stop: the transaction stays in the mempool, so the wait ends at the caller's timeout (not setup's 20 s).
    await chain.publicClient.request({ method: "evm_setAutomine" as never, params: [false] as never });
    try {
      const err = await executor
        .execute(calls, { planId: "slow", fees, timeoutMs: 300 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransactionTimeoutError);
      expect((err as TransactionTimeoutError).timeoutMs).toBe(300);
      const [attempt] = (await store.get(31337, "slow"))!.attempts;
      expect([attempt!.maxFeePerGas, attempt!.maxPriorityFeePerGas]).toEqual([
        fees.maxFeePerGas,
        fees.maxPriorityFeePerGas,
      ]);
    } finally {
      await chain.publicClient.request({ method: "evm_setAutomine" as never, params: [true] as never });
    }
  });
});

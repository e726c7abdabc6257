import type { Address, Call, ContractKind } from "@ballast/core";
import { createSafe, fund, getPool, swapRouterAbi, testAccounts } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { encodeFunctionData, erc20Abi, maxUint256, parseAbi, parseGwei } from "viem";
import { describe, expect, it } from "vitest";
import {
  checkSafeExecution,
  createChainClients,
  createTxManager,
  encodeSafeModuleTransaction,
  FirewallError,
  type FirewallPolicy,
  hashSafeTransaction,
  memoryTxStore,
  SimulationFailedError,
  safeAbi,
  safeModuleExecutor,
  safeOwnerExecutor,
  TransactionRevertedError,
} from "../src/index.ts";

const chain = useTestChain({ chainId: 31337 });
const keeper = testAccounts.keeper;
const USDC = (n: number) => BigInt(n) * 10n ** 6n;

function setup() {
  const clients = createChainClients({
    chain: 31337,
    rpcUrls: [chain.rpcUrl],
    account: keeper,
    pollingIntervalMs: 25,
  });
  const manager = createTxManager({
    clients,
    store: memoryTxStore(),
    fees: { maxFeePerGas: parseGwei("200") },
    pollIntervalMs: 25,
    timeoutMs: 20_000,
  });
  return { clients, manager };
}

/** approve + supply USDC to Aave, approve + swap USDC → WETH, all from the Safe. */
function safeBatch(safe: Address, minOut = 0n): Call[] {
  const d = chain.deployment;
  const usdc = d.tokens.USDC.address;
  const approve = (spender: Address, amount: bigint): Call => ({
    to: usdc,
    value: 0n,
    data: encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [spender, amount] }),
  });
  return [
    approve(d.aave.pool, USDC(1_000)),
    {
      to: d.aave.pool,
      value: 0n,
      data: encodeFunctionData({
        abi: [
          {
            type: "function",
            name: "supply",
            stateMutability: "nonpayable",
            inputs: [{ type: "address" }, { type: "uint256" }, { type: "address" }, { type: "uint16" }],
            outputs: [],
          },
        ] as const,
        functionName: "supply",
        args: [usdc, USDC(1_000), safe, 0],
      }),
    },
    approve(d.uniswap.swapRouter, USDC(500)),
    {
      to: d.uniswap.swapRouter,
      value: 0n,
      data: encodeFunctionData({
        abi: swapRouterAbi,
        functionName: "exactInputSingle",
        args: [
          {
            tokenIn: usdc,
            tokenOut: d.tokens.WETH.address,
            fee: getPool(d, "WETH/USDC/500").fee,
            recipient: safe,
            deadline: maxUint256,
            amountIn: USDC(500),
            amountOutMinimum: minOut,
            sqrtPriceLimitX96: 0n,
          },
        ],
      }),
    },
  ];
}

/**
 * The functions {@link safeBatch} calls, paying nobody but the Safe: the executors apply whatever kind a policy gives
 * (what each protocol's own kind allows is tested with the keeper's firewall, which sees every package).
 */
const batchKind: ContractKind = {
  name: "test-batch",
  abi: parseAbi([
    "function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode)",
    "struct ExactInputSingleParams { address tokenIn; address tokenOut; uint24 fee; address recipient; uint256 deadline; uint256 amountIn; uint256 amountOutMinimum; uint160 sqrtPriceLimitX96; }",
    "function exactInputSingle(ExactInputSingleParams params)",
  ]),
  inspect: ({ functionName, args }) => ({
    recipients: [
      functionName === "supply" ? (args[2] as Address) : (args[0] as { recipient: Address }).recipient,
    ],
  }),
  roles: [],
};

const balance = (token: Address, who: Address) =>
  chain.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [who] });

describe("Safe 1.3.0 executors on the testkit chain", () => {
  it("module: execTransactionFromModule → MultiSendCallOnly runs the batch as one transaction, gas sized by simulation", async () => {
    const safe = await createSafe(chain, { owners: [testAccounts.alice.address], modules: [keeper.address] });
    await fund(chain, { account: safe, token: "USDC", amount: USDC(5_000) });
    const { clients, manager } = setup();
    const executor = safeModuleExecutor({
      firewall: "off",
      clients,
      manager,
      safe,
      multiSend: chain.deployment.safe.multiSendCallOnly,
    });
    expect(executor.account).toBe(safe);
    const nonce = await chain.publicClient.getTransactionCount({ address: keeper.address });
    const aUsdc = chain.deployment.aave.reserves.USDC.aToken;

    const result = await executor.execute(safeBatch(safe), {
      planId: "safe-module-1",
      guards: {
        balanceDeltas: [
          { token: aUsdc, min: USDC(1_000) - 2n, label: "aUSDC" },
          { token: chain.deployment.tokens.WETH.address, min: 1n, label: "swap out" },
        ],
      },
    });
    expect(await chain.publicClient.getTransactionCount({ address: keeper.address })).toBe(nonce + 1);
    expect(await balance(aUsdc, safe)).toBeGreaterThanOrEqual(USDC(1_000) - 2n);
    expect(await balance(chain.deployment.tokens.USDC.address, safe)).toBe(USDC(3_500));
    expect(result.simulation?.request.gas).toBeGreaterThan(result.record.inclusion.gasUsed);
    expect(result.simulation?.report?.balances.map((b) => b.delta > 0n)).toEqual([true, true]);
  });

  it("module: a failing call is located by replaying the calls from the Safe (MultiSendCallOnly drops reasons)", async () => {
    const safe = await createSafe(chain, { owners: [testAccounts.alice.address], modules: [keeper.address] });
    await fund(chain, { account: safe, token: "USDC", amount: USDC(5_000) });
    const { clients, manager } = setup();
    const executor = safeModuleExecutor({
      firewall: "off",
      clients,
      manager,
      safe,
      multiSend: chain.deployment.safe.multiSendCallOnly,
    });
    const err = await executor
      .execute(safeBatch(safe, 10n ** 30n), { planId: "safe-module-bad" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimulationFailedError);
    expect((err as SimulationFailedError).index).toBe(3);
    expect((err as SimulationFailedError).reason).toBe("Too little received");
    expect(await manager.get("safe-module-bad")).toBeUndefined();
  });

  it("module: too little gas gives a mined 'success' that did nothing — checkSafeExecution catches it", async () => {
    const safe = await createSafe(chain, { owners: [testAccounts.alice.address], modules: [keeper.address] });
    await fund(chain, { account: safe, token: "USDC", amount: USDC(5_000) });
    const { clients, manager } = setup();
    // Ten transfers to fresh addresses need ~300k gas; with 150k the inner DELEGATECALL runs out of gas and
    // the Safe emits ExecutionFromModuleFailure, but the outer call keeps its 1/64 and succeeds.
    const usdc = chain.deployment.tokens.USDC.address;
    const transfers: Call[] = Array.from({ length: 10 }, (_, i) => ({
      to: usdc,
      value: 0n,
      data: encodeFunctionData({
        abi: erc20Abi,
        functionName: "transfer",
        args: [`0x${(0x1000 + i).toString(16).padStart(40, "0")}`, 1n],
      }),
    }));
    const tx = encodeSafeModuleTransaction({
      safe,
      multiSend: chain.deployment.safe.multiSendCallOnly,
      calls: transfers,
    });
    await manager.send({ ...tx, planId: "starved", gas: 150_000n });
    const record = await manager.wait("starved");
    expect(record.status).toBe("confirmed");
    await expect(
      checkSafeExecution(clients.public, {
        safe,
        kind: "safe-module",
        planId: "starved",
        hash: record.inclusion.hash,
      }),
    ).rejects.toBeInstanceOf(TransactionRevertedError);
    // The executor resuming that journaled plan (as after a crash) must not report it as done: execute runs
    // the same check on the confirmed record, and sends nothing again.
    const executor = safeModuleExecutor({
      firewall: "off",
      clients,
      manager,
      safe,
      multiSend: chain.deployment.safe.multiSendCallOnly,
    });
    const nonce = await chain.publicClient.getTransactionCount({ address: keeper.address });
    await expect(executor.execute(transfers, { planId: "starved" })).rejects.toBeInstanceOf(
      TransactionRevertedError,
    );
    expect(await chain.publicClient.getTransactionCount({ address: keeper.address })).toBe(nonce);
    expect(await balance(chain.deployment.tokens.USDC.address, safe)).toBe(USDC(5_000));
  });

  it("module: a keeper that is not an enabled module is refused in simulation (GS104)", async () => {
    const safe = await createSafe(chain, { owners: [testAccounts.alice.address] });
    const { clients, manager } = setup();
    const executor = safeModuleExecutor({
      firewall: "off",
      clients,
      manager,
      safe,
      multiSend: chain.deployment.safe.multiSendCallOnly,
    });
    const err = await executor.simulate(safeBatch(safe)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimulationFailedError);
    expect((err as SimulationFailedError).reason).toMatch(/^GS104/);
  });

  it("owner (1-of-2): signs the EIP-712 Safe tx ({chainId, verifyingContract} domain) and execTransaction runs the batch", async () => {
    const safe = await createSafe(chain, {
      owners: [keeper.address, testAccounts.bob.address],
      threshold: 1,
    });
    await fund(chain, { account: safe, token: "USDC", amount: USDC(5_000) });
    const { clients, manager } = setup();
    const multiSend = chain.deployment.safe.multiSendCallOnly;

    const ours = hashSafeTransaction({
      safe,
      chainId: 31337,
      tx: { to: multiSend, value: 0n, data: "0x1234", operation: 1, nonce: 0n },
    });
    const theirs = await chain.publicClient.readContract({
      address: safe,
      abi: safeAbi,
      functionName: "getTransactionHash",
      args: [
        multiSend,
        0n,
        "0x1234",
        1,
        0n,
        0n,
        0n,
        "0x0000000000000000000000000000000000000000",
        "0x0000000000000000000000000000000000000000",
        0n,
      ],
    });
    expect(ours).toBe(theirs);

    const executor = safeOwnerExecutor({ firewall: "off", clients, manager, safe, multiSend });
    await executor.execute(safeBatch(safe), { planId: "safe-owner-1" });
    expect(
      await chain.publicClient.readContract({ address: safe, abi: safeAbi, functionName: "nonce" }),
    ).toBe(1n);
    expect(await balance(chain.deployment.tokens.USDC.address, safe)).toBe(USDC(3_500));

    // A failing call: GS013 from the Safe, the index from replaying the calls.
    const err = await executor
      .execute(safeBatch(safe, 10n ** 30n), { planId: "safe-owner-2" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimulationFailedError);
    expect((err as SimulationFailedError).index).toBe(3);
  });
});

describe("the batch firewall in the Safe executors", () => {
  it("module and owner: a real batch passes; with a swapped spender nothing is signed and nothing sent", async () => {
    const d = chain.deployment;
    const multiSend = d.safe.multiSendCallOnly;
    let signed = 0;
    const owner = {
      ...keeper,
      signTypedData: ((p) => {
        signed++;
        return keeper.signTypedData(p);
      }) as typeof keeper.signTypedData,
    };
    const safe = await createSafe(chain, { owners: [owner.address], modules: [owner.address] });
    await fund(chain, { account: safe, token: "USDC", amount: USDC(5_000) });
    const clients = createChainClients({ chain: 31337, rpcUrls: [chain.rpcUrl], account: owner });
    const manager = createTxManager({
      clients,
      store: memoryTxStore(),
      fees: { maxFeePerGas: parseGwei("200") },
    });
    const firewall: FirewallPolicy = {
      chainId: 31337,
      accounts: [safe],
      tokens: [d.tokens.USDC.address, d.tokens.WETH.address],
      contracts: [
        { address: d.aave.pool, kind: batchKind },
        { address: d.uniswap.swapRouter, kind: batchKind },
      ],
      multiSend,
    };
    const good = safeBatch(safe);
    const bad = good.map((c, i) =>
      i === 2
        ? {
            ...c,
            data: encodeFunctionData({
              abi: erc20Abi,
              functionName: "approve",
              args: [testAccounts.bob.address, USDC(500)],
            }),
          }
        : c,
    );
    const nonce = () =>
      chain.publicClient.getTransactionCount({ address: owner.address, blockTag: "pending" });
    for (const make of [safeModuleExecutor, safeOwnerExecutor]) {
      const executor = make({ clients, manager, safe, multiSend, firewall });
      expect((await executor.simulate(good)).success).toBe(true);
      const [n0, s0] = [await nonce(), signed];
      const err = await executor.execute(bad, { planId: `bad-${make.name}` }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FirewallError);
      expect([(err as FirewallError).rule, (err as FirewallError).index]).toEqual(["spender", 2]);
      expect([await nonce(), signed]).toEqual([n0, s0]);
    }
  });
});

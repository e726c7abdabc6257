/**
 * Quick start: one atomic batch from an EIP-7702 account on a local testkit chain.
 * Run from the repo root: `pnpm exec tsx packages/chain/examples/quickstart.ts`
 */
import { fund, startTestChain, testAccounts } from "@ballast/testkit";
import { encodeFunctionData, erc20Abi, parseGwei } from "viem";
import {
  createChainClients,
  createTxManager,
  eip7702Executor,
  memoryTxStore,
  SimulationFailedError,
} from "../src/index.ts";

const chain = await startTestChain({ chainId: 31337 });
try {
  const account = testAccounts.alice; // a viem LocalAccount (in production: the keeper's key)
  const usdc = chain.deployment.tokens.USDC.address;
  await fund(chain, { account: account.address, token: "USDC", amount: 1_000n * 10n ** 6n });

  // 1. Clients: health-ranked fallback over the RPC URLs, Multicall3 read batching.
  const clients = createChainClients({ chain: 31337, rpcUrls: [chain.rpcUrl], account });
  // 2. The transaction manager: nonces, fees (capped), replacement, confirmations, journal.
  const manager = createTxManager({
    clients,
    store: memoryTxStore(),
    fees: { maxFeePerGas: parseGwei("50") },
  });
  // 3. The executor: the EOA delegates to Simple7702Account (in the same tx) and runs executeBatch on itself.
  //    Its firewall is the last gate before the signature: only USDC may be called, only to these accounts.
  const implementation = chain.deployment.simple7702Account;
  const executor = eip7702Executor({
    clients,
    manager,
    implementation,
    firewall: {
      chainId: 31337,
      accounts: [account.address, testAccounts.bob.address, testAccounts.carol.address],
      tokens: [usdc],
      contracts: [],
      delegation: implementation,
    },
  });

  const transfer = (to: `0x${string}`, amount: bigint) => ({
    to: usdc,
    value: 0n,
    data: encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: [to, amount] }),
  });
  const calls = [
    transfer(testAccounts.bob.address, 100n * 10n ** 6n),
    transfer(testAccounts.carol.address, 50n * 10n ** 6n),
  ];

  // Simulated first (guards checked on the simulated balances), then sent as ONE transaction and confirmed.
  const result = await executor.execute(calls, {
    planId: "example-1",
    guards: { balanceDeltas: [{ token: usdc, min: -150n * 10n ** 6n, label: "USDC spent" }] },
  });
  console.log(`included in block ${result.record.inclusion.blockNumber}: ${result.record.inclusion.hash}`);
  console.log(
    `gas used ${result.record.inclusion.gasUsed}, USDC delta ${result.simulation?.report?.balances[0]?.delta}`,
  );

  // A batch that would fail is refused before anything is signed, with the failing call's index.
  try {
    await executor.execute(
      [transfer(testAccounts.bob.address, 1n), transfer(testAccounts.bob.address, 10n ** 18n)],
      {
        planId: "example-2",
      },
    );
  } catch (err) {
    if (!(err instanceof SimulationFailedError)) throw err;
    console.log(`refused: call #${err.index} — ${err.reason}`);
  }
} finally {
  await chain.stop();
}

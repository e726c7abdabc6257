// One atomic batch from an EIP-7702 account: simulated, sent as ONE transaction, confirmed; a failing batch refused.
// Base mainnet by default. RPC_URL, USDC, SIMPLE_7702_ACCOUNT point it at another chain (the package test: a local anvil).
import {
  createChainClients,
  createTxManager,
  eip7702Executor,
  memoryTxStore,
  SimulationFailedError,
} from "@ballast/chain";
import { type Address, encodeFunctionData, erc20Abi, type Hex, parseGwei } from "viem";
import { privateKeyToAccount } from "viem/accounts";

const env = process.env;
const account = privateKeyToAccount(env.PRIVATE_KEY as Hex); // the EOA that holds the USDC and signs
const to = env.TO as Address; // who receives 1 USDC
const usdc = (env.USDC ?? "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913") as Address;
// eth-infinitism Simple7702Account v0.8, the same address on every chain
const implementation = (env.SIMPLE_7702_ACCOUNT ?? "0x4Cd241E8d1510e30b2076397afc7508Ae59C66c9") as Address;

// 1. Clients: health-ranked fallback over the RPC URLs, Multicall3 read batching.
const clients = createChainClients({
  chain: 8453,
  rpcUrls: [env.RPC_URL ?? "https://mainnet.base.org"],
  account,
});
// 2. The transaction manager: nonces, capped fees, replacement, confirmations, journal.
const manager = createTxManager({ clients, store: memoryTxStore(), fees: { maxFeePerGas: parseGwei("50") } });
// 3. The executor: the EOA delegates to Simple7702Account (in the same transaction) and runs executeBatch on itself.
//    Its firewall is the last gate before the signature: only USDC may be called, only to these accounts.
const executor = eip7702Executor({
  clients,
  manager,
  implementation,
  firewall: {
    chainId: 8453,
    accounts: [account.address, to],
    tokens: [usdc],
    contracts: [],
    delegation: implementation,
  },
});

const transfer = (amount: bigint) => ({
  to: usdc,
  value: 0n,
  data: encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: [to, amount] }),
});

// Simulated first (guards checked on the simulated balances), then sent as ONE transaction and confirmed.
const result = await executor.execute([transfer(400_000n), transfer(600_000n)], {
  planId: `example-${Date.now()}`, // journaled: a restart never sends the same plan twice
  guards: { balanceDeltas: [{ token: usdc, min: -1_000_000n, label: "USDC spent" }] },
});
const { inclusion } = result.record;
console.log(`included in block ${inclusion.blockNumber}: ${inclusion.hash}`);
console.log(`gas used ${inclusion.gasUsed}, USDC delta ${result.simulation?.report?.balances[0]?.delta}`);

// A batch that would fail is refused before anything is signed, with the failing call's index.
try {
  await executor.execute([transfer(1n), transfer(10n ** 30n)], { planId: `example-${Date.now()}-2` });
} catch (err) {
  if (!(err instanceof SimulationFailedError)) throw err;
  console.log(`refused: call #${err.index} — ${err.reason}`);
}

import type { Address } from "@ballast/core";
import type { TestChain } from "@ballast/testkit";
import { type LocalAccount, parseGwei } from "viem";
import { createChainClients, createTxManager, type TxEvent, type TxStore } from "../src/index.ts";

/** A burn address the transaction-manager tests send 1 wei to. */
export const DEAD: Address = "0x000000000000000000000000000000000000dEaD";

/** Options of {@link txHarness}'s `managerFor`: the manager's, plus another RPC URL and the clients' polling interval. */
export type ManagerExtra = Partial<Parameters<typeof createTxManager>[0]> & {
  rpcUrl?: string;
  clientPollMs?: number;
};

/**
 * What the transaction-manager chain tests share, on their file's test chain: a raw RPC call, and `managerFor`, a
 * manager for `account` over `store` (fees capped at 500 gwei, polling every 25 ms, a 20 s wait bound) whose events
 * are collected in `events` unless `extra.onEvent` takes them.
 */
export function txHarness(chain: TestChain) {
  const rpc = (method: string, params: unknown[] = []) =>
    chain.publicClient.request({ method, params } as never);
  function managerFor(account: LocalAccount, store: TxStore, extra: ManagerExtra = {}) {
    const { rpcUrl, clientPollMs, ...rest } = extra;
    const events: TxEvent[] = [];
    const clients = createChainClients({
      chain: 31337,
      rpcUrls: [rpcUrl ?? chain.rpcUrl],
      account,
      pollingIntervalMs: clientPollMs ?? 25,
    });
    const manager = createTxManager({
      clients,
      store,
      fees: { maxFeePerGas: parseGwei("500") },
      pollIntervalMs: 25,
      timeoutMs: 20_000,
      onEvent: (e) => events.push(e),
      ...rest,
    });
    return { clients, manager, events };
  }
  return { rpc, managerFor };
}

import type { Address } from "@ballast/core";
import { delegateToSimple7702, startRpcProxy, testAccounts } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { parseGwei } from "viem";
import { describe, expect, it } from "vitest";
import { flatten, hex, rebalanceLegs, setupPortfolio } from "../bench/rebalance.ts";
import {
  ChainMismatchError,
  checkChainIds,
  createChainClients,
  createTxManager,
  eip7702Executor,
  FeeCapExceededError,
  ForeignTransactionError,
  memoryTxStore,
  NonceConflictError,
  PlanConflictError,
  TransactionDroppedError,
  type TxEvent,
  type TxRecord,
  type TxStore,
} from "../src/index.ts";
import { DEAD, txHarness } from "./txHarness.ts";

const chain = useTestChain({ chainId: 31337 });
const { rpc, managerFor } = txHarness(chain);

/** Transactions sent by `from` in blocks (from, head]. */
async function sentBy(from: Address, sinceBlock: bigint) {
  const head = await chain.publicClient.getBlockNumber();
  const hashes: `0x${string}`[] = [];
  for (let b = sinceBlock + 1n; b <= head; b++) {
    const block = await chain.publicClient.getBlock({ blockNumber: b, includeTransactions: true });
    for (const tx of block.transactions)
      if (tx.from.toLowerCase() === from.toLowerCase()) hashes.push(tx.hash);
  }
  return hashes;
}

/** A store whose `method` journals and then throws: a crash right after that step. */
function crashingAfter(store: TxStore, method: "putIntent" | "markBroadcast"): TxStore {
  return {
    ...store,
    [method]: async (...args: unknown[]) => {
      await (store[method] as (...a: unknown[]) => unknown)(...args);
      throw new Error(`crash after ${method}`);
    },
  };
}

/** Mines a block every `ms` until stopped (automine off). */
function miner(ms: number) {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await rpc("evm_mine").catch(() => undefined);
      await new Promise((r) => setTimeout(r, ms));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

describe("transaction manager on the testkit chain", () => {
  it("replaces a stuck transaction with fees ≥ 12.5% higher (same nonce) and confirms it", async () => {
    const account = testAccounts.carol;
    const store = memoryTxStore();
    const { manager } = managerFor(account, store, { replaceAfterBlocks: 2 });
    const baseFee = (await chain.publicClient.getBlock()).baseFeePerGas ?? 0n;
    await rpc("evm_setAutomine", [false]);
    let stop: (() => Promise<void>) | undefined;
    try {
      const sent = await manager.send({
        planId: "stuck",
        to: DEAD,
        data: "0x",
        value: 1n,
        fees: { maxFeePerGas: parseGwei("2"), maxPriorityFeePerGas: parseGwei("1") },
      });
      // The next blocks' base fee is far above the transaction's max fee: it cannot be included.
      await rpc("anvil_setNextBlockBaseFeePerGas", [hex(parseGwei("60"))]);
      stop = miner(40);
      const done = await manager.wait("stuck");
      await stop();
      stop = undefined;

      expect(done.attempts.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < done.attempts.length; i++) {
        const [prev, next] = [done.attempts[i - 1], done.attempts[i]];
        expect(next?.maxFeePerGas).toBeGreaterThanOrEqual(((prev?.maxFeePerGas ?? 0n) * 1125n) / 1000n);
        expect(next?.maxPriorityFeePerGas).toBeGreaterThanOrEqual(
          ((prev?.maxPriorityFeePerGas ?? 0n) * 1125n) / 1000n,
        );
      }
      const mined = await chain.publicClient.getTransaction({ hash: done.inclusion.hash });
      expect(mined.nonce).toBe(sent.nonce);
      expect(done.inclusion.hash).not.toBe(sent.attempts[0]?.hash);
      expect(await chain.publicClient.getTransactionCount({ address: account.address })).toBe(sent.nonce + 1);
    } finally {
      await stop?.();
      await rpc("evm_setAutomine", [true]);
      // evm_revert does not restore anvil's base fee: put it back for the next tests.
      await rpc("anvil_setNextBlockBaseFeePerGas", [hex(baseFee)]);
      await rpc("evm_mine");
    }
  });

  for (const point of ["putIntent", "markBroadcast"] as const) {
    it(`crash after ${point === "putIntent" ? "journaling, before broadcast" : "broadcast, before the receipt"}: a restart finds the plan and exactly one transaction lands`, async () => {
      const account = testAccounts.alice;
      await setupPortfolio(chain, account.address);
      await delegateToSimple7702(chain, { account });
      const { legs, guards } = await rebalanceLegs(chain, account.address);
      const calls = flatten(legs);
      const start = await chain.publicClient.getBlockNumber();
      const nonce0 = await chain.publicClient.getTransactionCount({ address: account.address });
      const store = memoryTxStore();
      const implementation = chain.deployment.simple7702Account;

      // First run: the process "dies" at the injected point.
      const first = managerFor(account, crashingAfter(store, point));
      const ex1 = eip7702Executor({
        firewall: "off",
        clients: first.clients,
        manager: first.manager,
        implementation,
      });
      await expect(ex1.execute(calls, { planId: "plan-crash", guards })).rejects.toThrow(
        `crash after ${point}`,
      );
      const journaled = await store.get(31337, "plan-crash");
      expect(journaled?.status).toBe(point === "putIntent" ? "signed" : "broadcast");
      expect(
        await chain.publicClient.getTransactionCount({ address: account.address, blockTag: "pending" }),
      ).toBe(point === "putIntent" ? nonce0 : nonce0 + 1);

      // Restart: a new manager on the same store and chain resumes; the executor does not sign again.
      const second = managerFor(account, store);
      const pending = await second.manager.resume();
      expect(pending.map((r) => r.planId)).toEqual(["plan-crash"]);
      const ex2 = eip7702Executor({
        firewall: "off",
        clients: second.clients,
        manager: second.manager,
        implementation,
      });
      const result = await ex2.execute(calls, { planId: "plan-crash", guards });
      expect(result.simulation).toBeUndefined();
      expect(result.record.inclusion.hash).toBe(journaled?.attempts[0]?.hash);

      const hashes = await sentBy(account.address, start);
      expect(hashes).toEqual([journaled?.attempts[0]?.hash]);
      expect(await chain.publicClient.getTransactionCount({ address: account.address })).toBe(nonce0 + 1);
      expect(await store.getNonce(31337, account.address)).toBe(nonce0 + 1);
      // And the next plan takes the next nonce.
      const next = await second.manager.send({ planId: "after", to: DEAD, data: "0x", value: 1n });
      expect(next.nonce).toBe(nonce0 + 1);
    });
  }

  it("detects a reorg that drops an included transaction (TransactionDroppedError), frees the nonce, never resends", async () => {
    const account = testAccounts.dave;
    const store = memoryTxStore();
    const { manager } = managerFor(account, store, { confirmations: 3 });
    const nonce0 = await chain.publicClient.getTransactionCount({ address: account.address });
    const sent = await manager.send({ planId: "reorged", to: DEAD, data: "0x", value: 1n });
    // One look: the manager sees the receipt (1 of 3 confirmations). Then the block is reorged away. anvil mines after it
    // answers the send, so the receipt is awaited first: a look before it is mined sees no receipt, and a transaction
    // never seen included that then vanishes is "lost" (broadcast again), not reorged — the test then timed out.
    await chain.publicClient.waitForTransactionReceipt({
      hash: sent.attempts[0]?.hash ?? "0x",
      pollingInterval: 10,
    });
    expect((await manager.settle()).inFlight).toHaveLength(1);
    // anvil serves a receipt before it prunes the transaction from its pool: reorged while still pooled, it stays known
    // (it may land again), so the manager rightly keeps waiting. The reorg comes once the pool is empty.
    for (let i = 0; ; i++) {
      const { pending, queued } = (await rpc("txpool_status")) as { pending: string; queued: string };
      if (BigInt(pending) + BigInt(queued) === 0n) break;
      if (i > 400) throw new Error("anvil's pool never emptied after the receipt");
      await new Promise((r) => setTimeout(r, 10));
    }
    await rpc("anvil_reorg", [1, []]);
    const err = await manager.wait("reorged").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionDroppedError);
    expect(await store.get(31337, "reorged")).toMatchObject({
      status: "dropped",
      droppedReason: expect.stringMatching(/^reorged out of block \d+$/),
    });
    expect(await chain.publicClient.getTransactionCount({ address: account.address })).toBe(nonce0);
    expect(await store.getNonce(31337, account.address)).toBe(nonce0);
    // Re-sending the same plan needs an explicit, re-evaluated send (supersede); it reuses the freed nonce.
    const again = await manager.send({ planId: "reorged", to: DEAD, data: "0x", value: 1n, supersede: true });
    expect(again.nonce).toBe(nonce0);
    await rpc("anvil_mine", [hex(3n)]);
    expect((await manager.wait("reorged")).status).toBe("confirmed");
  });

  it("reports a nonce taken by another transaction (NonceConflictError) instead of waiting forever", async () => {
    const account = testAccounts.erin;
    const store = memoryTxStore();
    const first = managerFor(account, crashingAfter(store, "putIntent"));
    await expect(first.manager.send({ planId: "taken", to: DEAD, data: "0x", value: 1n })).rejects.toThrow(
      "crash",
    );
    // Someone else (another tool with the same key) uses the nonce meanwhile.
    await chain.walletClients.erin.sendTransaction({ to: DEAD, value: 2n } as never);
    const second = managerFor(account, store);
    await second.manager.resume();
    await expect(second.manager.wait("taken")).rejects.toBeInstanceOf(NonceConflictError);
    expect((await store.get(31337, "taken"))?.status).toBe("dropped");
  });

  it("refuses fees above the cap before signing, and keeps one transaction per plan", async () => {
    const account = testAccounts.bob;
    const store = memoryTxStore();
    const { manager } = managerFor(account, store, { fees: { maxFeePerGas: 1n } });
    await expect(manager.send({ planId: "capped", to: DEAD, data: "0x", value: 1n })).rejects.toBeInstanceOf(
      FeeCapExceededError,
    );
    expect(await store.get(31337, "capped")).toBeUndefined();

    const ok = managerFor(account, store).manager;
    const a = await ok.send({ planId: "once", to: DEAD, data: "0x", value: 1n });
    const b = await ok.send({ planId: "once", to: DEAD, data: "0x", value: 1n });
    expect(b.attempts[0]?.hash).toBe(a.attempts[0]?.hash);
    await expect(ok.send({ planId: "once", to: DEAD, data: "0x", value: 2n })).rejects.toBeInstanceOf(
      PlanConflictError,
    );
    expect((await ok.wait("once")).status).toBe("confirmed");
  });

  it("journal nonce ahead of the chain (reset, rollback): the record the chain never saw is dropped, not left queued; the next send uses the chain's nonce and says so", async () => {
    const account = testAccounts.bob;
    const store = memoryTxStore();
    const events: TxEvent[] = [];
    const { manager } = managerFor(account, store, { onEvent: (e) => events.push(e) });
    const nonce0 = await chain.publicClient.getTransactionCount({ address: account.address });
    const ghost: TxRecord = {
      planId: "ghost",
      chainId: 31337,
      sender: account.address,
      nonce: nonce0 + 2,
      to: DEAD,
      data: "0x",
      value: 1n,
      gas: 21_000n,
      status: "broadcast",
      attempts: [
        {
          hash: `0x${"11".repeat(32)}`,
          raw: "0x02",
          maxFeePerGas: 1n,
          maxPriorityFeePerGas: 1n,
          broadcastBlock: 1n,
        },
      ],
    };
    await store.putIntent(ghost);
    await store.setNonce(31337, account.address, nonce0 + 3);
    const settled = await manager.settle();
    expect(settled.inFlight).toEqual([]);
    expect(settled.settled.map((r) => [r.planId, r.status])).toEqual([["ghost", "dropped"]]);
    expect(events.map((e) => e.kind)).toEqual(["nonce-reconciled", "dropped"]);
    const sent = await manager.send({ planId: "fresh", to: DEAD, data: "0x", value: 1n });
    expect(sent.nonce).toBe(nonce0);
    expect((await manager.wait("fresh")).status).toBe("confirmed");
    expect(await chain.publicClient.getTransactionCount({ address: account.address })).toBe(nonce0 + 1);
  });

  it("a journaled transaction a node holds queued behind nonces nothing journaled fills: in flight, never bumped, said once", async () => {
    const account = testAccounts.carol;
    const store = memoryTxStore();
    const events: TxEvent[] = [];
    const { manager } = managerFor(account, store, { onEvent: (e) => events.push(e), replaceAfterBlocks: 1 });
    const nonce0 = await chain.publicClient.getTransactionCount({ address: account.address });
    const fees = { maxFeePerGas: parseGwei("50"), maxPriorityFeePerGas: parseGwei("1") };
    const raw = await account.signTransaction({
      chainId: 31337,
      nonce: nonce0 + 2,
      to: DEAD,
      value: 1n,
      gas: 21_000n,
      ...fees,
    });
    const hash = await rpc("eth_sendRawTransaction", [raw]);
    try {
      await store.putIntent({
        planId: "ahead",
        chainId: 31337,
        sender: account.address,
        nonce: nonce0 + 2,
        to: DEAD,
        data: "0x",
        value: 1n,
        gas: 21_000n,
        status: "signed",
        attempts: [{ hash: hash as `0x${string}`, raw, ...fees }],
      });
      for (let i = 0; i < 3; i++) {
        const s = await manager.settle();
        expect(s.inFlight.map((x) => x.planId)).toEqual(["ahead"]);
        await rpc("anvil_mine", [hex(2n)]);
      }
      // Not replaced (a bump cannot fill the gap), not dropped (a node holds it), said once.
      expect((await store.get(31337, "ahead"))?.attempts.map((a) => a.hash)).toEqual([hash]);
      expect(events.map((e) => e.kind)).toEqual(["nonce-gap"]);
      expect(events[0]?.detail).toContain(
        `nonce ${nonce0 + 2} is queued behind the chain's next nonce ${nonce0}`,
      );
      expect(await chain.publicClient.getTransactionCount({ address: account.address })).toBe(nonce0);
    } finally {
      await rpc("anvil_dropTransaction", [hash]);
    }
  });

  it("a pending transaction the journal did not send (same key elsewhere) stops sending: ForeignTransactionError, nothing signed", async () => {
    const account = testAccounts.erin;
    const store = memoryTxStore();
    const { manager } = managerFor(account, store);
    await rpc("evm_setAutomine", [false]);
    try {
      await chain.walletClients.erin.sendTransaction({ to: DEAD, value: 2n } as never);
      await expect(manager.send({ planId: "mine", to: DEAD, data: "0x", value: 1n })).rejects.toBeInstanceOf(
        ForeignTransactionError,
      );
      expect(await store.get(31337, "mine")).toBeUndefined();
    } finally {
      await rpc("evm_setAutomine", [true]);
      await rpc("evm_mine");
    }
  });
});

describe("a send-only RPC (sendRpc: a private relay)", () => {
  it("takes every broadcast — the first and the replacements — while reads never reach it and sends never reach the reads' URL", async () => {
    const reads = await startRpcProxy(chain.rpcUrl);
    const sends = await startRpcProxy(chain.rpcUrl);
    const account = testAccounts.dave;
    const clients = createChainClients({
      chain: 31337,
      rpcUrls: [reads.url],
      sendRpcUrl: sends.url,
      account,
      pollingIntervalMs: 25,
    });
    await checkChainIds(clients, { chain: "local" });
    const manager = createTxManager({
      clients,
      store: memoryTxStore(),
      fees: { maxFeePerGas: parseGwei("500") },
      pollIntervalMs: 25,
      timeoutMs: 20_000,
      replaceAfterBlocks: 2,
    });
    const baseFee = (await chain.publicClient.getBlock()).baseFeePerGas ?? 0n;
    await rpc("evm_setAutomine", [false]);
    let stop: (() => Promise<void>) | undefined;
    try {
      await manager.send({
        planId: "private",
        to: DEAD,
        data: "0x",
        value: 1n,
        fees: { maxFeePerGas: parseGwei("2"), maxPriorityFeePerGas: parseGwei("1") },
      });
      // Stuck under a high base fee: the replacements must go to the send-only endpoint too.
      await rpc("anvil_setNextBlockBaseFeePerGas", [hex(parseGwei("60"))]);
      stop = miner(40);
      const done = await manager.wait("private");
      expect(done.status).toBe("confirmed");
      expect(done.attempts.length).toBeGreaterThanOrEqual(2);
    } finally {
      await stop?.();
      await rpc("evm_setAutomine", [true]);
      await rpc("anvil_setNextBlockBaseFeePerGas", [hex(baseFee)]);
      await rpc("evm_mine");
      await reads.stop();
      await sends.stop();
    }
    const sent = sends.methods().filter((m) => m === "eth_sendRawTransaction");
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sends.methods())).toEqual(new Set(["eth_chainId", "eth_sendRawTransaction"]));
    expect(reads.methods()).not.toContain("eth_sendRawTransaction");
    expect(reads.methods()).toContain("eth_getTransactionCount");
  });

  it("checks every URL's chain id, the send-only one included, naming the chain and the redacted URL", async () => {
    const other = await startRpcProxy(chain.rpcUrl);
    try {
      const keyed = `${other.url}/v3/0123456789abcdef0123456789abcdef`;
      const ok = createChainClients({ chain: 31337, rpcUrls: [chain.rpcUrl] });
      await expect(checkChainIds(ok, { chain: "local" })).resolves.toBeUndefined();
      // Chain 1 configured, but both URLs answer 31337.
      const wrong = createChainClients({ chain: 1, rpcUrls: ["http://127.0.0.1:1"], sendRpcUrl: keyed });
      const err = await checkChainIds(wrong, { chain: "ethereum", timeoutMs: 2_000 }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ChainMismatchError);
      const e = err as ChainMismatchError;
      expect([e.chain, e.expected, e.actual]).toEqual(["ethereum", 1, 31337]);
      expect(e.shortMessage).toBe(
        `Chain "ethereum": RPC ${other.url}/v3/*** serves chain 31337, expected 1.`,
      );
      expect(e.message).not.toContain("0123456789abcdef");
    } finally {
      await other.stop();
    }
  });
});

/**
 * The transaction manager at its edges, on the testkit chain: what each step journals (broadcast block, dropped
 * reason, nonce high-water mark), the node refusing bytes, crashes between broadcast and journal, fee replacement at
 * the cap and by the configured bump, a lost transaction handed over again, reverts, EIP-7702 delegation, and RPC
 * failures (an unknown outcome: watched, never a failure). Blocks are mined by hand (automine off where it matters).
 */
import type { Address, Hex } from "@ballast/core";
import { startRpcProxy, testAccounts } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { keccak256, type LocalAccount, parseGwei, toHex } from "viem";
import { privateKeyToAccount, toAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { hex } from "../bench/rebalance.ts";
import {
  createChainClients,
  createTxManager,
  ExecutorConfigError,
  FeeCapExceededError,
  memoryTxStore,
  NonceConflictError,
  PlanConflictError,
  SimulationFailedError,
  TransactionDroppedError,
  TransactionRevertedError,
  TransactionTimeoutError,
  type TxEvent,
  type TxManager,
  type TxRecord,
  type TxStore,
  UnknownPlanError,
  WaitAbortedError,
} from "../src/index.ts";
import { isTransportFailure } from "../src/txContext.ts";
import { DEAD, txHarness } from "./txHarness.ts";

const chain = useTestChain({ chainId: 31337 });
const { rpc, managerFor } = txHarness(chain);
const GWEI = parseGwei("1");

const nonceOf = (a: Address, blockTag: "latest" | "pending" = "latest") =>
  chain.publicClient.getTransactionCount({ address: a, blockTag });
const isPooled = (hash: Hex) =>
  chain.publicClient.getTransaction({ hash }).then(
    () => true,
    () => false,
  );
const kinds = (events: readonly TxEvent[]) => events.map((e) => e.kind);
const must = async (store: TxStore, planId: string): Promise<TxRecord> => {
  const r = await store.get(31337, planId);
  if (!r) throw new Error(`no record for ${planId}`);
  return r;
};

/** Runs `fn` with automine off and the next block's base fee at `baseFee` (if given); restores both after. */
async function manualBlocks<T>(fn: () => Promise<T>, baseFee?: bigint): Promise<T> {
  const before = (await chain.publicClient.getBlock()).baseFeePerGas ?? 0n;
  await rpc("evm_setAutomine", [false]);
  try {
    if (baseFee !== undefined) await rpc("anvil_setNextBlockBaseFeePerGas", [hex(baseFee)]);
    return await fn();
  } finally {
    await rpc("evm_setAutomine", [true]);
    // evm_revert does not restore anvil's base fee: put it back for the next tests.
    await rpc("anvil_setNextBlockBaseFeePerGas", [hex(before)]);
    await rpc("evm_mine");
  }
}

/** Mines one block whose base fee is `baseFee` (anvil then admits to its pool only fees ≥ 7/8 of it). */
async function mineAt(baseFee: bigint) {
  await rpc("anvil_setNextBlockBaseFeePerGas", [hex(baseFee)]);
  await rpc("evm_mine");
}

/** The journal fields of a plan sending 1 wei to 0x…dEaD at `nonce` (status and attempts to add). */
const transfer = (sender: Address, planId: string, nonce: number) =>
  ({ planId, chainId: 31337, sender, nonce, to: DEAD, data: "0x", value: 1n, gas: 21_000n }) as const;

/** Sends a 1-gwei transaction, mines a block (at the base fee the test set: above it) and looks once. */
async function sendPricedOut(manager: TxManager, planId: string): Promise<TxRecord> {
  const sent = await manager.send({
    planId,
    to: DEAD,
    data: "0x",
    value: 1n,
    fees: { maxFeePerGas: GWEI, maxPriorityFeePerGas: GWEI / 2n },
  });
  await rpc("evm_mine");
  await manager.settle();
  return sent;
}

/** A store whose `markBroadcast` throws before journaling: a crash between the broadcast and its record. */
const crashBeforeMarkBroadcast = (store: TxStore): TxStore => ({
  ...store,
  markBroadcast: () => {
    throw new Error("crash before markBroadcast");
  },
});

/** A store whose `putIntent` journals and then throws: a crash before the broadcast. */
const crashAfterPutIntent = (store: TxStore): TxStore => ({
  ...store,
  putIntent: async (r) => {
    await store.putIntent(r);
    throw new Error("crash after putIntent");
  },
});

describe("what a send journals", () => {
  it("the broadcast block; a final plan is never signed again, not even with supersede; fees at the cap pass, one wei over is refused unsigned", async () => {
    const account = testAccounts.bob;
    const store = memoryTxStore();
    const { manager } = managerFor(account, store);
    const nonce0 = await nonceOf(account.address);
    const head0 = await chain.publicClient.getBlockNumber();
    const sent = await manager.send({ planId: "a", to: DEAD, data: "0x", value: 1n });
    expect(sent.status).toBe("broadcast");
    expect(sent.attempts[0]?.broadcastBlock).toBeGreaterThanOrEqual(head0);
    expect(await store.getNonce(31337, account.address)).toBe(nonce0 + 1);
    const done = await manager.wait("a");
    expect(done.inclusion.hash).toBe(sent.attempts[0]?.hash);
    // The same plan again, even marked "supersede": a confirmed record is returned, nothing is signed.
    const again = await manager.send({ planId: "a", to: DEAD, data: "0x", value: 1n, supersede: true });
    expect(again.status).toBe("confirmed");
    expect(again.attempts.map((x) => x.hash)).toEqual([sent.attempts[0]?.hash]);
    expect((await manager.wait("a")).inclusion.hash).toBe(done.inclusion.hash);
    expect(await nonceOf(account.address, "pending")).toBe(nonce0 + 1);

    const cap = parseGwei("500");
    await expect(
      manager.send({
        planId: "over",
        to: DEAD,
        data: "0x",
        value: 1n,
        fees: { maxFeePerGas: cap + 1n, maxPriorityFeePerGas: GWEI },
      }),
    ).rejects.toBeInstanceOf(FeeCapExceededError);
    expect(await store.get(31337, "over")).toBeUndefined();
    const atCap = await manager.send({
      planId: "at-cap",
      to: DEAD,
      data: "0x",
      value: 1n,
      fees: { maxFeePerGas: cap, maxPriorityFeePerGas: GWEI },
    });
    expect(atCap.attempts[0]?.maxFeePerGas).toBe(cap);
    expect(atCap.nonce).toBe(nonce0 + 1);
  });

  it("bytes the node refuses (no funds): the node's error, the record dropped with the first line of it, the nonce given back; the plan is re-signed only with supersede", async () => {
    const broke = privateKeyToAccount(keccak256(toHex("ballast: an account with no funds")));
    const store = memoryTxStore();
    const { manager, events } = managerFor(broke, store);
    const req = { planId: "broke", to: DEAD, data: "0x", value: 1n, gas: 21_000n } as const;
    const err = (await manager.send(req).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message.toLowerCase()).toContain("insufficient funds");
    const r = await must(store, "broke");
    expect(r.status).toBe("dropped");
    expect(r.droppedReason).toBe(`refused by the node: ${err.message.toLowerCase()}`);
    expect(r.droppedReason).not.toContain(" | ");
    // Journaled at nonce 0 (next nonce 1), then given back: the chain's next nonce is still 0.
    expect(await store.getNonce(31337, broke.address)).toBe(0);
    expect(kinds(events)).toEqual(["dropped"]);
    // wait on it: the drop, from the journal (its bytes are not handed over again).
    await expect(manager.wait("broke")).rejects.toBeInstanceOf(TransactionDroppedError);
    // Without supersede the dropped record is the answer: nothing is signed or broadcast again.
    const same = await manager.send(req);
    expect(same.status).toBe("dropped");
    expect(same.attempts.map((a) => a.hash)).toEqual(r.attempts.map((a) => a.hash));
    expect(kinds(events)).toEqual(["dropped"]);
    // With supersede it is signed and handed over again (and refused again).
    await expect(manager.send({ ...req, supersede: true })).rejects.toThrow(/insufficient funds/i);
    expect(kinds(events)).toEqual(["dropped", "dropped"]);
  });

  it("a send without authorization signing cannot delegate (EIP-7702): ExecutorConfigError, nothing journaled", async () => {
    const base = testAccounts.carol;
    const noAuth: LocalAccount = toAccount({
      address: base.address,
      signMessage: base.signMessage,
      signTransaction: base.signTransaction,
      signTypedData: base.signTypedData,
    });
    const store = memoryTxStore();
    const { manager } = managerFor(noAuth, store);
    const req = { planId: "d", to: base.address, data: "0x", value: 0n, delegateTo: DEAD } as const;
    await expect(manager.send(req)).rejects.toBeInstanceOf(ExecutorConfigError);
    await expect(manager.send(req)).rejects.toThrow(
      "EIP-7702 delegation needs an account that signs authorizations.",
    );
    expect(await store.get(31337, "d")).toBeUndefined();
  });

  it("a self-sponsored delegation (EIP-7702) takes two nonces: the authorization signs the next one, the journal moves past both", async () => {
    const account = testAccounts.erin;
    const store = memoryTxStore();
    const { manager } = managerFor(account, store);
    const nonce0 = await nonceOf(account.address);
    const implementation = chain.deployment.simple7702Account;
    const sent = await manager.send({
      planId: "delegate",
      to: account.address,
      data: "0x",
      value: 0n,
      delegateTo: implementation,
    });
    expect(sent.nonce).toBe(nonce0);
    expect(sent.authorizationList).toHaveLength(1);
    expect(sent.authorizationList?.[0]).toMatchObject({
      address: implementation,
      chainId: 31337,
      nonce: nonce0 + 1,
    });
    expect(await store.getNonce(31337, account.address)).toBe(nonce0 + 2);
    expect((await manager.wait("delegate")).status).toBe("confirmed");
    expect(await nonceOf(account.address)).toBe(nonce0 + 2);
    expect((await chain.publicClient.getCode({ address: account.address }))?.toLowerCase()).toBe(
      `0xef0100${implementation.slice(2).toLowerCase()}`,
    );
    const next = await manager.send({ planId: "after", to: DEAD, data: "0x", value: 1n });
    expect(next.nonce).toBe(nonce0 + 2);
  });

  it("a call that reverts: refused at estimation before signing (SimulationFailedError); with a gas limit given it lands, reverts, and wait says so every time", async () => {
    const account = testAccounts.dave;
    const store = memoryTxStore();
    const { manager } = managerFor(account, store);
    const nonce0 = await nonceOf(account.address);
    // No such function on the token, no fallback: it reverts, without data.
    const call = { to: chain.deployment.tokens.USDC.address, data: "0xdeadbeef", value: 0n } as const;
    const sim = await manager.send({ planId: "sim", ...call }).catch((e: unknown) => e);
    expect(sim).toBeInstanceOf(SimulationFailedError);
    expect((sim as SimulationFailedError).shortMessage).toMatch(/gas estimation failed/);
    expect((sim as SimulationFailedError).cause).toBeInstanceOf(Error);
    expect(await store.get(31337, "sim")).toBeUndefined();
    expect(await nonceOf(account.address, "pending")).toBe(nonce0);

    const sent = await manager.send({ planId: "rev", ...call, gas: 100_000n });
    const err = await manager.wait("rev").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionRevertedError);
    expect(err).toMatchObject({ planId: "rev", hash: sent.attempts[0]?.hash, reason: "status 0 receipt" });
    const r = await must(store, "rev");
    expect(r.status).toBe("reverted");
    expect(r.inclusion?.hash).toBe(sent.attempts[0]?.hash);
    expect(await store.getNonce(31337, account.address)).toBe(nonce0 + 1);
    // A final record: the same error again, from the journal.
    await expect(manager.wait("rev")).rejects.toMatchObject({ hash: sent.attempts[0]?.hash });
  });
});

it("gas: the estimate padded by the configured bps and floor (default +20%, at least 25 000); a plan is the same transaction only with the same to (any case), data and value", async () => {
  const account = testAccounts.alice;
  const store = memoryTxStore();
  const plain = managerFor(account, store).manager;
  // A transfer to an account without code estimates at 21 000.
  expect((await plain.send({ planId: "pad-default", to: DEAD, data: "0x", value: 1n })).gas).toBe(46_000n);
  const padded = managerFor(account, store, { gasPadBps: 5_000, gasPadFloor: 1n }).manager;
  expect((await padded.send({ planId: "pad-set", to: DEAD, data: "0x", value: 1n })).gas).toBe(31_500n);
  const floor = managerFor(account, store, { gasPadFloor: 30_000n }).manager;
  expect((await floor.send({ planId: "pad-floor", to: DEAD, data: "0x", value: 1n })).gas).toBe(51_000n);

  const same = await plain.send({
    planId: "pad-default",
    to: DEAD.toLowerCase() as Address,
    data: "0x",
    value: 1n,
  });
  expect(same.planId).toBe("pad-default");
  for (const other of [
    { to: account.address, data: "0x", value: 1n },
    { to: DEAD, data: "0x01", value: 1n },
  ] as const)
    await expect(plain.send({ planId: "pad-default", ...other })).rejects.toBeInstanceOf(PlanConflictError);
});

it("journal nonce ahead of the chain with nothing in flight: the send signs with the chain's nonce and says so; a confirmation never lowers the journal's mark", async () => {
  const account = testAccounts.dave;
  const store = memoryTxStore();
  const { manager, events } = managerFor(account, store);
  const nonce0 = await nonceOf(account.address);
  const first = await manager.send({ planId: "n0", to: DEAD, data: "0x", value: 1n });
  expect(first.nonce).toBe(nonce0);
  expect(events).toEqual([]);
  await manager.wait("n0");
  await store.setNonce(31337, account.address, nonce0 + 5);
  const sent = await manager.send({ planId: "n1", to: DEAD, data: "0x", value: 1n });
  expect(sent.nonce).toBe(nonce0 + 1);
  expect(events).toEqual([
    {
      kind: "nonce-reconciled",
      chainId: 31337,
      detail: `journal nonce ${nonce0 + 5} is ahead of the chain's ${nonce0 + 1}: signing with ${nonce0 + 1}`,
    },
  ]);
  // Sending set the mark to the next nonce; set it ahead again: confirming n1 leaves it there.
  await store.setNonce(31337, account.address, nonce0 + 5);
  expect((await manager.wait("n1")).status).toBe("confirmed");
  expect(await store.getNonce(31337, account.address)).toBe(nonce0 + 5);
});

describe("crashes and the journal", () => {
  it("broadcast but its block not journaled (crash): the next look finds the bytes known and journals the block, sending nothing", async () => {
    const account = testAccounts.alice;
    const store = memoryTxStore();
    const nonce0 = await nonceOf(account.address);
    await manualBlocks(async () => {
      const first = managerFor(account, crashBeforeMarkBroadcast(store));
      await expect(first.manager.send({ planId: "c", to: DEAD, data: "0x", value: 1n })).rejects.toThrow(
        "crash before markBroadcast",
      );
      const journaled = await must(store, "c");
      expect(journaled.status).toBe("signed");
      expect(await nonceOf(account.address, "pending")).toBe(nonce0 + 1);

      const second = managerFor(account, store);
      const head = await chain.publicClient.getBlockNumber();
      const s = await second.manager.settle();
      expect(s.inFlight.map((x) => x.planId)).toEqual(["c"]);
      const r = await must(store, "c");
      expect(r.status).toBe("broadcast");
      expect(r.attempts.map((a) => [a.hash, a.broadcastBlock])).toEqual([
        [journaled.attempts[0]?.hash, head],
      ]);
      expect(kinds(second.events)).toEqual([]);
    });
  });

  it("journaled, never broadcast: resume hands it to the node at once; a resume of a broadcast record keeps its first block", async () => {
    const account = testAccounts.bob;
    const store = memoryTxStore();
    const nonce0 = await nonceOf(account.address);
    await manualBlocks(async () => {
      const first = managerFor(account, crashAfterPutIntent(store));
      await expect(first.manager.send({ planId: "r", to: DEAD, data: "0x", value: 1n })).rejects.toThrow(
        "crash after putIntent",
      );
      expect(await nonceOf(account.address, "pending")).toBe(nonce0);
      const second = managerFor(account, store);
      const head = await chain.publicClient.getBlockNumber();
      expect((await second.manager.resume()).map((x) => x.planId)).toEqual(["r"]);
      expect(await nonceOf(account.address, "pending")).toBe(nonce0 + 1);
      expect((await must(store, "r")).attempts[0]?.broadcastBlock).toBe(head);
      expect(kinds(second.events)).toEqual(["rebroadcast"]);
    });
    // Mined (automine back on), then two empty blocks: a resume does not move the replacement clock.
    const mined = await must(store, "r");
    await rpc("anvil_mine", [hex(2n)]);
    await managerFor(account, store).manager.resume();
    expect((await must(store, "r")).attempts[0]?.broadcastBlock).toBe(mined.attempts[0]?.broadcastBlock);
  });

  it("a plan re-sent while only journaled is handed to the node (never signed again)", async () => {
    const account = testAccounts.carol;
    const store = memoryTxStore();
    const nonce0 = await nonceOf(account.address);
    await manualBlocks(async () => {
      const first = managerFor(account, crashAfterPutIntent(store));
      await expect(first.manager.send({ planId: "s", to: DEAD, data: "0x", value: 1n })).rejects.toThrow(
        "crash after putIntent",
      );
      const journaled = await must(store, "s");
      const second = managerFor(account, store);
      const r = await second.manager.send({ planId: "s", to: DEAD, data: "0x", value: 1n });
      expect(r.attempts.map((a) => a.hash)).toEqual(journaled.attempts.map((a) => a.hash));
      expect(await isPooled(journaled.attempts[0]?.hash ?? "0x")).toBe(true);
      expect(await nonceOf(account.address, "pending")).toBe(nonce0 + 1);
    });
  });

  it("nonce taken by another transaction: three looks before it is dropped (with its reason), never handed over meanwhile; wait then says dropped", async () => {
    const account = testAccounts.erin;
    const store = memoryTxStore();
    const first = managerFor(account, crashAfterPutIntent(store));
    await expect(first.manager.send({ planId: "taken", to: DEAD, data: "0x", value: 1n })).rejects.toThrow(
      "crash",
    );
    const nonce = (await must(store, "taken")).nonce;
    await chain.walletClients.erin.sendTransaction({ to: DEAD, value: 2n } as never);
    const { manager, events } = managerFor(account, store);
    for (let look = 1; look <= 2; look++) {
      const s = await manager.settle();
      expect(s.inFlight.map((x) => x.planId)).toEqual(["taken"]);
      expect(s.settled).toEqual([]);
    }
    expect((await must(store, "taken")).attempts[0]?.broadcastBlock).toBeUndefined();
    const third = await manager.settle();
    expect(third.settled.map((x) => [x.planId, x.status])).toEqual([["taken", "dropped"]]);
    const reason = `nonce ${nonce} used by another transaction`;
    expect((await must(store, "taken")).droppedReason).toBe(reason);
    expect(kinds(events)).toEqual(["dropped"]);
    expect(await store.getNonce(31337, account.address)).toBe(nonce + 1);
    await expect(manager.wait("taken")).rejects.toMatchObject({
      name: "TransactionDroppedError",
      nonce,
      reason,
    });
  });

  it("a record dropped above one still pending gives back only its own nonce: the journal's next is after the pending one, not the chain's", async () => {
    const account = testAccounts.dave;
    const store = memoryTxStore();
    const { manager } = managerFor(account, store);
    await manualBlocks(async () => {
      const pooled = await manager.send({ planId: "pooled", to: DEAD, data: "0x", value: 1n, gas: 21_000n });
      // More than the account holds: the node refuses the bytes, and the record is dropped at once.
      const balance = await chain.publicClient.getBalance({ address: account.address });
      await expect(
        manager.send({ planId: "too-much", to: DEAD, data: "0x", value: balance, gas: 21_000n }),
      ).rejects.toThrow(/insufficient funds/i);
      expect((await must(store, "too-much")).status).toBe("dropped");
      expect(await nonceOf(account.address)).toBe(pooled.nonce); // "pooled" is not mined yet
      expect(await store.getNonce(31337, account.address)).toBe(pooled.nonce + 1);
      expect((await store.pending(31337, account.address)).map((r) => r.planId)).toEqual(["pooled"]);
    });
    expect((await manager.wait("pooled")).status).toBe("confirmed");
  });

  it("a dropped record below a journaled one leaves the journal's next nonce where it is (the later one depends on it)", async () => {
    const account = testAccounts.erin;
    const store = memoryTxStore();
    const first = managerFor(account, crashAfterPutIntent(store));
    await expect(first.manager.send({ planId: "low", to: DEAD, data: "0x", value: 1n })).rejects.toThrow(
      "crash",
    );
    const nonce = (await must(store, "low")).nonce;
    await chain.walletClients.erin.sendTransaction({ to: DEAD, value: 2n } as never);
    const fees = { maxFeePerGas: parseGwei("50"), maxPriorityFeePerGas: GWEI };
    const raw = await account.signTransaction({
      chainId: 31337,
      nonce: nonce + 1,
      to: DEAD,
      value: 1n,
      gas: 21_000n,
      ...fees,
    });
    await store.putIntent({
      ...transfer(account.address, "high", nonce + 1),
      status: "signed",
      attempts: [{ hash: keccak256(raw), raw, ...fees }],
    });
    await store.setNonce(31337, account.address, nonce + 2);
    const { manager } = managerFor(account, store);
    await expect(manager.wait("low")).rejects.toBeInstanceOf(NonceConflictError);
    expect(await store.getNonce(31337, account.address)).toBe(nonce + 2);
    expect((await store.pending(31337, account.address)).map((r) => r.planId)).toEqual(["high"]);
  });

  it("a journaled record the chain never saw, never broadcast (journal ahead of a reset chain): dropped once, said once", async () => {
    const account = testAccounts.dave;
    const store = memoryTxStore();
    const { manager, events } = managerFor(account, store);
    const nonce0 = await nonceOf(account.address);
    await store.putIntent({
      ...transfer(account.address, "ghost", nonce0 + 2),
      status: "signed",
      attempts: [{ hash: `0x${"22".repeat(32)}`, raw: "0x02", maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }],
    });
    const s = await manager.settle();
    expect(s.settled.map((r) => [r.planId, r.status])).toEqual([["ghost", "dropped"]]);
    expect(s.inFlight).toEqual([]);
    expect(events.map((e) => [e.kind, e.detail])).toEqual([
      [
        "nonce-reconciled",
        `journal nonce ${nonce0 + 2} is ahead of the chain's ${nonce0}: the chain never saw it`,
      ],
      ["dropped", `the chain never saw nonce ${nonce0 + 2} (its next nonce is ${nonce0})`],
    ]);
  });
});

describe("stuck and lost transactions (blocks mined by hand)", () => {
  it("stuck under a base fee above the cap: replaced at the cap (said, with the block it was stuck since); then, out of replacements, kept in the pool and its clock restarted; evicted, handed over again", async () => {
    const account = testAccounts.carol;
    const store = memoryTxStore();
    // Blocks are mined at a base fee of 70 gwei: the cap (65) never lands, and is admitted to the pool (≥ 61.25).
    const cap = parseGwei("65");
    const high = parseGwei("70");
    const { manager, events } = managerFor(account, store, {
      fees: { maxFeePerGas: cap },
      replaceAfterBlocks: 1,
      maxReplacements: 1,
    });
    await manualBlocks(async () => {
      const sent = await manager.send({
        planId: "stuck",
        to: DEAD,
        data: "0x",
        value: 1n,
        fees: { maxFeePerGas: 2n * GWEI, maxPriorityFeePerGas: GWEI },
      });
      const b0 = sent.attempts[0]?.broadcastBlock ?? -1n;
      await mineAt(high);
      expect(await nonceOf(account.address)).toBe(sent.nonce);
      await manager.settle();
      const replaced = await must(store, "stuck");
      const second = replaced.attempts[1];
      expect(replaced.attempts).toHaveLength(2);
      // The market is above the cap: the replacement pays the cap (fee and priority fee), not more.
      expect([second?.maxFeePerGas, second?.maxPriorityFeePerGas]).toEqual([cap, cap]);
      expect(second?.broadcastBlock).toBe(b0 + 1n);
      expect(events.map((e) => [e.kind, e.detail])).toEqual([
        ["replaced", `stuck since block ${b0}: replaced by ${second?.hash}`],
      ]);
      expect(await isPooled(second?.hash ?? "0x")).toBe(true);

      // anvil evicts from its pool what a mined block's base fee priced out. Out of replacements (1), stuck and lost:
      // the same bytes are handed over again, their first block kept.
      await mineAt(high);
      expect(await isPooled(second?.hash ?? "0x")).toBe(false);
      await manager.settle();
      expect(await isPooled(second?.hash ?? "0x")).toBe(true);
      const kept = await must(store, "stuck");
      expect(kept.attempts.map((a) => [a.hash, a.broadcastBlock])).toEqual(
        replaced.attempts.map((a) => [a.hash, a.broadcastBlock]),
      );
      // Still stuck, now known: nothing to bump, so the replacement clock restarts at the head.
      await manager.settle();
      const restarted = await must(store, "stuck");
      expect(restarted.attempts).toHaveLength(2);
      expect(restarted.attempts[1]?.broadcastBlock).toBe(b0 + 2n);
      expect(kinds(events)).toEqual(["replaced"]);
      expect(await nonceOf(account.address)).toBe(sent.nonce);
    });
  });

  it("a replacement bumps by the configured bps when that is above the market", async () => {
    const account = testAccounts.dave;
    const store = memoryTxStore();
    const { manager } = managerFor(account, store, { replaceAfterBlocks: 1, feeBumpBps: 190_000 });
    await manualBlocks(async () => {
      await sendPricedOut(manager, "bump");
      const r = await must(store, "bump");
      // 20× the first attempt (1 900% more); the market (base fee 4 gwei) asks for less.
      expect(r.attempts.map((a) => [a.maxFeePerGas, a.maxPriorityFeePerGas])).toEqual([
        [GWEI, GWEI / 2n],
        [20n * GWEI, 10n * GWEI],
      ]);
    }, parseGwei("4"));
  });

  it("maxReplacements 0: a stuck transaction is never bumped, only handed over again", async () => {
    const account = testAccounts.erin;
    const store = memoryTxStore();
    const { manager, events } = managerFor(account, store, { replaceAfterBlocks: 1, maxReplacements: 0 });
    await manualBlocks(async () => {
      const sent = await sendPricedOut(manager, "never");
      await rpc("evm_mine");
      await manager.settle();
      expect((await must(store, "never")).attempts.map((a) => a.hash)).toEqual([sent.attempts[0]?.hash]);
      expect(kinds(events)).not.toContain("replaced");
    }, parseGwei("4"));
  });

  it("lost by the node behind a journaled transaction that fills the nonce before it: handed over again (same bytes), not dropped", async () => {
    const account = testAccounts.bob;
    const store = memoryTxStore();
    const { manager, events } = managerFor(account, store, { replaceAfterBlocks: 10 });
    await manualBlocks(async () => {
      const a = await manager.send({ planId: "A", to: DEAD, data: "0x", value: 1n });
      const b = await manager.send({ planId: "B", to: DEAD, data: "0x", value: 2n });
      expect(b.nonce).toBe(a.nonce + 1);
      const hashB = b.attempts[0]?.hash ?? "0x";
      await rpc("anvil_dropTransaction", [hashB]);
      const s = await manager.settle();
      expect(s.inFlight.map((x) => x.planId)).toEqual(["A", "B"]);
      expect(await isPooled(hashB)).toBe(true);
      const rb = await must(store, "B");
      expect(rb.status).toBe("broadcast");
      expect(rb.attempts.map((x) => [x.hash, x.broadcastBlock])).toEqual([
        [hashB, b.attempts[0]?.broadcastBlock],
      ]);
      expect(events.map((e) => [e.kind, e.planId, e.detail])).toEqual([
        ["rebroadcast", "B", `the node had lost ${hashB}: the same signed bytes were broadcast again`],
      ]);
    });
  });
});

describe("errors that are not RPC failures", () => {
  it("wait on a plan never journaled: UnknownPlanError at once; settle over bytes a node refuses: the refusal, not an unknown outcome", async () => {
    const account = testAccounts.bob;
    const store = memoryTxStore();
    const { manager } = managerFor(account, store);
    await expect(manager.wait("nowhere", { timeoutMs: 5_000 })).rejects.toBeInstanceOf(UnknownPlanError);
    const nonce = await nonceOf(account.address);
    await store.putIntent({
      ...transfer(account.address, "garbage", nonce),
      status: "signed",
      attempts: [{ hash: `0x${"44".repeat(32)}`, raw: "0x02", maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }],
    });
    await expect(manager.settle()).rejects.toThrow();
    expect((await must(store, "garbage")).status).toBe("signed");
  });
});

describe("receipts of earlier attempts", () => {
  it("an earlier attempt landed, not the latest replacement: its receipt confirms the plan (no nonce conflict)", async () => {
    const account = testAccounts.carol;
    const store = memoryTxStore();
    const { manager } = managerFor(account, store);
    const nonce = await nonceOf(account.address);
    const fees = { maxFeePerGas: parseGwei("50"), maxPriorityFeePerGas: GWEI };
    const raw = await account.signTransaction({
      chainId: 31337,
      nonce,
      to: DEAD,
      value: 1n,
      gas: 21_000n,
      ...fees,
    });
    const landed = (await rpc("eth_sendRawTransaction", [raw])) as Hex;
    // anvil answers the send before it has mined it: wait for the receipt, so the look below finds it.
    await chain.publicClient.waitForTransactionReceipt({ hash: landed, pollingInterval: 10 });
    const head = await chain.publicClient.getBlockNumber();
    await store.putIntent({
      ...transfer(account.address, "old", nonce),
      status: "broadcast",
      attempts: [
        { hash: landed, raw, ...fees, broadcastBlock: head },
        // A replacement the node never kept (its bytes are not needed: it is only looked up).
        {
          hash: `0x${"33".repeat(32)}`,
          raw: "0x02",
          maxFeePerGas: 2n * fees.maxFeePerGas,
          maxPriorityFeePerGas: 2n * GWEI,
          broadcastBlock: head,
        },
      ],
    });
    const s = await manager.settle();
    expect(s.settled.map((r) => [r.planId, r.status, r.inclusion?.hash])).toEqual([
      ["old", "confirmed", landed],
    ]);
  });
});

describe("RPC failures: an unknown outcome, watched", () => {
  it("eth_sendRawTransaction failing on the pinned URL goes to the next one; failing on every URL it is an unknown outcome: journaled, said, never dropped, and the watch hands the same bytes over", async () => {
    const proxy = await startRpcProxy(chain.rpcUrl, { failMethods: ["eth_sendRawTransaction"] });
    try {
      // Two URLs, the failing one preferred: the send is pinned to it, then falls back to the reads' pool.
      const store = memoryTxStore();
      const account = testAccounts.alice;
      const clients = createChainClients({
        chain: 31337,
        rpcUrls: [proxy.url, chain.rpcUrl],
        account,
        pollingIntervalMs: 25,
      });
      const events: TxEvent[] = [];
      const two = createTxManager({
        clients,
        store,
        fees: { maxFeePerGas: parseGwei("500") },
        pollIntervalMs: 25,
        onEvent: (e) => events.push(e),
      });
      const sent = await two.send({ planId: "f", to: DEAD, data: "0x", value: 1n });
      expect(sent.status).toBe("broadcast");
      expect(kinds(events)).toEqual([]);
      expect(proxy.methods()).toContain("eth_sendRawTransaction");
      expect((await two.wait("f")).inclusion.hash).toBe(sent.attempts[0]?.hash);

      // One URL, failing: the outcome is unknown, so the record stays journaled (signed) and in flight.
      const only = managerFor(testAccounts.bob, memoryTxStore(), { rpcUrl: proxy.url });
      const nonce0 = await nonceOf(testAccounts.bob.address);
      const lost = await only.manager.send({ planId: "g", to: DEAD, data: "0x", value: 1n });
      expect(lost.status).toBe("signed");
      expect(lost.nonce).toBe(nonce0);
      expect(await isPooled(lost.attempts[0]?.hash ?? "0x")).toBe(false);
      expect(kinds(only.events)).toEqual(["unknown-outcome"]);
      expect(only.events[0]?.detail).toMatch(/eth_sendRawTransaction.* — still in flight, watching$/);
      proxy.setFaults({});
      const done = await only.manager.wait("g");
      expect(done.attempts.map((a) => a.hash)).toEqual([lost.attempts[0]?.hash]);
      expect(done.inclusion.hash).toBe(lost.attempts[0]?.hash);
      expect(await nonceOf(testAccounts.bob.address)).toBe(nonce0 + 1);
    } finally {
      await proxy.stop();
    }
  });

  it("estimation, receipts, pool lookups and the head block failing: never a wrong answer, the record stays in flight, wait keeps watching to its bound", async () => {
    const proxy = await startRpcProxy(chain.rpcUrl);
    try {
      const account = testAccounts.alice;
      const store = memoryTxStore();
      // The clients' own polling interval is a minute: the manager's 25 ms is what wait polls at.
      const { manager, events } = managerFor(account, store, { rpcUrl: proxy.url, clientPollMs: 60_000 });
      proxy.setFaults({ failMethods: ["eth_estimateGas"] });
      const est = await manager
        .send({ planId: "e", to: DEAD, data: "0x", value: 1n })
        .catch((e: unknown) => e);
      expect(est).not.toBeInstanceOf(SimulationFailedError);
      expect(isTransportFailure(est)).toBe(true);
      expect(await store.get(31337, "e")).toBeUndefined();

      await manualBlocks(async () => {
        // Broadcast, but the head block cannot be read: said, and the record stays `signed` until a look journals it.
        proxy.setFaults({ failMethods: ["eth_blockNumber"] });
        const sent = await manager.send({ planId: "t", to: DEAD, data: "0x", value: 1n });
        expect(sent.status).toBe("signed");
        expect(sent.attempts[0]?.broadcastBlock).toBeUndefined();
        expect(await isPooled(sent.attempts[0]?.hash ?? "0x")).toBe(true);
        expect(kinds(events)).toEqual(["unknown-outcome"]);
        expect(events[0]?.detail).toMatch(
          /^broadcast, but the head block could not be read: RPC eth_blockNumber failed/,
        );
        proxy.setFaults({});
        await manager.settle();
        expect((await must(store, "t")).status).toBe("broadcast");

        proxy.setFaults({ failMethods: ["eth_getTransactionReceipt"] });
        const s1 = await manager.settle();
        expect([s1.inFlight.map((x) => x.planId), s1.settled, s1.errors.length]).toEqual([["t"], [], 1]);
        proxy.setFaults({ failMethods: ["eth_getTransactionByHash"] });
        const s2 = await manager.settle();
        expect([s2.inFlight.map((x) => x.planId), s2.errors.length]).toEqual([["t"], 1]);
        expect(kinds(events)).toEqual(["unknown-outcome"]);
        await expect(manager.wait("t", { timeoutMs: 100 })).rejects.toBeInstanceOf(TransactionTimeoutError);
        await expect(
          manager.wait("t", { signal: AbortSignal.abort(), timeoutMs: 5_000 }),
        ).rejects.toBeInstanceOf(WaitAbortedError);
        proxy.setFaults({});
        // Pending, nothing failing: wait polls (at the manager's 25 ms) to its bound; the record stays in flight.
        await expect(manager.wait("t", { timeoutMs: 150 })).rejects.toBeInstanceOf(TransactionTimeoutError);
        expect((await must(store, "t")).status).toBe("broadcast");
      });
      expect((await manager.wait("t")).status).toBe("confirmed");
      expect(kinds(events)).toEqual(["unknown-outcome"]);
    } finally {
      await proxy.stop();
    }
  });
});

import { BallastError } from "@ballast/core";
import { HttpRequestError, TimeoutError } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { createChainClients } from "./clients.ts";
import {
  ExecutorConfigError,
  RpcRequestError,
  TransactionDroppedError,
  TransactionRevertedError,
  UnknownPlanError,
} from "./errors.ts";
import { memoryTxStore, type TxRecord } from "./store.ts";
import {
  asBallastError,
  isTransportFailure,
  mustGet,
  nextNonceAfter,
  txContext,
  unknownOutcome,
} from "./txContext.ts";
import type { TxEvent, TxManagerOptions } from "./txManager.ts";
import { final } from "./txWatch.ts";

// Nothing here sends a request: the URL is never dialled.
const account = privateKeyToAccount(`0x${"11".repeat(32)}`);
const options = (extra: Partial<TxManagerOptions> = {}): TxManagerOptions => ({
  clients: createChainClients({ chain: 31337, rpcUrls: ["http://127.0.0.1:1"], account }),
  store: memoryTxStore(),
  fees: { maxFeePerGas: 100n },
  ...extra,
});

const rec = (patch: Partial<TxRecord> = {}): TxRecord => ({
  planId: "p",
  chainId: 31337,
  sender: account.address,
  nonce: 7,
  to: account.address,
  data: "0x",
  value: 0n,
  gas: 21_000n,
  status: "signed",
  attempts: [{ hash: `0x${"aa".repeat(32)}`, raw: "0x02", maxFeePerGas: 2n, maxPriorityFeePerGas: 1n }],
  ...patch,
});

/** `err` wrapped `depth` times as the `cause` of plain errors. */
const wrapped = (err: unknown, depth: number): unknown =>
  depth === 0 ? err : new Error(`wrap ${depth}`, { cause: wrapped(err, depth - 1) });

const httpError = () => new HttpRequestError({ url: "http://127.0.0.1:1", status: 500 });

describe("txContext", () => {
  it("needs a local signing account: ExecutorConfigError before anything else", () => {
    const noAccount = createChainClients({ chain: 31337, rpcUrls: ["http://127.0.0.1:1"] });
    expect(() => txContext(options({ clients: noAccount }))).toThrow(ExecutorConfigError);
    expect(() => txContext(options({ clients: noAccount }))).toThrow(
      "The transaction manager needs a local signing account.",
    );
  });

  it("defaults: 1 confirmation, replacement after 3 blocks, 5 replacements; each at least 1 block", () => {
    const d = txContext(options());
    expect([d.confirmations, d.replaceAfterBlocks, d.maxReplacements]).toEqual([1, 3n, 5]);
    expect([d.chainId, d.sender]).toEqual([31337, account.address]);
    const zero = txContext(options({ confirmations: 0, replaceAfterBlocks: 0 }));
    expect([zero.confirmations, zero.replaceAfterBlocks]).toEqual([1, 1n]);
    const set = txContext(options({ confirmations: 4, replaceAfterBlocks: 7, maxReplacements: 2 }));
    expect([set.confirmations, set.replaceAfterBlocks, set.maxReplacements]).toEqual([4, 7n, 2]);
  });

  it("emit: the event carries the plan id only when there is one", () => {
    const events: TxEvent[] = [];
    const ctx = txContext(options({ onEvent: (e) => events.push(e) }));
    ctx.emit("dropped", "why", "plan-1");
    ctx.emit("nonce-reconciled", "no plan");
    expect(events).toStrictEqual([
      { kind: "dropped", chainId: 31337, detail: "why", planId: "plan-1" },
      { kind: "nonce-reconciled", chainId: 31337, detail: "no plan" },
    ]);
    expect(Object.keys(events[1] ?? {})).not.toContain("planId");
  });

  it("mustGet: the journaled record, or UnknownPlanError", async () => {
    const ctx = txContext(options());
    await expect(mustGet(ctx, "nope")).rejects.toBeInstanceOf(UnknownPlanError);
    await ctx.store.putIntent(rec());
    expect((await mustGet(ctx, "p")).nonce).toBe(7);
  });
});

describe("nextNonceAfter", () => {
  it("the nonce after a record: +1, +2 when a self-sponsored authorization rides along", () => {
    expect(nextNonceAfter(rec())).toBe(8);
    expect(nextNonceAfter(rec({ authorizationList: [] }))).toBe(8);
    const auth = {
      address: account.address,
      chainId: 31337,
      nonce: 8,
      r: "0x01",
      s: "0x02",
      yParity: 0,
    } as const;
    expect(nextNonceAfter(rec({ authorizationList: [auth] }))).toBe(9);
  });
});

describe("isTransportFailure", () => {
  it("HTTP errors, timeouts and an exhausted RPC pool are transport failures; anything else is not", () => {
    expect(isTransportFailure(httpError())).toBe(true);
    expect(isTransportFailure(new TimeoutError({ body: {}, url: "http://127.0.0.1:1" }))).toBe(true);
    const unavailable = Object.assign(new Error("no URL left"), { name: "RpcUnavailableError" });
    expect(isTransportFailure(unavailable)).toBe(true);
    expect(isTransportFailure(new Error("execution reverted"))).toBe(false);
    expect(isTransportFailure(Object.assign(new Error("x"), { name: "OtherError" }))).toBe(false);
    expect(isTransportFailure(undefined)).toBe(false);
    expect(isTransportFailure("HttpRequestError")).toBe(false);
  });

  it("looks ten errors deep into the cause chain, no deeper", () => {
    expect(isTransportFailure(wrapped(httpError(), 9))).toBe(true);
    expect(isTransportFailure(wrapped(httpError(), 10))).toBe(false);
    expect(isTransportFailure(wrapped(new Error("revert"), 3))).toBe(false);
  });
});

describe("asBallastError", () => {
  it("the RPC request error inside, else the BallastError itself, else a BallastError wrapping it", () => {
    const rpc = new RpcRequestError(31337, "eth_call", "http://127.0.0.1:1", 500, httpError());
    expect(asBallastError(wrapped(rpc, 2))).toBe(rpc);
    const own = new BallastError("own");
    expect(asBallastError(own)).toBe(own);
    const plain = new Error("plain failure");
    const w = asBallastError(plain);
    expect(w).toBeInstanceOf(BallastError);
    expect(w.message).toContain("plain failure");
    expect(w.cause).toBe(plain);
    const s = asBallastError("a string");
    expect(s.message).toContain("a string");
    expect(s.cause).toBe("a string");
  });
});

describe("unknownOutcome", () => {
  it("a transport failure after journaling is said (unknown-outcome, with the plan) and swallowed; anything else is rethrown", () => {
    const events: TxEvent[] = [];
    const ctx = txContext(options({ onEvent: (e) => events.push(e) }));
    const rpc = new RpcRequestError(31337, "eth_sendRawTransaction", "http://127.0.0.1:1", 502, httpError());
    expect(unknownOutcome(ctx, "plan-u")(rpc)).toBeUndefined();
    expect(events).toEqual([
      {
        kind: "unknown-outcome",
        chainId: 31337,
        planId: "plan-u",
        detail: `${rpc.shortMessage} — still in flight, watching`,
      },
    ]);
    const refused = new Error("insufficient funds");
    expect(() => unknownOutcome(ctx, "plan-u")(refused)).toThrow(refused);
    expect(events).toHaveLength(1);
  });
});

describe("final", () => {
  const inclusion = {
    hash: `0x${"bb".repeat(32)}`,
    blockNumber: 5n,
    blockHash: `0x${"cc".repeat(32)}`,
    gasUsed: 21_000n,
    effectiveGasPrice: 1n,
  } as const;

  it("confirmed: the record itself", () => {
    const r = rec({ status: "confirmed", inclusion });
    expect(final(r)).toBe(r);
  });

  it("reverted: TransactionRevertedError naming the included hash (0x when none was journaled)", () => {
    const e = (() => {
      try {
        final(rec({ status: "reverted", inclusion }));
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(TransactionRevertedError);
    expect(e).toMatchObject({ planId: "p", hash: inclusion.hash, reason: "status 0 receipt" });
    expect(() => final(rec({ status: "reverted" }))).toThrow(
      expect.objectContaining({ hash: "0x", planId: "p" }),
    );
  });

  it("dropped: TransactionDroppedError with the journaled reason ('dropped' when none)", () => {
    expect(() => final(rec({ status: "dropped", droppedReason: "reorged out of block 9" }))).toThrow(
      expect.objectContaining({
        name: "TransactionDroppedError",
        planId: "p",
        nonce: 7,
        reason: "reorged out of block 9",
      }),
    );
    expect(() => final(rec({ status: "dropped" }))).toThrow(TransactionDroppedError);
    expect(() => final(rec({ status: "dropped" }))).toThrow(expect.objectContaining({ reason: "dropped" }));
  });

  it("signed or broadcast: not final, an error", () => {
    expect(() => final(rec({ status: "signed" }))).toThrow("not final");
    expect(() => final(rec({ status: "broadcast" }))).toThrow("not final");
  });
});

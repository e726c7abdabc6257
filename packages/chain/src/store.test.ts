import { describe, expect, it } from "vitest";
import { memoryTxStore, type TxRecord } from "./store.ts";

const SENDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const;
const rec = (planId: string, nonce: number): TxRecord => ({
  planId,
  chainId: 1,
  sender: SENDER,
  nonce,
  to: SENDER,
  data: "0x",
  value: 0n,
  gas: 21_000n,
  status: "signed",
  attempts: [{ hash: `0x${"aa".repeat(32)}`, raw: "0x02", maxFeePerGas: 2n, maxPriorityFeePerGas: 1n }],
});

describe("memoryTxStore", () => {
  it("journals, transitions and lists pending records by nonce", async () => {
    const s = memoryTxStore();
    await s.putIntent(rec("b", 1));
    await s.putIntent(rec("a", 0));
    await expect(async () => s.putIntent(rec("a", 5))).rejects.toThrow();
    await s.markBroadcast(1, "a", `0x${"aa".repeat(32)}`, 10n);
    const a = (await s.get(1, "a")) as TxRecord;
    expect(a.status).toBe("broadcast");
    expect(a.attempts[0]?.broadcastBlock).toBe(10n);
    await s.markReplaced(1, "a", {
      hash: `0x${"bb".repeat(32)}`,
      raw: "0x03",
      maxFeePerGas: 3n,
      maxPriorityFeePerGas: 2n,
    });
    expect(((await s.get(1, "a")) as TxRecord).attempts).toHaveLength(2);
    expect((await s.pending(1, SENDER)).map((r) => r.planId)).toEqual(["a", "b"]);
    await s.markConfirmed(1, "a", {
      hash: `0x${"bb".repeat(32)}`,
      blockNumber: 11n,
      blockHash: `0x${"cc".repeat(32)}`,
      gasUsed: 21_000n,
      effectiveGasPrice: 2n,
    });
    expect((await s.pending(1, SENDER)).map((r) => r.planId)).toEqual(["b"]);
    await s.markDropped(1, "b", "reorg");
    expect(await s.pending(1, SENDER)).toEqual([]);
    // A dropped plan may be journaled again after re-evaluation; a confirmed one may not.
    await s.putIntent(rec("b", 1));
    await expect(async () => s.putIntent(rec("a", 0))).rejects.toThrow();
  });

  it("copies records in and out", async () => {
    const s = memoryTxStore();
    const r = rec("x", 0);
    await s.putIntent(r);
    (r.attempts as unknown as unknown[]).length = 0;
    expect(((await s.get(1, "x")) as TxRecord).attempts).toHaveLength(1);
  });

  it("keeps the nonce high-water mark per chain and sender", async () => {
    const s = memoryTxStore();
    expect(await s.getNonce(1, SENDER)).toBeUndefined();
    await s.setNonce(1, SENDER, 4);
    expect(await s.getNonce(1, SENDER.toLowerCase() as `0x${string}`)).toBe(4);
    expect(await s.getNonce(2, SENDER)).toBeUndefined();
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createChainClients, createTxManager, type TxStore } from "@ballast/chain";
import type { Address } from "@ballast/core";
import { type Anvil, startAnvil, testAccounts, testDatabase } from "@ballast/testkit";
import { createPublicClient, http, type PrivateKeyAccount, parseGwei } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openJournal } from "./journal.ts";
import { createLeaseSet, keyLease, LeaseLostError } from "./leases.ts";

// The transaction manager's guarantees, on the real journal of each store against a real chain: a transaction is
// journaled before it is broadcast, a restart settles what a crash left, and a fenced-out worker reaches no chain.
let anvil: Anvil;
let dir: string;
beforeAll(async () => {
  anvil = await startAnvil({ chainId: 31337 });
  dir = mkdtempSync(join(tmpdir(), "ballast-txstore-"));
});
afterAll(async () => {
  await anvil?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const DEAD: Address = "0x000000000000000000000000000000000000dEaD";
const STORES = {
  sqlite: async () => join(dir, `${Math.random().toString(36).slice(2)}.db`),
  postgres: testDatabase,
};
// Each store's tests sign with their own account: the two suites may run side by side on one chain.
const ACCOUNTS: Record<keyof typeof STORES, PrivateKeyAccount> = {
  sqlite: testAccounts.carol,
  postgres: testAccounts.dave,
};

const chain = () => createPublicClient({ transport: http(anvil.rpcUrl) });

function managerOn(account: PrivateKeyAccount, store: TxStore) {
  const clients = createChainClients({
    chain: 31337,
    rpcUrls: [anvil.rpcUrl],
    account,
    pollingIntervalMs: 25,
  });
  return createTxManager({ clients, store, fees: { maxFeePerGas: parseGwei("500") }, pollIntervalMs: 25 });
}

/** A store that journals the intent, then "dies" before the broadcast. */
const crashAfterIntent = (store: TxStore): TxStore => ({
  ...store,
  putIntent: async (r) => {
    await store.putIntent(r);
    throw new Error("crash after putIntent");
  },
});

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])(
  "transaction manager on the %s journal",
  (kind) => {
    const account = ACCOUNTS[kind];

    it("journals before broadcast; a restart settles the journaled bytes: exactly one transaction lands", async () => {
      const target = await STORES[kind]();
      const nonce0 = await chain().getTransactionCount({ address: account.address });
      const first = await openJournal(target);
      await expect(
        managerOn(account, crashAfterIntent(first.txStore)).send({
          planId: "p",
          to: DEAD,
          data: "0x",
          value: 1n,
        }),
      ).rejects.toThrow("crash after putIntent");
      await first.close();
      expect(await chain().getTransactionCount({ address: account.address, blockTag: "pending" })).toBe(
        nonce0,
      );

      // The next process: its first settle hands the same signed bytes to the chain, the next one sees them final.
      const second = await openJournal(target);
      try {
        const journaled = await second.txStore.get(31337, "p");
        expect(journaled?.status).toBe("signed");
        const manager = managerOn(account, second.txStore);
        let settled = await manager.settle();
        for (let i = 0; i < 40 && settled.inFlight.length > 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
          settled = await manager.settle();
        }
        expect(settled.inFlight).toEqual([]);
        const final = await second.txStore.get(31337, "p");
        expect(final?.status).toBe("confirmed");
        expect(final?.inclusion?.hash).toBe(journaled?.attempts[0]?.hash);
        expect(await chain().getTransactionCount({ address: account.address })).toBe(nonce0 + 1);
        expect(await second.txStore.getNonce(31337, account.address)).toBe(nonce0 + 1);
      } finally {
        await second.close();
      }
    });

    it("a worker whose key lease is gone signs nothing that reaches the chain", async () => {
      const target = await STORES[kind]();
      const j = await openJournal(target);
      try {
        const leases = createLeaseSet(j.sql, { owner: "w", ttlMs: 60_000 });
        const name = keyLease(31337, account.address);
        await leases.acquire([name]);
        const fenced = j.forPortfolio("default", leases.fence([name]));
        const manager = managerOn(account, fenced.txStore);
        const nonce0 = await chain().getTransactionCount({ address: account.address, blockTag: "pending" });
        await j.sql.run("UPDATE leases SET owner = 'another keeper', token = token + 1");
        await expect(
          manager.send({ planId: "fenced", to: DEAD, data: "0x", value: 1n }),
        ).rejects.toBeInstanceOf(LeaseLostError);
        expect(await fenced.txStore.get(31337, "fenced")).toBeUndefined();
        expect(await chain().getTransactionCount({ address: account.address, blockTag: "pending" })).toBe(
          nonce0,
        );
      } finally {
        await j.close();
      }
    });
  },
);

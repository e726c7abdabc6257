import type { Address, BallastError } from "@ballast/core";
import type { TxRecord } from "./store.ts";

/**
 * What can be in flight: a journaled transaction, a bridge transfer (journaled before its origin batch is sent, final
 * once filled on the destination, refunded on the origin, or never sent), or a swap order (1inch Fusion: journaled
 * before the batch carrying its approval is sent, final once filled, expired, cancelled, refused or never placed).
 * Each is in flight from the moment it is journaled until it is final, and its chain holds meanwhile (a bridge
 * transfer holds both its chains: value is between them).
 */
export type InFlightKind = "transaction" | "bridge" | "order";

/** One non-final thing a sender started on a chain. While any is in flight there, no new batch is planned there. */
export type InFlightItem = {
  readonly kind: InFlightKind;
  /** Where it was sent (a bridge transfer: its origin chain). */
  readonly chainId: number;
  /** A bridge transfer's destination: it holds there too (what arrives must not be planned over). */
  readonly toChainId?: number;
  readonly sender: Address;
  /** The plan it belongs to. */
  readonly planId: string;
  /** Where it stands, for people: `transaction nonce 5 broadcast (0xab…)`. */
  readonly detail: string;
};

/** One settle pass over the in-flight ledger of (chain, sender): what is still in flight, what became final. */
export type Settlement = {
  readonly chainId: number;
  readonly sender: Address;
  /** Not final yet: the chain holds. */
  readonly inFlight: readonly InFlightItem[];
  /** Records that became final during this pass (confirmed, reverted or dropped). */
  readonly settled: readonly TxRecord[];
  /** Reads that failed during this pass. The items stay in flight: an unknown outcome is never a failure. */
  readonly errors: readonly BallastError[];
};

/** A journaled transaction as an in-flight item. */
export function txInFlight(r: TxRecord): InFlightItem {
  const last = r.attempts.at(-1);
  const where = last?.broadcastBlock === undefined ? "signed, broadcast unconfirmed" : "broadcast";
  return {
    kind: "transaction",
    chainId: r.chainId,
    sender: r.sender,
    planId: r.planId,
    detail: `transaction nonce ${r.nonce} ${where}${last ? ` (${last.hash.slice(0, 10)}…)` : ""}`,
  };
}

/**
 * A local Fusion resolver for tests and benches: reads active orders from a Fusion API (the testkit's stand-in, in the
 * API's wire format) and fills each through the real Limit Order Protocol, `fillOrderArgs` with the order's
 * extension, so the settlement runs its auction, whitelist and post-interaction. It fills from the `relayer` account
 * (whitelisted by the stand-in's quotes), after a delay, once the auction's current price is one it accepts.
 */
import {
  type Address,
  erc20Abi,
  type Hash,
  type Hex,
  isAddressEqual,
  parseEventLogs,
  parseSignature,
  signatureToCompactSignature,
  size,
} from "viem";
import { testAccounts } from "./accounts.ts";
import { ensureInventory } from "./across-relayer.ts";
import type { TestChain } from "./chain.ts";
import { TestkitError } from "./errors.ts";
import { limitOrderProtocolAbi } from "./fusion.ts";
import { fusionOrderStruct, type WireOrder } from "./fusion-api.ts";
import { pollEvery, waitForPoller } from "./poll.ts";
import { HELPER_GAS, waitForSuccess } from "./tx.ts";

/** An order as the resolver sees it in the active list, for its pricing rule. */
export type FusionResolverOrder = {
  chainId: number;
  orderHash: Hash;
  order: WireOrder;
  remainingMakerAmount: bigint;
};

/** Options of {@link startFusionResolver}. */
export type FusionResolverParameters = {
  chains: readonly TestChain[];
  /** The Fusion API's URL (what the SDK's `url` is): active orders come from `{api}/orders/v2.0/{chain}/order/active`. */
  api: string;
  /** `fill` (default) or `never`: see orders, fill none (the expiry path). */
  mode?: "fill" | "never";
  /** Wall-clock delay between seeing an order and filling it, ms. Default 0. */
  fillDelayMs?: number;
  /**
   * The most the resolver pays, in the taker asset, for an order's remaining making amount; it fills once the
   * auction's current taking amount (as the real contracts compute it) is at or below it. Default: any price.
   */
  maxTakingAmount?: (order: FusionResolverOrder) => bigint | undefined;
  /** Poll interval in ms. Default 50. */
  pollIntervalMs?: number;
};

/** A fill the resolver sent. */
export type FusionFill = {
  chainId: number;
  orderHash: Hash;
  hash: Hash;
  makingAmount: bigint;
  takingAmount: bigint;
  at: number;
};

/** A running resolver. */
export type FusionResolver = {
  /** Orders seen in the active lists, by `chainId:orderHash`, with the wall-clock ms they were first seen. */
  readonly seen: ReadonlyMap<string, number>;
  readonly fills: readonly FusionFill[];
  /** Errors of polls or fills (the resolver keeps running); a test asserts this stays empty. */
  readonly errors: readonly unknown[];
  setMode(mode: "fill" | "never"): void;
  /** Resolves with the order's fill; rejects after `timeoutMs` or on the first error. */
  waitFor(orderHash: Hash, timeoutMs?: number): Promise<FusionFill>;
  /** Stops polling and waits for the poll in progress. Idempotent. */
  stop(): Promise<void>;
};

type ResolverState = {
  readonly params: FusionResolverParameters;
  readonly seen: Map<string, number>;
  readonly fills: FusionFill[];
  /** Why an order is not filled yet: the last simulation's revert, by order hash. */
  readonly waiting: Map<string, string>;
  mode: "fill" | "never";
  stopped: boolean;
};

/** Starts the resolver; stop it with `stop()`. */
export function startFusionResolver(params: FusionResolverParameters): FusionResolver {
  const state: ResolverState = {
    params,
    seen: new Map(),
    fills: [],
    waiting: new Map(),
    mode: params.mode ?? "fill",
    stopped: false,
  };
  const poller = pollEvery(() => poll(state), params.pollIntervalMs ?? 50);
  return {
    seen: state.seen,
    fills: state.fills,
    errors: poller.errors,
    setMode: (mode) => {
      state.mode = mode;
    },
    waitFor: (orderHash, timeoutMs = 15_000) =>
      waitForPoller(
        poller,
        () => state.fills.find((f) => f.orderHash === orderHash.toLowerCase()),
        timeoutMs,
        `fusion resolver: order ${orderHash} not filled`,
        () => state.waiting.get(orderHash.toLowerCase()) ?? "not in the active list",
      ),
    stop: async () => {
      state.stopped = true;
      await poller.stop();
    },
  };
}

type ActiveItem = {
  orderHash: Hash;
  signature: Hex;
  extension: Hex;
  remainingMakerAmount: string;
  order: WireOrder;
};

async function poll(state: ResolverState): Promise<void> {
  for (const chain of state.params.chains) {
    const url = `${state.params.api}/orders/v2.0/${chain.chainId}/order/active/?page=1&limit=500`;
    const res = await fetch(url);
    if (!res.ok) throw new TestkitError(`fusion resolver: GET ${url} answered ${res.status}`);
    const { items } = (await res.json()) as { items: ActiveItem[] };
    for (const item of items) {
      if (state.stopped) return;
      const key = `${chain.chainId}:${item.orderHash.toLowerCase()}`;
      const seenAt = state.seen.get(key) ?? Date.now();
      state.seen.set(key, seenAt);
      if (state.mode === "fill" && Date.now() - seenAt >= (state.params.fillDelayMs ?? 0))
        await fill(state, chain, item);
    }
  }
}

/** The `takerTraits` of a fill by making amount carrying the order's extension, with a maximum taking amount (0 = none). */
export function fusionTakerTraits(extension: Hex, maxTakingAmount: bigint): bigint {
  const MAKER_AMOUNT_FLAG = 1n << 255n;
  const EXTENSION_LENGTH_OFFSET = 224n;
  return MAKER_AMOUNT_FLAG | (BigInt(size(extension)) << EXTENSION_LENGTH_OFFSET) | maxTakingAmount;
}

/** Simulates the fill at the chain's head; sends it when the price is acceptable. A revert (not yet allowed) waits. */
async function fill(state: ResolverState, chain: TestChain, item: ActiveItem): Promise<void> {
  const orderHash = item.orderHash.toLowerCase() as Hash;
  const remaining = BigInt(item.remainingMakerAmount);
  const max = state.params.maxTakingAmount?.({
    chainId: chain.chainId,
    orderHash,
    order: item.order,
    remainingMakerAmount: remaining,
  });
  // The auction starts above the order's takingAmount by its rate bump (well under 100% in any preset).
  await ensureInventory(
    chain,
    item.order.takerAsset as Address,
    max ?? 2n * BigInt(item.order.takingAmount),
    chain.deployment.fusion.limitOrderProtocol,
  );
  const { r, yParityAndS: vs } = signatureToCompactSignature(parseSignature(item.signature));
  const request = {
    account: testAccounts.relayer,
    address: chain.deployment.fusion.limitOrderProtocol,
    abi: limitOrderProtocolAbi,
    functionName: "fillOrderArgs",
    args: [
      fusionOrderStruct(item.order),
      r,
      vs,
      remaining,
      fusionTakerTraits(item.extension, max ?? 0n),
      item.extension,
    ],
    gas: HELPER_GAS,
  } as const;
  let simulated: readonly [bigint, bigint, Hex];
  try {
    // At the pending block: an idle chain's head can be seconds old, before the resolver's allowed time.
    simulated = (await chain.publicClient.simulateContract({ ...request, blockTag: "pending" })).result;
  } catch (error) {
    state.waiting.set(orderHash, (error as { shortMessage?: string }).shortMessage ?? String(error));
    return; // before the resolver's allowed time, above its price, or unfillable: look again next poll
  }
  if (max !== undefined && simulated[1] > max) return;
  state.waiting.delete(orderHash);
  const hash = await chain.walletClients.relayer.writeContract({ ...request, chain: chain.chain });
  const receipt = await waitForSuccess(chain, hash, `fusion fill ${orderHash}`);
  // What moved in the mined block (the auction price there is at or below the simulated one).
  const moved = (token: string, side: "from" | "to") =>
    parseEventLogs({ abi: erc20Abi, eventName: "Transfer", logs: receipt.logs })
      .filter(
        (t) =>
          isAddressEqual(t.address, token as Address) &&
          isAddressEqual(t.args[side], testAccounts.relayer.address),
      )
      .reduce((sum, t) => sum + t.args.value, 0n);
  state.fills.push({
    chainId: chain.chainId,
    orderHash,
    hash,
    makingAmount: moved(item.order.makerAsset, "to"),
    takingAmount: moved(item.order.takerAsset, "from"),
    at: Date.now(),
  });
}

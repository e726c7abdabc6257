/**
 * A local stand-in for the 1inch Fusion API (quoter, relayer, orders; all `v2.0`) over testkit chains, speaking the
 * wire format `@1inch/fusion-sdk` 2.4.15 reads, so the SDK works against it unchanged (facts: notes/fusion.md §9).
 * Quotes price with the chain's feeds (what a resolver's market price is, without a pool's price impact); submitted
 * orders are checked like the relayer does (hash by the real Limit Order Protocol, signature recovers the maker);
 * statuses and active orders are read from the chain: `OrderFilled`/`OrderCancelled` logs and the order's expiry.
 */
import {
  type Address,
  erc20Abi,
  getAddress,
  type Hash,
  type Hex,
  isAddressEqual,
  parseEventLogs,
  recoverAddress,
  zeroAddress,
} from "viem";
import { mockAggregatorAbi } from "./abis.ts";
import { testAccounts } from "./accounts.ts";
import type { TestChain } from "./chain.ts";
import type { TokenInfo } from "./deployment.ts";
import { limitOrderProtocolAbi } from "./fusion.ts";
import { type StandIn, type StandInReply, type StandInRequest, startStandIn } from "./stand-in.ts";

/** Options of {@link startFusionApi}. */
export type FusionApiParameters = {
  chains: readonly TestChain[];
  /** Auction start below the feed value, bps (the resolvers' margin at the start). Default 0. */
  startBelowBps?: number;
  /** Auction end (the order's guaranteed `takingAmount`) below the feed value, bps. Default 50. */
  endBelowBps?: number;
  /** Auction duration in seconds, every preset. Default 180. */
  auctionDurationSec?: number;
  /** Seconds from the order's creation to its auction start, every preset. Default 0. */
  startAuctionInSec?: number;
  /** Resolvers the quote's whitelist names. Default the testkit's `relayer` account. */
  whitelist?: readonly Address[];
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (401 otherwise). */
  apiKey?: string;
};

/** An order the relayer accepted: the wire body of `POST …/order/submit`, its hash and where it was submitted. */
export type FusionApiOrder = {
  chainId: number;
  orderHash: Hash;
  order: WireOrder;
  signature: Hex;
  quoteId: string;
  extension: Hex;
  /** The chain's head when it was submitted: status reads logs from here. */
  submittedAtBlock: bigint;
  /** Its hash: when a snapshot revert removes that block, the stand-in forgets the order (it was never submitted). */
  submittedAtBlockHash: Hash;
  /** How many times it was submitted and accepted (a relayer keeps one order per hash; a keeper should send it once). */
  submissions: number;
};

/** The order struct on the wire (decimal strings and addresses). */
export type WireOrder = {
  salt: string;
  maker: string;
  receiver: string;
  makerAsset: string;
  takerAsset: string;
  makingAmount: string;
  takingAmount: string;
  makerTraits: string;
};

/** A one-shot change to the next answer: receives the request and the honest reply, returns the one to send. */
export type FusionApiFault = (req: StandInRequest, honest: StandInReply) => StandInReply;

/** The running stand-in: its URL (the Fusion SDK's `url`), requests, accepted orders, a queue of faults, `close()`. */
export type FusionApi = StandIn & {
  readonly orders: readonly FusionApiOrder[];
  readonly faults: FusionApiFault[];
  /**
   * Loses the next order submission on its way to the relayer: never accepted, never answered (the client waits until
   * it gives up or dies). Resolves with that request once it arrived.
   */
  loseNextSubmit(): Promise<StandInRequest>;
};

const notFound = (message: string): StandInReply => ({ status: 404, json: { statusCode: 404, message } });
const badRequest = (message: string): StandInReply => ({
  status: 400,
  json: { statusCode: 400, message, error: "Bad Request" },
});

/** Starts the stand-in on 127.0.0.1 (port 0). The SDK's `url` is its `url` (it appends `/quoter/v2.0/…`). */
export async function startFusionApi(params: FusionApiParameters): Promise<FusionApi> {
  const orders: FusionApiOrder[] = [];
  const faults: FusionApiFault[] = [];
  const losing: ((req: StandInRequest) => void)[] = [];
  const isSubmit = (req: StandInRequest) =>
    req.method === "POST" && /^\/relayer\/v2\.0\/\d+\/order\/submit\/?$/.test(req.path);
  const honest = async (req: StandInRequest): Promise<StandInReply> => {
    if (params.apiKey && req.headers.authorization !== `Bearer ${params.apiKey}`)
      return { status: 401, json: { statusCode: 401, message: "Unauthorized" } };
    const m = /^\/(quoter|relayer|orders)\/v2\.0\/(\d+)\/(.+?)\/?$/.exec(req.path);
    const chain = m && params.chains.find((c) => String(c.chainId) === m[2]);
    if (!m || !chain) return notFound(`no route ${req.path}`);
    const [, api, , rest] = m as unknown as [string, string, string, string];
    if (api === "quoter" && rest === "quote/receive" && req.method === "GET")
      return quote(params, chain, req.query);
    if (api === "relayer" && rest === "order/submit" && req.method === "POST")
      return submit(chain, orders, req.body);
    if (api === "orders") await forgetReverted(chain, orders);
    const status = /^order\/status\/(0x[0-9a-fA-F]{64})$/.exec(rest);
    if (api === "orders" && status && req.method === "GET") {
      const order = orders.find(
        (o) => o.chainId === chain.chainId && o.orderHash === status[1]!.toLowerCase(),
      );
      return order ? { json: await orderStatus(chain, order) } : notFound("order not found");
    }
    if (api === "orders" && rest === "order/active" && req.method === "GET")
      return activeOrders(chain, orders, req.query);
    return notFound(`no route ${req.path}`);
  };
  const server = await startStandIn(async (req) => {
    const lose = isSubmit(req) ? losing.shift() : undefined;
    if (lose) {
      lose(req);
      return { hang: true };
    }
    const reply = await honest(req);
    const fault = faults.shift();
    return fault ? fault(req, reply) : reply;
  });
  const loseNextSubmit = () => new Promise<StandInRequest>((resolve) => losing.push(resolve));
  return { ...server, orders, faults, loseNextSubmit };
}

/** The feed value of `amount` of `from` in units of `to` (both feeds have 8 decimals), rounded down. */
async function feedValue(chain: TestChain, from: TokenInfo, to: TokenInfo, amount: bigint): Promise<bigint> {
  const answer = (t: TokenInfo) =>
    chain.publicClient.readContract({
      address: chain.deployment.feeds[t.symbol].address,
      abi: mockAggregatorAbi,
      functionName: "latestAnswer",
    });
  const [pFrom, pTo] = await Promise.all([answer(from), answer(to)]);
  return (amount * pFrom * 10n ** BigInt(to.decimals)) / (pTo * 10n ** BigInt(from.decimals));
}

const tokenOf = (chain: TestChain, address: string | null) =>
  Object.values(chain.deployment.tokens).find(
    (t) => address && isAddressEqual(t.address, address as Address),
  );

/** `GET /quoter/v2.0/{chain}/quote/receive/`: three identical presets from the feed value. */
async function quote(
  params: FusionApiParameters,
  chain: TestChain,
  q: URLSearchParams,
): Promise<StandInReply> {
  const from = tokenOf(chain, q.get("fromTokenAddress"));
  const to = tokenOf(chain, q.get("toTokenAddress"));
  const amountText = q.get("amount") ?? "";
  if (!from || !to || from === to) return badRequest("unsupported token pair");
  if (!/^[1-9]\d*$/.test(amountText)) return badRequest("amount must be a positive integer");
  const amount = BigInt(amountText);
  const value = await feedValue(chain, from, to, amount);
  const start = (value * BigInt(10_000 - (params.startBelowBps ?? 0))) / 10_000n;
  const end = (value * BigInt(10_000 - (params.endBelowBps ?? 50))) / 10_000n;
  if (end <= 0n) return badRequest("amount too small");
  const duration = params.auctionDurationSec ?? 180;
  const preset = {
    auctionDuration: duration,
    startAuctionIn: params.startAuctionInSec ?? 0,
    bankFee: "0",
    // Rate bumps are in 1e7 = 100%: the start amount is end × (1 + bump / 1e7), decaying linearly to the end.
    initialRateBump: Number(((start - end) * 10_000_000n) / end),
    auctionStartAmount: start.toString(),
    auctionEndAmount: end.toString(),
    tokenFee: "0",
    points: [],
    allowPartialFills: false,
    allowMultipleFills: false,
    gasCost: { gasBumpEstimate: 0, gasPriceEstimate: "0" },
    exclusiveResolver: null,
  };
  const usd = (t: TokenInfo) => String(Number(chain.deployment.feeds[t.symbol].initialAnswer) / 1e8);
  return {
    json: {
      fromTokenAmount: amount.toString(),
      toTokenAmount: start.toString(),
      marketAmount: value.toString(),
      presets: { fast: preset, medium: preset, slow: preset },
      recommended_preset: "fast",
      prices: { usd: { fromToken: usd(from), toToken: usd(to) } },
      volume: { usd: { fromToken: "0", toToken: "0" } },
      settlementAddress: chain.deployment.fusion.settlement.toLowerCase(),
      whitelist: (params.whitelist ?? [testAccounts.relayer.address]).map((a) => a.toLowerCase()),
      quoteId: crypto.randomUUID(),
      autoK: 0,
      // No fees: the SDK then builds no fee data and the order's receiver stays the maker.
      fee: { receiver: zeroAddress, bps: 0, whitelistDiscountPercent: 0 },
      integratorFee: 0,
      integratorFeeShare: 0,
    },
  };
}

/** The order struct as the Limit Order Protocol's ABI takes it (every field a uint256). */
export const fusionOrderStruct = (o: WireOrder) =>
  ({
    salt: BigInt(o.salt),
    maker: BigInt(o.maker),
    receiver: BigInt(o.receiver),
    makerAsset: BigInt(o.makerAsset),
    takerAsset: BigInt(o.takerAsset),
    makingAmount: BigInt(o.makingAmount),
    takingAmount: BigInt(o.takingAmount),
    makerTraits: BigInt(o.makerTraits),
  }) as const;

/** `POST /relayer/v2.0/{chain}/order/submit`: the hash from the real LOP, the signature must recover the maker. */
async function submit(chain: TestChain, orders: FusionApiOrder[], body: unknown): Promise<StandInReply> {
  const b = body as Partial<{ order: WireOrder; signature: Hex; quoteId: string; extension: Hex }>;
  if (!b?.order || !b.signature || !b.extension || typeof b.quoteId !== "string")
    return badRequest("order, signature, quoteId and extension are required");
  let orderHash: Hash;
  try {
    orderHash = await chain.publicClient.readContract({
      address: chain.deployment.fusion.limitOrderProtocol,
      abi: limitOrderProtocolAbi,
      functionName: "hashOrder",
      args: [fusionOrderStruct(b.order)],
    });
  } catch {
    return badRequest("malformed order");
  }
  const signer = await recoverAddress({ hash: orderHash, signature: b.signature }).catch(() => zeroAddress);
  if (!isAddressEqual(signer, getAddress(b.order.maker))) return badRequest("invalid signature");
  const known = orders.find((o) => o.orderHash === orderHash.toLowerCase());
  if (known) known.submissions++;
  else
    orders.push({
      chainId: chain.chainId,
      orderHash: orderHash.toLowerCase() as Hash,
      order: b.order,
      signature: b.signature,
      quoteId: b.quoteId,
      extension: b.extension,
      ...(await chain.publicClient.getBlock({ blockTag: "latest" }).then((b) => ({
        submittedAtBlock: b.number,
        submittedAtBlockHash: b.hash,
      }))),
      submissions: 1,
    });
  return { status: 201 };
}

/** Drops the chain's orders submitted in blocks a snapshot revert removed (the test chains revert after each test). */
async function forgetReverted(chain: TestChain, orders: FusionApiOrder[]): Promise<void> {
  for (let i = orders.length - 1; i >= 0; i--) {
    const o = orders[i]!;
    if (o.chainId !== chain.chainId) continue;
    const block = await chain.publicClient
      .getBlock({ blockNumber: o.submittedAtBlock })
      .catch(() => undefined);
    if (block?.hash !== o.submittedAtBlockHash) orders.splice(i, 1);
  }
}

/** Bits 80–119 of `makerTraits`: the order's expiration (unix seconds; 0 = none). */
export const fusionOrderExpiration = (makerTraits: bigint): bigint =>
  (makerTraits >> 80n) & ((1n << 40n) - 1n);

/** What the chain says about an order: its fills (with the taker amount the receiver got), cancel, expiry. */
async function onChainState(chain: TestChain, o: FusionApiOrder) {
  const logs = await chain.publicClient.getLogs({
    address: chain.deployment.fusion.limitOrderProtocol,
    fromBlock: o.submittedAtBlock,
    toBlock: "latest",
  });
  const events = parseEventLogs({ abi: limitOrderProtocolAbi, logs }).filter(
    (e) =>
      (e.eventName === "OrderFilled" || e.eventName === "OrderCancelled") &&
      e.args.orderHash.toLowerCase() === o.orderHash,
  );
  const making = BigInt(o.order.makingAmount);
  const fills = [];
  let remaining = making;
  for (const e of events.filter((x) => x.eventName === "OrderFilled")) {
    const filled = remaining - (e.args as { remainingAmount: bigint }).remainingAmount;
    remaining -= filled;
    fills.push({
      txHash: e.transactionHash,
      filledMaker: filled,
      filledTaker: await takerPaid(chain, o, e.transactionHash),
    });
  }
  const cancel = events.find((e) => e.eventName === "OrderCancelled");
  const head = await chain.publicClient.getBlock({ blockTag: "latest" });
  const expiration = fusionOrderExpiration(BigInt(o.order.makerTraits));
  const expired = remaining > 0n && expiration > 0n && head.timestamp > expiration;
  return { fills, remaining, cancelTx: cancel?.transactionHash ?? null, expired };
}

/** Sum of the order's taker asset a fill transaction paid to the order's receiver (the maker when it is 0). */
async function takerPaid(chain: TestChain, o: FusionApiOrder, hash: Hash): Promise<bigint> {
  const receipt = await chain.publicClient.getTransactionReceipt({ hash });
  const receiver = BigInt(o.order.receiver) === 0n ? o.order.maker : o.order.receiver;
  return parseEventLogs({ abi: erc20Abi, eventName: "Transfer", logs: receipt.logs })
    .filter(
      (t) =>
        isAddressEqual(t.address, o.order.takerAsset as Address) &&
        isAddressEqual(t.args.to, receiver as Address),
    )
    .reduce((sum, t) => sum + t.args.value, 0n);
}

/** `GET /orders/v2.0/{chain}/order/status/{hash}` (`OrderStatusResponse`). */
async function orderStatus(chain: TestChain, o: FusionApiOrder) {
  const s = await onChainState(chain, o);
  const status = s.cancelTx
    ? "cancelled"
    : s.remaining === 0n
      ? "filled"
      : s.expired
        ? "expired"
        : s.fills.length > 0
          ? "partially-filled"
          : "pending";
  return {
    status,
    order: o.order,
    extension: o.extension,
    points: null,
    cancelTx: s.cancelTx,
    fills: s.fills.map((f) => ({
      txHash: f.txHash,
      filledMakerAmount: f.filledMaker.toString(),
      filledAuctionTakerAmount: f.filledTaker.toString(),
      takerFeeAmount: null,
    })),
    createdAt: new Date().toISOString(),
    auctionStartDate: 0,
    auctionDuration: 0,
    initialRateBump: 0,
    isNativeCurrency: false,
    fromTokenToUsdPrice: "0",
    toTokenToUsdPrice: "0",
  };
}

/** `GET /orders/v2.0/{chain}/order/active/?page&limit`: orders neither filled, cancelled nor expired. */
async function activeOrders(
  chain: TestChain,
  orders: readonly FusionApiOrder[],
  q: URLSearchParams,
): Promise<StandInReply> {
  const page = Math.max(1, Number(q.get("page") ?? 1) || 1);
  const limit = Math.min(500, Math.max(1, Number(q.get("limit") ?? 100) || 100));
  const active = [];
  for (const o of orders.filter((x) => x.chainId === chain.chainId)) {
    const s = await onChainState(chain, o);
    if (s.cancelTx || s.remaining === 0n || s.expired) continue;
    active.push({
      orderHash: o.orderHash,
      signature: o.signature,
      deadline: new Date(Number(fusionOrderExpiration(BigInt(o.order.makerTraits))) * 1000).toISOString(),
      quoteId: o.quoteId,
      remainingMakerAmount: s.remaining.toString(),
      extension: o.extension,
      srcChainId: chain.chainId,
      order: o.order,
    });
  }
  const items = active.slice((page - 1) * limit, page * limit);
  return {
    json: {
      meta: {
        totalItems: active.length,
        itemsPerPage: limit,
        totalPages: Math.ceil(active.length / limit),
        currentPage: page,
      },
      items,
    },
  };
}

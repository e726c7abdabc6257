import type { Address } from "@ballast/core";
import type { WireOrder } from "@ballast/testkit";
import type { StandInReply, StandInRequest } from "./server.ts";

/** Options of the Fusion (quoter / relayer / orders v2.0) stand-in. */
export type FusionStandInOptions = {
  /** Settlement extension the quoter announces. */
  readonly settlement: Address;
  /** The quoter's expected output for an amount. */
  readonly price: (amount: bigint) => bigint;
  /** Auction end amount as a fraction of the expected output, in bps. Default 9,950 (−0.5%). */
  readonly auctionEndBps?: bigint;
  /** Resolver fee in bps announced by the quoter. Default 0. */
  readonly feeBps?: number;
};

/** An order the relayer stand-in recorded: the wire body of `POST …/order/submit`. */
export type RecordedOrder = {
  readonly order: WireOrder;
  readonly signature: string;
  readonly quoteId: string;
  readonly extension: string;
};

/** A one-shot change to the next quoter answer (wire JSON in, wire JSON out). */
export type QuoteFault = (honest: Record<string, unknown>) => StandInReply;

/** The Fusion stand-in: a handler plus what it recorded and the statuses it will report. */
export type FusionStandIn = {
  readonly handle: (req: StandInRequest) => StandInReply;
  readonly submitted: RecordedOrder[];
  /** Statuses to report for an order hash, consumed one per poll (the last one repeats); "not-found" answers 404. */
  readonly statuses: Map<string, string[]>;
  readonly quoteFaults: QuoteFault[];
};

const RESOLVER: Address = "0x84d99aa569d93a9ca187d83734c8c4a519c4e9b1";

/** Builds a stand-in speaking the Fusion wire format under any prefix (`{prefix}/quoter/v2.0/{chain}/…`). */
export function fusionApiStandIn(options: FusionStandInOptions): FusionStandIn {
  const submitted: RecordedOrder[] = [];
  const statuses = new Map<string, string[]>();
  const quoteFaults: QuoteFault[] = [];
  const endBps = options.auctionEndBps ?? 9_950n;

  const quote = (q: URLSearchParams): Record<string, unknown> => {
    const amount = BigInt(q.get("amount") ?? "0");
    const out = options.price(amount);
    const end = (out * endBps) / 10_000n;
    const preset = {
      auctionDuration: 180,
      startAuctionIn: 12,
      bankFee: "0",
      initialRateBump: 50_000,
      auctionStartAmount: out.toString(),
      auctionEndAmount: end.toString(),
      tokenFee: "0",
      points: [{ delay: 60, coefficient: 20_000 }],
      allowPartialFills: false,
      allowMultipleFills: false,
      gasCost: { gasBumpEstimate: 0, gasPriceEstimate: "0" },
      exclusiveResolver: null,
    };
    return {
      fromTokenAmount: amount.toString(),
      toTokenAmount: out.toString(),
      marketAmount: end.toString(),
      presets: { fast: preset, medium: preset, slow: preset },
      recommended_preset: "fast",
      prices: { usd: { fromToken: "3000", toToken: "1" } },
      volume: { usd: { fromToken: "3000", toToken: "3000" } },
      settlementAddress: options.settlement.toLowerCase(),
      whitelist: [RESOLVER],
      quoteId: `quote-${amount}`,
      autoK: 0,
      fee: { receiver: RESOLVER, bps: options.feeBps ?? 0, whitelistDiscountPercent: 0 },
      integratorFee: 0,
      integratorFeeShare: 0,
    };
  };

  const status = (hash: string): StandInReply => {
    const queue = statuses.get(hash.toLowerCase());
    const recorded = submitted.at(-1);
    if (!queue || !recorded) return { status: 404, json: { statusCode: 404, message: "order not found" } };
    const current = queue.length > 1 ? queue.shift()! : queue[0]!;
    if (current === "not-found")
      return { status: 404, json: { statusCode: 404, message: "order not found" } };
    const filled = current === "filled";
    return {
      json: {
        status: current,
        order: recorded.order,
        extension: recorded.extension,
        points: null,
        cancelTx: current === "cancelled" ? "0xcance1" : null,
        fills: filled
          ? [
              {
                txHash: "0xf111",
                filledMakerAmount: recorded.order.makingAmount,
                filledAuctionTakerAmount: recorded.order.takingAmount,
                takerFeeAmount: null,
              },
            ]
          : [],
        createdAt: "2025-01-01T00:00:00.000Z",
        auctionStartDate: 0,
        auctionDuration: 180,
        initialRateBump: 50_000,
        isNativeCurrency: false,
        fromTokenToUsdPrice: "3000",
        toTokenToUsdPrice: "1",
      },
    };
  };

  return {
    submitted,
    statuses,
    quoteFaults,
    handle: (req) => {
      if (/\/quoter\/v2\.0\/\d+\/quote\/receive\/?$/.test(req.path) && req.method === "GET") {
        const honest = quote(req.query);
        const fault = quoteFaults.shift();
        return fault ? fault(honest) : { json: honest };
      }
      if (/\/relayer\/v2\.0\/\d+\/order\/submit$/.test(req.path) && req.method === "POST") {
        submitted.push(req.body as RecordedOrder);
        return { status: 201 };
      }
      const m = /\/orders\/v2\.0\/\d+\/order\/status\/(0x[0-9a-fA-F]+)$/.exec(req.path);
      if (m && req.method === "GET") return status(m[1]!);
      return { status: 404, json: { statusCode: 404, message: `no route ${req.path}` } };
    },
  };
}

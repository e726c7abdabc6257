import type { Address, Hex } from "@ballast/core";
import { encodeFunctionData, getAddress } from "viem";
import { aggregationRouterV6Abi } from "../../src/routers.ts";
import type { StandInReply, StandInRequest } from "./server.ts";

/** What the stand-in's "pathfinder" is asked to encode. */
export type SwapAsk = {
  readonly chainId: number;
  readonly src: Address;
  readonly dst: Address;
  readonly amount: bigint;
  readonly from: Address;
  readonly receiver: Address;
  readonly dstAmount: bigint;
  readonly minReturn: bigint;
};

/** Options of the Swap API v6 stand-in. */
export type SwapStandInOptions = {
  /** The router the stand-in's calldata targets (`tx.to`). */
  readonly router: Address;
  /** Expected output for a request (`dstAmount`). */
  readonly price: (ask: { src: Address; dst: Address; amount: bigint }) => bigint | Promise<bigint>;
  /** Calldata for the router. Default: AggregationRouterV6 `swap(executor, desc, data)`. */
  readonly calldata?: (ask: SwapAsk) => Hex;
  /** Token infos returned with `includeTokensInfo=true`, by lower-cased address. */
  readonly tokens?: Readonly<Record<string, { symbol: string; decimals: number }>>;
};

/** A one-shot change to the next answer: receives the request and the honest reply, returns the one to send. */
export type Fault = (req: StandInRequest, honest: StandInReply) => StandInReply;

/** The Swap API v6 stand-in: a handler for `startStandIn` plus a queue of faults for the next answers. */
export type SwapStandIn = {
  readonly handle: (req: StandInRequest) => Promise<StandInReply>;
  readonly faults: Fault[];
};

const EXECUTOR: Address = "0x5141B82f5fFDa4c6fE1E372978F1C5427640a190";

/** AggregationRouterV6 `swap` calldata as the real API would build it. */
export function aggregationV6Calldata(ask: SwapAsk): Hex {
  return encodeFunctionData({
    abi: aggregationRouterV6Abi,
    functionName: "swap",
    args: [
      EXECUTOR,
      {
        srcToken: ask.src,
        dstToken: ask.dst,
        srcReceiver: EXECUTOR,
        dstReceiver: ask.receiver,
        amount: ask.amount,
        minReturnAmount: ask.minReturn,
        flags: 0n,
      },
      "0xdeadbeef",
    ],
  });
}

/** Parses the API's percent slippage ("0.5") into integer bps, as the real service would read it. */
export function percentToBps(text: string): bigint {
  const [whole = "0", frac = ""] = text.split(".");
  return BigInt(whole) * 100n + BigInt(`${frac}00`.slice(0, 2));
}

const error = (status: number, description: string): StandInReply => ({
  status,
  json: {
    error: status === 400 ? "Bad Request" : "Error",
    description,
    statusCode: status,
    meta: [],
    requestId: "x",
  },
});

/** Builds a stand-in speaking the Swap API v6 wire format (`/swap/v6.0/{chain}/…`). */
export function swapApiStandIn(options: SwapStandInOptions): SwapStandIn {
  const faults: Fault[] = [];
  const tokenInfo = (address: Address) => {
    const info = options.tokens?.[address.toLowerCase()] ?? { symbol: "TKN", decimals: 18 };
    return { address: address.toLowerCase(), name: info.symbol, logoURI: "", tags: ["tokens"], ...info };
  };
  const honest = async (req: StandInRequest): Promise<StandInReply> => {
    const m = /^\/swap\/v6\.0\/(\d+)\/(quote|swap|approve\/spender|approve\/allowance)\/?$/.exec(req.path);
    if (!m) return error(404, `no route ${req.path}`);
    const chainId = Number(m[1]);
    const q = req.query;
    switch (m[2]) {
      case "approve/spender":
        return { json: { address: options.router.toLowerCase() } };
      case "approve/allowance":
        return { json: { allowance: "0" } };
      case "quote":
      case "swap": {
        const src = q.get("src");
        const dst = q.get("dst");
        const amount = q.get("amount");
        if (!src || !dst || !amount) return error(400, "src, dst and amount are required");
        const ask = { src: getAddress(src), dst: getAddress(dst), amount: BigInt(amount) };
        const dstAmount = await options.price(ask);
        const withTokens = q.get("includeTokensInfo") === "true";
        const tokens = withTokens ? { srcToken: tokenInfo(ask.src), dstToken: tokenInfo(ask.dst) } : {};
        if (m[2] === "quote") return { json: { dstAmount: dstAmount.toString(), ...tokens } };
        const from = q.get("from");
        const slippage = q.get("slippage");
        if (!from || slippage === null) return error(400, "from and slippage are required");
        const minReturn = (dstAmount * (10_000n - percentToBps(slippage))) / 10_000n;
        const full: SwapAsk = {
          ...ask,
          chainId,
          from: getAddress(from),
          receiver: getAddress(q.get("receiver") ?? from),
          dstAmount,
          minReturn,
        };
        const data = (options.calldata ?? aggregationV6Calldata)(full);
        return {
          json: {
            dstAmount: dstAmount.toString(),
            ...tokens,
            tx: {
              from: from.toLowerCase(),
              to: options.router.toLowerCase(),
              data,
              value: "0",
              gas: q.get("disableEstimate") === "true" ? 0 : 180_000,
              gasPrice: "1000000000",
            },
          },
        };
      }
      default:
        return error(404, "unknown");
    }
  };
  return {
    faults,
    handle: async (req) => {
      const reply = await honest(req);
      const fault = faults.shift();
      return fault ? fault(req, reply) : reply;
    },
  };
}

/** Replaces fields of the honest JSON answer (deep-merged one level into `tx`). */
export function tamper(patch: { tx?: Record<string, unknown>; [key: string]: unknown }): Fault {
  return (_req, honest) => {
    const body = honest.json as { tx?: Record<string, unknown> } & Record<string, unknown>;
    const { tx, ...rest } = patch;
    return { ...honest, json: { ...body, ...rest, ...(tx ? { tx: { ...body.tx, ...tx } } : {}) } };
  };
}

/** Answers with a status and an API error body. */
export const failWith =
  (status: number, headers?: Record<string, string>): Fault =>
  () => ({ ...error(status, "stand-in fault"), ...(headers ? { headers } : {}) });

/** Never answers (the client's timeout fires). */
export const hang: Fault = () => ({ hang: true });

/** Answers 200 with a body that is not JSON. */
export const garbage: Fault = () => ({ text: "<html>bad gateway</html>" });

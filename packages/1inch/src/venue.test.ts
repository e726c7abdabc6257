import type { Address, SwapRequest } from "@ballast/core";
import { decodeFunctionData, erc20Abi } from "viem";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type StandIn, startStandIn } from "../test/stand-in/server.ts";
import {
  aggregationV6Calldata,
  failWith,
  garbage,
  hang,
  type SwapStandIn,
  swapApiStandIn,
  tamper,
} from "../test/stand-in/swap-api.ts";
import {
  InsufficientOutputError,
  OneInchHttpError,
  OneInchResponseError,
  OneInchTimeoutError,
  SwapMismatchError,
  UnknownRouterError,
  UnsupportedSwapError,
  UntrustedRouterError,
} from "./errors.ts";
import { createOneInchClient } from "./http.ts";
import { AGGREGATION_ROUTER_V6, decodeAggregationRouterV6 } from "./routers.ts";
import { getApproveAllowance, getApproveSpender, getQuote } from "./swap-api.ts";
import { NATIVE_TOKEN, oneInchVenue, slippageFor } from "./venue.ts";

const WETH: Address = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
const USDC: Address = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const DAI: Address = "0x6B175474E89094C44Da98b954EedeAC495271d0F";
const ME: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const EVE: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

let server: StandIn;
let api: SwapStandIn;
const PRICE = 3_000n; // 1 WETH (1e18) → 3,000 USDC (6 decimals)

beforeAll(async () => {
  api = swapApiStandIn({
    router: AGGREGATION_ROUTER_V6,
    price: ({ amount }) => (amount * PRICE * 10n ** 6n) / 10n ** 18n,
    tokens: {
      [WETH.toLowerCase()]: { symbol: "WETH", decimals: 18 },
      [USDC.toLowerCase()]: { symbol: "USDC", decimals: 6 },
    },
  });
  server = await startStandIn(api.handle);
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
  api.faults.length = 0;
});

// Generous per-request timeout: a loaded CI machine must not turn an honest reply into a retry.
const client = (timeoutMs = 5_000) =>
  createOneInchClient({
    baseUrl: server.url,
    apiKey: "k",
    timeoutMs,
    retries: 2,
    baseDelayMs: 1,
    maxDelayMs: 2,
  });

const request: SwapRequest = {
  chainId: 1,
  tokenIn: WETH,
  tokenOut: USDC,
  amountIn: 10n ** 18n,
  account: ME,
  minAmountOut: 2_970_000_000n, // 1% below the quote
};

describe("oneInchVenue against the Swap API stand-in", () => {
  it("quotes, derives the slippage from minOut, verifies, and returns [approve(router, exact), swap]", async () => {
    const venue = oneInchVenue({ client: client() });
    const quote = await venue.quote(request);

    expect(server.requests.map((r) => r.path)).toEqual(["/swap/v6.0/1/quote", "/swap/v6.0/1/swap"]);
    const swapQuery = server.requests[1]!.query;
    expect(Object.fromEntries(swapQuery)).toMatchObject({
      src: WETH,
      dst: USDC,
      amount: "1000000000000000000",
      from: ME,
      origin: ME,
      slippage: "1",
      disableEstimate: "true",
      allowPartialFill: "false",
      includeTokensInfo: "true",
    });

    expect(quote).toMatchObject({
      venue: "1inch",
      amountOut: 3_000_000_000n,
      minAmountOut: 2_970_000_000n,
      spender: AGGREGATION_ROUTER_V6,
      route: "1inch swap WETH -> USDC",
    });
    expect(quote.gas).toBeUndefined();
    expect(quote.calls).toHaveLength(2);
    const [approve, swap] = quote.calls;
    expect(approve!.to).toBe(WETH);
    expect(decodeFunctionData({ abi: erc20Abi, data: approve!.data }).args).toEqual([
      AGGREGATION_ROUTER_V6,
      10n ** 18n,
    ]);
    expect(swap!.to).toBe(AGGREGATION_ROUTER_V6);
    expect(decodeAggregationRouterV6(swap!.data)).toMatchObject({
      amount: 10n ** 18n,
      minReturn: 2_970_000_000n,
    });
  });

  it("uses a fixed slippage in one request when configured", async () => {
    const venue = oneInchVenue({ client: client(), slippageBps: 50 });
    const quote = await venue.quote(request);
    expect(server.requests.map((r) => r.path)).toEqual(["/swap/v6.0/1/swap"]);
    expect(server.requests[0]!.query.get("slippage")).toBe("0.5");
    expect(quote.minAmountOut).toBe(2_985_000_000n);
  });

  it("refuses before /swap when the quote is already below minOut", async () => {
    const venue = oneInchVenue({ client: client() });
    const err = await venue.quote({ ...request, minAmountOut: 3_000_000_001n }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientOutputError);
    expect((err as InsufficientOutputError).field).toBe("quote.dstAmount");
    expect(server.requests).toHaveLength(1);
  });

  it("refuses a wrong tx.to", async () => {
    api.faults.push((_r, honest) => honest, tamper({ tx: { to: EVE } }));
    await expect(oneInchVenue({ client: client() }).quote(request)).rejects.toBeInstanceOf(
      UntrustedRouterError,
    );
  });

  it("refuses calldata for another token", async () => {
    api.faults.push(
      (_r, honest) => honest,
      tamper({ tx: { data: aggregationV6Calldata(ask({ dst: DAI })) } }),
    );
    const err = await oneInchVenue({ client: client() })
      .quote(request)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwapMismatchError);
    expect((err as SwapMismatchError).field).toBe("calldata.dstToken");
  });

  it("refuses token infos naming another token", async () => {
    api.faults.push(
      tamper({ dstToken: { address: DAI, symbol: "DAI", decimals: 18, name: "DAI", logoURI: "" } }),
    );
    const err = await oneInchVenue({ client: client(), slippageBps: 100 })
      .quote(request)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwapMismatchError);
    expect((err as SwapMismatchError).field).toBe("dstToken.address");
  });

  it("refuses an amount mismatch", async () => {
    api.faults.push(tamper({ tx: { data: aggregationV6Calldata(ask({ amount: 2n * 10n ** 18n })) } }));
    const err = await oneInchVenue({ client: client(), slippageBps: 100 })
      .quote(request)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwapMismatchError);
    expect((err as SwapMismatchError).field).toBe("calldata.amount");
  });

  it("refuses a dstAmount below minOut", async () => {
    api.faults.push(tamper({ dstAmount: "2969999999" }));
    const err = await oneInchVenue({ client: client(), slippageBps: 100 })
      .quote(request)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientOutputError);
    expect((err as InsufficientOutputError).field).toBe("dstAmount");
  });

  it("refuses when the price moved between /quote and /swap so minReturn < minOut", async () => {
    api.faults.push(
      (_r, honest) => honest,
      tamper({ tx: { data: aggregationV6Calldata(ask({ minReturn: 2_969_999_999n })) } }),
    );
    const err = await oneInchVenue({ client: client() })
      .quote(request)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientOutputError);
    expect((err as InsufficientOutputError).field).toBe("calldata.minReturn");
  });

  it("refuses malformed JSON and wrong shapes with OneInchResponseError", async () => {
    const venue = oneInchVenue({ client: client(), slippageBps: 100 });
    api.faults.push(garbage);
    await expect(venue.quote(request)).rejects.toBeInstanceOf(OneInchResponseError);
    api.faults.push(tamper({ dstAmount: 3e9 })); // a JSON number, not a decimal string
    await expect(venue.quote(request)).rejects.toBeInstanceOf(OneInchResponseError);
    api.faults.push(tamper({ tx: { data: "not hex" } }));
    await expect(venue.quote(request)).rejects.toBeInstanceOf(OneInchResponseError);
  });

  it("retries 500s and succeeds when the API recovers", async () => {
    api.faults.push(failWith(500), failWith(503));
    const quote = await oneInchVenue({ client: client(), slippageBps: 100 }).quote(request);
    expect(quote.amountOut).toBe(3_000_000_000n);
    expect(server.requests).toHaveLength(3);
  });

  it("gives up after repeated 500s with OneInchHttpError", async () => {
    api.faults.push(failWith(500), failWith(500), failWith(500));
    const err = await oneInchVenue({ client: client(), slippageBps: 100 })
      .quote(request)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OneInchHttpError);
    expect((err as OneInchHttpError).status).toBe(500);
    expect(server.requests).toHaveLength(3);
  });

  it("gives up after repeated timeouts with OneInchTimeoutError", async () => {
    api.faults.push(hang, hang, hang);
    const err = await oneInchVenue({ client: client(50), slippageBps: 100 })
      .quote(request)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OneInchTimeoutError);
    expect(server.requests).toHaveLength(3);
  });

  it("refuses chains without a trusted router, and native or identical tokens, before any request", async () => {
    const venue = oneInchVenue({ client: client(), slippageBps: 100 });
    await expect(venue.quote({ ...request, chainId: 31337 })).rejects.toBeInstanceOf(UnknownRouterError);
    await expect(venue.quote({ ...request, tokenIn: NATIVE_TOKEN })).rejects.toBeInstanceOf(
      UnsupportedSwapError,
    );
    await expect(venue.quote({ ...request, tokenOut: WETH })).rejects.toBeInstanceOf(UnsupportedSwapError);
    await expect(venue.quote({ ...request, amountIn: 0n })).rejects.toBeInstanceOf(UnsupportedSwapError);
    expect(server.requests).toHaveLength(0);
  });

  it("trusts an explicitly configured router instead of the default", async () => {
    const venue = oneInchVenue({
      client: client(),
      slippageBps: 100,
      routers: { 1: { address: EVE, decode: decodeAggregationRouterV6 } },
    });
    await expect(venue.quote(request)).rejects.toBeInstanceOf(UntrustedRouterError); // the API still says 0x1111…
  });
});

describe("Swap API reads", () => {
  it("reads the spender, the allowance and a quote with token infos", async () => {
    const c = client();
    await expect(getApproveSpender(c, { chainId: 1 })).resolves.toBe(AGGREGATION_ROUTER_V6.toLowerCase());
    await expect(getApproveAllowance(c, { chainId: 1, tokenAddress: WETH, walletAddress: ME })).resolves.toBe(
      0n,
    );
    const q = await getQuote(c, {
      chainId: 1,
      src: WETH,
      dst: USDC,
      amount: 10n ** 18n,
      includeTokensInfo: true,
    });
    expect(q.dstAmount).toBe(3_000_000_000n);
    expect(q.dstToken?.symbol).toBe("USDC");
    expect(server.requests[0]!.headers.authorization).toBe("Bearer k");
  });

  it("slippageFor rounds toward a higher minimum", () => {
    expect(slippageFor(3_000n, 2_970n)).toBe(100);
    expect(slippageFor(3_000n, 2_971n)).toBe(96); // 0.9666…% → 0.96%, minReturn 2,971.2 ≥ 2,971
    expect(slippageFor(100n, 0n)).toBe(5_000);
    expect(() => slippageFor(1n, 2n)).toThrow(InsufficientOutputError);
  });
});

function ask(over: Partial<Parameters<typeof aggregationV6Calldata>[0]>) {
  return {
    chainId: 1,
    src: WETH,
    dst: USDC,
    amount: 10n ** 18n,
    from: ME,
    receiver: ME,
    dstAmount: 3_000_000_000n,
    minReturn: 2_970_000_000n,
    ...over,
  };
}

import { RpcRequestError } from "@ballast/chain";
import { BallastError, type SwapRequest, type SwapVenue } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { NoSwapVenueError } from "../src/index.ts";
import { quoteSwap } from "../src/realize.ts";
import { CHAIN_ID, chain, failingVenue, rateVenue, USDC, USER, WAD, WETH } from "./realize-fixtures.ts";

const request: SwapRequest = {
  chainId: CHAIN_ID,
  tokenIn: WETH.address,
  tokenOut: USDC.address,
  amountIn: WAD,
  account: USER,
  minAmountOut: 1990n * 10n ** 6n,
  deadline: 123n,
  slippageBps: 50,
};
const labels = { in: WETH, out: USDC };
const RATE = 2000n * 10n ** 6n;

const rejection = async (venues: readonly SwapVenue[]) => {
  const err = await quoteSwap(chain({ venues }).setup, 4, request, labels).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NoSwapVenueError);
  return err as NoSwapVenueError;
};

describe("quoteSwap", () => {
  it("takes the first venue whose quote meets minOut, and asks no later one", async () => {
    const low = rateVenue("low", 1989n * 10n ** 6n);
    const good = rateVenue("good", RATE);
    const later = rateVenue("later", 3000n * 10n ** 6n);
    const q = await quoteSwap(chain({ venues: [low, good, later] }).setup, 4, request, labels);
    expect(q.venue).toBe("good");
    expect(q.amountOut).toBe(RATE);
    expect(low.requests).toEqual([request]);
    expect(good.requests).toEqual([request]);
    expect(later.requests).toEqual([]);
  });

  it("accepts a quote exactly at minOut, with token addresses in another case", async () => {
    const exact = rateVenue("exact", 1990n * 10n ** 6n, (_r, q) => ({
      ...q,
      tokenIn: q.tokenIn.toUpperCase().replace("0X", "0x") as typeof q.tokenIn,
      tokenOut: q.tokenOut.toLowerCase() as typeof q.tokenOut,
    }));
    const q = await quoteSwap(chain({ venues: [exact] }).setup, 4, request, labels);
    expect(q.amountOut).toBe(request.minAmountOut);
  });

  it("refuses every quote that is not the swap asked, and says why, venue by venue", async () => {
    const bad = (
      name: string,
      patch: (q: Awaited<ReturnType<ReturnType<typeof rateVenue>["quote"]>>) => object,
    ) => rateVenue(name, RATE, (_r, q) => ({ ...q, ...patch(q) }));
    const err = await rejection([
      bad("chain", () => ({ chainId: 1 })),
      bad("tokenIn", () => ({ tokenIn: USDC.address })),
      bad("tokenOut", () => ({ tokenOut: WETH.address })),
      bad("amountIn", () => ({ amountIn: WAD - 1n })),
      bad("guard", () => ({ minAmountOut: request.minAmountOut - 1n })),
      bad("output", () => ({ amountOut: request.minAmountOut - 1n })),
      bad("calls", () => ({ calls: [] })),
      failingVenue("ballast", new BallastError("No route.", { details: "pool empty" })),
      failingVenue("plain", new Error("socket hang up")),
    ]);
    expect(err.attempts).toEqual([
      { venue: "chain", error: "quoted chain 1" },
      { venue: "tokenIn", error: "quoted other tokens" },
      { venue: "tokenOut", error: "quoted other tokens" },
      { venue: "amountIn", error: `quoted amountIn ${WAD - 1n}` },
      { venue: "guard", error: "quote 2000 USDC (guard 1989.999999 USDC) below minOut 1990 USDC" },
      { venue: "output", error: "quote 1989.999999 USDC (guard 1990 USDC) below minOut 1990 USDC" },
      { venue: "calls", error: "no calls" },
      { venue: "ballast", error: "No route." },
      { venue: "plain", error: "Error: socket hang up" },
    ]);
    expect(err.message).toContain('Chain "local" step 4: no venue can swap 1 WETH for at least 1990 USDC.');
    expect([err.key, err.chainId, err.step, err.tokenIn, err.tokenOut]).toEqual([
      "local",
      CHAIN_ID,
      4,
      WETH.address,
      USDC.address,
    ]);
    expect([err.amountIn, err.minOut]).toEqual([WAD, request.minAmountOut]);
  });

  it("an RPC that did not answer is an RPC error, not a market without a route: the first one is thrown", async () => {
    const first = new RpcRequestError(
      CHAIN_ID,
      "eth_call",
      "http://127.0.0.1:1",
      429,
      new Error("rate limited"),
    );
    const second = new RpcRequestError(CHAIN_ID, "eth_call", "http://127.0.0.1:2", 500, new Error("down"));
    const wrapped = new BallastError("Quoter failed.", { cause: first });
    const err = await quoteSwap(
      chain({ venues: [rateVenue("low", 1n), failingVenue("a", wrapped), failingVenue("b", second)] }).setup,
      4,
      request,
    ).catch((e: unknown) => e);
    expect(err).toBe(first);
  });

  it("without labels, amounts are given in base units of the token address", async () => {
    const err = await quoteSwap(chain({ venues: [] }).setup, 2, request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoSwapVenueError);
    expect((err as NoSwapVenueError).attempts).toEqual([]);
    expect((err as Error).message).toContain(
      `swap ${WAD} of ${WETH.address} for at least 1990000000 of ${USDC.address}`,
    );
  });
});

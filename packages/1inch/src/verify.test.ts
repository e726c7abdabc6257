import type { Address, Hex } from "@ballast/core";
import { encodeFunctionData, getAddress } from "viem";
import { describe, expect, it } from "vitest";
import { aggregationV6Calldata, type SwapAsk } from "../test/stand-in/swap-api.ts";
import {
  InsufficientOutputError,
  SwapMismatchError,
  UntrustedRouterError,
  UnverifiableCalldataError,
} from "./errors.ts";
import {
  AGGREGATION_ROUTER_V6,
  AGGREGATION_ROUTER_V6_ZKSYNC,
  aggregationRouterV6Abi,
  DEFAULT_ROUTERS,
  decodeAggregationRouterV6,
} from "./routers.ts";
import type { SwapResponse } from "./schemas.ts";
import { type SwapExpectation, verifySwap } from "./verify.ts";

const WETH: Address = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
const USDC: Address = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const DAI: Address = "0x6B175474E89094C44Da98b954EedeAC495271d0F";
const ME: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const EVE: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const router = DEFAULT_ROUTERS[1]!;

const expected: SwapExpectation = {
  chainId: 1,
  tokenIn: WETH,
  tokenOut: USDC,
  amountIn: 10n ** 18n,
  account: ME,
  minAmountOut: 2_990_000_000n,
};

const ask = (over: Partial<SwapAsk> = {}): SwapAsk => ({
  chainId: 1,
  src: WETH,
  dst: USDC,
  amount: 10n ** 18n,
  from: ME,
  receiver: ME,
  dstAmount: 3_000_000_000n,
  minReturn: 2_995_000_000n,
  ...over,
});

function response(
  data: Hex,
  over: Partial<Omit<SwapResponse, "tx">> & { tx?: Partial<SwapResponse["tx"]> } = {},
): SwapResponse {
  const { tx, ...rest } = over;
  return {
    dstAmount: 3_000_000_000n,
    tx: { from: ME, to: AGGREGATION_ROUTER_V6, data, value: 0n, gas: 0n, gasPrice: 1n, ...tx },
    ...rest,
  };
}

const unoswap = (fn: "unoswap" | "unoswapTo", to: Address = ME): Hex =>
  fn === "unoswap"
    ? encodeFunctionData({
        abi: aggregationRouterV6Abi,
        functionName: "unoswap",
        args: [BigInt(WETH), 10n ** 18n, 2_995_000_000n, (1n << 253n) | BigInt(EVE)],
      })
    : encodeFunctionData({
        abi: aggregationRouterV6Abi,
        functionName: "unoswapTo",
        args: [BigInt(to), BigInt(WETH), 10n ** 18n, 2_995_000_000n, BigInt(EVE)],
      });

const errorOf = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
};

describe("verifySwap", () => {
  it("accepts honest swap() calldata and returns the call to the trusted router", () => {
    const v = verifySwap({ expected, response: response(aggregationV6Calldata(ask())), router });
    expect(v.call.to).toBe(AGGREGATION_ROUTER_V6);
    expect(v.call.value).toBe(0n);
    expect(v.minAmountOut).toBe(2_995_000_000n);
    expect(v.amountOut).toBe(3_000_000_000n);
    expect(v.decoded).toMatchObject({ method: "swap", srcToken: WETH, dstToken: USDC, unverified: [] });
    expect(v.gas).toBeUndefined();
  });

  it("accepts dstReceiver = 0 (the router pays msg.sender, our account)", () => {
    const data = aggregationV6Calldata(ask({ receiver: "0x0000000000000000000000000000000000000000" }));
    expect(verifySwap({ expected, response: response(data), router }).decoded.recipient).toBe("sender");
  });

  it("refuses a tx.to other than the trusted router", () => {
    const err = errorOf(() =>
      verifySwap({ expected, response: response(aggregationV6Calldata(ask()), { tx: { to: EVE } }), router }),
    );
    expect(err).toBeInstanceOf(UntrustedRouterError);
  });

  it.each([
    ["tx.from", response(aggregationV6Calldata(ask()), { tx: { from: EVE } })],
    ["tx.value", response(aggregationV6Calldata(ask()), { tx: { value: 1n } })],
    [
      "srcToken.address",
      response(aggregationV6Calldata(ask()), { srcToken: { address: DAI, symbol: "DAI", decimals: 18 } }),
    ],
    [
      "dstToken.address",
      response(aggregationV6Calldata(ask()), { dstToken: { address: DAI, symbol: "DAI", decimals: 18 } }),
    ],
    ["calldata.srcToken", response(aggregationV6Calldata(ask({ src: DAI })))],
    ["calldata.dstToken", response(aggregationV6Calldata(ask({ dst: DAI })))],
    ["calldata.amount", response(aggregationV6Calldata(ask({ amount: 10n ** 18n + 1n })))],
    ["calldata.recipient", response(aggregationV6Calldata(ask({ receiver: EVE })))],
  ])("refuses a mismatched %s with SwapMismatchError", (field, res) => {
    const err = errorOf(() => verifySwap({ expected, response: res, router }));
    expect(err).toBeInstanceOf(SwapMismatchError);
    expect((err as SwapMismatchError).field).toBe(field);
  });

  it("refuses partial-fill and Permit2 flags", () => {
    for (const [flags, field] of [
      [1n, "calldata.flags.partialFill"],
      [4n, "calldata.flags.usePermit2"],
    ] as const) {
      const data = encodeFunctionData({
        abi: aggregationRouterV6Abi,
        functionName: "swap",
        args: [
          EVE,
          {
            srcToken: WETH,
            dstToken: USDC,
            srcReceiver: EVE,
            dstReceiver: ME,
            amount: 10n ** 18n,
            minReturnAmount: 2_995_000_000n,
            flags,
          },
          "0x",
        ],
      });
      const err = errorOf(() => verifySwap({ expected, response: response(data), router }));
      expect(err).toBeInstanceOf(SwapMismatchError);
      expect((err as SwapMismatchError).field).toBe(field);
    }
  });

  it("refuses a dstAmount below the minimum", () => {
    const err = errorOf(() =>
      verifySwap({
        expected,
        response: response(aggregationV6Calldata(ask()), { dstAmount: 2_989_999_999n }),
        router,
      }),
    );
    expect(err).toBeInstanceOf(InsufficientOutputError);
    expect((err as InsufficientOutputError).field).toBe("dstAmount");
  });

  it("refuses calldata whose minReturn is below the minimum, even when dstAmount is fine", () => {
    const data = aggregationV6Calldata(ask({ minReturn: 2_989_999_999n }));
    const err = errorOf(() => verifySwap({ expected, response: response(data), router }));
    expect(err).toBeInstanceOf(InsufficientOutputError);
    expect((err as InsufficientOutputError).field).toBe("calldata.minReturn");
  });

  it("refuses unknown selectors and junk", () => {
    for (const data of ["0x12345678", "0x", "0x07ed2379deadbeef"] as Hex[]) {
      expect(errorOf(() => verifySwap({ expected, response: response(data), router }))).toBeInstanceOf(
        UnverifiableCalldataError,
      );
    }
  });

  it("refuses unoswap by default (output token unverifiable), accepts it when the policy allows", () => {
    const res = response(unoswap("unoswap"));
    const err = errorOf(() => verifySwap({ expected, response: res, router }));
    expect(err).toBeInstanceOf(UnverifiableCalldataError);
    expect((err as UnverifiableCalldataError).unverified).toEqual(["dstToken"]);
    const v = verifySwap({ expected, response: res, router, allowPartiallyVerified: true });
    expect(v.decoded).toMatchObject({
      method: "unoswap",
      srcToken: WETH,
      dstToken: undefined,
      recipient: "sender",
    });
  });

  it("still checks what unoswapTo does carry: the recipient", () => {
    const err = errorOf(() =>
      verifySwap({
        expected,
        response: response(unoswap("unoswapTo", EVE)),
        router,
        allowPartiallyVerified: true,
      }),
    );
    expect(err).toBeInstanceOf(SwapMismatchError);
    expect((err as SwapMismatchError).field).toBe("calldata.recipient");
  });
});

describe("routers", () => {
  it("knows AggregationRouterV6 addresses with valid checksums", () => {
    expect(getAddress(AGGREGATION_ROUTER_V6)).toBe(AGGREGATION_ROUTER_V6);
    expect(getAddress(AGGREGATION_ROUTER_V6_ZKSYNC)).toBe(AGGREGATION_ROUTER_V6_ZKSYNC);
    expect(DEFAULT_ROUTERS[8453]?.address).toBe(AGGREGATION_ROUTER_V6);
    expect(DEFAULT_ROUTERS[324]?.address).toBe(AGGREGATION_ROUTER_V6_ZKSYNC);
    expect(DEFAULT_ROUTERS[31337]).toBeUndefined();
  });

  it("decodes the swap selector 0x07ed2379", () => {
    expect(aggregationV6Calldata(ask()).slice(0, 10)).toBe("0x07ed2379");
    expect(decodeAggregationRouterV6("0xzz" as Hex)).toBeUndefined();
  });
});

/** Each case here was a mutant the tests above let live: what a refusal reports, the exact limits, the decoder's edges. */
describe("verifySwap: what a refusal reports, and the limits", () => {
  it("names the expected and actual values of a non-zero tx.value and of a partial-fill or Permit2 flag", () => {
    const value = errorOf(() =>
      verifySwap({
        expected,
        response: response(aggregationV6Calldata(ask()), { tx: { value: 7n } }),
        router,
      }),
    ) as SwapMismatchError;
    expect([value.field, value.expected, value.actual]).toEqual(["tx.value", "0", "7"]);
    for (const flags of [1n, 4n]) {
      const data = encodeFunctionData({
        abi: aggregationRouterV6Abi,
        functionName: "swap",
        args: [
          EVE,
          {
            srcToken: WETH,
            dstToken: USDC,
            srcReceiver: EVE,
            dstReceiver: ME,
            amount: 10n ** 18n,
            minReturnAmount: 2_995_000_000n,
            flags,
          },
          "0x",
        ],
      });
      const err = errorOf(() =>
        verifySwap({ expected, response: response(data), router }),
      ) as SwapMismatchError;
      expect([err.expected, err.actual]).toEqual(["false", "true"]);
    }
  });

  it("accepts a dstAmount exactly at the minimum", () => {
    const res = response(aggregationV6Calldata(ask()), { dstAmount: expected.minAmountOut });
    expect(verifySwap({ expected, response: res, router }).amountOut).toBe(expected.minAmountOut);
  });

  it("reports an undecodable call by its selector, with nothing verified", () => {
    const err = errorOf(() =>
      verifySwap({ expected, response: response("0x12345678aabbcc"), router }),
    ) as UnverifiableCalldataError;
    expect(err).toBeInstanceOf(UnverifiableCalldataError);
    expect([err.selector, err.unverified]).toEqual(["0x12345678", []]);
  });

  it("refuses a decoder's answer without an output token that does not list it as unverified", () => {
    const loose = {
      address: AGGREGATION_ROUTER_V6,
      decode: (data: Hex) => ({ ...decodeAggregationRouterV6(data)!, dstToken: undefined, unverified: [] }),
    };
    const err = errorOf(() =>
      verifySwap({
        expected,
        response: response(aggregationV6Calldata(ask())),
        router: loose,
        allowPartiallyVerified: true,
      }),
    ) as UnverifiableCalldataError;
    expect(err).toBeInstanceOf(UnverifiableCalldataError);
    expect(err.unverified).toEqual(["dstToken"]);
  });

  it("passes the API's gas estimate on when it gave one", () => {
    const res = response(aggregationV6Calldata(ask()), { tx: { gas: 210_000n } });
    expect(verifySwap({ expected, response: res, router }).gas).toBe(210_000n);
  });
});

describe("decodeAggregationRouterV6: unoswapTo2/3 and low addresses", () => {
  const LOW: Address = "0x00000000000000000000000000000000000000aB";

  it("decodes unoswapTo2 and unoswapTo3 to their recipient, and keeps an address's leading zeros", () => {
    const args = [BigInt(LOW), BigInt(WETH), 10n ** 18n, 2_995_000_000n, BigInt(EVE)] as const;
    for (const [functionName, data] of [
      [
        "unoswapTo2",
        encodeFunctionData({ abi: aggregationRouterV6Abi, functionName: "unoswapTo2", args: [...args, 1n] }),
      ],
      [
        "unoswapTo3",
        encodeFunctionData({
          abi: aggregationRouterV6Abi,
          functionName: "unoswapTo3",
          args: [...args, 1n, 2n],
        }),
      ],
    ] as const) {
      expect(decodeAggregationRouterV6(data)).toMatchObject({
        method: functionName,
        srcToken: WETH,
        dstToken: undefined,
        amount: 10n ** 18n,
        minReturn: 2_995_000_000n,
        recipient: getAddress(LOW),
        unverified: ["dstToken"],
      });
    }
  });
});

import type { Address, Call } from "@ballast/core";
import { isAddressEqual } from "viem";
import {
  InsufficientOutputError,
  SwapMismatchError,
  UntrustedRouterError,
  UnverifiableCalldataError,
} from "./errors.ts";
import { type DecodedSwap, selectorOf, type TrustedRouter } from "./routers.ts";
import type { SwapResponse } from "./schemas.ts";

/** What the plan asked for: the facts the API's answer must agree with. */
export type SwapExpectation = {
  readonly chainId: number;
  readonly tokenIn: Address;
  readonly tokenOut: Address;
  readonly amountIn: bigint;
  /** The account that sends the batch (`from`). */
  readonly account: Address;
  /** Who must receive `tokenOut`. Default `account`. */
  readonly receiver?: Address;
  readonly minAmountOut: bigint;
};

/** Parameters of {@link verifySwap}. */
export type VerifySwapParameters = {
  readonly expected: SwapExpectation;
  readonly response: SwapResponse;
  /** The router trusted on `expected.chainId` (address and decoder). */
  readonly router: TrustedRouter;
  /** Accept calldata whose decoder leaves fields unverified (e.g. unoswap's output token). Default false. */
  readonly allowPartiallyVerified?: boolean;
};

/** A swap answer that passed every check: the call to put in the batch and what was verified. */
export type VerifiedSwap = {
  /** The swap call: the trusted router, the API's data, zero value. */
  readonly call: Call;
  readonly decoded: DecodedSwap;
  /** The API's expected output (`dstAmount`). */
  readonly amountOut: bigint;
  /** The guard enforced on-chain by the router (`minReturn` in the calldata), ≥ the expectation's minimum. */
  readonly minAmountOut: bigint;
  /** The API's gas estimate, when it gave a non-zero one. */
  readonly gas?: bigint;
};

/**
 * Checks a Swap API answer against what was asked, without trusting any of it: `tx.to` is the trusted router,
 * `tx.from` the account, `tx.value` zero, the token infos (when present) and the decoded calldata name the
 * requested tokens, the exact amount and our receiver, no partial fill or Permit2, and both `dstAmount` and the
 * calldata's `minReturn` reach the minimum. Throws a typed error on the first failure; pure.
 */
export function verifySwap(params: VerifySwapParameters): VerifiedSwap {
  const { expected, response, router } = params;
  const { tx } = response;
  const receiver = expected.receiver ?? expected.account;

  if (!isAddressEqual(tx.to, router.address)) {
    throw new UntrustedRouterError(expected.chainId, router.address, tx.to);
  }
  if (!isAddressEqual(tx.from, expected.account)) {
    throw new SwapMismatchError("tx.from", expected.account, tx.from);
  }
  if (tx.value !== 0n) throw new SwapMismatchError("tx.value", "0", tx.value.toString());
  if (response.srcToken && !isAddressEqual(response.srcToken.address, expected.tokenIn)) {
    throw new SwapMismatchError("srcToken.address", expected.tokenIn, response.srcToken.address);
  }
  if (response.dstToken && !isAddressEqual(response.dstToken.address, expected.tokenOut)) {
    throw new SwapMismatchError("dstToken.address", expected.tokenOut, response.dstToken.address);
  }
  if (response.dstAmount < expected.minAmountOut) {
    throw new InsufficientOutputError("dstAmount", response.dstAmount, expected.minAmountOut);
  }

  const decoded = router.decode(tx.data);
  if (!decoded) throw new UnverifiableCalldataError(selectorOf(tx.data), []);
  if (!isAddressEqual(decoded.srcToken, expected.tokenIn)) {
    throw new SwapMismatchError("calldata.srcToken", expected.tokenIn, decoded.srcToken);
  }
  if (decoded.dstToken !== undefined && !isAddressEqual(decoded.dstToken, expected.tokenOut)) {
    throw new SwapMismatchError("calldata.dstToken", expected.tokenOut, decoded.dstToken);
  }
  if (decoded.dstToken === undefined && !decoded.unverified.includes("dstToken")) {
    throw new UnverifiableCalldataError(selectorOf(tx.data), ["dstToken"]);
  }
  if (decoded.amount !== expected.amountIn) {
    throw new SwapMismatchError("calldata.amount", expected.amountIn.toString(), decoded.amount.toString());
  }
  // "sender" means the router pays msg.sender, which is the account: tx.from was checked above, and in an
  // EIP-7702 batch the delegated EOA itself makes the call.
  const recipient = decoded.recipient === "sender" ? expected.account : decoded.recipient;
  if (!isAddressEqual(recipient, receiver)) {
    throw new SwapMismatchError("calldata.recipient", receiver, recipient);
  }
  if (decoded.partialFill) throw new SwapMismatchError("calldata.flags.partialFill", "false", "true");
  if (decoded.permit2) throw new SwapMismatchError("calldata.flags.usePermit2", "false", "true");
  if (decoded.minReturn < expected.minAmountOut) {
    throw new InsufficientOutputError("calldata.minReturn", decoded.minReturn, expected.minAmountOut);
  }
  if (decoded.unverified.length > 0 && !params.allowPartiallyVerified) {
    throw new UnverifiableCalldataError(selectorOf(tx.data), decoded.unverified);
  }

  return {
    call: { to: router.address, data: tx.data, value: 0n },
    decoded,
    amountOut: response.dstAmount,
    minAmountOut: decoded.minReturn,
    ...(tx.gas !== undefined && tx.gas > 0n ? { gas: tx.gas } : {}),
  };
}

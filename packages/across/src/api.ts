import type { Address } from "@ballast/core";
import { type AcrossClient, getJson } from "./http.ts";
import {
  type AcrossLimits,
  type DepositStatusResponse,
  depositStatusSchema,
  limitsResponseSchema,
  type SuggestedFees,
  suggestedFeesSchema,
} from "./schemas.ts";

/** A route: which token leaves which chain, and which token it arrives as on which chain. */
export type AcrossRoute = {
  readonly originChainId: number;
  readonly destinationChainId: number;
  readonly inputToken: Address;
  readonly outputToken: Address;
};

/** Parameters of `GET /suggested-fees`. */
export type GetSuggestedFeesParameters = AcrossRoute & {
  /** Input amount in the input token's base units. */
  readonly amount: bigint;
  /** Who receives the output on the destination (our own account). */
  readonly recipient?: Address;
  readonly signal?: AbortSignal;
};

/** Asks Across what a deposit costs and what it should say. The answer is validated for shape only: check it with `validateQuote`. */
export function getSuggestedFees(
  client: AcrossClient,
  params: GetSuggestedFeesParameters,
): Promise<SuggestedFees> {
  return getJson(
    client,
    "/suggested-fees",
    {
      inputToken: params.inputToken,
      outputToken: params.outputToken,
      originChainId: params.originChainId,
      destinationChainId: params.destinationChainId,
      amount: params.amount,
      recipient: params.recipient,
    },
    suggestedFeesSchema,
    params.signal,
  );
}

/** Asks Across the deposit limits of a route (`GET /limits`). */
export function getLimits(
  client: AcrossClient,
  params: AcrossRoute & { readonly signal?: AbortSignal },
): Promise<AcrossLimits> {
  return getJson(
    client,
    "/limits",
    {
      inputToken: params.inputToken,
      outputToken: params.outputToken,
      originChainId: params.originChainId,
      destinationChainId: params.destinationChainId,
    },
    limitsResponseSchema,
    params.signal,
  );
}

/** Asks Across where a deposit is (`GET /deposit/status`), by origin chain and deposit id. The chain is the authority: prove a fill with `readFillStatus`. */
export function getDepositStatus(
  client: AcrossClient,
  params: { readonly originChainId: number; readonly depositId: bigint; readonly signal?: AbortSignal },
): Promise<DepositStatusResponse> {
  return getJson(
    client,
    "/deposit/status",
    { originChainId: params.originChainId, depositId: params.depositId },
    depositStatusSchema,
    params.signal,
  );
}

import type { Address } from "@ballast/core";
import { buildUrl, type OneInchClient, requestJson } from "./http.ts";
import {
  allowanceResponseSchema,
  type QuoteResponse,
  quoteResponseSchema,
  type SwapResponse,
  spenderResponseSchema,
  swapResponseSchema,
} from "./schemas.ts";

/** Extra documented query parameters (e.g. `protocols`, `connectorTokens`, `complexityLevel`), sent as given. */
export type ExtraQuery = Readonly<Record<string, string | number | boolean>>;

/** Parameters of `GET /swap/v6.0/{chainId}/quote`. */
export type GetQuoteParameters = {
  readonly chainId: number;
  /** Source token (`src`). */
  readonly src: Address;
  /** Destination token (`dst`). */
  readonly dst: Address;
  /** Amount of `src` in base units (`amount`). */
  readonly amount: bigint;
  readonly includeTokensInfo?: boolean;
  readonly includeProtocols?: boolean;
  readonly includeGas?: boolean;
  readonly extra?: ExtraQuery;
  readonly signal?: AbortSignal;
};

/** Parameters of `GET /swap/v6.0/{chainId}/swap`. */
export type GetSwapParameters = GetQuoteParameters & {
  /** The address that calls the router (`from`): the account executing the batch. */
  readonly from: Address;
  /** The EOA that originates the transaction (`origin`). Default `from`. */
  readonly origin?: Address;
  /** Slippage tolerance in basis points (sent as the API's percent, e.g. 50 → "0.5"). 0–5,000. */
  readonly slippageBps: number;
  /** Who receives `dst` (`receiver`). Default: the API's default, `from`. */
  readonly receiver?: Address;
  /** Skip the API's on-chain simulation (`disableEstimate`); we simulate the batch ourselves. */
  readonly disableEstimate?: boolean;
  /** `allowPartialFill`; leave false: a partial fill would leave part of the approval unspent. */
  readonly allowPartialFill?: boolean;
};

/** Path prefix of the Swap API for a chain. */
export const swapApiPath = (chainId: number): string => `/swap/v6.0/${chainId}`;

/** Formats integer basis points as the API's percent string without floats (50 → "0.5", 1 → "0.01"). */
export function bpsToPercent(bps: number): string {
  if (!Number.isInteger(bps) || bps < 0 || bps > 5_000) {
    throw new RangeError(`slippage must be an integer number of bps in [0, 5000], got ${bps}`);
  }
  const whole = Math.floor(bps / 100);
  const frac = String(bps % 100)
    .padStart(2, "0")
    .replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : String(whole);
}

/** Asks the Swap API how much `dst` an `amount` of `src` buys (no calldata). */
export async function getQuote(client: OneInchClient, params: GetQuoteParameters): Promise<QuoteResponse> {
  const url = buildUrl(client, `${swapApiPath(params.chainId)}/quote`, {
    ...params.extra,
    src: params.src,
    dst: params.dst,
    amount: params.amount,
    includeTokensInfo: params.includeTokensInfo,
    includeProtocols: params.includeProtocols,
    includeGas: params.includeGas,
  });
  return requestJson(client, withSignal({ url, schema: quoteResponseSchema }, params.signal));
}

/** Asks the Swap API for swap calldata. The answer is validated for shape only: verify it with `verifySwap`. */
export async function getSwap(client: OneInchClient, params: GetSwapParameters): Promise<SwapResponse> {
  const url = buildUrl(client, `${swapApiPath(params.chainId)}/swap`, {
    ...params.extra,
    src: params.src,
    dst: params.dst,
    amount: params.amount,
    from: params.from,
    origin: params.origin ?? params.from,
    slippage: bpsToPercent(params.slippageBps),
    receiver: params.receiver,
    disableEstimate: params.disableEstimate,
    allowPartialFill: params.allowPartialFill,
    includeTokensInfo: params.includeTokensInfo,
    includeProtocols: params.includeProtocols,
    includeGas: params.includeGas,
  });
  return requestJson(client, withSignal({ url, schema: swapResponseSchema }, params.signal));
}

/** Asks the Swap API which router it wants approved (`/approve/spender`). Compare it, never trust it. */
export async function getApproveSpender(
  client: OneInchClient,
  params: { readonly chainId: number; readonly signal?: AbortSignal },
): Promise<Address> {
  const url = buildUrl(client, `${swapApiPath(params.chainId)}/approve/spender`);
  const res = await requestJson(client, withSignal({ url, schema: spenderResponseSchema }, params.signal));
  return res.address;
}

/** Reads the router's allowance over `tokenAddress` for `walletAddress` as the API sees it (`/approve/allowance`). */
export async function getApproveAllowance(
  client: OneInchClient,
  params: {
    readonly chainId: number;
    readonly tokenAddress: Address;
    readonly walletAddress: Address;
    readonly signal?: AbortSignal;
  },
): Promise<bigint> {
  const url = buildUrl(client, `${swapApiPath(params.chainId)}/approve/allowance`, {
    tokenAddress: params.tokenAddress,
    walletAddress: params.walletAddress,
  });
  const res = await requestJson(client, withSignal({ url, schema: allowanceResponseSchema }, params.signal));
  return res.allowance;
}

function withSignal<T extends object>(req: T, signal: AbortSignal | undefined): T & { signal?: AbortSignal } {
  return signal ? { ...req, signal } : req;
}

import {
  type BlockchainProviderConnector,
  type EIP712TypedData,
  FusionSDK,
  type HttpProviderConnector,
  type NetworkEnum,
} from "@1inch/fusion-sdk";
import type { Address } from "@ballast/core";
import { type Hex, isAddressEqual, type LocalAccount, type TypedDataDefinition } from "viem";
import { z } from "zod";
import { FusionSignerError } from "./errors.ts";
import { type OneInchClient, requestJson } from "./http.ts";
import { fusionOrderStatusSchema, fusionQuoteResponseSchema } from "./schemas.ts";
import { trustedRouterFor } from "./venue.ts";

/** What signs Fusion orders: a viem local account (private key, mnemonic, HD) or anything with the same two members. */
export type FusionSigner = Pick<LocalAccount, "address" | "signTypedData">;

/** Options of {@link createFusionClient}. */
export type FusionClientParameters = {
  /** The HTTP client (base URL, key, timeouts, retries) the SDK's requests go through. */
  readonly client: OneInchClient;
  readonly chainId: number;
  /** Signs orders; its address is the maker. */
  readonly signer: FusionSigner;
  /** The SDK's URL prefix (it appends `/quoter/v2.0/…`, `/relayer/v2.0/…`, `/orders/v2.0/…`). Default `{baseUrl}/fusion`. */
  readonly url?: string;
  /** Limit Order Protocol v4 the orders are signed for. Default the chain's AggregationRouterV6. */
  readonly limitOrderProtocol?: Address;
  /** Settlement extensions trusted on this chain. An order through any other is refused. */
  readonly trustedSettlements?: readonly Address[];
  /** Skip the settlement check (trust the quoter's `settlementAddress`). Default false. */
  readonly allowAnySettlement?: boolean;
  /** Waits between status polls. Default a `setTimeout` promise. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Clock for the polling deadline, ms. Default `Date.now`. */
  readonly now?: () => number;
};

/** A configured Fusion client: the SDK wired to our HTTP client and viem signer, plus the trust settings. */
export type FusionClient = {
  readonly sdk: FusionSDK;
  readonly chainId: number;
  readonly account: Address;
  readonly url: string;
  readonly limitOrderProtocol: Address;
  readonly trustedSettlements: readonly Address[];
  readonly allowAnySettlement: boolean;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
};

/** Builds a {@link FusionClient}. Makes no request and no chain call. */
export function createFusionClient(params: FusionClientParameters): FusionClient {
  const url = (params.url ?? `${params.client.baseUrl}/fusion`).replace(/\/+$/, "");
  const sdk = new FusionSDK({
    url,
    network: params.chainId as NetworkEnum,
    httpProvider: fusionHttpConnector(params.client),
    blockchainProvider: viemFusionSigner(params.signer),
  });
  return {
    sdk,
    chainId: params.chainId,
    account: params.signer.address,
    url,
    limitOrderProtocol: params.limitOrderProtocol ?? trustedRouterFor(params.chainId).address,
    trustedSettlements: params.trustedSettlements ?? [],
    allowAnySettlement: params.allowAnySettlement ?? false,
    sleep: params.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    now: params.now ?? Date.now,
  };
}

/**
 * The SDK's `BlockchainProviderConnector` backed by a viem account. It signs EIP-712 orders for its own address
 * only; `ethCall` refuses, since building and signing an order needs no chain call.
 */
export function viemFusionSigner(signer: FusionSigner): BlockchainProviderConnector {
  return {
    async signTypedData(walletAddress: string, typedData: EIP712TypedData): Promise<string> {
      if (
        !/^0x[0-9a-fA-F]{40}$/.test(walletAddress) ||
        !isAddressEqual(walletAddress as Hex, signer.address)
      ) {
        throw new FusionSignerError(
          `asked to sign for ${walletAddress}, but the signer is ${signer.address}`,
        );
      }
      const { EIP712Domain: _domain, ...types } = typedData.types;
      return signer.signTypedData({
        domain: typedData.domain,
        types,
        primaryType: typedData.primaryType,
        message: typedData.message,
      } as unknown as TypedDataDefinition);
    },
    async ethCall(): Promise<string> {
      throw new FusionSignerError("no chain call expected: Fusion orders are built and signed off-chain");
    },
  };
}

/** Picks the zod schema for a Fusion endpoint from its URL; endpoints this package does not use get `unknown`. */
export function fusionSchemaFor(url: string): z.ZodType<unknown> {
  const path = new URL(url).pathname;
  if (/\/quoter\/v2\.0\/\d+\/quote\/receive\/?$/.test(path)) return fusionQuoteResponseSchema;
  if (/\/orders\/v2\.0\/\d+\/order\/status\/0x[0-9a-fA-F]+\/?$/.test(path)) return fusionOrderStatusSchema;
  return z.unknown();
}

/**
 * The SDK's `HttpProviderConnector` over our client: Bearer key, timeouts, jittered retries, typed errors,
 * and zod validation of the quoter and order-status answers before the SDK reads them.
 */
export function fusionHttpConnector(client: OneInchClient): HttpProviderConnector {
  return {
    get: <T>(url: string) => requestJson(client, { url, schema: fusionSchemaFor(url) }) as Promise<T>,
    post: <T>(url: string, data: unknown) =>
      requestJson(client, { url, method: "POST", body: data, schema: fusionSchemaFor(url) }) as Promise<T>,
  };
}

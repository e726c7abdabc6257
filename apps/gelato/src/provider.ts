import {
  type ChainPublicClient,
  getChainInfo,
  knownChains,
  MULTICALL_BATCH_BYTES,
  toViemChain,
} from "@ballast/chain";
import { createPublicClient, custom, defineChain } from "viem";

/** The part of an ethers v5 JSON-RPC provider (Gelato's `multiChainProvider.default()`) the function uses. */
export type JsonRpcSender = { send(method: string, params: unknown[]): Promise<unknown> };

type RpcBody = { code?: unknown; message?: unknown; data?: unknown };

/**
 * Turns what an ethers v5 `send` throws into the JSON-RPC error viem expects (`code`, `message`, `data`), so
 * reverts keep their data and "method not found" stays recognisable. The provider URL (which may hold a key)
 * is never copied into the error.
 */
export function toJsonRpcError(err: unknown): Error {
  const e = (err ?? {}) as { error?: RpcBody; body?: unknown; code?: unknown; reason?: unknown };
  let body: RpcBody | undefined = typeof e.error?.code === "number" ? e.error : undefined;
  if (!body && typeof e.body === "string") {
    try {
      const parsed = JSON.parse(e.body) as { error?: RpcBody };
      if (typeof parsed.error?.code === "number") body = parsed.error;
    } catch {
      // not JSON: fall through
    }
  }
  if (body)
    return Object.assign(new Error(typeof body.message === "string" ? body.message : "JSON-RPC error"), {
      code: body.code,
      ...(body.data === undefined ? {} : { data: body.data }),
    });
  const reason =
    typeof e.reason === "string" ? e.reason : typeof e.code === "string" ? e.code : "unknown error";
  return new Error(`RPC request failed: ${reason}`);
}

/**
 * A viem public client over an ethers v5 provider (`custom` transport → `provider.send`), with the same
 * Multicall3 batching as `@ballast/chain`'s clients. Known chains come from the registry, others get a minimal entry.
 */
export function clientFromProvider(provider: JsonRpcSender, chainId: number): ChainPublicClient {
  const chain = knownChains.has(chainId)
    ? toViemChain(getChainInfo(chainId))
    : defineChain({
        id: chainId,
        name: `chain ${chainId}`,
        nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
        rpcUrls: { default: { http: [] } },
        contracts: { multicall3: { address: "0xcA11bde05977b3631167028862bE2a173976CA11" } },
      });
  return createPublicClient({
    chain,
    transport: custom(
      {
        async request({ method, params }: { method: string; params?: unknown }) {
          try {
            return await provider.send(method, (params ?? []) as unknown[]);
          } catch (err) {
            throw toJsonRpcError(err);
          }
        },
      },
      { retryCount: 0 },
    ),
    batch: { multicall: { batchSize: MULTICALL_BATCH_BYTES, wait: 0 } },
    cacheTime: 0,
  });
}

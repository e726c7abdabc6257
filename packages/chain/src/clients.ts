import type { Address } from "@ballast/core";
import {
  type Abi,
  type Chain,
  type ContractFunctionParameters,
  createPublicClient,
  http,
  type LocalAccount,
  type MulticallReturnType,
  type PublicClient,
  type Transport,
} from "viem";
import { ChainMismatchError, RpcUnavailableError } from "./errors.ts";
import { type ChainInfo, type ChainRegistry, getChainInfo, knownChains, toViemChain } from "./registry.ts";
import { createRpcPool, type RpcPool, type RpcRequestEvent, type RpcStatus, rankedFallback } from "./rpc.ts";

/** Calldata bytes of concurrent reads viem may pack into one Multicall3 `eth_call` (far above its 1 024 default). */
export const MULTICALL_BATCH_BYTES = 128 * 1024;

/** A viem public client bound to a chain. */
export type ChainPublicClient = PublicClient<Transport, Chain>;

/** Parameters of {@link createChainClients}. */
export type CreateChainClientsParameters = {
  /** A registry entry or a chain id to look up in `registry`. */
  readonly chain: ChainInfo | number;
  /** RPC URLs, preferred first; ranked by health at run time. */
  readonly rpcUrls: readonly string[];
  /** The signing account (the keeper's key); required to send. */
  readonly account?: LocalAccount | undefined;
  /** Where to look `chain` up when it is an id. Default {@link knownChains}. */
  readonly registry?: ChainRegistry;
  /** Per-request timeout, ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** How long a failing URL is ranked last, ms. Default 5 000. */
  readonly cooldownMs?: number;
  /** viem polling interval, ms. Default a quarter of the block time (50–4 000). */
  readonly pollingIntervalMs?: number;
  /** Sees every RPC request's outcome, per URL and retry (e.g. to count failures per method). */
  readonly onRpcRequest?: (event: RpcRequestEvent) => void;
  /**
   * A send-only endpoint (a private or MEV-protected relay): every `eth_sendRawTransaction` — first send,
   * rebroadcast, replacement — goes there and nowhere else; reads, nonces and fees stay on `rpcUrls`.
   */
  readonly sendRpcUrl?: string | undefined;
};

/** Everything needed to talk to one chain: registry entry, RPC pool, a fallback public client, the signer. */
export type ChainClients = {
  readonly chain: ChainInfo;
  readonly viemChain: Chain;
  readonly pool: RpcPool;
  /** Reads over the ranked fallback; concurrent `readContract`s are batched into one Multicall3 `eth_call`. */
  readonly public: ChainPublicClient;
  readonly account: LocalAccount | undefined;
  readonly pollingIntervalMs: number;
  /** The send-only endpoint ({@link CreateChainClientsParameters.sendRpcUrl}), when configured. */
  readonly send?: PinnedClient | undefined;
};

/** A public client pinned to ONE RPC URL: nonce, fee estimate and broadcast of a transaction all go there. */
export type PinnedClient = { readonly url: string; readonly public: ChainPublicClient };

/**
 * Creates the clients of one chain: a health-ranked fallback over `rpcUrls` with Multicall3 read batching
 * (no 1 024-byte split), and the account used to sign.
 *
 * @example
 * const clients = createChainClients({ chain: 8453, rpcUrls: [primary, backup], account });
 * const block = await clients.public.getBlockNumber();
 */
export function createChainClients(params: CreateChainClientsParameters): ChainClients {
  const chain =
    typeof params.chain === "number"
      ? getChainInfo(params.chain, params.registry ?? knownChains)
      : params.chain;
  const poolOptions = {
    ...(params.timeoutMs === undefined ? {} : { timeoutMs: params.timeoutMs }),
    ...(params.cooldownMs === undefined ? {} : { cooldownMs: params.cooldownMs }),
    ...(params.onRpcRequest ? { onRequest: params.onRpcRequest } : {}),
  };
  const pool = createRpcPool(chain.id, params.rpcUrls, poolOptions);
  const viemChain = toViemChain(chain, params.rpcUrls);
  const pollingIntervalMs =
    params.pollingIntervalMs ?? Math.min(4_000, Math.max(50, Math.floor(chain.blockTimeMs / 4)));
  const client = createPublicClient({
    chain: viemChain,
    transport: rankedFallback(pool),
    // One Multicall3 eth_call per tick for concurrent reads (viem splits at 1 024 bytes by default).
    batch: { multicall: { batchSize: MULTICALL_BATCH_BYTES, wait: 0 } },
    pollingInterval: pollingIntervalMs,
    cacheTime: 0,
  });
  const sendUrl = params.sendRpcUrl;
  const send = sendUrl
    ? {
        url: sendUrl,
        public: createPublicClient({
          chain: viemChain,
          transport: createRpcPool(chain.id, [sendUrl], poolOptions).transport(sendUrl),
          pollingInterval: pollingIntervalMs,
          cacheTime: 0,
        }),
      }
    : undefined;
  return { chain, viemChain, pool, public: client, account: params.account, pollingIntervalMs, send };
}

/** A public client on a single URL of the pool (no fallback), e.g. to pin the send path. */
export function clientForUrl(clients: ChainClients, url: string): ChainPublicClient {
  return createPublicClient({
    chain: clients.viemChain,
    transport: clients.pool.transport(url),
    pollingInterval: clients.pollingIntervalMs,
    cacheTime: 0,
  });
}

/**
 * Picks the best-ranked URL that answers `eth_chainId` with the right chain and returns a client pinned to it.
 * Dead or wrong-chain URLs are skipped (and ranked down); throws {@link RpcUnavailableError} if none answers.
 */
export async function pinClient(clients: ChainClients): Promise<PinnedClient> {
  const causes: unknown[] = [];
  for (const s of clients.pool.ranked()) {
    const client = clientForUrl(clients, s.url);
    try {
      const id = await client.getChainId();
      if (id !== clients.chain.id) {
        const err = new ChainMismatchError(s.url, clients.chain.id, id);
        clients.pool.record(s.url, { ok: false, latencyMs: 0, error: err.shortMessage });
        causes.push(err);
        continue;
      }
      return { url: s.url, public: client };
    } catch (err) {
      causes.push(err);
    }
  }
  throw new RpcUnavailableError(clients.chain.id, clients.pool.urls, causes.at(-1));
}

/**
 * Asks every URL of the chain — the pool's and the send-only one — for `eth_chainId`, in parallel, once each (no
 * retry, `timeoutMs` default 3 000, outside the pool's health table), and throws {@link ChainMismatchError} (with
 * `chain`, the config's name) for the first one that serves another chain. A URL that does not answer is not an error
 * here: the pool ranks it down and reads fall back. Call it at start and after a reconnect.
 */
export async function checkChainIds(
  clients: ChainClients,
  params: { readonly chain?: string; readonly timeoutMs?: number } = {},
): Promise<void> {
  const urls = [...clients.pool.urls, ...(clients.send ? [clients.send.url] : [])];
  const timeout = params.timeoutMs ?? 3_000;
  const ids = await Promise.all(
    urls.map((url) =>
      createPublicClient({ transport: http(url, { timeout, retryCount: 0 }) })
        .getChainId()
        .catch(() => undefined),
    ),
  );
  ids.forEach((id, i) => {
    if (id !== undefined && id !== clients.chain.id)
      throw new ChainMismatchError(urls[i] as string, clients.chain.id, id, params.chain);
  });
}

/** Pings every URL of the chain once (`eth_chainId`) and returns the refreshed ranking, best first. */
export async function probeRpcs(clients: ChainClients): Promise<RpcStatus[]> {
  await Promise.all(
    clients.pool.urls.map(async (url) => {
      try {
        const id = await clientForUrl(clients, url).getChainId();
        if (id !== clients.chain.id)
          clients.pool.record(url, { ok: false, latencyMs: 0, error: `serves chain ${id}` });
      } catch {
        // recorded by the pool's transport
      }
    }),
  );
  return clients.pool.ranked();
}

/** Parameters of {@link readMulticall}. */
export type ReadMulticallParameters<contracts extends readonly unknown[]> = {
  readonly contracts: contracts;
  /** Pin the read to a block (all results consistent). Default latest. */
  readonly blockNumber?: bigint;
};

/**
 * Reads many contract functions in ONE `eth_call` through Multicall3 (never split), each result with its
 * own success flag.
 */
export async function readMulticall<const contracts extends readonly ContractFunctionParameters<Abi>[]>(
  client: ChainPublicClient,
  params: ReadMulticallParameters<contracts>,
): Promise<MulticallReturnType<contracts, true>> {
  const multicallAddress = client.chain.contracts?.multicall3?.address as Address | undefined;
  return (await client.multicall({
    contracts: params.contracts as never,
    allowFailure: true,
    batchSize: 0,
    ...(multicallAddress ? { multicallAddress } : {}),
    ...(params.blockNumber === undefined ? {} : { blockNumber: params.blockNumber }),
  })) as MulticallReturnType<contracts, true>;
}

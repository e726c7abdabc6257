import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
  type TestClient,
  type Transport,
  type WalletClient,
} from "viem";
import { TEST_ACCOUNT_INDEX, type TestAccountName, testAccounts } from "./accounts.ts";
import { type Anvil, startAnvil } from "./anvil.ts";
import { type CachedState, ensureCachedState } from "./cache.ts";
import type { AaveVersion } from "./config.ts";
import { type Deployment, MULTICALL3_ADDRESS } from "./deployment.ts";
import { NoLocalDeploymentError, TestkitError } from "./errors.ts";

/** Polling interval of the testkit's viem clients: anvil mines instantly, so waiting 4 s (viem's default) is waste. */
export const TEST_POLLING_INTERVAL_MS = 25;

/** A local anvil chain with the testkit deployment (or a fork of a real network), with viem clients. */
export type TestChain = {
  chainId: number;
  rpcUrl: string;
  /** A viem chain for this RPC, with Multicall3 set. */
  chain: Chain;
  /** True when the chain forks a real network: there is no testkit deployment then. */
  isFork: boolean;
  /** The testkit deployment; throws {@link NoLocalDeploymentError} on forks. */
  deployment: Deployment;
  anvil: Anvil;
  publicClient: PublicClient<Transport, Chain>;
  testClient: TestClient<"anvil", Transport, Chain>;
  /** Wallet clients for the well-known test accounts (local signing). */
  walletClients: Record<TestAccountName, WalletClient<Transport, Chain, Account>>;
  /** A wallet client for any account: a viem account (local signing) or an address (anvil signs: impersonated or unlocked). */
  walletClient: (account: Account | Address) => WalletClient<Transport, Chain, Account>;
  /** `evm_snapshot`: returns an id to revert to. */
  snapshot: () => Promise<Hex>;
  /** `evm_revert` to a snapshot id (which is consumed; take a new snapshot to revert again). */
  revert: (id: Hex) => Promise<void>;
  /** Stops anvil. Idempotent. */
  stop: () => Promise<void>;
  /** Time spent starting, in ms: `cache` (ensure/build the state), `anvil` (spawn to listening), `total`. */
  timings: { cache: number; anvil: number; total: number };
};

/** Options for {@link startTestChain}. */
export type StartTestChainParameters = {
  /** Chain id; the cache holds one deployed state per chain id and Aave version. */
  chainId: number;
  /** The Aave market to deploy: "3.6" (default, aave-v3-origin, what production runs) or "3.0". Ignored on forks. */
  aave?: AaveVersion | undefined;
  /** Fork this real-network RPC instead of loading the local deployment (see {@link forkUrlFromEnv}). */
  forkUrl?: string | undefined;
  /** Fork block (forks only; default latest). */
  forkBlockNumber?: bigint | undefined;
  /** Cache directory (default `packages/testkit/.cache`). */
  cacheDir?: string | undefined;
  /** Extra anvil arguments. */
  anvilArgs?: readonly string[] | undefined;
};

/** Starts a test chain: from the cached deployed state (built on first use), or as a fork when `forkUrl` is set. */
export async function startTestChain(params: StartTestChainParameters): Promise<TestChain> {
  const started = performance.now();
  let cached: CachedState | undefined;
  if (!params.forkUrl)
    cached = await ensureCachedState({
      chainId: params.chainId,
      aave: params.aave,
      cacheDir: params.cacheDir,
    });
  const cacheMs = performance.now() - started;

  const anvil = await startAnvil({
    // A fork keeps the network's own chain id, so a URL for the wrong network fails the check below.
    chainId: params.forkUrl ? undefined : params.chainId,
    loadState: cached?.statePath,
    forkUrl: params.forkUrl,
    forkBlockNumber: params.forkBlockNumber,
    args: params.anvilArgs,
  });
  const anvilMs = performance.now() - started - cacheMs;
  try {
    const chain = await connectTestChain({
      anvil,
      chainId: params.chainId,
      deployment: cached?.deployment,
      isFork: params.forkUrl !== undefined,
    });
    chain.timings.cache = cacheMs;
    chain.timings.anvil = anvilMs;
    chain.timings.total = performance.now() - started;
    return chain;
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}

/**
 * Wraps a running anvil in a {@link TestChain}. With a deployment (a chain loaded from the cache), sets the
 * clock to just after the loaded head and mines one block, so time moves forward from the dumped state.
 */
export async function connectTestChain(params: {
  anvil: Anvil;
  chainId: number;
  deployment?: Deployment | undefined;
  /** Default: true when there is no deployment. */
  isFork?: boolean | undefined;
}): Promise<TestChain> {
  const { anvil, deployment } = params;
  const transport = http(anvil.rpcUrl, { retryCount: 0 });
  const chain = defineChain({
    id: params.chainId,
    name: `Ballast testkit ${params.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [anvil.rpcUrl] } },
    contracts: { multicall3: { address: MULTICALL3_ADDRESS } },
  });
  const publicClient = createPublicClient({
    chain,
    transport,
    pollingInterval: TEST_POLLING_INTERVAL_MS,
    cacheTime: 0,
  }) as PublicClient<Transport, Chain>;
  const testClient = createTestClient({
    chain,
    transport,
    mode: "anvil",
    pollingInterval: TEST_POLLING_INTERVAL_MS,
    cacheTime: 0,
  }) as TestClient<"anvil", Transport, Chain>;

  const actualChainId = await publicClient.getChainId();
  if (actualChainId !== params.chainId)
    throw new TestkitError(`anvil reports chain id ${actualChainId}, expected ${params.chainId}.`);

  if (deployment) {
    // A loaded state keeps the dump's head timestamp; move the clock past it (never backwards) and mine,
    // or Aave's index math underflows on a block older than its last update.
    const head = await publicClient.getBlock({ blockTag: "latest" });
    const now = BigInt(Math.floor(Date.now() / 1000));
    await testClient.setNextBlockTimestamp({
      timestamp: head.timestamp + 1n > now ? head.timestamp + 1n : now,
    });
    await testClient.mine({ blocks: 1 });
  }

  const walletClient = (account: Account | Address) =>
    createWalletClient({
      chain,
      transport,
      account,
      pollingInterval: TEST_POLLING_INTERVAL_MS,
      cacheTime: 0,
    }) as WalletClient<Transport, Chain, Account>;
  const walletClients = Object.fromEntries(
    (Object.keys(TEST_ACCOUNT_INDEX) as TestAccountName[]).map((name) => [
      name,
      walletClient(testAccounts[name]),
    ]),
  ) as Record<TestAccountName, WalletClient<Transport, Chain, Account>>;

  const result: TestChain = {
    chainId: params.chainId,
    rpcUrl: anvil.rpcUrl,
    chain,
    isFork: params.isFork ?? deployment === undefined,
    get deployment(): Deployment {
      if (!deployment) throw new NoLocalDeploymentError(params.chainId);
      return deployment;
    },
    anvil,
    publicClient,
    testClient,
    walletClients,
    walletClient,
    snapshot: () => testClient.snapshot(),
    revert: (id) => testClient.revert({ id }),
    stop: () => anvil.stop(),
    timings: { cache: 0, anvil: 0, total: 0 },
  };
  return result;
}

/** The fork URL for a chain id from `BALLAST_FORK_URL_<CHAINID>` (undefined when unset: no network is touched). */
export function forkUrlFromEnv(
  chainId: number,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const value = env[`BALLAST_FORK_URL_${chainId}`]?.trim();
  return value ? value : undefined;
}

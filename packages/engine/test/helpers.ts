/** Shared fixtures of the engine tests: a ChainSetup for a testkit chain, portfolio seeding, on-chain cross-checks. */
import { encodeBorrow, encodeSupply, fetchAavePositions } from "@ballast/aave-v3";
import {
  createChainClients,
  createTxManager,
  type Executor,
  eip7702Executor,
  memoryTxStore,
} from "@ballast/chain";
import { type Address, type Asset, assetId, type Call } from "@ballast/core";
import { aavePoolAbi, fund, getPool, sendAndWait, type TestChain, testkitAaveMarket } from "@ballast/testkit";
import {
  depositAmounts,
  encodeMint,
  type LpPositionKey,
  positionManagerAbi,
  rangeAround,
  uniswapV3Hint,
  uniswapV3HintOf,
  uniswapV3Venue,
} from "@ballast/uniswap-v3";
import {
  type Chain,
  type Client,
  createPublicClient,
  custom,
  decodeFunctionResult,
  encodeFunctionData,
  erc20Abi,
  type PrivateKeyAccount,
  parseGwei,
  type Transport,
} from "viem";
import { type ChainSetup, type ProtocolHints, protocolsOf } from "../src/index.ts";

export const WAD = 10n ** 18n;
export const usdc = (n: number) => BigInt(Math.round(n * 1e6));
export const weth = (n: number) => (BigInt(Math.round(n * 1e6)) * 10n ** 18n) / 1_000_000n;

/** The testkit tokens of a chain as core assets. */
export function tokensOf(chain: TestChain): Asset[] {
  return Object.values(chain.deployment.tokens).map((t) => ({
    id: assetId(chain.chainId, t.address),
    chainId: chain.chainId,
    address: t.address,
    symbol: t.symbol,
    decimals: t.decimals,
  }));
}

/** An EIP-7702 executor for `account` on a testkit chain (fast polling, in-memory journal). */
export function executorFor(chain: TestChain, account: PrivateKeyAccount, rpcUrl = chain.rpcUrl): Executor {
  const clients = createChainClients({
    chain: chain.chainId,
    rpcUrls: [rpcUrl],
    account,
    pollingIntervalMs: 25,
    timeoutMs: 10_000,
  });
  const manager = createTxManager({
    clients,
    store: memoryTxStore(),
    fees: { maxFeePerGas: parseGwei("200") },
    pollIntervalMs: 25,
    timeoutMs: 30_000,
  });
  return eip7702Executor({
    firewall: "off",
    clients,
    manager,
    implementation: chain.deployment.simple7702Account,
  });
}

/** A read client that counts JSON-RPC requests by method. */
export function countingClient(chain: TestChain): {
  client: Client<Transport, Chain>;
  counts: Record<string, number>;
  total: () => number;
  reset: () => void;
} {
  const counts: Record<string, number> = {};
  const client = createPublicClient({
    chain: chain.chain,
    transport: custom({
      async request({ method, params }) {
        counts[method] = (counts[method] ?? 0) + 1;
        return chain.publicClient.request({ method, params } as never);
      },
    }),
    cacheTime: 0,
  });
  return {
    client: client as unknown as Client<Transport, Chain>,
    counts,
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => {
      for (const k of Object.keys(counts)) delete counts[k];
    },
  };
}

/** A ChainSetup for a testkit chain (its Aave market, Uniswap V3 with the on-chain venue). */
export function setupFor(
  chain: TestChain,
  key: string,
  account: PrivateKeyAccount,
  overrides: Partial<ChainSetup> = {},
): ChainSetup {
  const d = chain.deployment;
  const symbols = Object.fromEntries(Object.values(d.tokens).map((t) => [t.address.toLowerCase(), t.symbol]));
  return {
    key,
    chainId: chain.chainId,
    client: chain.publicClient,
    account: account.address,
    tokens: tokensOf(chain),
    protocols: protocolsOf({
      aave: testkitAaveMarket(d),
      uniswap: {
        factory: d.uniswap.factory,
        positionManager: d.uniswap.positionManager,
        quoter: d.uniswap.quoterV2,
        router: d.uniswap.swapRouter,
        feeTiers: [500, 3000],
      },
    }),
    venues: [
      uniswapV3Venue({
        client: chain.publicClient,
        quoter: d.uniswap.quoterV2,
        router: d.uniswap.swapRouter,
        feeTiers: [500, 3000],
        intermediaries: [d.tokens.WETH.address],
        symbols,
      }),
    ],
    executor: executorFor(chain, account),
    ...overrides,
  };
}

/** The LP ids a fetch or cycle left in its hints for the next read. */
export const lpIdsOf = (hints: ProtocolHints | undefined): bigint[] =>
  uniswapV3HintOf(hints?.["uniswap-v3"]).tokenIds;

/** The LP keys a fetch or cycle left in its hints for the next read. */
export const lpKeysOf = (hints: ProtocolHints | undefined): LpPositionKey[] =>
  uniswapV3HintOf(hints?.["uniswap-v3"]).keys;

/** The setup with known LP ids and/or keys as its Uniswap hint (what the keeper passes back between cycles). */
export const withLp = (
  setup: ChainSetup,
  known: { tokenIds?: readonly bigint[]; keys?: readonly LpPositionKey[] },
): ChainSetup => ({ ...setup, hints: { ...setup.hints, "uniswap-v3": uniswapV3Hint(known) } });

const send = (chain: TestChain, account: PrivateKeyAccount, calls: readonly Call[], label: string) =>
  calls.reduce(
    (p, c, i) =>
      p.then(() =>
        sendAndWait(
          chain,
          chain.walletClient(account),
          { to: c.to, data: c.data, value: c.value },
          `${label} #${i}`,
        ),
      ),
    Promise.resolve() as Promise<unknown>,
  );

/** Supplies `amount` of `token` to Aave and optionally borrows, from the EOA itself (plain transactions). */
export async function aaveSupplyBorrow(
  chain: TestChain,
  account: PrivateKeyAccount,
  supply: { token: Address; amount: bigint },
  borrow?: { token: Address; amount: bigint },
): Promise<void> {
  const d = chain.deployment;
  const market = testkitAaveMarket(d);
  let positions = await fetchAavePositions(chain.publicClient, { market, user: account.address });
  await send(
    chain,
    account,
    encodeSupply({ positions, asset: supply.token, amount: supply.amount }),
    "supply",
  );
  if (!borrow) return;
  positions = await fetchAavePositions(chain.publicClient, { market, user: account.address });
  await send(
    chain,
    account,
    encodeBorrow({ positions, asset: borrow.token, amount: borrow.amount }),
    "borrow",
  );
}

/** Mints a WETH/USDC/500 position of ±`rangeBps` around the current tick with up to the given amounts. */
export async function mintLp(
  chain: TestChain,
  account: PrivateKeyAccount,
  p: { wethMax: bigint; usdcMax: bigint; rangeBps: number },
): Promise<{ amount0: bigint; amount1: bigint }> {
  const d = chain.deployment;
  const pool = getPool(d, "WETH/USDC/500");
  const [sqrtPriceX96, tick] = await chain.publicClient.readContract({
    address: pool.address,
    abi: [
      {
        type: "function",
        name: "slot0",
        stateMutability: "view",
        inputs: [],
        outputs: [
          { type: "uint160" },
          { type: "int24" },
          { type: "uint16" },
          { type: "uint16" },
          { type: "uint16" },
          { type: "uint8" },
          { type: "bool" },
        ],
      },
    ] as const,
    functionName: "slot0",
  });
  const range = rangeAround({ tick, tickSpacing: pool.tickSpacing, widthBps: p.rangeBps });
  const wethIs0 = pool.token0.toLowerCase() === d.tokens.WETH.address.toLowerCase();
  const [a0, a1] = wethIs0 ? [p.wethMax, p.usdcMax] : [p.usdcMax, p.wethMax];
  const used = depositAmounts({ sqrtPriceX96, ...range, amount0Desired: a0, amount1Desired: a1 });
  const { calls } = encodeMint({
    positionManager: d.uniswap.positionManager,
    token0: pool.token0,
    token1: pool.token1,
    fee: pool.fee,
    ...range,
    tickSpacing: pool.tickSpacing,
    amount0Desired: used.amount0,
    amount1Desired: used.amount1,
    sqrtPriceX96,
    slippageBps: 100,
    recipient: account.address,
    deadline: 2n ** 48n,
  });
  await send(chain, account, calls, "mint");
  return used;
}

/** The account's ERC-20 balance (at a block when given). */
export const balanceOf = (
  chain: TestChain,
  token: Address,
  owner: Address,
  blockNumber?: bigint,
): Promise<bigint> =>
  chain.publicClient.readContract({
    address: token,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [owner],
    ...(blockNumber === undefined ? {} : { blockNumber }),
  });

/** `Pool.getUserAccountData(account)` health factor (wad). */
export async function healthFactorOnChain(chain: TestChain, account: Address): Promise<bigint> {
  const data = await chain.publicClient.readContract({
    address: chain.deployment.aave.pool,
    abi: aavePoolAbi,
    functionName: "getUserAccountData",
    args: [account],
  });
  return data[5];
}

/** The account's LP NFTs and their liquidity, read from the position manager. */
export async function lpPositionsOnChain(
  chain: TestChain,
  owner: Address,
  blockNumber?: bigint,
): Promise<{ tokenId: bigint; liquidity: bigint; tickLower: number; tickUpper: number }[]> {
  const npm = chain.deployment.uniswap.positionManager;
  const at = blockNumber === undefined ? {} : { blockNumber };
  const n = await chain.publicClient.readContract({
    address: npm,
    abi: positionManagerAbi,
    functionName: "balanceOf",
    args: [owner],
    ...at,
  });
  const out = [];
  for (let i = 0n; i < n; i++) {
    const tokenId = await chain.publicClient.readContract({
      address: npm,
      abi: positionManagerAbi,
      functionName: "tokenOfOwnerByIndex",
      args: [owner, i],
      ...at,
    });
    const p = await chain.publicClient.readContract({
      address: npm,
      abi: positionManagerAbi,
      functionName: "positions",
      args: [tokenId],
      ...at,
    });
    out.push({ tokenId, liquidity: p[7], tickLower: p[5], tickUpper: p[6] });
  }
  return out.sort((a, b) => (a.tokenId < b.tokenId ? -1 : 1));
}

/** Funds the account with tokens (testkit helper, bigint base units). */
export const give = (chain: TestChain, account: Address, token: "WETH" | "USDC" | "WBTC", amount: bigint) =>
  fund(chain, { account, token, amount });

/** Transfers tokens out of the account (to shape its idle balance exactly). */
export async function sendAway(chain: TestChain, account: PrivateKeyAccount, token: Address, amount: bigint) {
  if (amount <= 0n) return;
  const to = "0x000000000000000000000000000000000000dEaD" as Address;
  await sendAndWait(
    chain,
    chain.walletClient(account),
    { to: token, data: encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: [to, amount] }) },
    "send away",
  );
}

/**
 * What burning all of a position's liquidity and collecting would pay out, as the position manager computes it:
 * an eth_call of `multicall([decreaseLiquidity(all), collect(max)])` from the owner at `blockNumber`.
 */
export async function lpAmountsOnChain(
  chain: TestChain,
  owner: Address,
  tokenId: bigint,
  blockNumber: bigint,
): Promise<{ amount0: bigint; amount1: bigint }> {
  const npm = chain.deployment.uniswap.positionManager;
  const p = await chain.publicClient.readContract({
    address: npm,
    abi: positionManagerAbi,
    functionName: "positions",
    args: [tokenId],
    blockNumber,
  });
  const max = 2n ** 128n - 1n;
  const data = [
    encodeFunctionData({
      abi: positionManagerAbi,
      functionName: "decreaseLiquidity",
      args: [{ tokenId, liquidity: p[7], amount0Min: 0n, amount1Min: 0n, deadline: 2n ** 48n }],
    }),
    encodeFunctionData({
      abi: positionManagerAbi,
      functionName: "collect",
      args: [{ tokenId, recipient: owner, amount0Max: max, amount1Max: max }],
    }),
  ];
  const { result } = await chain.publicClient.simulateContract({
    address: npm,
    abi: positionManagerAbi,
    functionName: "multicall",
    args: [data],
    account: owner,
    blockNumber,
  });
  const [amount0, amount1] = decodeFunctionResult({
    abi: positionManagerAbi,
    functionName: "collect",
    data: result[1]!,
  });
  return { amount0, amount1 };
}

/** An ERC-20 allowance. */
export const allowance = (
  chain: TestChain,
  token: Address,
  owner: Address,
  spender: Address,
): Promise<bigint> =>
  chain.publicClient.readContract({
    address: token,
    abi: erc20Abi,
    functionName: "allowance",
    args: [owner, spender],
  });

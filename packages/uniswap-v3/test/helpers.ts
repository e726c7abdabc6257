import type { Call } from "@ballast/core";
import {
  delegateToSimple7702,
  fund,
  getPool,
  type PoolInfo,
  simple7702AccountAbi,
  type TestChain,
  waitForSuccess,
} from "@ballast/testkit";
import {
  type Address,
  createPublicClient,
  custom,
  decodeFunctionResult,
  encodeFunctionData,
  erc20Abi,
  type Hex,
  type PrivateKeyAccount,
  parseEventLogs,
  type TransactionReceipt,
} from "viem";
import { poolAbi, positionManagerAbi } from "../src/abi.ts";
import { MAX_UINT128 } from "../src/constants.ts";
import { encodeMint } from "../src/encode.ts";
import { rangeAround, type TickRange } from "../src/range.ts";

/** A public client whose every JSON-RPC request is recorded, to count eth_calls. */
export function countingClient(chain: TestChain, options: { batchMulticall?: boolean } = {}) {
  const methods: string[] = [];
  const client = createPublicClient({
    chain: chain.chain,
    ...(options.batchMulticall ? { batch: { multicall: { batchSize: 256, wait: 0 } } } : {}),
    transport: custom({
      request: ({ method, params }) => {
        methods.push(method);
        return chain.publicClient.request({ method, params } as never);
      },
    }),
  });
  return { client, methods, ethCalls: () => methods.filter((m) => m === "eth_call").length };
}

/** Delegates `account` to Simple7702Account (once per chain state). */
export async function ensureDelegated(chain: TestChain, account: PrivateKeyAccount): Promise<void> {
  const code = await chain.publicClient.getCode({ address: account.address });
  if (!code || code === "0x") await delegateToSimple7702(chain, { account });
}

/** Sends `calls` as ONE EIP-7702 batch: the delegated EOA calls `executeBatch` on itself. */
export async function executeBatch(
  chain: TestChain,
  account: PrivateKeyAccount,
  calls: readonly Call[],
): Promise<TransactionReceipt> {
  await ensureDelegated(chain, account);
  const hash = await chain.walletClient(account).sendTransaction({
    to: account.address,
    data: encodeBatch(calls),
    gas: 8_000_000n,
  } as never);
  return chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20, timeout: 30_000 });
}

/** `executeBatch((target, value, data)[])` calldata. */
export function encodeBatch(calls: readonly Call[]): Hex {
  return encodeFunctionData({
    abi: simple7702AccountAbi,
    functionName: "executeBatch",
    args: [calls.map((c) => ({ target: c.to, value: c.value, data: c.data }))],
  });
}

/** Sends each call as its own transaction from `account`, waiting for success. */
export async function sendEach(chain: TestChain, account: PrivateKeyAccount, calls: readonly Call[]) {
  const receipts: TransactionReceipt[] = [];
  for (const c of calls) {
    const hash = await chain
      .walletClient(account)
      .sendTransaction({ to: c.to, data: c.data, value: c.value, gas: 5_000_000n } as never);
    receipts.push(await waitForSuccess(chain, hash, "test call"));
  }
  return receipts;
}

/** The current pool state fields the tests need. */
export async function slot0(
  chain: TestChain,
  pool: Address,
): Promise<{ sqrtPriceX96: bigint; tick: number }> {
  const [sqrtPriceX96, tick] = await chain.publicClient.readContract({
    address: pool,
    abi: poolAbi,
    functionName: "slot0",
  });
  return { sqrtPriceX96, tick };
}

/** A deadline an hour after the head block. */
export async function deadline(chain: TestChain): Promise<bigint> {
  const head = await chain.publicClient.getBlock({ blockTag: "latest" });
  return head.timestamp + 3600n;
}

export async function balanceOf(chain: TestChain, token: Address, owner: Address): Promise<bigint> {
  return chain.publicClient.readContract({
    address: token,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [owner],
  });
}

/** Token ids minted to anyone in a receipt (position manager Transfer events from the zero address). */
export function mintedTokenIds(receipt: TransactionReceipt): bigint[] {
  return parseEventLogs({ abi: positionManagerAbi, logs: receipt.logs, eventName: "Transfer" })
    .filter((l) => l.args.from === "0x0000000000000000000000000000000000000000")
    .map((l) => l.args.tokenId);
}

/**
 * Funds `account` and mints a position in `poolKey` around the current tick with our own encoder.
 * `usd` is the value per side; sent as plain transactions, or as one 7702 batch with `batch: true`.
 */
export async function mintPosition(
  chain: TestChain,
  account: PrivateKeyAccount,
  params: {
    poolKey: string;
    range?: TickRange;
    widthBps?: number;
    amount0: bigint;
    amount1: bigint;
    batch?: boolean;
  },
): Promise<{ tokenId: bigint; pool: PoolInfo; range: TickRange }> {
  const pool = getPool(chain.deployment, params.poolKey);
  await fund(chain, { account: account.address, token: pool.token0, amount: params.amount0 });
  await fund(chain, { account: account.address, token: pool.token1, amount: params.amount1 });
  const { sqrtPriceX96, tick } = await slot0(chain, pool.address);
  const range =
    params.range ?? rangeAround({ tick, tickSpacing: pool.tickSpacing, widthBps: params.widthBps ?? 500 });
  const { calls } = encodeMint({
    positionManager: chain.deployment.uniswap.positionManager,
    token0: pool.token0,
    token1: pool.token1,
    fee: pool.fee,
    ...range,
    tickSpacing: pool.tickSpacing,
    amount0Desired: params.amount0,
    amount1Desired: params.amount1,
    sqrtPriceX96,
    slippageBps: 50,
    recipient: account.address,
    deadline: await deadline(chain),
  });
  const receipts = params.batch
    ? [await executeBatch(chain, account, calls)]
    : await sendEach(chain, account, calls);
  if (receipts.some((r) => r.status !== "success")) throw new Error("mint reverted");
  // The mint is followed by the approval resets: its Transfer is in one of the receipts, not the last.
  const [tokenId] = receipts.flatMap((r) => mintedTokenIds(r));
  if (tokenId === undefined) throw new Error("no token minted");
  return { tokenId, pool, range };
}

/**
 * The position manager's own answer: a static call, from the owner, of
 * `multicall([decreaseLiquidity(all, 0 mins), collect(max, max)])` (collect only when the position is empty).
 */
export async function staticExit(
  chain: TestChain,
  params: { owner: Address; tokenId: bigint; liquidity: bigint; deadline: bigint },
): Promise<{
  decreased: { amount0: bigint; amount1: bigint };
  collected: { amount0: bigint; amount1: bigint };
}> {
  const npm = chain.deployment.uniswap.positionManager;
  const inner: Hex[] = [];
  if (params.liquidity > 0n) {
    inner.push(
      encodeFunctionData({
        abi: positionManagerAbi,
        functionName: "decreaseLiquidity",
        args: [
          {
            tokenId: params.tokenId,
            liquidity: params.liquidity,
            amount0Min: 0n,
            amount1Min: 0n,
            deadline: params.deadline,
          },
        ],
      }),
    );
  }
  inner.push(
    encodeFunctionData({
      abi: positionManagerAbi,
      functionName: "collect",
      args: [
        {
          tokenId: params.tokenId,
          recipient: params.owner,
          amount0Max: MAX_UINT128,
          amount1Max: MAX_UINT128,
        },
      ],
    }),
  );
  const { data } = await chain.publicClient.call({
    account: params.owner,
    to: npm,
    data: encodeFunctionData({ abi: positionManagerAbi, functionName: "multicall", args: [inner] }),
  });
  const results = decodeFunctionResult({ abi: positionManagerAbi, functionName: "multicall", data: data! });
  const decreased =
    params.liquidity > 0n
      ? decodeFunctionResult({
          abi: positionManagerAbi,
          functionName: "decreaseLiquidity",
          data: results[0]!,
        })
      : ([0n, 0n] as const);
  const collected = decodeFunctionResult({
    abi: positionManagerAbi,
    functionName: "collect",
    data: results[results.length - 1]!,
  });
  return {
    decreased: { amount0: decreased[0], amount1: decreased[1] },
    collected: { amount0: collected[0], amount1: collected[1] },
  };
}

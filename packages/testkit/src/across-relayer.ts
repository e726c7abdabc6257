/**
 * A local Across relayer (and dataworker) for tests and the demo: watches `FundsDeposited` on every chain, fills each
 * deposit on its destination through the real `fillRelay` after a delay, and refunds expired unfilled deposits on
 * their origin through a root bundle (`relayRootBundle` by the pool's owner, then `executeRelayerRefundLeaf`).
 */
import {
  type AbiFunction,
  type AbiParameter,
  type Address,
  encodeAbiParameters,
  encodeFunctionData,
  erc20Abi,
  getAbiItem,
  type Hash,
  type Hex,
  keccak256,
  maxUint256,
  pad,
  parseEventLogs,
  zeroAddress,
} from "viem";
import { testAccounts } from "./accounts.ts";
import { spokePoolArtifactAbi } from "./across.ts";
import type { TestChain } from "./chain.ts";
import { getToken } from "./deployment.ts";
import { TestkitError } from "./errors.ts";
import { fund } from "./fund.ts";
import { pollEvery, waitForPoller } from "./poll.ts";
import { HELPER_GAS, sendAndWait } from "./tx.ts";

/** The SpokePool's `V3RelayData`, as the relayer builds it from a `FundsDeposited` event. */
export type RelayData = {
  depositor: Hex;
  recipient: Hex;
  exclusiveRelayer: Hex;
  inputToken: Hex;
  outputToken: Hex;
  inputAmount: bigint;
  outputAmount: bigint;
  originChainId: bigint;
  depositId: bigint;
  fillDeadline: number;
  exclusivityDeadline: number;
  message: Hex;
};

/** A deposit the relayer has seen, and what it did with it. */
export type RelayedDeposit = {
  originChainId: number;
  destinationChainId: number;
  depositId: bigint;
  relayData: RelayData;
  /** Where the deposit was emitted (a revert of the origin chain makes it disappear). */
  blockHash: Hex;
  /** Wall-clock ms when the relayer first saw it. */
  seenAt: number;
  fill?: { hash: Hash; at: number };
  refund?: { hash: Hash; rootBundleId: number; at: number };
};

/** Options of {@link startAcrossRelayer}. */
export type AcrossRelayerParameters = {
  /** The chains to watch; a deposit is filled on the one whose chain id is its destination. */
  chains: readonly TestChain[];
  /** `fill` (default): fill every deposit; `never`: record deposits and never fill (expiry and refund paths). */
  mode?: "fill" | "never";
  /** Wall-clock delay between seeing a deposit and filling it, in ms. Default 0. */
  fillDelayMs?: number;
  /** Refund unfilled deposits past their fill deadline (destination clock) on the origin chain. Default true. */
  refundExpired?: boolean;
  /** Poll interval in ms. Default 50. */
  pollIntervalMs?: number;
};

/** A running relayer. */
export type AcrossRelayer = {
  /** Every deposit seen, in order. */
  readonly deposits: readonly RelayedDeposit[];
  /** Errors of polls or fills (the relayer keeps running); a test asserts this stays empty. */
  readonly errors: readonly unknown[];
  /** Switches between filling and not filling from the next poll on. */
  setMode(mode: "fill" | "never"): void;
  /** Resolves once the deposit is filled (or refunded, with `{ refunded: true }`); rejects after `timeoutMs`. */
  waitFor(
    params: { originChainId: number; depositId: bigint; refunded?: boolean },
    timeoutMs?: number,
  ): Promise<RelayedDeposit>;
  /** Stops polling and waits for the poll in progress. Idempotent. */
  stop(): Promise<void>;
};

type FundsDepositedArgs = Omit<RelayData, "originChainId"> & { destinationChainId: bigint };

/** The relayer's state between polls. */
type RelayerState = {
  readonly params: AcrossRelayerParameters;
  readonly byId: ReadonlyMap<number, TestChain>;
  /** Per chain: the last block scanned, to notice a revert under it. */
  readonly cursors: Map<number, { number: bigint; hash: Hex }>;
  readonly deposits: RelayedDeposit[];
  mode: "fill" | "never";
  stopped: boolean;
};

/** Starts the relayer; stop it with `stop()`. It fills from the `relayer` test account, topping up its inventory. */
export function startAcrossRelayer(params: AcrossRelayerParameters): AcrossRelayer {
  const state: RelayerState = {
    params,
    byId: new Map(params.chains.map((c) => [c.chainId, c])),
    cursors: new Map(),
    deposits: [],
    mode: params.mode ?? "fill",
    stopped: false,
  };
  const poller = pollEvery(() => poll(state), params.pollIntervalMs ?? 50);
  return {
    deposits: state.deposits,
    errors: poller.errors,
    setMode: (mode) => {
      state.mode = mode;
    },
    waitFor: (which, timeoutMs = 15_000) =>
      waitForPoller(
        poller,
        () => {
          const d = state.deposits.find(
            (x) => x.originChainId === which.originChainId && x.depositId === which.depositId,
          );
          return d && (which.refunded ? d.refund : d.fill) ? d : undefined;
        },
        timeoutMs,
        `across relayer: deposit ${which.originChainId}/${which.depositId} not ${which.refunded ? "refunded" : "filled"}`,
      ),
    stop: async () => {
      state.stopped = true;
      await poller.stop();
    },
  };
}

/** One poll: new deposits on every chain, then each open deposit filled, refunded or left for later. */
async function poll(state: RelayerState): Promise<void> {
  for (const chain of state.params.chains) await scan(state, chain);
  for (const deposit of state.deposits) {
    if (deposit.fill || deposit.refund || state.stopped) continue;
    const destination = state.byId.get(deposit.destinationChainId);
    const origin = state.byId.get(deposit.originChainId);
    if (!destination || !origin) continue;
    const now = (await destination.publicClient.getBlock({ blockTag: "latest" })).timestamp;
    // A fill lands in a later block than `now`: at the deadline it can no longer succeed.
    if (now >= BigInt(deposit.relayData.fillDeadline)) {
      if (state.params.refundExpired ?? true) await refund(origin, deposit);
    } else if (state.mode === "fill" && Date.now() - deposit.seenAt >= (state.params.fillDelayMs ?? 0)) {
      await fill(destination, deposit, now);
    }
  }
}

/** New deposits of one chain since the last poll; a revert under the cursor rescans and forgets that chain's deposits. */
async function scan(state: RelayerState, chain: TestChain): Promise<void> {
  const head = await chain.publicClient.getBlock({ blockTag: "latest" });
  const cursor = state.cursors.get(chain.chainId);
  let fromBlock = cursor ? cursor.number + 1n : head.number;
  if (cursor) {
    const seen =
      cursor.number <= head.number
        ? await chain.publicClient.getBlock({ blockNumber: cursor.number })
        : undefined;
    if (seen?.hash !== cursor.hash) {
      fromBlock = 0n;
      for (let i = state.deposits.length - 1; i >= 0; i--)
        if (state.deposits[i]!.originChainId === chain.chainId) state.deposits.splice(i, 1);
    }
  }
  state.cursors.set(chain.chainId, { number: head.number, hash: head.hash });
  if (fromBlock > head.number) return;
  const logs = await chain.publicClient.getLogs({
    address: chain.deployment.across.spokePool,
    fromBlock,
    toBlock: head.number,
  });
  for (const event of parseEventLogs({ abi: spokePoolArtifactAbi(), eventName: "FundsDeposited", logs })) {
    const { destinationChainId, ...args } = event.args as unknown as FundsDepositedArgs;
    state.deposits.push({
      originChainId: chain.chainId,
      destinationChainId: Number(destinationChainId),
      depositId: args.depositId,
      relayData: { ...args, originChainId: BigInt(chain.chainId) },
      blockHash: event.blockHash,
      seenAt: Date.now(),
    });
  }
}

/** Fills a deposit on its destination through `fillRelay`, unless it is filled already or in another relayer's window. */
async function fill(destination: TestChain, deposit: RelayedDeposit, now: bigint): Promise<void> {
  const { relayData } = deposit;
  const relayer = testAccounts.relayer.address;
  const exclusive = `0x${relayData.exclusiveRelayer.slice(-40)}`.toLowerCase();
  if (
    exclusive !== zeroAddress &&
    exclusive !== relayer.toLowerCase() &&
    now <= BigInt(relayData.exclusivityDeadline)
  )
    return;
  const spokePool = destination.deployment.across.spokePool;
  const status = await destination.publicClient.readContract({
    address: spokePool,
    abi: spokePoolArtifactAbi(),
    functionName: "fillStatuses",
    args: [acrossRelayHash(relayData, destination.chainId)],
  });
  if (status === 2n) {
    deposit.fill = { hash: "0x", at: Date.now() }; // filled by someone else (or before a revert of the origin only)
    return;
  }
  await ensureInventory(
    destination,
    `0x${relayData.outputToken.slice(-40)}` as Address,
    relayData.outputAmount,
  );
  const { transactionHash: hash } = await sendAndWait(
    destination,
    destination.walletClients.relayer,
    {
      to: spokePool,
      data: encodeFunctionData({
        abi: spokePoolArtifactAbi(),
        functionName: "fillRelay",
        args: [relayData, BigInt(destination.chainId), pad(relayer, { size: 32 })],
      }),
      gas: HELPER_GAS,
    },
    `across fill ${deposit.originChainId}/${deposit.depositId}`,
  );
  deposit.fill = { hash, at: Date.now() };
}

/**
 * Refunds an expired deposit on its origin as Across's dataworker would: the pool's owner relays a one-leaf root
 * bundle paying `inputAmount` back to the depositor, and the relayer executes the leaf.
 */
async function refund(origin: TestChain, deposit: RelayedDeposit): Promise<void> {
  const { relayData } = deposit;
  const leaf = {
    amountToReturn: 0n,
    chainId: BigInt(origin.chainId),
    refundAmounts: [relayData.inputAmount],
    leafId: 0,
    l2TokenAddress: `0x${relayData.inputToken.slice(-40)}` as Address,
    refundAddresses: [`0x${relayData.depositor.slice(-40)}` as Address],
  };
  const { spokePool } = origin.deployment.across;
  const abi = spokePoolArtifactAbi();
  // One leaf: the root is the leaf's hash and the proof is empty.
  const root = keccak256(encodeAbiParameters([functionInput("executeRelayerRefundLeaf", 1)], [leaf]));
  const relayed = await sendAndWait(
    origin,
    origin.walletClients.deployer,
    {
      to: spokePool,
      data: encodeFunctionData({
        abi,
        functionName: "relayRootBundle",
        args: [root, pad("0x", { size: 32 })],
      }),
      gas: HELPER_GAS,
    },
    "across relayRootBundle",
  );
  const [bundle] = parseEventLogs({ abi, eventName: "RelayedRootBundle", logs: relayed.logs });
  const rootBundleId = Number((bundle?.args as { rootBundleId: number } | undefined)?.rootBundleId);
  const { transactionHash: hash } = await sendAndWait(
    origin,
    origin.walletClients.relayer,
    {
      to: spokePool,
      data: encodeFunctionData({
        abi,
        functionName: "executeRelayerRefundLeaf",
        args: [rootBundleId, leaf, []],
      }),
      gas: HELPER_GAS,
    },
    `across refund ${deposit.originChainId}/${deposit.depositId}`,
  );
  deposit.refund = { hash, rootBundleId, at: Date.now() };
}

/** The relay hash the destination pool keys fills by: `keccak256(abi.encode(relayData, destinationChainId))`. */
export function acrossRelayHash(relayData: RelayData, destinationChainId: number): Hex {
  const params: readonly AbiParameter[] = [functionInput("fillRelay", 0), { type: "uint256" }];
  return keccak256(encodeAbiParameters(params, [relayData, BigInt(destinationChainId)]));
}

/** One input parameter of a SpokePool function, from the published ABI. */
function functionInput(name: string, index: number): AbiParameter {
  const item = getAbiItem({ abi: spokePoolArtifactAbi(), name }) as AbiFunction | undefined;
  const input = item?.inputs[index];
  if (!input) throw new TestkitError(`SpokePool ABI has no input ${index} of ${name}.`);
  return input;
}

/** Tops up the relayer's balance of a token on a chain and its allowance to `spokePool` (default Across's; any spender). */
export async function ensureInventory(
  chain: TestChain,
  token: Address,
  amount: bigint,
  spokePool: Address = chain.deployment.across.spokePool,
): Promise<void> {
  const relayer = testAccounts.relayer.address;
  const [balance, allowance] = await Promise.all([
    chain.publicClient.readContract({
      address: token,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [relayer],
    }),
    chain.publicClient.readContract({
      address: token,
      abi: erc20Abi,
      functionName: "allowance",
      args: [relayer, spokePool],
    }),
  ]);
  if (balance < amount)
    await fund(chain, {
      account: relayer,
      token: getToken(chain.deployment, token).symbol,
      amount: amount - balance,
    });
  if (allowance < amount)
    await sendAndWait(
      chain,
      chain.walletClients.relayer,
      {
        to: token,
        data: encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [spokePool, maxUint256] }),
      },
      "across relayer approve",
    );
}

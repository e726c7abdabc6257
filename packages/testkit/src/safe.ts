import {
  type Address,
  concat,
  encodeFunctionData,
  encodePacked,
  type Hex,
  pad,
  parseAbi,
  parseEventLogs,
  size,
  zeroAddress,
} from "viem";
import { safeAbi, safeProxyFactoryAbi } from "./abis.ts";
import type { TestChain } from "./chain.ts";
import { TestkitError } from "./errors.ts";
import { impersonate } from "./time.ts";
import { sendAndWait } from "./tx.ts";

/** Options for {@link createSafe}. */
export type CreateSafeParameters = {
  owners: readonly Address[];
  /** Signatures required (default 1). */
  threshold?: number | undefined;
  /** Addresses to enable as modules right after creation (each enabled by a real `execTransaction`). */
  modules?: readonly Address[] | undefined;
  /** CREATE2 salt nonce for the proxy factory (default 0). */
  saltNonce?: bigint | undefined;
};

const approveHashAbi = parseAbi([
  "function approveHash(bytes32 hashToApprove)",
  "function getTransactionHash(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, uint256 _nonce) view returns (bytes32)",
]);

/**
 * Creates a Safe 1.3.0 proxy (proxy factory → singleton `setup`, CompatibilityFallbackHandler) and enables
 * the given modules through `execTransaction`, signed by the owners with pre-approved hashes.
 */
export async function createSafe(chain: TestChain, params: CreateSafeParameters): Promise<Address> {
  const { safe } = chain.deployment;
  const threshold = params.threshold ?? 1;
  const first = params.owners[0];
  if (!first || threshold < 1 || threshold > params.owners.length)
    throw new TestkitError("createSafe: need at least one owner and 1 ≤ threshold ≤ owners.");
  const initializer = encodeFunctionData({
    abi: safeAbi,
    functionName: "setup",
    args: [
      [...params.owners],
      BigInt(threshold),
      zeroAddress,
      "0x",
      safe.fallbackHandler,
      zeroAddress,
      0n,
      zeroAddress,
    ],
  });
  const receipt = await sendAndWait(
    chain,
    chain.walletClients.deployer,
    {
      to: safe.proxyFactory,
      data: encodeFunctionData({
        abi: safeProxyFactoryAbi,
        functionName: "createProxyWithNonce",
        args: [safe.singleton, initializer, params.saltNonce ?? 0n],
      }),
    },
    "createSafe: createProxyWithNonce",
  );
  const [created] = parseEventLogs({
    abi: safeProxyFactoryAbi,
    eventName: "ProxyCreation",
    logs: receipt.logs,
  });
  if (!created) throw new TestkitError("createSafe: no ProxyCreation event.");
  const address = created.args.proxy;

  for (const module of params.modules ?? [])
    await execSafeTransaction(chain, {
      safe: address,
      owners: params.owners.slice(0, threshold),
      to: address,
      data: encodeFunctionData({ abi: safeAbi, functionName: "enableModule", args: [module] }),
    });
  return address;
}

/**
 * Executes a call (operation 0) from a Safe through `execTransaction`, signed by `owners` with pre-approved
 * hashes (each owner but the sender calls `approveHash`; the owners are impersonated).
 */
export async function execSafeTransaction(
  chain: TestChain,
  params: { safe: Address; owners: readonly Address[]; to: Address; data: Hex; value?: bigint | undefined },
): Promise<void> {
  const [sender, ...others] = params.owners;
  if (!sender) throw new TestkitError("execSafeTransaction: no owners given.");
  const value = params.value ?? 0n;
  const nonce = await chain.publicClient.readContract({
    address: params.safe,
    abi: safeAbi,
    functionName: "nonce",
  });
  const txHash = await chain.publicClient.readContract({
    address: params.safe,
    abi: approveHashAbi,
    functionName: "getTransactionHash",
    args: [params.to, value, params.data, 0, 0n, 0n, 0n, zeroAddress, zeroAddress, nonce],
  });
  for (const owner of others) {
    const imp = await impersonate(chain, { address: owner });
    try {
      await sendAndWait(
        chain,
        imp.walletClient,
        {
          to: params.safe,
          data: encodeFunctionData({ abi: approveHashAbi, functionName: "approveHash", args: [txHash] }),
        },
        "Safe approveHash",
      );
    } finally {
      await imp.stop();
    }
  }
  // Pre-validated signatures (v = 1, r = owner), sorted by owner address as the Safe requires.
  const signatures = concat(
    [...params.owners]
      .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))
      .map((owner) => concat([pad(owner, { size: 32 }), pad("0x", { size: 32 }), "0x01"])),
  );
  const imp = await impersonate(chain, { address: sender });
  try {
    const receipt = await sendAndWait(
      chain,
      imp.walletClient,
      {
        to: params.safe,
        data: encodeFunctionData({
          abi: safeAbi,
          functionName: "execTransaction",
          args: [params.to, value, params.data, 0, 0n, 0n, 0n, zeroAddress, zeroAddress, signatures],
        }),
      },
      "Safe execTransaction",
    );
    const failed = parseEventLogs({ abi: safeAbi, eventName: "ExecutionFailure", logs: receipt.logs });
    if (failed.length > 0) throw new TestkitError("execSafeTransaction: the Safe reported ExecutionFailure.");
  } finally {
    await imp.stop();
  }
}

/** A call inside a MultiSendCallOnly batch. */
export type MultiSendCall = { to: Address; value?: bigint | undefined; data: Hex };

/**
 * Packs calls for Safe's `multiSend(bytes)`: per call `uint8 operation (0) | address to | uint256 value |
 * uint256 dataLength | bytes data`. MultiSendCallOnly rejects operation 1 inside the batch.
 */
export function encodeMultiSend(calls: readonly MultiSendCall[]): Hex {
  return concat(
    calls.map((call) =>
      encodePacked(
        ["uint8", "address", "uint256", "uint256", "bytes"],
        [0, call.to, call.value ?? 0n, BigInt(size(call.data)), call.data],
      ),
    ),
  );
}

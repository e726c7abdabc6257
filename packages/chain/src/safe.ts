import type { Address, Call, Hex } from "@ballast/core";
import {
  type Abi,
  concat,
  decodeFunctionResult,
  encodeFunctionData,
  encodePacked,
  hashTypedData,
  type LocalAccount,
  parseEventLogs,
  size,
  zeroAddress,
} from "viem";
import { multiSendCallOnlyAbi, rolesModifierAbi, safeAbi } from "./abis.ts";
import type { ChainClients, ChainPublicClient } from "./clients.ts";
import { decodeRevert } from "./decode.ts";
import { ExecutorConfigError, SimulationFailedError, TransactionRevertedError } from "./errors.ts";
import { createMutex, type Executor, runExecute, type SimulateOptions, type Simulation } from "./executor.ts";
import { padGas } from "./fees.ts";
import {
  checkSafeTransaction,
  checkTransaction,
  type FirewallSetting,
  firewallFor,
  parseMultiSend,
} from "./firewall.ts";
import { checkGuards } from "./guards.ts";
import { bisectFailingCall, findFailingCall, type RawSimulation, simulateTransaction } from "./simulate.ts";
import type { TxManager, TxRequest } from "./txManager.ts";

/** Safe operation: 0 = CALL, 1 = DELEGATECALL (only ever to MultiSendCallOnly). */
export type SafeOperation = 0 | 1;

/**
 * Packs calls for `MultiSendCallOnly.multiSend`: per call `uint8 operation (0) ‖ address to ‖ uint256 value ‖
 * uint256 dataLength ‖ bytes data`.
 */
export function encodeMultiSendTransactions(calls: readonly Call[]): Hex {
  if (calls.length === 0) return "0x";
  return concat(
    calls.map((c) =>
      encodePacked(
        ["uint8", "address", "uint256", "uint256", "bytes"],
        [0, c.to, c.value, BigInt(size(c.data)), c.data],
      ),
    ),
  );
}

/** Unpacks {@link encodeMultiSendTransactions} (for inspection and tests). */
export function decodeMultiSendTransactions(packed: Hex): Call[] {
  return parseMultiSend(packed).map(({ operation, to, value, data }) => {
    if (operation !== 0)
      throw new ExecutorConfigError(`MultiSendCallOnly entry with operation ${operation} (calls only)`);
    return { to, value, data };
  });
}

/** `multiSend(bytes)` calldata for MultiSendCallOnly. */
export function encodeMultiSend(calls: readonly Call[]): Hex {
  return encodeFunctionData({
    abi: multiSendCallOnlyAbi,
    functionName: "multiSend",
    args: [encodeMultiSendTransactions(calls)],
  });
}

/**
 * The Safe module transaction for a batch: `safe.execTransactionFromModule(multiSend, 0, multiSend(calls), 1)`
 * (DELEGATECALL to MultiSendCallOnly). Sent by the enabled module (the keeper).
 */
export function encodeSafeModuleTransaction(params: {
  readonly safe: Address;
  readonly multiSend: Address;
  readonly calls: readonly Call[];
}): Call {
  return {
    to: params.safe,
    value: 0n,
    data: encodeFunctionData({
      abi: safeAbi,
      functionName: "execTransactionFromModule",
      args: [params.multiSend, 0n, encodeMultiSend(params.calls), 1],
    }),
  };
}

/** The Safe transaction an owner signs (no refunds: gas fields and gas token are zero). */
export type SafeTransaction = {
  readonly to: Address;
  readonly value: bigint;
  readonly data: Hex;
  readonly operation: SafeOperation;
  readonly nonce: bigint;
};

const SAFE_TX_TYPES = {
  SafeTx: [
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "data", type: "bytes" },
    { name: "operation", type: "uint8" },
    { name: "safeTxGas", type: "uint256" },
    { name: "baseGas", type: "uint256" },
    { name: "gasPrice", type: "uint256" },
    { name: "gasToken", type: "address" },
    { name: "refundReceiver", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
} as const;

/** EIP-712 typed data of a Safe 1.3.0 transaction; the domain is `{chainId, verifyingContract}` only. */
export function safeTransactionTypedData(params: {
  readonly safe: Address;
  readonly chainId: number;
  readonly tx: SafeTransaction;
}) {
  const { tx } = params;
  return {
    domain: { chainId: params.chainId, verifyingContract: params.safe },
    types: SAFE_TX_TYPES,
    primaryType: "SafeTx" as const,
    message: {
      to: tx.to,
      value: tx.value,
      data: tx.data,
      operation: tx.operation,
      safeTxGas: 0n,
      baseGas: 0n,
      gasPrice: 0n,
      gasToken: zeroAddress,
      refundReceiver: zeroAddress,
      nonce: tx.nonce,
    },
  };
}

/** The hash a Safe 1.3.0 owner signs (equals `safe.getTransactionHash(...)`). */
export function hashSafeTransaction(params: {
  readonly safe: Address;
  readonly chainId: number;
  readonly tx: SafeTransaction;
}): Hex {
  return hashTypedData(safeTransactionTypedData(params));
}

/** `execTransaction` calldata for a Safe transaction with the owners' concatenated signatures. */
export function encodeSafeExecTransaction(params: {
  readonly tx: SafeTransaction;
  readonly signatures: Hex;
}): Hex {
  const { tx } = params;
  return encodeFunctionData({
    abi: safeAbi,
    functionName: "execTransaction",
    args: [tx.to, tx.value, tx.data, tx.operation, 0n, 0n, 0n, zeroAddress, zeroAddress, params.signatures],
  });
}

/** Signs a Safe transaction with an owner's key (EIP-712, 65-byte `r ‖ s ‖ v`). */
export async function signSafeTransaction(
  owner: LocalAccount,
  params: { readonly safe: Address; readonly chainId: number; readonly tx: SafeTransaction },
): Promise<Hex> {
  return owner.signTypedData(safeTransactionTypedData(params));
}

/** Parameters shared by the Safe executors. */
export type SafeExecutorParameters = {
  readonly clients: ChainClients;
  readonly manager: TxManager;
  readonly safe: Address;
  /** The MultiSendCallOnly 1.3.0 deployment (the only DELEGATECALL target allowed). */
  readonly multiSend: Address;
  readonly abis?: readonly Abi[];
  /** Gas padding over the simulated gas of a module transaction, bps. Default 5 000 (+50%), at least 60 000. */
  readonly moduleGasPadBps?: number;
  /** The batch firewall, checked before the Safe transaction is simulated or signed ("off" only in tests). */
  readonly firewall: FirewallSetting;
};

/** A Zodiac Roles v2 modifier (an enabled module of the Safe) and the role the keeper's key is a member of. */
export type RolesMembership = {
  readonly modifier: Address;
  /** The role's bytes32 key (zodiac-roles-sdk's `encodeKey` of its name). */
  readonly roleKey: Hex;
};

/** Which way a Safe executor reaches the Safe. */
export type SafeFlavor = "safe-module" | "safe-owner" | "safe-roles";

/**
 * The Roles modifier transaction for a batch: `execTransactionWithRole(multiSend, 0, multiSend(calls), 1, roleKey,
 * true)`, sent by a member of the role. The modifier checks each MultiSend entry against the role's permissions, then
 * has the Safe run the envelope (`execTransactionFromModule`); `shouldRevert` turns a failed batch into a revert.
 */
export function encodeRolesTransaction(params: {
  readonly roles: RolesMembership;
  readonly multiSend: Address;
  readonly calls: readonly Call[];
}): Call {
  return {
    to: params.roles.modifier,
    value: 0n,
    data: encodeFunctionData({
      abi: rolesModifierAbi,
      functionName: "execTransactionWithRole",
      args: [params.multiSend, 0n, encodeMultiSend(params.calls), 1, params.roles.roleKey, true],
    }),
  };
}

/**
 * Checks a mined Safe transaction really ran its batch: `ExecutionFromModuleSuccess` (module, Roles) or
 * `ExecutionSuccess` (owner) from `safe`. A module call with too little gas is mined "successfully" with
 * `ExecutionFromModuleFailure` and changes nothing: that throws {@link TransactionRevertedError}.
 */
export async function checkSafeExecution(
  client: ChainPublicClient,
  params: { readonly safe: Address; readonly kind: SafeFlavor; readonly hash: Hex; readonly planId: string },
): Promise<void> {
  const receipt = await client.getTransactionReceipt({ hash: params.hash });
  const events = parseEventLogs({ abi: safeAbi, logs: receipt.logs }).filter(
    (e) => e.address.toLowerCase() === params.safe.toLowerCase(),
  );
  const byOwner = params.kind === "safe-owner";
  const okName = byOwner ? "ExecutionSuccess" : "ExecutionFromModuleSuccess";
  if (receipt.status !== "success" || !events.some((e) => e.eventName === okName))
    throw new TransactionRevertedError(
      params.planId,
      params.hash,
      byOwner
        ? "ExecutionFailure: the Safe transaction failed"
        : "ExecutionFromModuleFailure: the Safe ran the batch and it failed (nothing changed)",
    );
}

/** The one transaction of a batch for each flavor, checked by the firewall before it is simulated or signed. */
function safeEncoder(
  flavor: SafeFlavor,
  params: SafeExecutorParameters & { readonly roles?: RolesMembership | undefined },
): (calls: readonly Call[]) => Promise<TxRequest> {
  const { clients, safe, multiSend, roles } = params;
  const chainId = clients.chain.id;
  const firewall = firewallFor(params.firewall, chainId);
  return async (calls) => {
    if (flavor === "safe-module") {
      const request = encodeSafeModuleTransaction({ safe, multiSend, calls });
      if (firewall) checkTransaction(firewall, { kind: flavor, account: safe, request });
      return request;
    }
    if (flavor === "safe-roles") {
      if (!roles) throw new ExecutorConfigError("The Roles executor needs the Roles modifier and role key.");
      const request = encodeRolesTransaction({ roles, multiSend, calls });
      if (firewall) checkTransaction(firewall, { kind: flavor, account: safe, via: roles.modifier, request });
      return request;
    }
    const owner = clients.account;
    if (!owner) throw new ExecutorConfigError("The Safe owner executor needs the owner's signing account.");
    const [nonce, threshold, isOwner] = await Promise.all([
      clients.public.readContract({ address: safe, abi: safeAbi, functionName: "nonce" }),
      clients.public.readContract({ address: safe, abi: safeAbi, functionName: "getThreshold" }),
      clients.public.readContract({
        address: safe,
        abi: safeAbi,
        functionName: "isOwner",
        args: [owner.address],
      }),
    ]);
    if (!isOwner)
      throw new ExecutorConfigError(`${owner.address} is not an owner of Safe ${safe}.`, { safe });
    if (threshold !== 1n)
      throw new ExecutorConfigError(
        `Safe ${safe} needs ${threshold} signatures; the owner executor signs alone.`,
        {
          safe,
        },
      );
    const tx: SafeTransaction = {
      to: multiSend,
      value: 0n,
      data: encodeMultiSend(calls),
      operation: 1,
      nonce,
    };
    // The owner's signature alone authorizes this Safe transaction: check it before signing.
    if (firewall) checkSafeTransaction(firewall, tx);
    const signatures = await signSafeTransaction(owner, { safe, chainId, tx });
    return { to: safe, value: 0n, data: encodeSafeExecTransaction({ tx, signatures }) };
  };
}

/**
 * MultiSendCallOnly drops the inner revert: replay the calls one by one from the Safe in one simulated block
 * (state carried) to find it. Without `eth_simulateV1`: bisect over prefix batches with `eth_call` (`batchFails`),
 * and take the reason from the failing call replayed alone (approximate: earlier calls' effects are not applied).
 */
async function locateFailingCall(
  client: ChainPublicClient,
  params: {
    readonly safe: Address;
    readonly calls: readonly Call[];
    readonly abis: readonly Abi[];
    readonly outer: Hex;
    readonly batchFails: (calls: readonly Call[]) => Promise<boolean>;
  },
): Promise<never> {
  const { safe, calls, abis, outer } = params;
  let failing = await findFailingCall(client, { from: safe, calls }).catch(() => null);
  if (failing === null) {
    const index = await bisectFailingCall(calls.length, (k) => params.batchFails(calls.slice(0, k)));
    const call = index === undefined ? undefined : calls[index];
    if (index !== undefined && call) {
      const alone = await simulateTransaction(client, {
        from: safe,
        to: call.to,
        data: call.data,
        value: call.value,
        account: safe,
        forceEthCall: true,
      });
      failing = { index, revertData: alone.success ? "0x" : alone.returnData };
    } else failing = undefined;
  }
  if (!failing) {
    const d = decodeRevert(outer, abis);
    throw new SimulationFailedError(`the Safe batch failed: ${d.reason}`, undefined, outer);
  }
  const d = decodeRevert(failing.revertData, abis);
  throw new SimulationFailedError(d.reason, failing.index, failing.revertData, { errorName: d.errorName });
}

function safeExecutor(
  flavor: SafeFlavor,
  params: SafeExecutorParameters & { readonly roles?: RolesMembership | undefined },
): Executor {
  const { clients, manager, safe } = params;
  const sender = manager.sender;
  const chainId = clients.chain.id;
  if (chainId !== manager.chainId)
    throw new ExecutorConfigError("The clients and the transaction manager are on different chains.");
  const serial = createMutex();
  const encode = safeEncoder(flavor, params);

  /** Does the Safe transaction for `calls` fail, by a bare `eth_call`? (the fallback's prefix probe) */
  const batchFails = async (calls: readonly Call[]): Promise<boolean> => {
    const req = await encode(calls);
    const r = await simulateTransaction(clients.public, {
      from: sender,
      to: req.to,
      data: req.data,
      account: safe,
      forceEthCall: true,
    });
    if (!r.success) return true;
    return (
      flavor === "safe-module" &&
      !decodeFunctionResult({ abi: safeAbi, functionName: "execTransactionFromModule", data: r.returnData })
    );
  };

  const simulate = async (calls: readonly Call[], options: SimulateOptions = {}): Promise<Simulation> => {
    const abis = [rolesModifierAbi, ...(params.abis ?? []), ...(options.abis ?? [])];
    const locate = (outer: Hex) =>
      locateFailingCall(clients.public, { safe, calls, abis, outer, batchFails });
    const request = await encode(calls);
    const raw: RawSimulation = await simulateTransaction(clients.public, {
      from: sender,
      to: request.to,
      data: request.data,
      value: request.value,
      account: safe,
      guards: options.guards,
      multicall3: clients.chain.multicall3,
    });
    if (!raw.success) {
      const d = decodeRevert(raw.returnData, abis);
      // GS013 (owner) or ModuleTransactionFailed (Roles): the inner batch reverted; anything else is about the
      // Safe or Roles call itself (a refused permission is a ConditionViolation).
      if (d.reason.startsWith("GS013") || d.errorName === "ModuleTransactionFailed")
        return locate(raw.returnData);
      throw new SimulationFailedError(d.reason, undefined, raw.returnData, { errorName: d.errorName });
    }
    if (flavor === "safe-module") {
      // execTransactionFromModule returns false instead of reverting.
      const ok = decodeFunctionResult({
        abi: safeAbi,
        functionName: "execTransactionFromModule",
        data: raw.returnData,
      });
      if (!ok) return locate(raw.returnData);
    }
    const report =
      options.guards && raw.before && raw.after
        ? checkGuards(options.guards, raw.before, raw.after)
        : undefined;
    // Module calls (directly or through Roles) are sized from the simulation: a bare estimate can find a limit
    // where the inner batch runs out of gas while the outer call "succeeds".
    const sized: TxRequest =
      flavor === "safe-owner"
        ? request
        : { ...request, gas: padGas(raw.gasUsed, { bps: params.moduleGasPadBps ?? 5_000, floor: 60_000n }) };
    return { ...raw, request: sized, report };
  };

  const verify = async (record: { planId: string; inclusion: { hash: Hex } }): Promise<void> =>
    checkSafeExecution(clients.public, {
      safe,
      kind: flavor,
      planId: record.planId,
      hash: record.inclusion.hash,
    });

  return {
    kind: flavor,
    chainId,
    account: safe,
    sender,
    encode,
    simulate,
    execute: (calls, options) =>
      serial(() => runExecute({ manager, options, simulate: () => simulate(calls, options), verify })),
  };
}

/**
 * The Safe module executor: the keeper (an enabled module of Safe 1.3.0) sends
 * `execTransactionFromModule` → DELEGATECALL MultiSendCallOnly; success is read from the Safe's events.
 */
export function safeModuleExecutor(params: SafeExecutorParameters): Executor {
  return safeExecutor("safe-module", params);
}

/**
 * The Safe owner executor: the keeper, sole required signer (1-of-N) of the Safe, signs the Safe
 * transaction (EIP-712) and sends `execTransaction` → DELEGATECALL MultiSendCallOnly itself.
 */
export function safeOwnerExecutor(params: SafeExecutorParameters): Executor {
  return safeExecutor("safe-owner", params);
}

/**
 * The Safe Roles executor: the keeper's key is a member of a role on a Zodiac Roles v2 modifier (the Safe's enabled
 * module, not the keeper) and sends `execTransactionWithRole` → DELEGATECALL MultiSendCallOnly. The modifier checks
 * every call of the batch against the role's permissions (`ballast safe-permissions`) on chain; a refused call fails
 * the simulation (`ConditionViolation`), so it is never sent.
 */
export function safeRolesExecutor(
  params: SafeExecutorParameters & { readonly roles: RolesMembership },
): Executor {
  return safeExecutor("safe-roles", params);
}

import type { Address, Call, Hex } from "@ballast/core";
import { type Abi, concat, encodeFunctionData, getAddress, isAddressEqual, size, slice } from "viem";
import { simple7702AccountAbi } from "./abis.ts";
import type { ChainClients, ChainPublicClient } from "./clients.ts";
import { decodeRevert } from "./decode.ts";
import { ExecutorConfigError, SimulationFailedError } from "./errors.ts";
import { createMutex, type Executor, runExecute, type SimulateOptions, type Simulation } from "./executor.ts";
import { checkTransaction, type FirewallSetting, firewallFor } from "./firewall.ts";
import { checkGuards } from "./guards.ts";
import { simulateTransaction } from "./simulate.ts";
import type { TxManager, TxRequest } from "./txManager.ts";

/** The 3-byte prefix of an EIP-7702 delegation designator (`0xef0100 ‖ address`). */
export const DELEGATION_PREFIX: Hex = "0xef0100";

/** The code an EOA delegated to `implementation` carries. */
export const delegationCode = (implementation: Address): Hex => concat([DELEGATION_PREFIX, implementation]);

/** The implementation a delegation designator points to, or undefined if `code` is not one. */
export function parseDelegation(code: Hex | undefined): Address | undefined {
  if (!code || size(code) !== 23 || slice(code, 0, 3).toLowerCase() !== DELEGATION_PREFIX) return undefined;
  return getAddress(slice(code, 3));
}

/** Reads where `address` is delegated (EIP-7702), or undefined for a plain EOA. */
export async function getDelegation(
  client: ChainPublicClient,
  address: Address,
): Promise<Address | undefined> {
  return parseDelegation(await client.getCode({ address }));
}

/** `executeBatch((target, value, data)[])` calldata of `Simple7702Account` for `calls`. */
export function encodeExecuteBatch(calls: readonly Call[]): Hex {
  return encodeFunctionData({
    abi: simple7702AccountAbi,
    functionName: "executeBatch",
    args: [calls.map((c) => ({ target: c.to, value: c.value, data: c.data }))],
  });
}

/**
 * The one transaction that runs `calls` from an EIP-7702 account: `executeBatch` sent by the EOA to itself,
 * with a delegation to `implementation` riding along when the EOA is not delegated to it yet.
 */
export function encodeEip7702Batch(params: {
  readonly account: Address;
  readonly implementation: Address;
  readonly calls: readonly Call[];
  /** Where the EOA is delegated now (from {@link getDelegation}). */
  readonly delegatedTo: Address | undefined;
}): TxRequest {
  const { account, implementation, delegatedTo } = params;
  const needs = !delegatedTo || !isAddressEqual(delegatedTo, implementation);
  return {
    to: account,
    data: encodeExecuteBatch(params.calls),
    value: 0n,
    ...(needs ? { delegateTo: implementation } : {}),
  };
}

/** Parameters of {@link eip7702Executor}. */
export type Eip7702ExecutorParameters = {
  readonly clients: ChainClients;
  /**
   * Sends (and journals) the batch. Without it the executor is simulate-only — no key needed, e.g. for a dry run —
   * and `execute` throws {@link ExecutorConfigError}; `account` then names the EOA.
   */
  readonly manager?: TxManager | undefined;
  /** The EOA, when there is no manager (otherwise the manager's sender). */
  readonly account?: Address | undefined;
  /** The `Simple7702Account` deployment the EOA delegates to. */
  readonly implementation: Address;
  /** ABIs whose custom errors to decode by default. */
  readonly abis?: readonly Abi[];
  /** The batch firewall, checked on the exact transaction before it is simulated or signed ("off" only in tests). */
  readonly firewall: FirewallSetting;
};

/**
 * The EIP-7702 executor: the keeper's EOA delegates to `Simple7702Account` (in the same transaction when
 * needed) and calls `executeBatch` on itself — one atomic transaction, `msg.sender` stays the EOA.
 */
export function eip7702Executor(params: Eip7702ExecutorParameters): Executor {
  const { clients, manager, implementation } = params;
  const account = manager?.sender ?? params.account;
  if (!account)
    throw new ExecutorConfigError("An EIP-7702 executor needs a transaction manager or an account.");
  if (manager && clients.chain.id !== manager.chainId)
    throw new ExecutorConfigError("The clients and the transaction manager are on different chains.");
  const firewall = firewallFor(params.firewall, clients.chain.id);
  const serial = createMutex();

  const encode = async (calls: readonly Call[]): Promise<TxRequest> => {
    const request = encodeEip7702Batch({
      account,
      implementation,
      calls,
      delegatedTo: await getDelegation(clients.public, account),
    });
    if (firewall) checkTransaction(firewall, { kind: "eip7702", account, request });
    return request;
  };

  const simulate = async (calls: readonly Call[], options: SimulateOptions = {}): Promise<Simulation> => {
    const request = await encode(calls);
    const raw = await simulateTransaction(clients.public, {
      from: account,
      to: request.to,
      data: request.data,
      value: request.value,
      account,
      // Simulate as delegated: the authorization in the real transaction installs the same code.
      stateOverride: request.delegateTo
        ? [{ address: account, code: delegationCode(request.delegateTo) }]
        : undefined,
      guards: options.guards,
      multicall3: clients.chain.multicall3,
    });
    if (!raw.success) {
      const d = decodeRevert(raw.returnData, [...(params.abis ?? []), ...(options.abis ?? [])]);
      // A one-call batch re-throws the call's own revert (no ExecuteError wrapper).
      const index = d.index ?? (calls.length === 1 ? 0 : undefined);
      throw new SimulationFailedError(d.reason, index, raw.returnData, {
        errorName: d.inner?.errorName ?? d.errorName,
      });
    }
    const report =
      options.guards && raw.before && raw.after
        ? checkGuards(options.guards, raw.before, raw.after)
        : undefined;
    return { ...raw, request, report };
  };

  return {
    kind: "eip7702",
    chainId: clients.chain.id,
    account,
    sender: account,
    encode,
    simulate,
    execute: (calls, options) => {
      if (!manager)
        return Promise.reject(
          new ExecutorConfigError(
            "This executor has no signing key: it can simulate a batch but not send it.",
          ),
        );
      return serial(() => runExecute({ manager, options, simulate: () => simulate(calls, options) }));
    },
  };
}

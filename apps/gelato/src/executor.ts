import {
  type ChainPublicClient,
  checkGuards,
  checkTransaction,
  decodeRevert,
  type Executor,
  ExecutorConfigError,
  encodeSafeModuleTransaction,
  type FirewallSetting,
  findFailingCall,
  firewallFor,
  padGas,
  type SimulateOptions,
  type Simulation,
  SimulationFailedError,
  safeAbi,
  simulateTransaction,
} from "@ballast/chain";
import type { Address, Call } from "@ballast/core";
import { decodeFunctionResult, encodeFunctionData, erc20Abi } from "viem";

/**
 * The completion check of a Gelato Safe-module batch: the batch ends with `token.approve(module, 1)` from the Safe,
 * and Gelato's transaction then calls `token.transferFrom(safe, safe, 1)` from the module. When the inner batch did
 * not run (`execTransactionFromModule` returned false, e.g. out of gas), the allowance is 0 and the transferFrom
 * reverts the whole transaction — so Gelato's simulation and `eth_estimateGas` see the failure instead of a
 * "successful" transaction that did nothing. Net effect when it ran: no allowance left, no balance moved.
 */
export type CompletionCheck = { readonly token: Address };

/** The Safe's last batch call for {@link CompletionCheck}: approve the module for 1 unit. */
export function completionApprove(check: CompletionCheck, module: Address): Call {
  return {
    to: check.token,
    value: 0n,
    data: encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [module, 1n] }),
  };
}

/** The call after the Safe transaction for {@link CompletionCheck}: spend that allowance, Safe to Safe. */
export function completionTransferFrom(check: CompletionCheck, safe: Address): Call {
  return {
    to: check.token,
    value: 0n,
    data: encodeFunctionData({ abi: erc20Abi, functionName: "transferFrom", args: [safe, safe, 1n] }),
  };
}

/** Parameters of {@link safeModuleReadExecutor}. */
export type SafeModuleReadExecutorParameters = {
  readonly client: ChainPublicClient;
  readonly safe: Address;
  readonly multiSend: Address;
  /** The enabled module that will send the transaction: Gelato's dedicated msg.sender. */
  readonly module: Address;
  /** Gas padding over the simulated gas, bps (default 5 000 = +50%, at least 60 000). */
  readonly gasPadBps?: number;
  /** Append the {@link CompletionCheck} approve to every batch (and check the follow-up call in simulation). */
  readonly completionCheck?: CompletionCheck | undefined;
  /** The batch firewall, checked on the module transaction before it is simulated or returned to Gelato. */
  readonly firewall: FirewallSetting;
};

/**
 * A keyless Safe-module executor: `encode` builds `execTransactionFromModule(multiSend, 0, multiSend(calls), 1)` on
 * the Safe, `simulate` runs that exact call from the module (the dedicated msg.sender) and decodes its bool —
 * `false` means the inner batch failed (the calls are then replayed from the Safe to find which). It never sends:
 * Gelato does.
 */
export function safeModuleReadExecutor(params: SafeModuleReadExecutorParameters): Executor {
  const { client, safe, multiSend, module, completionCheck } = params;
  const firewall = firewallFor(params.firewall, client.chain.id);
  const encode = async (calls: readonly Call[]) => {
    const request = encodeSafeModuleTransaction({
      safe,
      multiSend,
      calls: completionCheck ? [...calls, completionApprove(completionCheck, module)] : calls,
    });
    if (firewall) checkTransaction(firewall, { kind: "safe-module", account: safe, request });
    return request;
  };

  /** Runs the Safe transaction and the completion transferFrom from the module in one simulated block. */
  const checkCompletion = async (request: Call, check: CompletionCheck): Promise<void> => {
    const follow = completionTransferFrom(check, safe);
    let results: readonly { status: string }[];
    try {
      const [block] = await client.simulateBlocks({
        blocks: [
          { calls: [request, follow].map((c) => ({ from: module, to: c.to, data: c.data, value: c.value })) },
        ],
        validation: false,
      });
      results = block?.calls ?? [];
    } catch {
      return; // no eth_simulateV1 here: Gelato's own simulation of the pair still reverts if it fails
    }
    if (results[1]?.status !== "success")
      throw new SimulationFailedError(
        `the completion check transferFrom(safe, safe, 1) on ${check.token} fails: the Safe must hold at least 1 unit of it after the batch (choose another completionCheckToken)`,
        undefined,
        undefined,
      );
  };

  const simulate = async (calls: readonly Call[], options: SimulateOptions = {}): Promise<Simulation> => {
    const abis = [...(options.abis ?? [])];
    const request = await encode(calls);
    const raw = await simulateTransaction(client, {
      from: module,
      to: request.to,
      data: request.data,
      value: request.value,
      account: safe,
      guards: options.guards,
    });
    if (!raw.success) {
      // The Safe call itself reverted (GS104: not a module, …).
      const d = decodeRevert(raw.returnData, abis);
      throw new SimulationFailedError(d.reason, undefined, raw.returnData, { errorName: d.errorName });
    }
    const ok = decodeFunctionResult({
      abi: safeAbi,
      functionName: "execTransactionFromModule",
      data: raw.returnData,
    });
    if (!ok) {
      // execTransactionFromModule returns false instead of reverting, and MultiSendCallOnly drops the reason.
      const failing = await findFailingCall(client, { from: safe, calls }).catch(() => undefined);
      if (!failing)
        throw new SimulationFailedError(
          "the Safe module batch failed (execTransactionFromModule returned false)",
          undefined,
          raw.returnData,
        );
      const d = decodeRevert(failing.revertData, abis);
      throw new SimulationFailedError(d.reason, failing.index, failing.revertData, {
        errorName: d.errorName,
      });
    }
    const report =
      options.guards && raw.before && raw.after
        ? checkGuards(options.guards, raw.before, raw.after)
        : undefined;
    if (completionCheck) await checkCompletion(request, completionCheck);
    const gas = padGas(raw.gasUsed, { bps: params.gasPadBps ?? 5_000, floor: 60_000n });
    return { ...raw, request: { ...request, gas }, report };
  };

  return {
    kind: "safe-module",
    chainId: client.chain.id,
    account: safe,
    sender: module,
    encode,
    simulate,
    execute: async () => {
      throw new ExecutorConfigError("The Gelato executor is read-only: Gelato sends the transaction.", {
        safe,
      });
    },
  };
}

import {
  type ChainPublicClient,
  checkGuards,
  decodeRevert,
  type Executor,
  ExecutorConfigError,
  encodeSafeModuleTransaction,
  findFailingCall,
  padGas,
  type SimulateOptions,
  type Simulation,
  SimulationFailedError,
  safeAbi,
  simulateTransaction,
} from "@ballast/chain";
import type { Address, Call } from "@ballast/core";
import { decodeFunctionResult } from "viem";

/** Parameters of {@link safeModuleReadExecutor}. */
export type SafeModuleReadExecutorParameters = {
  readonly client: ChainPublicClient;
  readonly safe: Address;
  readonly multiSend: Address;
  /** The enabled module that will send the transaction: Gelato's dedicated msg.sender. */
  readonly module: Address;
  /** Gas padding over the simulated gas, bps (default 5 000 = +50%, at least 60 000). */
  readonly gasPadBps?: number;
};

/**
 * A keyless Safe-module executor: `encode` builds `execTransactionFromModule(multiSend, 0, multiSend(calls), 1)` on
 * the Safe, `simulate` runs that exact call from the module (the dedicated msg.sender) and decodes its bool —
 * `false` means the inner batch failed (the calls are then replayed from the Safe to find which). It never sends:
 * Gelato does.
 */
export function safeModuleReadExecutor(params: SafeModuleReadExecutorParameters): Executor {
  const { client, safe, multiSend, module } = params;
  const encode = async (calls: readonly Call[]) => encodeSafeModuleTransaction({ safe, multiSend, calls });

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

import type { Address, Call, Hex } from "@ballast/core";
import { HttpRequestError, type Log, type StateOverride, TimeoutError } from "viem";
import type { ChainPublicClient } from "./clients.ts";
import { revertDataOf } from "./decode.ts";
import { SimulationFailedError, SimulationUnsupportedError } from "./errors.ts";
import { decodeGuardReads, encodeGuardReads, type GuardReads, type Guards, needsReads } from "./guards.ts";
import { MULTICALL3_ADDRESS } from "./registry.ts";

/** How a simulation was run: `eth_simulateV1` (state carried, post-state readable) or a bare `eth_call`. */
export type SimulationMethod = "eth_simulateV1" | "eth_call";

/** Parameters of {@link simulateTransaction}. */
export type SimulateTransactionParameters = {
  /** The EOA that sends the transaction. */
  readonly from: Address;
  readonly to: Address;
  readonly data: Hex;
  readonly value?: bigint;
  /** The account whose balances the guards read (the EOA for EIP-7702, the Safe for Safe executors). */
  readonly account: Address;
  /** State overrides for the simulated block (e.g. the EIP-7702 delegation code of a not-yet-delegated EOA). */
  readonly stateOverride?: StateOverride | undefined;
  readonly guards?: Guards | undefined;
  /** Multicall3 address for the guard reads. Default the client chain's, else the canonical one. */
  readonly multicall3?: Address;
  /** Skip `eth_simulateV1` even where the node has it. */
  readonly forceEthCall?: boolean;
};

/** The raw outcome of simulating one transaction; {@link checkGuards} and the executors interpret it. */
export type RawSimulation = {
  readonly method: SimulationMethod;
  readonly success: boolean;
  /** Return data on success, revert data on failure. */
  readonly returnData: Hex;
  /** Gas the transaction used in simulation (an `eth_estimateGas` figure on the `eth_call` path). */
  readonly gasUsed: bigint;
  readonly logs: readonly Log[];
  readonly before: GuardReads | undefined;
  readonly after: GuardReads | undefined;
};

const simulateV1Support = new WeakMap<object, boolean>();

const isTransportFailure = (err: unknown): boolean => {
  for (let e: unknown = err, i = 0; e && i < 8; e = (e as { cause?: unknown }).cause, i++)
    if (e instanceof HttpRequestError || e instanceof TimeoutError) return true;
  return false;
};

const isUnsupported = (err: unknown): boolean => {
  for (let e: unknown = err, i = 0; e && i < 8; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (code === -32601 || code === -32004) return true;
    if (
      e instanceof Error &&
      /method not found|not supported|unsupported method|does not exist/i.test(e.message)
    )
      return true;
  }
  return false;
};

/**
 * Simulates one transaction exactly as the sender would send it. With `eth_simulateV1` the guard reads run in
 * the same simulated block before and after it (state carried); without it, a bare `eth_call` plus
 * `eth_estimateGas` checks that it does not revert (and guards that need reads throw
 * {@link SimulationUnsupportedError}). Reverts are returned, not thrown.
 */
export async function simulateTransaction(
  client: ChainPublicClient,
  params: SimulateTransactionParameters,
): Promise<RawSimulation> {
  const tx = { from: params.from, to: params.to, data: params.data, value: params.value ?? 0n };
  const reads = needsReads(params.guards)
    ? encodeGuardReads({
        guards: params.guards ?? {},
        account: params.account,
        multicall3:
          params.multicall3 ?? (client.chain.contracts?.multicall3?.address as Address) ?? MULTICALL3_ADDRESS,
      })
    : undefined;

  if (!params.forceEthCall && simulateV1Support.get(client) !== false) {
    const calls = [...(reads ? [reads] : []), tx, ...(reads ? [reads] : [])];
    let block: Awaited<ReturnType<typeof client.simulateBlocks>>[number] | undefined;
    try {
      [block] = await client.simulateBlocks({
        blocks: [{ calls, ...(params.stateOverride ? { stateOverrides: params.stateOverride } : {}) }],
        validation: false,
      });
      simulateV1Support.set(client, true);
    } catch (err) {
      if (!isUnsupported(err)) throw err;
      simulateV1Support.set(client, false);
    }
    if (block) return fromSimulateV1(block.calls, !!reads, params.guards ?? {});
  }

  const base = {
    account: params.from,
    to: params.to,
    data: params.data,
    value: tx.value,
    ...(params.stateOverride ? { stateOverride: params.stateOverride } : {}),
  };
  let returnData: Hex;
  try {
    returnData = (await client.call(base)).data ?? "0x";
  } catch (err) {
    const data = revertDataOf(err);
    if (data === undefined && isTransportFailure(err)) throw err;
    return {
      method: "eth_call",
      success: false,
      returnData: data ?? "0x",
      gasUsed: 0n,
      logs: [],
      before: undefined,
      after: undefined,
    };
  }
  if (reads) throw new SimulationUnsupportedError(client.chain.id, "the balance and health-factor guards");
  const gasUsed = await client.estimateGas(base);
  return {
    method: "eth_call",
    success: true,
    returnData,
    gasUsed,
    logs: [],
    before: undefined,
    after: undefined,
  };
}

/**
 * Runs `calls` one by one from `from` in one simulated block (state carried) and returns the first that
 * fails, with its revert data — how the failing index of a Safe batch is found (MultiSendCallOnly drops it).
 * Undefined if all succeed. Needs `eth_simulateV1`.
 */
export async function findFailingCall(
  client: ChainPublicClient,
  params: {
    readonly from: Address;
    readonly calls: readonly Call[];
    readonly stateOverride?: StateOverride | undefined;
  },
): Promise<{ index: number; revertData: Hex } | undefined> {
  const [block] = await client.simulateBlocks({
    blocks: [
      {
        calls: params.calls.map((c) => ({ from: params.from, to: c.to, data: c.data, value: c.value })),
        ...(params.stateOverride ? { stateOverrides: params.stateOverride } : {}),
      },
    ],
    validation: false,
  });
  const results = block?.calls ?? [];
  const index = results.findIndex((r) => r.status !== "success");
  if (index < 0) return undefined;
  return { index, revertData: results[index]?.data ?? "0x" };
}

/**
 * Finds the first failing call by bisection when only `eth_call` is available: `prefixFails(k)` says whether
 * the first `k` calls, as one batch, fail. Returns the index, or undefined if the whole batch passes.
 */
export async function bisectFailingCall(
  count: number,
  prefixFails: (k: number) => Promise<boolean>,
): Promise<number | undefined> {
  if (!(await prefixFails(count))) return undefined;
  let lo = 1;
  let hi = count; // prefixFails(hi) is true
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (await prefixFails(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}

function fromSimulateV1(
  results: readonly { status: string; data: Hex; gasUsed: bigint; logs?: Log[] | undefined }[],
  withReads: boolean,
  guards: Guards,
): RawSimulation {
  const main = results[withReads ? 1 : 0];
  if (!main)
    throw new SimulationFailedError("the node returned no result for the transaction", undefined, undefined);
  const readOut = (i: number): GuardReads | undefined => {
    const r = results[i];
    if (!withReads || !r) return undefined;
    if (r.status !== "success")
      throw new SimulationFailedError(
        "the guard reads failed (token or pool address wrong?)",
        undefined,
        r.data,
      );
    return decodeGuardReads({ guards, data: r.data });
  };
  const success = main.status === "success";
  return {
    method: "eth_simulateV1",
    success,
    returnData: main.data,
    gasUsed: main.gasUsed,
    logs: main.logs ?? [],
    before: readOut(0),
    after: success ? readOut(2) : undefined,
  };
}

import type { Simulation } from "@ballast/chain";
import type { BallastError } from "@ballast/core";
import type { Abi } from "viem";
import { asBallastError, SimulationRequestError } from "./errors.ts";
import type { ChainBatch, ChainSetup, RealizedChain } from "./types.ts";

/**
 * Simulates a realized chain batch through the chain's executor (the exact transaction it would send) with the
 * batch's guards. Never throws: a revert, a broken guard or a failed request comes back as `ok: false` with the
 * typed error (SimulationFailedError, GuardViolationError, SimulationRequestError …).
 */
export async function simulateBatch(setup: ChainSetup, realized: RealizedChain): Promise<ChainBatch> {
  let simulation: Simulation | undefined;
  let error: BallastError | undefined;
  try {
    simulation = await setup.executor.simulate(realized.calls, {
      guards: realized.guards,
      abis: setup.protocols.flatMap((p) => p.abis as Abi[]),
    });
  } catch (err) {
    error = asBallastError(err, (cause) => new SimulationRequestError(setup.key, setup.chainId, cause));
  }
  return { ...realized, ok: simulation !== undefined, simulation, error };
}

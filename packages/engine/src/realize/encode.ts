import {
  type AssetId,
  type EncodeContext,
  LegEncodeError,
  type LegEncoding,
  type Protocol,
  type SleeveLeg,
} from "@ballast/core";
import { protocolChain } from "../fetch.ts";
import { type Batch, failure, type LegOutcome, type Run } from "./batch.ts";

/** A sleeve leg realized without a call: `sell`, `buy-hold`, or one skipped or deferred (`note` says why). */
export const noCall = (leg: SleeveLeg, note?: string): LegOutcome => ({
  realized: {
    step: leg.step,
    action: leg.action,
    sleeveId: leg.sleeveId,
    calls: [],
    flows: [],
    ...(note !== undefined ? { note } : {}),
  },
});

/**
 * Asks the protocol the leg names to encode it (pure), against its state as the batch so far leaves it; its refusal
 * becomes a {@link LegRealizationError} of the step. `funded`: what the leg may spend; `spare`: the account's
 * worst-case balance at the leg less what later legs spend.
 */
export function encodeLeg(
  run: Run,
  batch: Batch,
  leg: SleeveLeg,
  funded: ReadonlyMap<AssetId, bigint>,
  spare: (asset: AssetId) => bigint,
  note?: string,
): LegOutcome {
  const protocol: Protocol | undefined = run.setup.protocols.find((p) => p.name === leg.protocol);
  if (!protocol) throw failure(run, leg, `chain "${run.setup.key}" has no ${leg.protocol} configured`);
  const ctx: EncodeContext<unknown> = {
    chain: protocolChain(run.setup),
    state: batch.states.get(protocol.name),
    target: run.slots.find((s) => s.spec.id === leg.sleeveId),
    assets: run.state.snapshot.assets,
    prices: run.state.prices,
    slippageBps: run.slippageBps,
    healthFactorFloorWad: run.healthFactorFloorWad,
    deadline: run.deadline,
    funded,
    spare,
  };
  let enc: LegEncoding<unknown>;
  try {
    enc = protocol.encode(leg, ctx);
  } catch (err) {
    if (err instanceof LegEncodeError) throw failure(run, leg, err.reason, err.cause);
    throw failure(run, leg, `${protocol.name} refused the leg`, err);
  }
  return outcomeOf(leg, enc, note);
}

/** An encoded leg as a batch outcome: its effects, the protocol's projected state, and the realized leg. */
function outcomeOf(leg: SleeveLeg, enc: LegEncoding<unknown>, note: string | undefined): LegOutcome {
  if (enc.skipped !== undefined)
    return { ...noCall(leg, "skipped"), warnings: [`step ${leg.step}: ${enc.skipped}`] };
  const notes = [note, enc.note].filter((n): n is string => n !== undefined);
  return {
    effects: enc.effects,
    ...(enc.state !== undefined ? { state: { protocol: leg.protocol, state: enc.state } } : {}),
    unpricedUsd: enc.unpricedUsd ?? 0n,
    ...(enc.floors ? { floors: enc.floors } : {}),
    realized: {
      step: leg.step,
      action: enc.action ?? leg.action,
      sleeveId: leg.sleeveId,
      calls: enc.calls,
      flows: enc.flows,
      ...(notes.length > 0 ? { note: notes.join("; ") } : {}),
    },
  };
}

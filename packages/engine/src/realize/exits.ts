import type { AssetId, SleeveLeg } from "@ballast/core";
import { type Batch, type LegOutcome, type Run, withOutcome } from "./batch.ts";
import { encodeLeg, noCall } from "./encode.ts";

const nothing = new Map<AssetId, bigint>();

/** Exits (pure): `sell` releases idle funds without a call; every other exit is its protocol's to encode. */
export function realizeExits(run: Run, batch: Batch, exits: readonly SleeveLeg[]): Batch {
  return exits.reduce((b, leg) => withOutcome(b, exitOutcome(run, b, leg)), batch);
}

function exitOutcome(run: Run, batch: Batch, leg: SleeveLeg): LegOutcome {
  if (leg.needsCall) return encodeLeg(run, batch, leg, nothing, () => 0n);
  return { ...noCall(leg), sold: leg.amounts };
}

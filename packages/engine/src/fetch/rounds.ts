import type { ContractRead, ProtocolRead, ReadResult, ReadStep } from "@ballast/core";

/**
 * Decodes every protocol's step from its slice of `results`, in order; those asking for another round get it, all
 * together in one more call per round (`more`, at the same block). Counts the calls, the first included.
 */
export async function decodeRounds(
  steps: readonly ReadStep<ProtocolRead>[],
  results: readonly ReadResult[],
  more: (calls: readonly ContractRead[]) => Promise<readonly ReadResult[]>,
): Promise<{ reads: ProtocolRead[]; ethCalls: number }> {
  const reads: (ProtocolRead | undefined)[] = steps.map(() => undefined);
  let pending = steps.map((step, i) => ({ i, step }));
  let rs = results;
  let ethCalls = 1;
  for (;;) {
    const next: typeof pending = [];
    let at = 0;
    for (const { i, step } of pending) {
      const out = step.decode(rs.slice(at, at + step.calls.length));
      at += step.calls.length;
      if ("done" in out) reads[i] = out.done;
      else next.push({ i, step: out.next });
    }
    if (next.length === 0) return { reads: reads as ProtocolRead[], ethCalls };
    pending = next;
    rs = await more(next.flatMap((p) => p.step.calls));
    ethCalls++;
  }
}

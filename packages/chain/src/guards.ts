import type { Address, FloorGuard, Hex } from "@ballast/core";
import { mulDiv } from "@ballast/core";
import { type Abi, decodeFunctionResult, encodeFunctionData, erc20Abi } from "viem";
import { multicall3Abi } from "./abis.ts";
import { ExecutorConfigError, GuardViolationError } from "./errors.ts";

/** Stand-in address for the chain's native token in guards (read with Multicall3 `getEthBalance`). */
export const NATIVE_TOKEN: Address = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE";

/** The account's balance of `token` must change by at least `min` (negative: the most it may decrease). */
export type BalanceGuard = { readonly token: Address; readonly min: bigint; readonly label?: string };

/** A token's price for the value-loss guard: USD (18 decimals) per whole token. */
export type TokenPrice = { readonly token: Address; readonly decimals: number; readonly priceUsdWad: bigint };

/**
 * Post-conditions checked on the simulated state, as plain data: each swap's minOut as a balance delta,
 * the plan's largest acceptable USD value loss over the priced tokens, and the floors protocols contribute (a lending
 * market's health factor, see core's `FloorGuard`).
 */
export type Guards = {
  readonly balanceDeltas?: readonly BalanceGuard[];
  /** Largest acceptable decrease of the priced tokens' total USD value (wad). Needs `prices`. */
  readonly maxValueLossUsd?: bigint;
  readonly prices?: readonly TokenPrice[];
  /** Each value after the batch must be ≥ its `min` (e.g. a health factor ≥ the policy's floor). */
  readonly floors?: readonly FloorGuard[];
};

/** Balances (by lower-cased token address) and the floors' values (in `Guards.floors` order) at one point. */
export type GuardReads = {
  readonly balances: ReadonlyMap<string, bigint>;
  readonly floors: readonly bigint[];
};

/** What the guards saw: per-token before/after/delta, the USD value change and each floor's value after. */
export type GuardReport = {
  readonly balances: readonly { token: Address; before: bigint; after: bigint; delta: bigint }[];
  readonly valueChangeUsd: bigint | undefined;
  readonly floors: readonly { kind: string; subject: string; value: bigint }[];
};

/** True when the guards need state read around the batch (anything beyond "does not revert"). */
export const needsReads = (g: Guards | undefined): boolean =>
  !!g &&
  ((g.balanceDeltas?.length ?? 0) > 0 || g.maxValueLossUsd !== undefined || (g.floors?.length ?? 0) > 0);

/** The distinct tokens the guards read, in first-seen order. */
export function guardTokens(g: Guards): Address[] {
  const seen = new Map<string, Address>();
  for (const t of [...(g.balanceDeltas ?? []).map((b) => b.token), ...(g.prices ?? []).map((p) => p.token)])
    if (!seen.has(t.toLowerCase())) seen.set(t.toLowerCase(), t);
  return [...seen.values()];
}

/** One Multicall3 `aggregate3` call that reads every guarded balance of `account`, then each floor's value. */
export function encodeGuardReads(params: {
  readonly guards: Guards;
  readonly account: Address;
  readonly multicall3: Address;
}): { to: Address; data: Hex } {
  const { guards, account, multicall3 } = params;
  const calls = guardTokens(guards).map((token) =>
    token.toLowerCase() === NATIVE_TOKEN.toLowerCase()
      ? {
          target: multicall3,
          allowFailure: false,
          callData: encodeFunctionData({
            abi: multicall3Abi,
            functionName: "getEthBalance",
            args: [account],
          }),
        }
      : {
          target: token,
          allowFailure: false,
          callData: encodeFunctionData({ abi: erc20Abi, functionName: "balanceOf", args: [account] }),
        },
  );
  for (const f of guards.floors ?? [])
    calls.push({
      target: f.read.address,
      allowFailure: false,
      callData: encodeFunctionData({
        abi: f.read.abi as Abi,
        functionName: f.read.functionName,
        args: f.read.args,
      }),
    });
  return {
    to: multicall3,
    data: encodeFunctionData({ abi: multicall3Abi, functionName: "aggregate3", args: [calls] }),
  };
}

/** Decodes what {@link encodeGuardReads} returned. */
export function decodeGuardReads(params: { readonly guards: Guards; readonly data: Hex }): GuardReads {
  const results = decodeFunctionResult({ abi: multicall3Abi, functionName: "aggregate3", data: params.data });
  const tokens = guardTokens(params.guards);
  const balances = new Map<string, bigint>();
  tokens.forEach((t, i) => {
    const r = results[i];
    if (!r) return;
    balances.set(t.toLowerCase(), BigInt(r.returnData.slice(0, 66)));
  });
  const floors = (params.guards.floors ?? []).map((f, i) => {
    const r = results[tokens.length + i];
    if (!r) return 0n;
    const out = decodeFunctionResult({
      abi: f.read.abi as Abi,
      functionName: f.read.functionName,
      data: r.returnData,
    });
    return BigInt((Array.isArray(out) ? out[f.output] : out) as bigint);
  });
  return { balances, floors };
}

/**
 * Checks the guards against the reads taken before and after the batch (pure). Returns what it saw;
 * throws {@link GuardViolationError} on the first guard that does not hold.
 */
export function checkGuards(guards: Guards, before: GuardReads, after: GuardReads): GuardReport {
  const balances = guardTokens(guards).map((token) => {
    const b = before.balances.get(token.toLowerCase()) ?? 0n;
    const a = after.balances.get(token.toLowerCase()) ?? 0n;
    return { token, before: b, after: a, delta: a - b };
  });
  const delta = (token: Address) =>
    balances.find((x) => x.token.toLowerCase() === token.toLowerCase())?.delta ?? 0n;

  for (const g of guards.balanceDeltas ?? []) {
    const d = delta(g.token);
    if (d < g.min) throw new GuardViolationError("balanceDelta", g.min, d, g.label ?? g.token);
  }

  let valueChangeUsd: bigint | undefined;
  if (guards.prices?.length) {
    valueChangeUsd = 0n;
    for (const p of guards.prices) {
      const d = delta(p.token);
      // Losses round away from zero, gains toward it: the check never under-counts a loss.
      valueChangeUsd += mulDiv(d, p.priceUsdWad, 10n ** BigInt(p.decimals), d < 0n ? "up" : "down");
    }
  }
  if (guards.maxValueLossUsd !== undefined) {
    if (valueChangeUsd === undefined)
      throw new ExecutorConfigError("The maxValueLossUsd guard needs prices for the tokens it values.");
    const loss = -valueChangeUsd;
    if (loss > guards.maxValueLossUsd)
      throw new GuardViolationError("valueLoss", guards.maxValueLossUsd, loss);
  }

  const floors = (guards.floors ?? []).map((f, i) => {
    const value = after.floors[i] ?? 0n;
    if (value < f.min) throw new GuardViolationError(f.kind, f.min, value, f.subject);
    return { kind: f.kind, subject: f.subject, value };
  });
  return { balances, valueChangeUsd, floors };
}

import type { Address, Hex } from "@ballast/core";
import { mulDiv } from "@ballast/core";
import { decodeFunctionResult, encodeFunctionData, erc20Abi } from "viem";
import { aavePoolAccountDataAbi, multicall3Abi } from "./abis.ts";
import { ExecutorConfigError, GuardViolationError } from "./errors.ts";

/** Stand-in address for the chain's native token in guards (read with Multicall3 `getEthBalance`). */
export const NATIVE_TOKEN: Address = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE";

/** The account's balance of `token` must change by at least `min` (negative: the most it may decrease). */
export type BalanceGuard = { readonly token: Address; readonly min: bigint; readonly label?: string };

/** A token's price for the value-loss guard: USD (18 decimals) per whole token. */
export type TokenPrice = { readonly token: Address; readonly decimals: number; readonly priceUsdWad: bigint };

/**
 * Post-conditions checked on the simulated state, as plain data: each swap's minOut as a balance delta,
 * the plan's largest acceptable USD value loss over the priced tokens, and the Aave health-factor floor.
 */
export type Guards = {
  readonly balanceDeltas?: readonly BalanceGuard[];
  /** Largest acceptable decrease of the priced tokens' total USD value (wad). Needs `prices`. */
  readonly maxValueLossUsd?: bigint;
  readonly prices?: readonly TokenPrice[];
  /** The account's Aave health factor after the batch must be ≥ `floorWad` (1e18 = 1.0). */
  readonly healthFactor?: { readonly pool: Address; readonly floorWad: bigint };
};

/** Balances (by lower-cased token address) and health factor read at one point of a simulation. */
export type GuardReads = {
  readonly balances: ReadonlyMap<string, bigint>;
  readonly healthFactor: bigint | undefined;
};

/** What the guards saw: per-token before/after/delta, the USD value change and the health factor after. */
export type GuardReport = {
  readonly balances: readonly { token: Address; before: bigint; after: bigint; delta: bigint }[];
  readonly valueChangeUsd: bigint | undefined;
  readonly healthFactor: bigint | undefined;
};

/** True when the guards need state read around the batch (anything beyond "does not revert"). */
export const needsReads = (g: Guards | undefined): boolean =>
  !!g &&
  ((g.balanceDeltas?.length ?? 0) > 0 || g.maxValueLossUsd !== undefined || g.healthFactor !== undefined);

/** The distinct tokens the guards read, in first-seen order. */
export function guardTokens(g: Guards): Address[] {
  const seen = new Map<string, Address>();
  for (const t of [...(g.balanceDeltas ?? []).map((b) => b.token), ...(g.prices ?? []).map((p) => p.token)])
    if (!seen.has(t.toLowerCase())) seen.set(t.toLowerCase(), t);
  return [...seen.values()];
}

/** One Multicall3 `aggregate3` call that reads every guarded balance of `account` (and its health factor). */
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
  if (guards.healthFactor)
    calls.push({
      target: guards.healthFactor.pool,
      allowFailure: false,
      callData: encodeFunctionData({
        abi: aavePoolAccountDataAbi,
        functionName: "getUserAccountData",
        args: [account],
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
  let healthFactor: bigint | undefined;
  const hf = params.guards.healthFactor ? results[tokens.length] : undefined;
  if (hf)
    healthFactor = decodeFunctionResult({
      abi: aavePoolAccountDataAbi,
      functionName: "getUserAccountData",
      data: hf.returnData,
    })[5];
  return { balances, healthFactor };
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

  const healthFactor = after.healthFactor;
  if (guards.healthFactor) {
    const hf = healthFactor ?? 0n;
    if (hf < guards.healthFactor.floorWad)
      throw new GuardViolationError(
        "healthFactor",
        guards.healthFactor.floorWad,
        hf,
        guards.healthFactor.pool,
      );
  }
  return { balances, valueChangeUsd, healthFactor };
}

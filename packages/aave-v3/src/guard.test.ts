import {
  checkGuards,
  decodeGuardReads,
  encodeGuardReads,
  GuardViolationError,
  multicall3Abi,
} from "@ballast/chain";
import { decodeFunctionData, encodeAbiParameters, encodeFunctionResult, erc20Abi, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { aavePoolAbi } from "./abi.ts";
import { aaveHealthFactorGuard } from "./guard.ts";

const POOL = "0x00000000000000000000000000000000000000C3" as const;
const ME = "0x00000000000000000000000000000000000000A1" as const;
const USDC = "0x00000000000000000000000000000000000000b2" as const;
const MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11" as const;
const E18 = 10n ** 18n;

/** What the guards' aggregate3 returns: a USDC balance, then the pool's account data with health factor `hf`. */
const answer = (usdc: bigint, hf: bigint): Hex =>
  encodeFunctionResult({
    abi: multicall3Abi,
    functionName: "aggregate3",
    result: [
      { success: true, returnData: encodeAbiParameters([{ type: "uint256" }], [usdc]) },
      {
        success: true,
        returnData: encodeFunctionResult({
          abi: aavePoolAbi,
          functionName: "getUserAccountData",
          result: [1n, 2n, 3n, 4n, 5n, hf],
        }),
      },
    ],
  });

describe("aaveHealthFactorGuard", () => {
  const guards = {
    balanceDeltas: [{ token: USDC, min: 0n }],
    floors: [aaveHealthFactorGuard({ pool: POOL, account: ME, floorWad: (18n * E18) / 10n })],
  };

  it("reads the account's getUserAccountData on the pool, after the balances", () => {
    const { data } = encodeGuardReads({ guards, account: ME, multicall3: MULTICALL3 });
    const [calls] = decodeFunctionData({ abi: multicall3Abi, data }).args as [
      readonly { target: string; allowFailure: boolean; callData: Hex }[],
    ];
    expect(calls.map((c) => [c.target, c.allowFailure])).toEqual([
      [USDC, false],
      [POOL, false],
    ]);
    expect(decodeFunctionData({ abi: erc20Abi, data: calls[0]!.callData }).args).toEqual([ME]);
    const hf = decodeFunctionData({ abi: aavePoolAbi, data: calls[1]!.callData });
    expect([hf.functionName, hf.args]).toEqual(["getUserAccountData", [ME]]);
  });

  it("takes the health factor (sixth output) and holds the floor: at it passes, one wei under throws", () => {
    const before = decodeGuardReads({ guards, data: answer(5n, 3n * E18) });
    expect(before.floors).toEqual([3n * E18]);
    const floor = (18n * E18) / 10n;
    const at = decodeGuardReads({ guards, data: answer(5n, floor) });
    expect(checkGuards(guards, before, at).floors).toEqual([
      { kind: "healthFactor", subject: POOL, value: floor },
    ]);
    const under = decodeGuardReads({ guards, data: answer(5n, floor - 1n) });
    expect(() => checkGuards(guards, before, under)).toThrow(
      new GuardViolationError("healthFactor", floor, floor - 1n, POOL),
    );
  });
});

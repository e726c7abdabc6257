/**
 * The `latest` ABIs against the contracts compiled from aave-v3-origin 3.6.0 (the testkit's compile): every
 * function this package calls has the same inputs and outputs, field for field, as the real 3.6 contract.
 */
import { ensureAave36Artifacts } from "@ballast/testkit";
import type { Abi, AbiFunction, AbiParameter } from "viem";
import { describe, expect, it } from "vitest";
import { aavePoolAbi, uiPoolDataProviderV3Abi } from "../src/abi.ts";

/** Names and types only (drops `internalType`, which solc adds and our constants leave out). */
type Shape = { name: string | undefined; type: string; components?: Shape[] };
const shape = (params: readonly AbiParameter[]): Shape[] =>
  params.map((p) => ({
    name: p.name,
    type: p.type,
    ...("components" in p ? { components: shape(p.components) } : {}),
  }));

function expectSameFunctions(ours: Abi, compiled: Abi): void {
  for (const fn of ours.filter((x): x is AbiFunction => x.type === "function")) {
    const real = compiled.find((x): x is AbiFunction => x.type === "function" && x.name === fn.name);
    expect(real, fn.name).toBeDefined();
    expect(shape(fn.inputs).map((p) => p.type)).toEqual(shape(real!.inputs).map((p) => p.type));
    expect(shape(fn.outputs), fn.name).toEqual(shape(real!.outputs));
  }
}

describe("the latest ABIs are aave-v3-origin 3.6's", () => {
  it("UiPoolDataProviderV3: getReservesData (40 fields), getUserReservesData (4), getEModes", async () => {
    const { contracts } = await ensureAave36Artifacts();
    expectSameFunctions(uiPoolDataProviderV3Abi, contracts.UiPoolDataProviderV3.abi);
  });

  it("Pool: the reads and actions encoded here", async () => {
    const { contracts } = await ensureAave36Artifacts();
    expectSameFunctions(aavePoolAbi, contracts.PoolInstance.abi);
  });
});

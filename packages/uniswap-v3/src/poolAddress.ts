import type { Address, Hex } from "@ballast/core";
import { encodeAbiParameters, getContractAddress, keccak256 } from "viem";
import { POOL_INIT_CODE_HASH } from "./constants.ts";
import { UnsupportedSwapError } from "./errors.ts";

/** The two tokens of a pair in the pool's order (token0 has the lower address). */
export function sortTokens(a: Address, b: Address): [Address, Address] {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la === lb) throw new UnsupportedSwapError("a pool needs two different tokens");
  return la < lb ? [a, b] : [b, a];
}

/** Inputs of {@link computePoolAddress}. */
export type ComputePoolAddressParameters = {
  readonly factory: Address;
  readonly tokenA: Address;
  readonly tokenB: Address;
  readonly fee: number;
  /** Override for forks of Uniswap V3 with another pool bytecode. */
  readonly initCodeHash?: Hex;
};

/** A pool's address derived locally with CREATE2 from the factory, the sorted tokens and the fee (no read). */
export function computePoolAddress(params: ComputePoolAddressParameters): Address {
  const [token0, token1] = sortTokens(params.tokenA, params.tokenB);
  const salt = keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "address" }, { type: "uint24" }],
      [token0, token1, params.fee],
    ),
  );
  return getContractAddress({
    opcode: "CREATE2",
    from: params.factory,
    salt,
    bytecodeHash: params.initCodeHash ?? POOL_INIT_CODE_HASH,
  });
}

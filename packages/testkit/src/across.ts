/** Across V3 on a local chain: the real `Ethereum_SpokePool` (contracts 5.0.27) behind its ERC1967 proxy. */
import { type Address, encodeFunctionData, zeroAddress } from "viem";
import { loadArtifact } from "./artifacts.ts";
import { deployData, type Sender } from "./sender.ts";

/** Oldest quote timestamp a deposit may carry, in seconds before the block (production: 1 h). */
export const ACROSS_QUOTE_TIME_BUFFER = 3_600;
/** Latest fill deadline a deposit may ask for, in seconds after the block (production: 6 h). */
export const ACROSS_FILL_DEADLINE_BUFFER = 21_600;

/** What the testkit deployed of Across on a chain. */
export type AcrossDeployment = {
  /** The ERC1967 proxy: where deposits, fills and refunds go. */
  spokePool: Address;
  /** The `Ethereum_SpokePool` implementation behind it. */
  spokePoolImplementation: Address;
  /** Owner of the pool (the deployer): the only account that can relay root bundles (refunds). */
  owner: Address;
  /** Receiver of `amountToReturn` in refund leaves (the HubPool's role; here the treasury). */
  withdrawalRecipient: Address;
  depositQuoteTimeBuffer: number;
  fillDeadlineBuffer: number;
};

/** The SpokePool's ABI as published (untyped JSON: callers cast the decoded values). */
export const spokePoolArtifactAbi = () => loadArtifact("Ethereum_SpokePool").abi;

/**
 * Deploys `Ethereum_SpokePool(wrappedNative, 3600, 21600, gateway = 0)` and an `ERC1967Proxy` that runs
 * `initialize(0, withdrawalRecipient)`, so the proxy's owner is the sender. Gateway 0 disables the V5 fill paths.
 */
export async function deployAcross(
  d: Sender,
  params: { owner: Address; wrappedNative: Address; withdrawalRecipient: Address },
): Promise<AcrossDeployment> {
  const implementation = await d.deploy(
    "Ethereum_SpokePool",
    deployData("Ethereum_SpokePool", [
      params.wrappedNative,
      ACROSS_QUOTE_TIME_BUFFER,
      ACROSS_FILL_DEADLINE_BUFFER,
      zeroAddress,
    ]),
  );
  const initialize = encodeFunctionData({
    abi: spokePoolArtifactAbi(),
    functionName: "initialize",
    args: [0, params.withdrawalRecipient],
  });
  const spokePool = await d.deploy(
    "SpokePool proxy",
    deployData("ERC1967Proxy", [implementation, initialize]),
  );
  return {
    spokePool,
    spokePoolImplementation: implementation,
    owner: params.owner,
    withdrawalRecipient: params.withdrawalRecipient,
    depositQuoteTimeBuffer: ACROSS_QUOTE_TIME_BUFFER,
    fillDeadlineBuffer: ACROSS_FILL_DEADLINE_BUFFER,
  };
}

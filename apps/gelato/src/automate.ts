/**
 * Gelato Automate task preparation with `@gelatonetwork/automate-sdk` (CommonJS, ethers v5 — which stays inside
 * this app). `AutomateSDK.create` looks the Automate address up at a hard-coded URL (offline it fails with a
 * misleading error), so the address is resolved here (flag → known table → the configurable API) and the SDK is
 * built with it directly.
 */
import type { Address, Hex } from "@ballast/core";
import automateSdk from "@gelatonetwork/automate-sdk";
import { ethers } from "ethers";
import { getAddress } from "viem";
import { GelatoConfigError } from "./errors.ts";
import { fetchAutomateAddress, type GelatoApiOptions } from "./gelato-api.ts";

/** Gelato Automate's address on Ethereum, Arbitrum, Base, Polygon (and other chains: check Gelato's docs). */
export const AUTOMATE_ADDRESS: Address = "0x2A6C106ae13B558BB9E2Ec64Bd2f1f7BEFF3A5E0";

/** Chains where {@link AUTOMATE_ADDRESS} is the Automate contract without asking the API. */
export const KNOWN_AUTOMATE: Readonly<Record<number, Address>> = {
  1: AUTOMATE_ADDRESS,
  137: AUTOMATE_ADDRESS,
  8453: AUTOMATE_ADDRESS,
  42161: AUTOMATE_ADDRESS,
};

/** Where an Automate address came from. */
export type AutomateSource = "configured" | "known";

/**
 * The Automate address: the configured one, else the known table. On any other chain the address decides where
 * `createTask` goes and which module the Safe's owners are told to enable, so an unverified API answer is not
 * enough: the command stops with Gelato's registry answer as a suggestion to check and pass as `--automate`.
 */
export async function resolveAutomateAddress(
  chainId: number,
  params: { readonly automate?: Address | undefined; readonly api?: GelatoApiOptions } = {},
): Promise<{ address: Address; source: AutomateSource }> {
  if (params.automate) return { address: getAddress(params.automate), source: "configured" };
  const known = KNOWN_AUTOMATE[chainId];
  if (known) return { address: known, source: "known" };
  const suggested = await fetchAutomateAddress(chainId, params.api);
  throw new GelatoConfigError(
    "automate",
    `chain ${chainId} is not one where Gelato Automate's address is known here; Gelato's API names ${suggested}. ` +
      `Check it against Gelato's documentation and pass it with --automate ${suggested}.`,
    { chainId, suggested },
  );
}

/** The SDK instance type (the package is CommonJS: reached through its default export). */
export type AutomateClient = automateSdk.AutomateSDK;

type AutomateCtor = new (chainId: number, signer: ethers.Signer, automateAddress: string) => AutomateClient;

/** An `AutomateSDK` bound to a known Automate address (its private constructor; `create()` would fetch it). */
export function automateClient(chainId: number, signer: ethers.Signer, automate: Address): AutomateClient {
  return new (automateSdk.AutomateSDK as unknown as AutomateCtor)(chainId, signer, automate);
}

/** The ethers v5 provider and signer for task preparation: a `VoidSigner` (dry run, no key) or a `Wallet`. */
export function ethersSigner(params: {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly owner: Address;
  readonly privateKey?: Hex | undefined;
}): ethers.Signer {
  const provider = new ethers.providers.StaticJsonRpcProvider(params.rpcUrl, params.chainId);
  return params.privateKey
    ? new ethers.Wallet(params.privateKey, provider)
    : new ethers.VoidSigner(params.owner, provider);
}

/** Gelato's dedicated msg.sender of the task creator (read on chain through Automate's proxy module). */
export async function dedicatedMsgSender(
  sdk: AutomateClient,
): Promise<{ address: Address; isDeployed: boolean }> {
  const r = await sdk.getDedicatedMsgSender();
  return { address: getAddress(r.address), isDeployed: r.isDeployed };
}

/** ABI-encodes the Web3 Function's user args in the schema's order (here only `portfolio: string`). */
export function encodeUserArgs(portfolio: string): Hex {
  return ethers.utils.defaultAbiCoder.encode(["string"], [portfolio]) as Hex;
}

/** The createTask transaction for a Web3 Function task run by the dedicated msg.sender (`batchExecuteCall`). */
export type PreparedTask = {
  readonly taskId: Hex;
  readonly tx: { readonly to: Address; readonly data: Hex; readonly value: bigint };
};

/**
 * Prepares (never sends) `Automate.createTask` for a Web3 Function task whose calls go through the creator's
 * dedicated msg.sender, paid from Gelato 1Balance, triggered every `intervalMs`. The user args are encoded here
 * (the SDK would fetch the schema from Gelato's API to do it).
 */
export async function prepareW3fTask(
  sdk: AutomateClient,
  params: {
    readonly name: string;
    readonly w3fHash: string;
    readonly portfolio: string;
    readonly intervalMs: number;
    readonly creator: Address;
  },
): Promise<PreparedTask> {
  const { taskId, tx } = await sdk.prepareBatchExecTask(
    {
      name: params.name,
      web3FunctionHash: params.w3fHash,
      web3FunctionArgsHex: encodeUserArgs(params.portfolio),
      trigger: { type: automateSdk.TriggerType.TIME, interval: params.intervalMs },
    },
    {},
    params.creator,
  );
  if (!tx.to || !tx.data) throw new Error("automate-sdk returned an incomplete createTask transaction");
  return {
    taskId: taskId as Hex,
    tx: { to: getAddress(tx.to), data: tx.data as Hex, value: tx.value ? BigInt(tx.value.toString()) : 0n },
  };
}

/** Deployment plumbing shared by the protocol deployers: a pipelining sender, raw reads and creation data. */
import {
  type Abi,
  type Address,
  type Client,
  decodeFunctionResult,
  encodeDeployData,
  encodeFunctionData,
  getContractAddress,
  type Hash,
  type Hex,
  numberToHex,
} from "viem";
import { type Artifact, type ArtifactName, linkBytecode, loadArtifact } from "./artifacts.ts";
import { DeploymentError } from "./errors.ts";

/** Gas limit of every deployment transaction: fixed, so no estimate round-trip is needed (unused gas is refunded). */
const DEPLOY_GAS = 25_000_000n;

type Sent = { label: string; hash: Hash };

/**
 * Sends transactions from one unlocked anvil account with locally tracked nonces and a fixed gas limit, without
 * waiting for each receipt (anvil automines each one as it arrives). `verify()` checks every receipt at the end.
 */
export function createSender(client: Client, from: Address, startNonce: number) {
  let nonce = startNonce;
  const sent: Sent[] = [];
  const rpc = <T>(method: string, params: unknown[]): Promise<T> =>
    client.request({ method, params } as never) as Promise<T>;

  async function send(label: string, tx: { to?: Address; data: Hex; value?: bigint }): Promise<Hash> {
    const hash = await rpc<Hash>("eth_sendTransaction", [
      {
        from,
        ...(tx.to ? { to: tx.to } : {}),
        data: tx.data,
        value: numberToHex(tx.value ?? 0n),
        gas: numberToHex(DEPLOY_GAS),
        nonce: numberToHex(nonce++),
      },
    ]);
    sent.push({ label, hash });
    return hash;
  }

  async function deploy(label: string, data: Hex): Promise<Address> {
    const address = getContractAddress({ from, nonce: BigInt(nonce) });
    await send(`deploy ${label}`, { data });
    return address;
  }

  /** Waits until every sent transaction is mined (anvil automines, but asynchronously to the RPC reply) and succeeded. */
  async function verify(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (const { label, hash } of sent) {
      for (;;) {
        const receipt = await rpc<{ status: Hex } | null>("eth_getTransactionReceipt", [hash]);
        if (receipt) {
          if (receipt.status !== "0x1") throw new DeploymentError(label, `transaction ${hash} reverted`);
          break;
        }
        if (Date.now() > deadline)
          throw new DeploymentError(label, `no receipt for ${hash} (is automine off?)`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    sent.length = 0;
  }

  return { send, deploy, verify, rpc };
}

/** A deployment sender: pipelined transactions from one unlocked account, checked by `verify()`. */
export type Sender = ReturnType<typeof createSender>;

export async function read<const abi extends Abi>(
  client: Client,
  to: Address,
  abi: abi,
  functionName: string,
  args: readonly unknown[] = [],
): Promise<unknown> {
  const data = encodeFunctionData({ abi, functionName, args } as never);
  const result = (await client.request({
    method: "eth_call",
    params: [{ to, data }, "latest"],
  } as never)) as Hex;
  return decodeFunctionResult({ abi, functionName, data: result } as never);
}

export const deployData = (
  name: ArtifactName,
  args: readonly unknown[] = [],
  libraries: Record<string, Address> = {},
): Hex => artifactDeployData(loadArtifact(name), args, libraries);

/** Creation data of an artifact (published or compiled) with its libraries linked and constructor arguments encoded. */
export const artifactDeployData = (
  artifact: Artifact,
  args: readonly unknown[] = [],
  libraries: Record<string, Address> = {},
): Hex => encodeDeployData({ abi: artifact.abi, bytecode: linkBytecode(artifact, libraries), args } as never);

import { ChainMismatchError, hashSafeTransaction, safeAbi } from "@ballast/chain";
import type { Address, Hex } from "@ballast/core";
import { createPublicClient, encodeFunctionData, getAddress, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  automateClient,
  dedicatedMsgSender,
  ethersSigner,
  type PreparedTask,
  prepareW3fTask,
  resolveAutomateAddress,
} from "./automate.ts";
import { buildW3fArchive } from "./bundle.ts";
import { type ChainArgs, POLICY_SECRET, PORTFOLIO_ARG, parsePolicy, parsePortfolioArgs } from "./config.ts";
import { GelatoConfigError, ModuleNotEnabledError } from "./errors.ts";
import { type GelatoApiOptions, uploadW3f } from "./gelato-api.ts";

/** Inputs of {@link createGelatoTask} (the CLI parses them from flags, files and the environment). */
export type CreateTaskParameters = {
  readonly chainId: number;
  readonly rpcUrl: string;
  /** The `portfolio` user arg as JSON text; a chain entry may omit `dedicatedMsgSender` (it is resolved here). */
  readonly portfolio: string;
  /** The `BALLAST_POLICY` secret's JSON text: validated here, set on the task by the user (never printed). */
  readonly policy: string;
  /** The task creator. With `privateKey` it must be that key's address (or be omitted). */
  readonly owner?: Address | undefined;
  /** The creator's key: needed to send; a dry run works with `owner` alone. */
  readonly privateKey?: Hex | undefined;
  /** Skip the build and upload: an already uploaded Web3 Function's CID. */
  readonly w3fHash?: string | undefined;
  readonly automate?: Address | undefined;
  readonly api?: GelatoApiOptions;
  readonly name?: string;
  /** Trigger interval, ms (default 5 minutes). */
  readonly intervalMs?: number;
  /** Where the bundle and archive are written (default a temp directory). */
  readonly outDir: string;
  readonly dryRun: boolean;
};

/** The Safe transaction the owners execute to enable the dedicated msg.sender as a module. */
export type EnableModuleTx = {
  readonly safe: Address;
  readonly to: Address;
  readonly value: bigint;
  readonly data: Hex;
  readonly operation: 0;
  readonly nonce: bigint;
  /** EIP-712 Safe transaction hash (what the owners sign). */
  readonly safeTxHash: Hex;
};

/** What task creation found, prepared and (unless dry run) did. */
export type CreateTaskReport = {
  readonly chainId: number;
  readonly automate: { readonly address: Address; readonly source: string };
  readonly owner: Address;
  readonly dedicatedMsgSender: { readonly address: Address; readonly isDeployed: boolean };
  readonly safe: Address;
  readonly moduleEnabled: boolean;
  /** Present when the module is not enabled yet. */
  readonly enableModule: EnableModuleTx | undefined;
  readonly w3fHash: string;
  readonly bundle: { readonly archivePath: string; readonly bytes: number } | undefined;
  readonly userArgs: Readonly<Record<string, string>>;
  /** Secret names to set on the task (values are never printed). */
  readonly secrets: readonly string[];
  readonly task: PreparedTask;
  /** The createTask transaction hash, when sent. */
  readonly sent: Hex | undefined;
};

/** Placeholder CID in a dry run without `--w3f-hash` (nothing is uploaded). */
export const DRY_RUN_HASH = "<cid-after-upload>";

/**
 * `create-task`: validates the portfolio and policy, checks the chain, resolves the Automate address and the owner's
 * dedicated msg.sender (automate-sdk), checks the Safe has it as a module (else reports the Safe transaction that
 * enables it), builds and uploads the Web3 Function, prepares `createTask` and — unless `dryRun` — sends it.
 * Misconfiguration throws a typed error; in a dry run a missing module is reported, not thrown.
 */
export async function createGelatoTask(p: CreateTaskParameters): Promise<CreateTaskReport> {
  parsePolicy(p.policy);
  const keyOwner = p.privateKey ? privateKeyToAccount(p.privateKey).address : undefined;
  if (keyOwner && p.owner && getAddress(p.owner) !== keyOwner)
    throw new GelatoConfigError("owner", `the key's address is ${keyOwner}, not ${p.owner}`);
  const owner = keyOwner ?? (p.owner ? getAddress(p.owner) : undefined);
  if (!owner) throw new GelatoConfigError("owner", "give the task creator's address (or its key to send)");
  if (!p.dryRun && !p.privateKey)
    throw new GelatoConfigError("privateKey", "sending needs the task creator's key (or use --dry-run)");

  const client = createPublicClient({ transport: http(p.rpcUrl, { retryCount: 1 }) });
  const actual = await client.getChainId();
  if (actual !== p.chainId) throw new ChainMismatchError(p.rpcUrl, p.chainId, actual);

  const automate = await resolveAutomateAddress(p.chainId, {
    automate: p.automate,
    ...(p.api ? { api: p.api } : {}),
  });
  const signer = ethersSigner({ rpcUrl: p.rpcUrl, chainId: p.chainId, owner, privateKey: p.privateKey });
  const sdk = automateClient(p.chainId, signer, automate.address);
  const dedicated = await dedicatedMsgSender(sdk);

  // The user arg, with the dedicated msg.sender filled in (or checked) for the task's chain.
  let raw: { chains?: Record<string, unknown>[] };
  try {
    raw = JSON.parse(p.portfolio) as typeof raw;
  } catch (err) {
    throw new GelatoConfigError(PORTFOLIO_ARG, `not valid JSON (${(err as Error).message})`);
  }
  const entry = raw.chains?.find((c) => c.chainId === p.chainId);
  if (!entry) throw new GelatoConfigError(`${PORTFOLIO_ARG}.chains`, `no entry for chain ${p.chainId}`);
  if (entry.dedicatedMsgSender === undefined) entry.dedicatedMsgSender = dedicated.address;
  const portfolioText = JSON.stringify(raw);
  const portfolio = parsePortfolioArgs({ [PORTFOLIO_ARG]: portfolioText });
  parsePolicy(p.policy, portfolio);
  const chain = portfolio.chains.find((c) => c.chainId === p.chainId) as ChainArgs;
  if (chain.dedicatedMsgSender !== dedicated.address)
    throw new GelatoConfigError(
      `${PORTFOLIO_ARG}.chains[${p.chainId}].dedicatedMsgSender`,
      `${chain.dedicatedMsgSender} is not ${owner}'s dedicated msg.sender ${dedicated.address}`,
    );

  const code = await client.getCode({ address: chain.safe });
  if (!code || code === "0x")
    throw new GelatoConfigError(
      `${PORTFOLIO_ARG}.safe`,
      `no contract at ${chain.safe} on chain ${p.chainId}`,
    );
  const [moduleEnabled, nonce] = await Promise.all([
    client.readContract({
      address: chain.safe,
      abi: safeAbi,
      functionName: "isModuleEnabled",
      args: [dedicated.address],
    }),
    client.readContract({ address: chain.safe, abi: safeAbi, functionName: "nonce" }),
  ]);
  let enableModule: EnableModuleTx | undefined;
  if (!moduleEnabled) {
    const tx = {
      to: chain.safe,
      value: 0n,
      data: encodeFunctionData({ abi: safeAbi, functionName: "enableModule", args: [dedicated.address] }),
      operation: 0 as const,
      nonce,
    };
    enableModule = {
      safe: chain.safe,
      ...tx,
      safeTxHash: hashSafeTransaction({ safe: chain.safe, chainId: p.chainId, tx }),
    };
    if (!p.dryRun) {
      const err = new ModuleNotEnabledError(chain.safe, dedicated.address, p.chainId);
      Object.assign(err.context, { enableModule });
      throw err;
    }
  }

  let w3fHash = p.w3fHash;
  let bundle: CreateTaskReport["bundle"];
  if (!w3fHash) {
    const built = await buildW3fArchive(p.outDir);
    bundle = { archivePath: built.archivePath, bytes: built.bundle.bytes };
    w3fHash = p.dryRun ? DRY_RUN_HASH : await uploadW3f(built.archive, p.api);
  }
  const task = await prepareW3fTask(sdk, {
    name: p.name ?? `ballast ${chain.key} (${chain.safe})`,
    w3fHash,
    portfolio: portfolioText,
    intervalMs: p.intervalMs ?? 5 * 60_000,
    creator: owner,
  });
  let sent: Hex | undefined;
  if (!p.dryRun) {
    const response = await signer.sendTransaction({
      to: task.tx.to,
      data: task.tx.data,
      value: task.tx.value,
    });
    const receipt = await response.wait(1);
    if (receipt.status !== 1)
      throw new GelatoConfigError("createTask", `the transaction ${response.hash} reverted`);
    sent = response.hash as Hex;
  }
  return {
    chainId: p.chainId,
    automate,
    owner,
    dedicatedMsgSender: dedicated,
    safe: chain.safe,
    moduleEnabled,
    enableModule,
    w3fHash,
    bundle,
    userArgs: { [PORTFOLIO_ARG]: portfolioText },
    secrets: [POLICY_SECRET],
    task,
    sent,
  };
}

/** The report as the lines the CLI prints (no secret values: the policy is named, never shown). */
export function formatReport(r: CreateTaskReport, dryRun: boolean): string {
  const row = (label: string, value: string) => `${`${label}:`.padEnd(22)}${value}`;
  const lines = [
    `${dryRun ? "DRY RUN — nothing uploaded or sent" : "Task created"} on chain ${r.chainId}`,
    row("Automate", `${r.automate.address} (${r.automate.source})`),
    row("Task creator", r.owner),
    row(
      "Dedicated msg.sender",
      `${r.dedicatedMsgSender.address}${r.dedicatedMsgSender.isDeployed ? "" : " (deployed by Gelato on first execution)"}`,
    ),
    row("Safe", `${r.safe} — module ${r.moduleEnabled ? "enabled" : "NOT enabled"}`),
  ];
  if (r.enableModule)
    lines.push(
      "",
      "Enable the module first: the Safe owners execute this Safe transaction (Safe app → Transaction Builder, or any signer):",
      `  to:         ${r.enableModule.to}`,
      "  value:      0",
      `  data:       ${r.enableModule.data}`,
      "  operation:  0 (CALL)",
      `  nonce:      ${r.enableModule.nonce}`,
      `  safeTxHash: ${r.enableModule.safeTxHash}`,
    );
  lines.push(
    "",
    row(
      "Web3 Function",
      `${r.w3fHash}${r.bundle ? ` (bundle ${r.bundle.bytes} bytes, ${r.bundle.archivePath})` : ""}`,
    ),
    row(`User arg ${PORTFOLIO_ARG}`, r.userArgs[PORTFOLIO_ARG] ?? ""),
    row(
      "Secrets to set",
      `${r.secrets.join(", ")} (its value is your policy file; set it in the Gelato app)`,
    ),
    row("Task id", r.task.taskId),
    row("createTask tx", `to ${r.task.tx.to}, value ${r.task.tx.value}`),
    `  data: ${r.task.tx.data}`,
  );
  if (r.sent) lines.push(row("Sent", r.sent));
  return lines.join("\n");
}

import {
  type Address,
  BallastError,
  type Call,
  type ContractKind,
  type DecodedCall,
  type Hex,
} from "@ballast/core";
import { type Abi, decodeFunctionData, getAddress, isAddressEqual, maxUint256, parseAbi } from "viem";
import { multiSendCallOnlyAbi, rolesModifierAbi, safeAbi, simple7702AccountAbi } from "./abis.ts";
import { ExecutorConfigError } from "./errors.ts";
import type { ExecutorKind } from "./executor.ts";
import type { TxRequest } from "./txManager.ts";

/**
 * The batch firewall's allow-list for one chain, derived from the config (never from an API answer): the only
 * contracts a batch may call, the only spenders it may approve, the only accounts that may receive tokens.
 */
export type FirewallPolicy = {
  readonly chainId: number;
  /** Our own accounts: the only token recipients and protocol beneficiaries besides the allowed contracts. */
  readonly accounts: readonly Address[];
  /** ERC-20 tokens the batch may call (`approve`, `transfer`, `transferFrom` only). */
  readonly tokens: readonly Address[];
  /** Protocol contracts the batch may call, each with its kind (declared by its protocol's package). */
  readonly contracts: readonly { readonly address: Address; readonly kind: ContractKind }[];
  /** Spenders allowed besides the contracts (e.g. Gelato's module for its 1-unit completion check). */
  readonly spenders?: readonly Address[];
  /** MultiSendCallOnly: the only DELEGATECALL target, and only from the Safe envelope. */
  readonly multiSend?: Address;
  /** The only EIP-7702 delegation target a transaction may install. */
  readonly delegation?: Address;
};

/** What an executor is given: the chain's allow-list, or "off" (low-level tests and tools that build their own batches). */
export type FirewallSetting = FirewallPolicy | "off";

/** @internal The policy an executor on `chainId` applies; a policy for another chain is a configuration error. */
export function firewallFor(setting: FirewallSetting, chainId: number): FirewallPolicy | undefined {
  if (setting === "off") return undefined;
  if (setting.chainId !== chainId)
    throw new ExecutorConfigError(
      `The firewall policy is for chain ${setting.chainId}, the executor is on ${chainId}.`,
    );
  return setting;
}

/** Which rule of the firewall a batch broke. */
export type FirewallRule =
  | "target"
  | "selector"
  | "spender"
  | "unlimited-approval"
  | "recipient"
  | "value"
  | "delegatecall"
  | "delegation"
  | "envelope";

/** A batch the firewall refuses; nothing was signed. `index` is the call's position in the batch (-1: the envelope). */
export class FirewallError extends BallastError {
  override name = "FirewallError";
  constructor(
    readonly chainId: number,
    readonly index: number,
    readonly target: Address,
    readonly rule: FirewallRule,
    detail: string,
  ) {
    super(
      `Firewall refused the batch on chain ${chainId}: ${index < 0 ? "the transaction" : `call #${index}`} to ${target} breaks rule "${rule}" (${detail}). Nothing was signed.`,
      { context: { chainId, index, target, rule, detail } },
    );
  }
}

const erc20 = parseAbi([
  "function approve(address spender, uint256 amount)",
  "function transfer(address to, uint256 amount)",
  "function transferFrom(address from, address to, uint256 amount)",
]);
const has = (list: readonly Address[] | undefined, a: Address): boolean =>
  (list ?? []).some((x) => isAddressEqual(x, a));

function decode(abi: Abi, data: Hex): DecodedCall | undefined {
  try {
    const d = decodeFunctionData({ abi, data });
    return { functionName: d.functionName, args: (d.args ?? []) as readonly unknown[] };
  } catch {
    return undefined;
  }
}

/** Checks one ERC-20 call: approve only allowed spenders (never unlimited), send tokens only to us or a protocol. */
function checkTokenCall(p: FirewallPolicy, fail: Fail, d: DecodedCall): void {
  const contracts = p.contracts.map((c) => c.address);
  const [a0, a1] = d.args as [Address, Address | bigint];
  if (d.functionName === "approve") {
    if (!has(contracts, a0) && !has(p.spenders, a0))
      fail("spender", `approve to ${a0}, not an allowed spender`);
    if (a1 === maxUint256) fail("unlimited-approval", `an unlimited approval to ${a0}`);
    return;
  }
  const to = d.functionName === "transfer" ? a0 : (a1 as Address);
  if (d.functionName === "transferFrom" && !has(p.accounts, a0))
    fail("recipient", `transferFrom pulls from ${a0}, not one of our accounts`);
  if (!has(p.accounts, to) && !has(contracts, to))
    fail("recipient", `${d.functionName} sends to ${to}, neither ours nor an allowed protocol`);
}

type Fail = (rule: FirewallRule, detail: string) => never;

function checkCall(p: FirewallPolicy, call: Call, index: number): void {
  const fail: Fail = (rule, detail) => {
    throw new FirewallError(p.chainId, index, call.to, rule, detail);
  };
  if (call.value !== 0n) fail("value", `carries ${call.value} wei of native value; no call may`);
  if (has(p.tokens, call.to)) {
    const d = decode(erc20, call.data);
    if (!d) fail("selector", `selector ${call.data.slice(0, 10)} is not approve, transfer or transferFrom`);
    checkTokenCall(p, fail, d);
    return;
  }
  const contract = p.contracts.find((c) => isAddressEqual(c.address, call.to));
  if (!contract) fail("target", "not a configured token or protocol contract");
  const { kind } = contract;
  const pending: Hex[] = [call.data];
  for (let data = pending.pop(); data !== undefined; data = pending.pop()) {
    const d = decode(kind.abi as Abi, data);
    if (!d) fail("selector", `selector ${data.slice(0, 10)} is not a known ${kind.name} function`);
    const { recipients, nested, refused } = kind.inspect(d);
    if (refused !== undefined) fail("selector", refused);
    for (const r of recipients)
      if (!has(p.accounts, r)) fail("recipient", `${d.functionName} pays ${r}, not one of our accounts`);
    if (nested) pending.push(...nested);
  }
}

/**
 * Checks a batch against the allow-list, call by call: target allowed, selector known for that target, approvals
 * only to allowed spenders and never unlimited, tokens and positions only to our accounts or allowed protocols, no
 * native value. Throws {@link FirewallError} naming the first offending call; pure.
 */
export function checkBatch(policy: FirewallPolicy, calls: readonly Call[]): void {
  calls.forEach((c, i) => {
    checkCall(policy, c, i);
  });
}

/** One Safe transaction's inner operation: a CALL, or a DELEGATECALL that must be MultiSendCallOnly. */
function checkSafeOperation(
  p: FirewallPolicy,
  op: { to: Address; value: bigint; data: Hex; operation: number },
): void {
  if (op.operation === 0) {
    checkBatch(p, [op]);
    return;
  }
  const envelope: Fail = (rule, detail) => {
    throw new FirewallError(p.chainId, -1, op.to, rule, detail);
  };
  if (op.operation !== 1 || !p.multiSend || !isAddressEqual(op.to, p.multiSend))
    envelope("delegatecall", "a DELEGATECALL to anything but the configured MultiSendCallOnly");
  if (op.value !== 0n) envelope("value", "the MultiSend carries native value");
  const d = decode(multiSendCallOnlyAbi, op.data);
  if (!d) envelope("envelope", "not a multiSend(bytes) call");
  const entries = parseMultiSend(d.args[0] as Hex);
  entries.forEach((e, i) => {
    if (e.operation !== 0)
      throw new FirewallError(
        p.chainId,
        i,
        e.to,
        "delegatecall",
        `MultiSend entry with operation ${e.operation}`,
      );
  });
  checkBatch(p, entries);
}

/** The entries of a packed MultiSend payload, operation included (`uint8 op ‖ address ‖ uint256 value ‖ uint256 len ‖ data`). */
export function parseMultiSend(packed: Hex): (Call & { operation: number })[] {
  const hex = packed.slice(2);
  const out: (Call & { operation: number })[] = [];
  for (let i = 0; i < hex.length; ) {
    const len = Number(BigInt(`0x${hex.slice(i + 106, i + 170) || "0"}`));
    out.push({
      operation: Number.parseInt(hex.slice(i, i + 2), 16),
      to: getAddress(`0x${hex.slice(i + 2, i + 42).padStart(40, "0")}`),
      value: BigInt(`0x${hex.slice(i + 42, i + 106) || "0"}`),
      data: `0x${hex.slice(i + 170, i + 170 + len * 2)}` as Hex,
    });
    i += 170 + len * 2;
  }
  return out;
}

/** Checks a Safe transaction before its owner signs it (the envelope's inner `to, value, data, operation`). */
export function checkSafeTransaction(
  policy: FirewallPolicy,
  tx: { to: Address; value: bigint; data: Hex; operation: number },
): void {
  checkSafeOperation(policy, tx);
}

/**
 * The last gate before a signature: decodes the exact transaction an executor built — `executeBatch` on the
 * EIP-7702 account itself (and its delegation), the Safe's `execTransactionFromModule` / `execTransaction`, or a Roles
 * modifier's `execTransactionWithRole` (sent to `via`) — and checks every call inside it with {@link checkBatch}.
 * Throws {@link FirewallError}; pure.
 */
export function checkTransaction(
  policy: FirewallPolicy,
  params: {
    readonly kind: ExecutorKind;
    readonly account: Address;
    /** The Roles modifier a `safe-roles` transaction is sent to. */
    readonly via?: Address | undefined;
    readonly request: TxRequest;
  },
): void {
  const { kind, account, request } = params;
  const envelope: Fail = (rule, detail) => {
    throw new FirewallError(policy.chainId, -1, request.to, rule, detail);
  };
  const recipient = kind === "safe-roles" ? params.via : account;
  if (!recipient || !isAddressEqual(request.to, recipient))
    envelope("envelope", `the transaction is not sent to ${recipient ?? "a Roles modifier"}`);
  if (request.value !== 0n) envelope("value", "the transaction carries native value");
  if (kind === "eip7702") {
    if (request.delegateTo && !(policy.delegation && isAddressEqual(request.delegateTo, policy.delegation)))
      envelope("delegation", `delegates the account to ${request.delegateTo}`);
    const d = decode(simple7702AccountAbi as Abi, request.data);
    if (d?.functionName !== "executeBatch") envelope("envelope", "not an executeBatch call");
    const calls = d.args[0] as readonly { target: Address; value: bigint; data: Hex }[];
    checkBatch(
      policy,
      calls.map((c) => ({ to: c.target, value: c.value, data: c.data })),
    );
    return;
  }
  const want =
    kind === "safe-module"
      ? "execTransactionFromModule"
      : kind === "safe-roles"
        ? "execTransactionWithRole"
        : "execTransaction";
  const d = decode((kind === "safe-roles" ? rolesModifierAbi : safeAbi) as Abi, request.data);
  if (!d || d.functionName !== want) envelope("envelope", `not a ${want} call`);
  const [to, value, data, operation] = d.args as [Address, bigint, Hex, number];
  checkSafeOperation(policy, { to, value, data, operation });
}

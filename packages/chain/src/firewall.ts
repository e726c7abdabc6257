import { type Address, BallastError, type Call, type Hex } from "@ballast/core";
import {
  type Abi,
  decodeFunctionData,
  getAddress,
  isAddressEqual,
  maxUint256,
  parseAbi,
  zeroAddress,
} from "viem";
import { multiSendCallOnlyAbi, rolesModifierAbi, safeAbi, simple7702AccountAbi } from "./abis.ts";
import { ExecutorConfigError } from "./errors.ts";
import type { ExecutorKind } from "./executor.ts";
import type { TxRequest } from "./txManager.ts";

/** What an allowed contract is; it decides which functions it may be called with and which addresses they name. */
export type FirewallContractKind =
  | "aave-pool"
  | "uniswap-position-manager"
  | "uniswap-swap-router"
  | "1inch-router"
  | "across-spoke-pool";

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
  /** Protocol contracts the batch may call, with what they are. */
  readonly contracts: readonly { readonly address: Address; readonly kind: FirewallContractKind }[];
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
const aavePool = parseAbi([
  "function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode)",
  "function withdraw(address asset, uint256 amount, address to)",
  "function borrow(address asset, uint256 amount, uint256 interestRateMode, uint16 referralCode, address onBehalfOf)",
  "function repay(address asset, uint256 amount, uint256 interestRateMode, address onBehalfOf)",
  "function repayWithATokens(address asset, uint256 amount, uint256 interestRateMode)",
  "function setUserUseReserveAsCollateral(address asset, bool useAsCollateral)",
]);
const positionManager = parseAbi([
  "struct MintParams { address token0; address token1; uint24 fee; int24 tickLower; int24 tickUpper; uint256 amount0Desired; uint256 amount1Desired; uint256 amount0Min; uint256 amount1Min; address recipient; uint256 deadline; }",
  "struct IncreaseLiquidityParams { uint256 tokenId; uint256 amount0Desired; uint256 amount1Desired; uint256 amount0Min; uint256 amount1Min; uint256 deadline; }",
  "struct DecreaseLiquidityParams { uint256 tokenId; uint128 liquidity; uint256 amount0Min; uint256 amount1Min; uint256 deadline; }",
  "struct CollectParams { uint256 tokenId; address recipient; uint128 amount0Max; uint128 amount1Max; }",
  "function mint(MintParams params)",
  "function increaseLiquidity(IncreaseLiquidityParams params)",
  "function decreaseLiquidity(DecreaseLiquidityParams params)",
  "function collect(CollectParams params)",
  "function burn(uint256 tokenId)",
  "function multicall(bytes[] data)",
]);
const swapRouter = parseAbi([
  "struct ExactInputSingleParams { address tokenIn; address tokenOut; uint24 fee; address recipient; uint256 deadline; uint256 amountIn; uint256 amountOutMinimum; uint160 sqrtPriceLimitX96; }",
  "struct ExactInputParams { bytes path; address recipient; uint256 deadline; uint256 amountIn; uint256 amountOutMinimum; }",
  "function exactInputSingle(ExactInputSingleParams params)",
  "function exactInput(ExactInputParams params)",
]);
const oneInchRouter = parseAbi([
  "struct SwapDescription { address srcToken; address dstToken; address srcReceiver; address dstReceiver; uint256 amount; uint256 minReturnAmount; uint256 flags; }",
  "function swap(address executor, SwapDescription desc, bytes data)",
  "function unoswap(uint256 token, uint256 amount, uint256 minReturn, uint256 dex)",
  "function unoswap2(uint256 token, uint256 amount, uint256 minReturn, uint256 dex, uint256 dex2)",
  "function unoswap3(uint256 token, uint256 amount, uint256 minReturn, uint256 dex, uint256 dex2, uint256 dex3)",
  "function unoswapTo(uint256 to, uint256 token, uint256 amount, uint256 minReturn, uint256 dex)",
  "function unoswapTo2(uint256 to, uint256 token, uint256 amount, uint256 minReturn, uint256 dex, uint256 dex2)",
  "function unoswapTo3(uint256 to, uint256 token, uint256 amount, uint256 minReturn, uint256 dex, uint256 dex2, uint256 dex3)",
]);

const spokePool = parseAbi([
  "function deposit(bytes32 depositor, bytes32 recipient, bytes32 inputToken, bytes32 outputToken, uint256 inputAmount, uint256 outputAmount, uint256 destinationChainId, bytes32 exclusiveRelayer, uint32 quoteTimestamp, uint32 fillDeadline, uint32 exclusivityParameter, bytes message)",
]);

type Decoded = { readonly functionName: string; readonly args: readonly unknown[] };
/** The addresses a decoded call sends value or positions to (they must be ours), or nested calls to check. */
type Inspection = {
  readonly recipients: readonly Address[];
  readonly nested?: readonly Hex[];
  /** An argument the firewall refuses outright. */
  readonly refusal?: { readonly rule: FirewallRule; readonly detail: string };
};

const LOW_160 = (1n << 160n) - 1n;
const wordAddress = (w: unknown): Address =>
  getAddress(`0x${((w as bigint) & LOW_160).toString(16).padStart(40, "0")}`);
const field = (args: readonly unknown[], i: number, key: string): Address =>
  (args[i] as Record<string, Address>)[key] as Address;

const bytes32Address = (w: unknown): Address => getAddress(`0x${(w as Hex).slice(-40)}`);

const KINDS: Record<FirewallContractKind, { abi: Abi; inspect: (d: Decoded) => Inspection }> = {
  "aave-pool": {
    abi: aavePool,
    inspect: ({ functionName: f, args }) => ({
      recipients:
        f === "supply"
          ? [args[2] as Address]
          : f === "withdraw"
            ? [args[2] as Address]
            : f === "borrow"
              ? [args[4] as Address]
              : f === "repay"
                ? [args[3] as Address]
                : [],
    }),
  },
  "uniswap-position-manager": {
    abi: positionManager,
    inspect: ({ functionName: f, args }) =>
      f === "multicall"
        ? { recipients: [], nested: args[0] as readonly Hex[] }
        : { recipients: f === "mint" || f === "collect" ? [field(args, 0, "recipient")] : [] },
  },
  "uniswap-swap-router": {
    abi: swapRouter,
    inspect: ({ args }) => ({ recipients: [field(args, 0, "recipient")] }),
  },
  "1inch-router": {
    abi: oneInchRouter,
    inspect: ({ functionName: f, args }) => {
      if (f === "swap") {
        const receiver = field(args, 1, "dstReceiver");
        return { recipients: isAddressEqual(receiver, zeroAddress) ? [] : [receiver] };
      }
      return { recipients: f.startsWith("unoswapTo") ? [wordAddress(args[0])] : [] };
    },
  },
  // A deposit is refunded to its depositor and filled to its recipient: both must be ours. No message (a message
  // makes the destination call the recipient with it).
  "across-spoke-pool": {
    abi: spokePool,
    inspect: ({ args }) => ({
      recipients: [bytes32Address(args[0]), bytes32Address(args[1])],
      ...((args[11] as Hex) === "0x"
        ? {}
        : {
            refusal: { rule: "selector" as const, detail: "a deposit with a message (calls the recipient)" },
          }),
    }),
  },
};

/** Whether the firewall has a rule for `kind` (a protocol plugin's firewall entry must name one). */
export const isFirewallContractKind = (kind: string): kind is FirewallContractKind =>
  Object.hasOwn(KINDS, kind);

const has = (list: readonly Address[] | undefined, a: Address): boolean =>
  (list ?? []).some((x) => isAddressEqual(x, a));

function decode(abi: Abi, data: Hex): Decoded | undefined {
  try {
    const d = decodeFunctionData({ abi, data });
    return { functionName: d.functionName, args: (d.args ?? []) as readonly unknown[] };
  } catch {
    return undefined;
  }
}

/** Checks one ERC-20 call: approve only allowed spenders (never unlimited), send tokens only to us or a protocol. */
function checkTokenCall(p: FirewallPolicy, fail: Fail, d: Decoded): void {
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
  const kind = KINDS[contract.kind];
  const pending: Hex[] = [call.data];
  for (let data = pending.pop(); data !== undefined; data = pending.pop()) {
    const d = decode(kind.abi, data);
    if (!d) fail("selector", `selector ${data.slice(0, 10)} is not a known ${contract.kind} function`);
    const { recipients, nested, refusal } = kind.inspect(d);
    if (refusal) fail(refusal.rule, refusal.detail);
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

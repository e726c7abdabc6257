/**
 * The batch firewall (`@ballast/chain`) with the contract kinds the protocol packages declare: what each allows, whom
 * it lets a call pay, and the envelopes each executor signs.
 */
import { oneInchRouterKind } from "@ballast/1inch";
import { aavePoolKind } from "@ballast/aave-v3";
import { acrossSpokePoolKind } from "@ballast/across";
import {
  checkBatch,
  checkSafeTransaction,
  checkTransaction,
  encodeEip7702Batch,
  encodeMultiSend,
  encodeRolesTransaction,
  encodeSafeModuleTransaction,
  FirewallError,
  type FirewallPolicy,
  type FirewallRule,
  safeAbi,
} from "@ballast/chain";
import type { Address, Call, Hex } from "@ballast/core";
import { uniswapPositionManagerKind, uniswapSwapRouterKind } from "@ballast/uniswap-v3";
import { concat, encodeFunctionData, encodePacked, erc20Abi, maxUint256, pad, parseAbi, size } from "viem";
import { describe, expect, it } from "vitest";

const ME = "0x000000000000000000000000000000000000ba11" as Address;
const POOL = "0x00000000000000000000000000000000000a4e01" as Address;
const NPM = "0x0000000000000000000000000000000000000f11" as Address;
const ROUTER = "0x0000000000000000000000000000000000005e11" as Address;
const ONE_INCH = "0x111111125421ca6dc452d289314280a0f8842a65" as Address;
const USDC = "0x0000000000000000000000000000000000000dc0" as Address;
const MULTISEND = "0x40a2accbd92bca938b02010e17a5b8929b49130d" as Address;
const IMPL = "0x4cd241e8d1510e30b2076397afc7508ae59c66c9" as Address;
const EVIL = "0x000000000000000000000000000000000000dead" as Address;
const SPOKE = "0x0000000000000000000000000000000000005b0e" as Address;
const ROLES = "0x00000000000000000000000000000000000001e5" as Address;

const policy: FirewallPolicy = {
  chainId: 1,
  accounts: [ME],
  tokens: [USDC],
  contracts: [
    { address: POOL, kind: aavePoolKind },
    { address: NPM, kind: uniswapPositionManagerKind },
    { address: ROUTER, kind: uniswapSwapRouterKind },
    { address: ONE_INCH, kind: oneInchRouterKind },
    { address: SPOKE, kind: acrossSpokePoolKind },
  ],
  multiSend: MULTISEND,
  delegation: IMPL,
};

const erc20 = (functionName: "approve" | "transfer", a: Address, n: bigint): Call => ({
  to: USDC,
  value: 0n,
  data: encodeFunctionData({ abi: erc20Abi, functionName, args: [a, n] }),
});
const poolAbi = parseAbi([
  "function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode)",
  "function withdraw(address asset, uint256 amount, address to)",
  "function flashLoanSimple(address receiver, address asset, uint256 amount, bytes params, uint16 referralCode)",
]);
const npmAbi = parseAbi([
  "struct CollectParams { uint256 tokenId; address recipient; uint128 amount0Max; uint128 amount1Max; }",
  "function collect(CollectParams params)",
  "function burn(uint256 tokenId)",
  "function multicall(bytes[] data)",
]);
const routerAbi = parseAbi([
  "struct ExactInputSingleParams { address tokenIn; address tokenOut; uint24 fee; address recipient; uint256 deadline; uint256 amountIn; uint256 amountOutMinimum; uint160 sqrtPriceLimitX96; }",
  "function exactInputSingle(ExactInputSingleParams params)",
]);
const oneInchAbi = parseAbi([
  "function unoswapTo(uint256 to, uint256 token, uint256 amount, uint256 minReturn, uint256 dex)",
]);
const spokeAbi = parseAbi([
  "function deposit(bytes32 depositor, bytes32 recipient, bytes32 inputToken, bytes32 outputToken, uint256 inputAmount, uint256 outputAmount, uint256 destinationChainId, bytes32 exclusiveRelayer, uint32 quoteTimestamp, uint32 fillDeadline, uint32 exclusivityParameter, bytes message)",
  "function speedUpDeposit(bytes32 depositor, uint256 depositId, uint256 updatedOutputAmount, bytes32 updatedRecipient, bytes updatedMessage, bytes depositorSignature)",
]);
const b32 = (a: Address): Hex => pad(a, { size: 32 });
const deposit = (depositor: Address, recipient: Address, message: Hex = "0x", to = SPOKE): Call => ({
  to,
  value: 0n,
  data: encodeFunctionData({
    abi: spokeAbi,
    functionName: "deposit",
    args: [
      b32(depositor),
      b32(recipient),
      b32(USDC),
      b32(USDC),
      10n,
      9n,
      8453n,
      b32(`0x${"0".repeat(40)}`),
      1,
      2,
      0,
      message,
    ],
  }),
});
const supply = (onBehalfOf: Address): Call => ({
  to: POOL,
  value: 0n,
  data: encodeFunctionData({ abi: poolAbi, functionName: "supply", args: [USDC, 5n, onBehalfOf, 0] }),
});
const collect = (recipient: Address): Hex =>
  encodeFunctionData({
    abi: npmAbi,
    functionName: "collect",
    args: [{ tokenId: 7n, recipient, amount0Max: 1n, amount1Max: 1n }],
  });
const swap = (recipient: Address): Call => ({
  to: ROUTER,
  value: 0n,
  data: encodeFunctionData({
    abi: routerAbi,
    functionName: "exactInputSingle",
    args: [
      {
        tokenIn: USDC,
        tokenOut: USDC,
        fee: 500,
        recipient,
        deadline: 1n,
        amountIn: 1n,
        amountOutMinimum: 1n,
        sqrtPriceLimitX96: 0n,
      },
    ],
  }),
});

/** The rule and call index the firewall names, or "passed". */
function verdict(f: () => void): { rule: FirewallRule; index: number } | "passed" {
  try {
    f();
    return "passed";
  } catch (e) {
    if (!(e instanceof FirewallError)) throw e;
    return { rule: e.rule, index: e.index };
  }
}

const good: Call[] = [
  erc20("approve", POOL, 5n),
  supply(ME),
  erc20("approve", ROUTER, 1n),
  swap(ME),
  {
    to: NPM,
    value: 0n,
    data: encodeFunctionData({
      abi: npmAbi,
      functionName: "multicall",
      args: [[collect(ME), encodeFunctionData({ abi: npmAbi, functionName: "burn", args: [7n] })]],
    }),
  },
  {
    to: ONE_INCH,
    value: 0n,
    data: encodeFunctionData({
      abi: oneInchAbi,
      functionName: "unoswapTo",
      args: [BigInt(ME), 1n, 1n, 1n, 1n],
    }),
  },
  erc20("approve", SPOKE, 10n),
  deposit(ME, ME),
];

describe("checkBatch", () => {
  it("passes a batch of known calls that pay only us", () => {
    expect(verdict(() => checkBatch(policy, good))).toBe("passed");
  });

  it.each<[string, Call, FirewallRule]>([
    ["an unknown target", { ...supply(ME), to: EVIL }, "target"],
    ["a call to the account itself", { to: ME, value: 0n, data: "0x" }, "target"],
    ["an approval to an unknown spender", erc20("approve", EVIL, 5n), "spender"],
    ["an unlimited approval", erc20("approve", POOL, maxUint256), "unlimited-approval"],
    ["a transfer to a stranger", erc20("transfer", EVIL, 5n), "recipient"],
    ["a supply on behalf of a stranger", supply(EVIL), "recipient"],
    ["a swap paying a stranger", swap(EVIL), "recipient"],
    ["native value", { ...supply(ME), value: 1n }, "value"],
    ["an Across deposit to a stranger", deposit(ME, EVIL), "recipient"],
    ["an Across deposit refunded to a stranger", deposit(EVIL, ME), "recipient"],
    ["an Across deposit with a message", deposit(ME, ME, "0x1234"), "selector"],
    ["an Across deposit into a SpokePool not configured", deposit(ME, ME, "0x", EVIL), "target"],
    [
      "a SpokePool function other than deposit",
      {
        to: SPOKE,
        value: 0n,
        data: encodeFunctionData({
          abi: spokeAbi,
          functionName: "speedUpDeposit",
          args: [b32(ME), 1n, 1n, b32(EVIL), "0x", "0x"],
        }),
      },
      "selector",
    ],
    [
      "an unknown selector on a known contract",
      {
        to: POOL,
        value: 0n,
        data: encodeFunctionData({
          abi: poolAbi,
          functionName: "flashLoanSimple",
          args: [ME, USDC, 1n, "0x", 0],
        }),
      },
      "selector",
    ],
    [
      "a collect to a stranger inside a position-manager multicall",
      {
        to: NPM,
        value: 0n,
        data: encodeFunctionData({ abi: npmAbi, functionName: "multicall", args: [[collect(EVIL)]] }),
      },
      "recipient",
    ],
    [
      "a 1inch unoswapTo paying a stranger",
      {
        to: ONE_INCH,
        value: 0n,
        data: encodeFunctionData({
          abi: oneInchAbi,
          functionName: "unoswapTo",
          args: [BigInt(EVIL), 1n, 1n, 1n, 1n],
        }),
      },
      "recipient",
    ],
  ])("refuses %s, naming the call", (_, bad, rule) => {
    expect(verdict(() => checkBatch(policy, [...good, bad]))).toEqual({ rule, index: good.length });
  });
});

describe("checkTransaction: the envelope each executor signs", () => {
  it("decodes an EIP-7702 executeBatch and its delegation", () => {
    const request = encodeEip7702Batch({
      account: ME,
      implementation: IMPL,
      calls: good,
      delegatedTo: undefined,
    });
    expect(verdict(() => checkTransaction(policy, { kind: "eip7702", account: ME, request }))).toBe("passed");
    const evil = encodeEip7702Batch({
      account: ME,
      implementation: EVIL,
      calls: good,
      delegatedTo: undefined,
    });
    expect(verdict(() => checkTransaction(policy, { kind: "eip7702", account: ME, request: evil }))).toEqual({
      rule: "delegation",
      index: -1,
    });
    const bad = encodeEip7702Batch({
      account: ME,
      implementation: IMPL,
      calls: [...good, erc20("transfer", EVIL, 1n)],
      delegatedTo: IMPL,
    });
    expect(verdict(() => checkTransaction(policy, { kind: "eip7702", account: ME, request: bad }))).toEqual({
      rule: "recipient",
      index: good.length,
    });
  });

  it("decodes a Safe module transaction down to each MultiSend entry", () => {
    const request = encodeSafeModuleTransaction({ safe: ME, multiSend: MULTISEND, calls: good });
    expect(verdict(() => checkTransaction(policy, { kind: "safe-module", account: ME, request }))).toBe(
      "passed",
    );
    const other = encodeSafeModuleTransaction({ safe: ME, multiSend: EVIL, calls: good });
    expect(
      verdict(() => checkTransaction(policy, { kind: "safe-module", account: ME, request: other })),
    ).toEqual({ rule: "delegatecall", index: -1 });
  });

  it("decodes a Roles modifier's execTransactionWithRole, sent to the modifier, down to each MultiSend entry", () => {
    const roles = { modifier: ROLES, roleKey: `0x${"00".repeat(32)}` as const };
    const check = (request: Call, via: Address | null = ROLES) =>
      verdict(() =>
        checkTransaction(policy, { kind: "safe-roles", account: ME, via: via ?? undefined, request }),
      );
    expect(check(encodeRolesTransaction({ roles, multiSend: MULTISEND, calls: good }))).toBe("passed");
    const bad = encodeRolesTransaction({ roles, multiSend: MULTISEND, calls: [erc20("transfer", EVIL, 1n)] });
    expect(check(bad)).toEqual({ rule: "recipient", index: 0 });
    expect(check(encodeRolesTransaction({ roles, multiSend: EVIL, calls: good }))).toEqual({
      rule: "delegatecall",
      index: -1,
    });
    const request = encodeRolesTransaction({ roles, multiSend: MULTISEND, calls: good });
    // Sent anywhere but the modifier, with no modifier named, or as a Safe call: refused before decoding.
    expect(check(request, EVIL)).toEqual({ rule: "envelope", index: -1 });
    expect(check(request, null)).toEqual({ rule: "envelope", index: -1 });
    expect(check(encodeSafeModuleTransaction({ safe: ROLES, multiSend: MULTISEND, calls: good }))).toEqual({
      rule: "envelope",
      index: -1,
    });
  });

  it("refuses a DELEGATECALL entry smuggled into the MultiSend payload", () => {
    const entry = (op: number, c: Call) =>
      encodePacked(
        ["uint8", "address", "uint256", "uint256", "bytes"],
        [op, c.to, c.value, BigInt(size(c.data)), c.data],
      );
    const packed = concat([entry(0, good[0] as Call), entry(1, erc20("transfer", ME, 1n))]);
    const data = encodeFunctionData({
      abi: parseAbi(["function multiSend(bytes transactions)"]),
      functionName: "multiSend",
      args: [packed],
    });
    expect(
      verdict(() => checkSafeTransaction(policy, { to: MULTISEND, value: 0n, data, operation: 1 })),
    ).toEqual({
      rule: "delegatecall",
      index: 1,
    });
    // A direct DELEGATECALL from the Safe to anything else.
    const request = {
      to: ME,
      value: 0n,
      data: encodeFunctionData({
        abi: safeAbi,
        functionName: "execTransactionFromModule",
        args: [USDC, 0n, (good[0] as Call).data, 1],
      }),
    };
    expect(verdict(() => checkTransaction(policy, { kind: "safe-module", account: ME, request }))).toEqual({
      rule: "delegatecall",
      index: -1,
    });
  });

  it("checks the Safe transaction an owner would sign", () => {
    const tx = { to: MULTISEND, value: 0n, data: encodeMultiSend(good), operation: 1 };
    expect(verdict(() => checkSafeTransaction(policy, tx))).toBe("passed");
    const bad = { ...tx, data: encodeMultiSend([...good, erc20("approve", EVIL, 1n)]) };
    expect(verdict(() => checkSafeTransaction(policy, bad))).toEqual({ rule: "spender", index: good.length });
  });
});

describe("FirewallError", () => {
  it("names the contract's kind, as its package declares it, when a selector is not one of its functions", () => {
    const speedUp = encodeFunctionData({
      abi: spokeAbi,
      functionName: "speedUpDeposit",
      args: [b32(ME), 1n, 1n, b32(EVIL), "0x", "0x"],
    });
    expect(() => checkBatch(policy, [{ to: SPOKE, value: 0n, data: speedUp }])).toThrow(
      `selector ${speedUp.slice(0, 10)} is not a known across-spoke-pool function`,
    );
  });
});

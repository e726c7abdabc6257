/**
 * `ballast safe-permissions`: the Zodiac Roles v2 permission set that lets the keeper's role call exactly what Ballast
 * calls for a config, and nothing else. It is derived from the same allow-list as the batch firewall
 * (`firewallPolicyOf`), so the on-chain rule and the off-chain one cannot drift apart; the Roles modifier then
 * enforces it where the keeper's key cannot bypass it.
 *
 * Per chain whose account is a Safe:
 * - each configured token: `approve(spender, amount)` with the spender one of the allowed contracts;
 * - the Aave pool: `supply`, `withdraw`, `borrow`, `repay` of a configured token, beneficiary = the Safe, and
 *   `repayWithATokens` of a configured token;
 * - the Uniswap position manager: `mint` and `collect` to the Safe, `increaseLiquidity`, `decreaseLiquidity`, `burn`
 *   (not `multicall`, see below: the adapter never sends one);
 * - the Uniswap SwapRouter: `exactInputSingle` and `exactInput` paying the Safe;
 * - the 1inch router, when 1inch is a swap venue: `swap` paying the Safe (`dstReceiver`), `unoswap*` (they pay the
 *   caller, the Safe), `unoswapTo*` to the Safe.
 * Nothing may send ETH, and the only DELEGATECALL is the Safe's MultiSendCallOnly envelope, which the Roles modifier
 * unwraps (a `MultiSendUnwrapper` adapter) so that each inner call is checked on its own.
 */

import type { FirewallContractKind, FirewallPolicy } from "@ballast/chain";
import type { Address } from "@ballast/core";
import {
  c,
  callsPlannedForApplyRole,
  coercePermission,
  encodeCalls,
  encodeKey,
  type FunctionPermission,
  type FunctionPermissionCoerced,
  processPermissions,
} from "zodiac-roles-sdk";
import { BALLAST_ROLE, type Config, ConfigError } from "./config.ts";
import { firewallPolicyOf } from "./firewall.ts";

export { BALLAST_ROLE };
/** `multiSend(bytes)`: the selector the Roles modifier's MultiSend unwrapper is registered for. */
export const MULTI_SEND_SELECTOR = "0x8d80ff0a";

/** A condition on one parameter, or `undefined` (anything passes); the SDK's own types for these are recursive generics. */
type Scoping = unknown;

const oneOf = (addresses: readonly Address[]): Scoping =>
  addresses.length === 1 ? c.eq(addresses[0]) : c.or(...(addresses.map((a) => c.eq(a)) as [never, never]));

/** A function permission as written here: always by signature. */
type Authored = FunctionPermission & { readonly signature: string };

const fn = (to: Address, signature: string, params?: { scopings: Scoping[]; types: string[] }): Authored =>
  ({
    targetAddress: to.toLowerCase() as Address,
    signature,
    ...(params ? { condition: c.calldataMatches(params.scopings as never, params.types) } : {}),
  }) satisfies Authored;

const MINT = "(address,address,uint24,int24,int24,uint256,uint256,uint256,uint256,address recipient,uint256)";
const INCREASE = "(uint256,uint256,uint256,uint256,uint256,uint256)";
const DECREASE = "(uint256,uint128,uint256,uint256,uint256)";
const COLLECT = "(uint256,address recipient,uint128,uint128)";

/** The permissions of one contract the firewall allows, by kind; `tokens` are the configured ERC-20s. */
function contractPermissions(
  kind: FirewallContractKind,
  to: Address,
  tokens: readonly Address[],
): Authored[] {
  const asset = oneOf(tokens);
  const _ = undefined;
  switch (kind) {
    case "aave-pool":
      return [
        fn(to, "supply(address,uint256,address,uint16)", {
          scopings: [asset, _, c.avatar, _],
          types: ["address", "uint256", "address", "uint16"],
        }),
        fn(to, "withdraw(address,uint256,address)", {
          scopings: [asset, _, c.avatar],
          types: ["address", "uint256", "address"],
        }),
        fn(to, "borrow(address,uint256,uint256,uint16,address)", {
          scopings: [asset, _, _, _, c.avatar],
          types: ["address", "uint256", "uint256", "uint16", "address"],
        }),
        fn(to, "repay(address,uint256,uint256,address)", {
          scopings: [asset, _, _, c.avatar],
          types: ["address", "uint256", "uint256", "address"],
        }),
        fn(to, "repayWithATokens(address,uint256,uint256)", {
          scopings: [asset],
          types: ["address", "uint256", "uint256"],
        }),
      ];
    case "uniswap-position-manager": {
      const toSafe = (recipient: number, arity: number) =>
        c.matches(
          Array.from({ length: arity }, (_v, i) => (i === recipient ? c.avatar : undefined)) as never,
        );
      // Not `multicall`: Roles v2 cannot check its elements (an OR over differently shaped calldata fails its integrity
      // check, UnsuitableChildTypeTree), so allowing it would let a multicall carry a collect to anyone. The Uniswap
      // adapter sends an LP exit as separate calls for this reason; each is checked here on its own.
      return [
        fn(to, `mint(${MINT})`, { scopings: [toSafe(9, 11)], types: [`tuple${MINT}`] }),
        fn(to, `increaseLiquidity(${INCREASE})`),
        fn(to, `decreaseLiquidity(${DECREASE})`),
        fn(to, `collect(${COLLECT})`, { scopings: [toSafe(1, 4)], types: [`tuple${COLLECT}`] }),
        fn(to, "burn(uint256)"),
      ];
    }
    case "uniswap-swap-router": {
      const single = "(address,address,uint24,address recipient,uint256,uint256,uint256,uint160)";
      const path = "(bytes,address recipient,uint256,uint256,uint256)";
      return [
        fn(to, `exactInputSingle(${single})`, {
          scopings: [c.matches([_, _, _, c.avatar, _, _, _, _] as never)],
          types: [`tuple${single}`],
        }),
        fn(to, `exactInput(${path})`, {
          scopings: [c.matches([_, c.avatar, _, _, _] as never)],
          types: [`tuple${path}`],
        }),
      ];
    }
    case "1inch-router": {
      const desc = "(address,address,address,address dstReceiver,uint256,uint256,uint256)";
      const words = (n: number) => Array.from({ length: n }, () => "uint256").join(",");
      return [
        fn(to, `swap(address,${desc},bytes)`, {
          scopings: [_, c.matches([_, _, _, c.avatar, _, _, _] as never), _],
          types: ["address", `tuple${desc}`, "bytes"],
        }),
        ...[4, 5, 6].map((n) => fn(to, `unoswap${n === 4 ? "" : n - 3}(${words(n)})`)),
        ...[5, 6, 7].map((n) =>
          fn(to, `unoswapTo${n === 5 ? "" : n - 4}(${words(n)})`, {
            scopings: [c.avatar],
            types: words(n).split(","),
          }),
        ),
      ];
    }
    case "across-spoke-pool":
      // None: the deposit names its depositor and recipient as bytes32 words, which Roles' avatar condition (an
      // address) cannot match, so a Safe behind Roles does not bridge (the keeper's own firewall checks both words).
      return [];
  }
}

/** The permission set of one chain: token approvals to the allowed contracts only, then each contract's functions. */
export function permissionsOf(policy: FirewallPolicy): Authored[] {
  const spenders = [...policy.contracts.map((x) => x.address), ...(policy.spenders ?? [])];
  const approvals = policy.tokens.map((token) =>
    fn(token, "approve(address,uint256)", { scopings: [oneOf(spenders)], types: ["address", "uint256"] }),
  );
  return [
    ...(spenders.length ? approvals : []),
    ...policy.contracts.flatMap((x) => contractPermissions(x.kind, x.address, policy.tokens)),
  ];
}

/** One chain's permissions, ready to apply: the role's targets and the calls the Roles modifier's owner makes. */
export type ChainPermissions = {
  readonly chain: string;
  readonly chainId: number;
  readonly safe: Address;
  readonly roleKey: `0x${string}`;
  /** Per function: its signature, and the SDK's coerced permission (selector and condition tree, JSON-able). */
  readonly permissions: readonly (FunctionPermissionCoerced & { readonly signature: string })[];
  readonly targets: ReturnType<typeof processPermissions>["targets"];
  /** Calldata for the Roles modifier, from an empty role: scope targets and functions, assign the members. */
  readonly calls: readonly { readonly to: Address; readonly data: `0x${string}` }[];
  /** The Roles modifier must route `multiSend` on this address through a MultiSendUnwrapper. */
  readonly multiSend: Address;
};

/**
 * The Roles permissions of every Safe chain in the config (EIP-7702 chains have no module to narrow). A chain with
 * `as: roles` uses its own modifier and role; otherwise `rolesModifier` and the {@link BALLAST_ROLE} role.
 */
export function safePermissions(
  config: Config,
  opts: { readonly rolesModifier?: Address | undefined; readonly members?: readonly Address[] },
): ChainPermissions[] {
  return Object.entries(config.chains).flatMap(([chain, cc]) => {
    if (cc.account.type !== "safe") return [];
    const roleKey = cc.account.roles?.role ?? encodeKey(BALLAST_ROLE);
    const rolesModifier = cc.account.roles?.modifier ?? opts.rolesModifier;
    if (!rolesModifier)
      throw new ConfigError("(safe-permissions)", [
        {
          path: `chains.${chain}.account`,
          message: "no Roles modifier: pass --roles 0x… or set as: roles and roles.modifier",
        },
      ]);
    const policy = firewallPolicyOf(cc, cc.account.safe);
    const authored = permissionsOf(policy);
    const { targets, annotations } = processPermissions(authored);
    const permissions = authored.map((p) => ({ signature: p.signature, ...coercePermission(p) }));
    const empty = { key: roleKey, members: [], targets: [], annotations: [], lastUpdate: 0 };
    const members = (opts.members ?? []).map((m) => m.toLowerCase() as Address);
    const calls = encodeCalls(
      callsPlannedForApplyRole(empty, { ...empty, members, targets, annotations }),
      rolesModifier,
    ) as { to: Address; data: `0x${string}` }[];
    return [
      {
        chain,
        chainId: cc.chainId,
        safe: cc.account.safe,
        roleKey,
        permissions,
        targets,
        calls,
        multiSend: cc.account.multiSendCallOnly,
      },
    ];
  });
}

/** A readable listing: per chain, each target and the functions the role may call on it, with their conditions. */
export function renderSafePermissions(chains: readonly ChainPermissions[]): string {
  if (chains.length === 0)
    return "No chain uses a Safe account: an EIP-7702 account has no module to narrow (see the keeper README).";
  return chains
    .map((x) =>
      [
        `${x.chain} (chain ${x.chainId}), Safe ${x.safe}, role ${x.roleKey}`,
        ...x.permissions.map(
          (p) =>
            `  ${p.targetAddress}  ${"signature" in p ? p.signature : ""}${p.condition ? "  [scoped]" : ""}`,
        ),
        `  ${x.calls.length} calls to the Roles modifier apply it; route multiSend (${MULTI_SEND_SELECTOR}) on ${x.multiSend} through a MultiSendUnwrapper.`,
      ].join("\n"),
    )
    .join("\n\n");
}

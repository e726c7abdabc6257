/**
 * `ballast safe-permissions`: the Zodiac Roles v2 permission set that lets the keeper's role call exactly what Ballast
 * calls for a config, and nothing else. It is derived from the same allow-list as the batch firewall
 * (`firewallPolicyOf`), so the on-chain rule and the off-chain one cannot drift apart; the Roles modifier then
 * enforces it where the keeper's key cannot bypass it.
 *
 * Per chain whose account is a Safe: each configured token's `approve(spender, amount)` with the spender one of the
 * allowed contracts, then each allowed contract's functions as its kind declares them (`ContractKind.roles`, in the
 * protocol's own package: e.g. `aavePoolKind` lets the Aave pool `supply` a configured token to the Safe only, and
 * `acrossSpokePoolKind` declares none). This file names no protocol.
 * Nothing may send ETH, and the only DELEGATECALL is the Safe's MultiSendCallOnly envelope, which the Roles modifier
 * unwraps (a `MultiSendUnwrapper` adapter) so that each inner call is checked on its own.
 */

import type { FirewallPolicy } from "@ballast/chain";
import type { Address, ContractKind, RoleScope } from "@ballast/core";
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

/** A role scope as a Roles condition: the Safe, one of the configured tokens, a tuple's fields, or anything. */
function conditionOf(scope: RoleScope, tokens: readonly Address[]): Scoping {
  if (scope === undefined) return undefined;
  if (scope === "avatar") return c.avatar;
  if (scope === "token") return oneOf(tokens);
  return c.matches(scope.tuple.map((s) => conditionOf(s, tokens)) as never);
}

/** The permissions of one contract the firewall allows, as its kind declares them; `tokens` are the configured ERC-20s. */
const contractPermissions = (kind: ContractKind, to: Address, tokens: readonly Address[]): Authored[] =>
  kind.roles.map(({ signature, params }) =>
    fn(
      to,
      signature,
      params && {
        scopings: params.scopes.map((s) => conditionOf(s, tokens)),
        types: [...params.types],
      },
    ),
  );

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

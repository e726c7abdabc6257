import type { Address, Hex } from "./model.ts";

/**
 * What a protocol contract a batch may call is (a lending pool, a position manager, a SpokePool), declared by the
 * protocol's own package: the functions a batch may call on it, whom each decoded call pays, and the same allow-list as
 * Zodiac Roles conditions. Types only: the batch firewall (`chain`) and the keeper's `safe-permissions` apply it, and
 * neither names a protocol.
 */
export type ContractKind = {
  /** For messages ("aave-pool"). */
  readonly name: string;
  /** The functions a batch may call on it, as a viem `Abi`: any other selector is refused. */
  readonly abi: readonly unknown[];
  /** What a decoded call pays (each must be one of our accounts), what it nests, or why it is refused outright. */
  inspect(call: DecodedCall): CallInspection;
  /** The functions a Safe's Roles role may call on it, with their conditions (none: a Safe behind Roles cannot). */
  readonly roles: readonly RoleFunction[];
};

/** A call decoded with a {@link ContractKind}'s `abi`. */
export type DecodedCall = { readonly functionName: string; readonly args: readonly unknown[] };

/** What the firewall must check of a decoded call. */
export type CallInspection = {
  /** Addresses it sends value or positions to: each must be one of our accounts. */
  readonly recipients: readonly Address[];
  /** Calldata it executes on the same contract (a `multicall`), checked the same way. */
  readonly nested?: readonly Hex[];
  /** A form of the call the firewall refuses outright (rule "selector"), e.g. a deposit carrying a message. */
  readonly refused?: string;
};

/**
 * A condition on one parameter in a Roles permission: `"avatar"` (the Safe itself), `"token"` (one of the configured
 * tokens), a tuple's fields in order, or `undefined` (anything).
 */
export type RoleScope = "avatar" | "token" | { readonly tuple: readonly RoleScope[] } | undefined;

/** A function a Roles role may call, by signature, with conditions on its parameters (none: any arguments). */
export type RoleFunction = {
  readonly signature: string;
  /** ABI types of the parameters as Roles decodes the calldata, and one scope per leading parameter. */
  readonly params?: { readonly types: readonly string[]; readonly scopes: readonly RoleScope[] };
};

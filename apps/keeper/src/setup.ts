import type { FusionClient } from "@ballast/1inch";
import { fusionApprovalOf, fusionProtocolOf } from "@ballast/1inch/plugin";
import {
  type ChainClients,
  type ChainInfo,
  createChainClients,
  createTxManager,
  type Executor,
  eip7702Executor,
  extendRegistry,
  type FirewallPolicy,
  knownChains,
  MULTICALL3_ADDRESS,
  type RpcRequestEvent,
  safeModuleExecutor,
  safeOwnerExecutor,
  safeRolesExecutor,
  type TxEvent,
  type TxManager,
  type TxStore,
} from "@ballast/chain";
import { chainSetupOf, chainStaticsOf, policyOf as policyOfConfig } from "@ballast/config";
import { type Address, BallastError } from "@ballast/core";
import type { ChainSetup } from "@ballast/engine";
import { type LocalAccount, parseGwei } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { ChainConfig, Config } from "./config.ts";
import { firewallPolicyOf } from "./firewall.ts";
import { resolvePrivateKey, resolveSecret, SecretError } from "./secrets.ts";

/** Everything the keeper holds for one chain: the engine's view, and the sending side when a key is available. */
export type ChainRuntime = {
  readonly key: string;
  readonly config: ChainConfig;
  readonly clients: ChainClients;
  readonly setup: ChainSetup;
  /** Present when the account's key resolved (`run`); read-only commands work without it. */
  readonly manager: TxManager | undefined;
  /**
   * Signs and places Fusion orders: with `policy.fusion`, 1inch among the venues, `oneInch.fusion` and the key. Made on
   * first use (the Fusion SDK is loaded then).
   */
  readonly fusion?: () => Promise<FusionClient>;
};

/** A config that is valid but cannot be used as it stands (e.g. a read-only command without the account address). */
export class SetupError extends BallastError {
  override name = "SetupError";
}

type Env = Record<string, string | undefined>;

function chainInfo(key: string, c: ChainConfig): ChainInfo {
  const known = knownChains.get(c.chainId);
  if (known && !c.name && !c.blockTime) return known;
  return {
    id: c.chainId,
    name: c.name ?? known?.name ?? key,
    nativeToken: known?.nativeToken ?? { name: "Ether", symbol: "ETH", decimals: 18 },
    multicall3: MULTICALL3_ADDRESS,
    blockTimeMs: c.blockTime !== undefined ? c.blockTime * 1000 : (known?.blockTimeMs ?? 2_000),
  };
}

function signer(key: string, c: ChainConfig, env: Env, needKey: boolean): LocalAccount | undefined {
  try {
    return privateKeyToAccount(resolvePrivateKey(c.account.key, env, `chains.${key}.account.key`));
  } catch (e) {
    if (needKey || !(e instanceof SecretError)) throw e;
    return undefined;
  }
}

/**
 * The chain's Fusion client and order route, when `policy.fusion` is set, `swap` lists 1inch, `oneInch.fusion` names
 * the trusted settlements, the account is an EIP-7702 EOA (the maker signs) and its key resolved.
 */
function fusionFor(
  config: Config,
  key: string,
  c: ChainConfig,
  env: Env,
  account: LocalAccount | undefined,
): { client: () => Promise<FusionClient>; route: NonNullable<ChainSetup["orders"]> } | undefined {
  const policy = config.policy.fusion;
  const o = c.oneInch;
  const f = o?.fusion;
  if (!policy || !o || !f || !account || c.account.type !== "eip7702" || !c.swap?.includes("1inch"))
    return undefined;
  const apiKey = o.apiKey ? resolveSecret(o.apiKey, env, `chains.${key}.oneInch.apiKey`) : undefined;
  const limitOrderProtocol = fusionProtocolOf(o, c.chainId);
  let client: Promise<FusionClient> | undefined;
  const made = async () => {
    const { createFusionClient, createOneInchClient } = await import("@ballast/1inch");
    return createFusionClient({
      client: createOneInchClient({ baseUrl: o.baseUrl, ...(apiKey ? { apiKey } : {}) }),
      chainId: c.chainId,
      signer: account,
      ...(f.url ? { url: f.url } : {}),
      limitOrderProtocol,
      trustedSettlements: f.settlements,
    });
  };
  return {
    client: () => {
      // A failed load is not kept: the next order tries again.
      client ??= made().catch((e: unknown) => {
        client = undefined;
        throw e;
      });
      return client;
    },
    route: {
      name: "1inch-fusion",
      label: "1inch Fusion order",
      aboveUsd: policy.aboveUsd,
      // The exact input, to the configured Limit Order Protocol (never an API-supplied spender).
      approval: (token, amount) => [fusionApprovalOf(o, c.chainId)(token, amount)],
    },
  };
}

/**
 * Builds every chain's clients, venues and (when the key resolves) transaction manager and executor.
 * `needKeys` is true for commands that send; read-only commands fall back to `account.address`.
 */
export function buildRuntime(
  config: Config,
  env: Env,
  opts: {
    store: TxStore;
    needKeys: boolean;
    pollingIntervalMs?: number;
    /** Sees every RPC request's outcome, per chain key. */
    onRpcRequest?: (key: string, event: RpcRequestEvent) => void;
    /** Sees what a transaction manager did on its own (rebroadcast, reconciled nonce, unknown outcome …). */
    onTxEvent?: (key: string, event: TxEvent) => void;
  },
): ChainRuntime[] {
  const registry = extendRegistry(Object.entries(config.chains).map(([key, c]) => chainInfo(key, c)));
  return Object.entries(config.chains).map(([key, c]) => {
    const account = signer(key, c, env, opts.needKeys);
    const clients = createChainClients({
      chain: c.chainId,
      registry,
      rpcUrls: c.rpc,
      sendRpcUrl: c.sendRpc,
      timeoutMs: c.rpcTimeout * 1_000,
      account,
      ...(opts.pollingIntervalMs ? { pollingIntervalMs: opts.pollingIntervalMs } : {}),
      ...(opts.onRpcRequest ? { onRpcRequest: (e: RpcRequestEvent) => opts.onRpcRequest?.(key, e) } : {}),
    });
    const manager = account
      ? createTxManager({
          clients,
          store: opts.store,
          fees: { maxFeePerGas: parseGwei(String(c.maxFeePerGasGwei)) },
          confirmations: c.confirmations,
          ...(opts.onTxEvent ? { onEvent: (e: TxEvent) => opts.onTxEvent?.(key, e) } : {}),
        })
      : undefined;
    const portfolioAccount: Address | undefined =
      c.account.type === "safe" ? c.account.safe : (account?.address ?? c.account.address);
    if (!portfolioAccount)
      throw new SetupError(
        `chains.${key}.account: the key is not available and no address is given; set the key's variable or add account.address.`,
      );
    const firewall = firewallPolicyOf(c, portfolioAccount);
    const executor: Executor = manager
      ? executorFor(c, clients, manager, firewall)
      : keylessExecutor(c, clients, portfolioAccount, firewall);
    const setup = chainSetupOf(key, c, {
      client: clients.public,
      account: portfolioAccount,
      executor,
      shared: config,
      secret: (ref, field) => resolveSecret(ref, env, field),
    });
    const fusion = fusionFor(config, key, c, env, account);
    return fusion
      ? { key, config: c, clients, setup: { ...setup, orders: fusion.route }, manager, fusion: fusion.client }
      : { key, config: c, clients, setup, manager };
  });
}

/** What the engine knows of a chain without reaching it: its tokens and its protocols (see `chainStaticsOf`). */
export const chainStatics = chainStaticsOf;

function executorFor(
  c: ChainConfig,
  clients: ChainClients,
  manager: TxManager,
  firewall: FirewallPolicy,
): Executor {
  if (c.account.type === "eip7702")
    return eip7702Executor({ clients, manager, implementation: c.account.implementation, firewall });
  const params = { clients, manager, safe: c.account.safe, multiSend: c.account.multiSendCallOnly, firewall };
  const { roles } = c.account;
  if (roles)
    return safeRolesExecutor({ ...params, roles: { modifier: roles.modifier, roleKey: roles.role } });
  return c.account.as === "module" ? safeModuleExecutor(params) : safeOwnerExecutor(params);
}

/** The executor kind of a Safe account, by how its key reaches the Safe. */
const SAFE_KINDS = { module: "safe-module", owner: "safe-owner", roles: "safe-roles" } as const;

/**
 * The executor of read-only commands (no key): an EIP-7702 account still simulates its batch (simulation needs no
 * signature); a Safe's batch is refused, since its simulation needs the module or owner that signs.
 */
function keylessExecutor(
  c: ChainConfig,
  clients: ChainClients,
  account: Address,
  firewall: FirewallPolicy,
): Executor {
  if (c.account.type === "eip7702")
    return eip7702Executor({ clients, account, implementation: c.account.implementation, firewall });
  const refuse = async (): Promise<never> => {
    throw new SetupError(
      `Chain ${c.chainId}: no key available, so a Safe batch can be neither simulated nor sent.`,
    );
  };
  return {
    kind: SAFE_KINDS[c.account.as],
    chainId: c.chainId,
    account,
    sender: account,
    encode: refuse,
    simulate: refuse,
    execute: refuse,
  };
}

/** The engine's sleeves and rules, and the price guard's limits, from the config's policy (see `@ballast/config`). */
export function policyOf(config: Pick<Config, "chains" | "policy">): ReturnType<typeof policyOfConfig> {
  return policyOfConfig(config.policy, Object.values(config.chains));
}

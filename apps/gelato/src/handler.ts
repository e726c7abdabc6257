import { type ChainPublicClient, type FirewallPolicy, safeAbi } from "@ballast/chain";
import { chainSetupOf, firewallContractsOf, policyOf } from "@ballast/config";
import { type ChainSetup, type CycleResult, runCycle } from "@ballast/engine";
import {
  type ChainArgs,
  completionTokenOf,
  POLICY_SECRET,
  parsePolicy,
  parsePortfolioArgs,
} from "./config.ts";
import { GelatoConfigError, MissingSecretError, ModuleNotEnabledError, WrongChainError } from "./errors.ts";
import { completionTransferFrom, safeModuleReadExecutor } from "./executor.ts";
import { clientFromProvider, type JsonRpcSender } from "./provider.ts";

/** Storage key of the last rebalance the function handed to Gelato (unix seconds), for the cooldown. */
export const LAST_REBALANCE_KEY = "lastRebalanceAt";
/** Storage key of the value {@link LAST_REBALANCE_KEY} had before the latest hand-over (restored by `onFail`). */
export const PREVIOUS_REBALANCE_KEY = "previousRebalanceAt";

/**
 * The part of Gelato's `Web3FunctionContext` the handler reads (structurally compatible with the SDK's type, so
 * tests can build one: user args, secrets, storage and a provider with `send`).
 */
export type HandlerContext = {
  readonly gelatoArgs: { readonly chainId: number };
  readonly userArgs: Readonly<Record<string, unknown>>;
  readonly secrets: { get(key: string): Promise<string | undefined> };
  readonly storage: {
    get(key: string): Promise<string | undefined>;
    set(key: string, value: string): Promise<void>;
  };
  readonly multiChainProvider: {
    default(): JsonRpcSender;
    chainId(chainId: number): JsonRpcSender;
  };
};

/** One call for Gelato to execute from the dedicated msg.sender (the SDK's `Web3FunctionResultCallData`). */
export type GelatoCallData = { readonly to: string; readonly data: string; readonly value: string };

/** What `onRun` returns (Web3 Function result v2). */
export type HandlerResult =
  | { readonly canExec: true; readonly callData: GelatoCallData[] }
  | { readonly canExec: false; readonly message: string };

/**
 * A ChainSetup for one chain of the portfolio (the keeper's `chainSetupOf`: the same config gives the same calldata),
 * read through Gelato's provider, with the keyless Safe-module executor.
 */
export function chainSetupFor(c: ChainArgs, client: ChainPublicClient): ChainSetup {
  const token = completionTokenOf(c);
  return chainSetupOf(c.key, c, {
    client,
    account: c.safe,
    executor: safeModuleReadExecutor({
      client,
      safe: c.safe,
      multiSend: c.multiSendCallOnly,
      module: c.dedicatedMsgSender,
      completionCheck: token ? { token } : undefined,
      firewall: firewallPolicyOf(c),
    }),
  });
}

/**
 * The batch firewall's allow-list from the portfolio args: the tokens, the contracts of its protocol sections (each
 * registered protocol names its own); the Safe as the only recipient; the dedicated msg.sender as a spender (the
 * 1-unit completion check).
 */
export function firewallPolicyOf(c: ChainArgs): FirewallPolicy {
  return {
    chainId: c.chainId,
    accounts: [c.safe],
    tokens: Object.values(c.tokens).map((t) => t.address),
    contracts: firewallContractsOf(c),
    spenders: [c.dedicatedMsgSender],
    multiSend: c.multiSendCallOnly,
  };
}

/** Checks a chain's provider and Safe before the cycle: right chain id, the Safe deployed, the module enabled. */
export async function checkChain(c: ChainArgs, client: ChainPublicClient): Promise<void> {
  const actual = await client.getChainId();
  if (actual !== c.chainId) throw new WrongChainError(c.chainId, actual, `chain "${c.key}"`);
  const code = await client.getCode({ address: c.safe });
  if (!code || code === "0x")
    throw new GelatoConfigError(`chain "${c.key}".safe`, `no contract at ${c.safe} on chain ${c.chainId}`);
  const enabled = await client.readContract({
    address: c.safe,
    abi: safeAbi,
    functionName: "isModuleEnabled",
    args: [c.dedicatedMsgSender],
  });
  if (!enabled) throw new ModuleNotEnabledError(c.safe, c.dedicatedMsgSender, c.chainId);
}

/** One line on why the cycle does not execute (Gelato shows `message` in the task's logs). */
export function explain(result: CycleResult, chainId: number): string | undefined {
  const errors = (list: CycleResult["chainErrors"]) =>
    `error: ${list.map((e) => `chain "${e.key}": ${e.error.shortMessage}`).join("; ")}`;
  switch (result.stage) {
    case "failed":
      return `error: ${result.error.shortMessage}`;
    // A chain that could not be read stops the cycle (NAV needs every chain).
    case "read-failed":
      return result.chainErrors.length > 0 ? errors(result.chainErrors) : "no decision (no portfolio state)";
    case "hold":
    case "gated": {
      // The triggers' verdicts (why nothing fired), then any block that fired (cooldown, min trade, gates).
      const d = result.decision;
      const why = [
        ...d.reasons.filter((r) => r.effect === "trigger"),
        ...d.reasons.filter((r) => r.effect === "block" && r.fired),
      ];
      return `no rebalance: ${why.map((r) => `${r.rule}${r.fired ? " (fired)" : ""}: ${r.detail}`).join("; ")}`;
    }
    case "planned":
    case "simulated": {
      const batch = result.batches.find((b) => b.chainId === chainId);
      if (!batch) {
        // Realization failed on this chain (e.g. no swap venue), or the plan moves other chains only.
        const own = result.chainErrors.filter((e) => e.chainId === chainId);
        return own.length > 0
          ? errors(own)
          : `no calls on chain ${chainId} this cycle (the plan moves other chains only)`;
      }
      if (!batch.ok)
        return `simulation failed on chain ${chainId}: ${batch.error?.shortMessage ?? "unknown error"}`;
      return undefined;
    }
  }
}

/**
 * The Web3 Function's `onRun`: parses the `portfolio` user arg and the `BALLAST_POLICY` secret, checks each chain
 * (right chain, Safe deployed, module enabled — misconfiguration throws a typed error, never a silent
 * `canExec: false`), runs one engine cycle read through Gelato's providers, and returns the Safe module call
 * (`execTransactionFromModule` → MultiSendCallOnly) for the task's chain followed by the completion check's
 * `transferFrom` (see `CompletionCheck`), or `canExec: false` with the reason.
 */
export async function handler(context: HandlerContext): Promise<HandlerResult> {
  return (await evaluate(context)).result;
}

/** {@link handler} with the engine's cycle result alongside (for tests and diagnostics). */
export async function evaluate(
  context: HandlerContext,
): Promise<{ result: HandlerResult; cycle: CycleResult }> {
  const portfolio = parsePortfolioArgs(context.userArgs);
  const policyText = await context.secrets.get(POLICY_SECRET);
  if (!policyText) throw new MissingSecretError(POLICY_SECRET);
  const policy = policyOf(parsePolicy(policyText, portfolio), portfolio.chains);
  const taskChainId = context.gelatoArgs.chainId;
  const own = portfolio.chains.find((c) => c.chainId === taskChainId);
  if (!own)
    throw new GelatoConfigError(
      "gelatoArgs.chainId",
      `the task runs on chain ${taskChainId}, but the portfolio has no Safe there (chains: ${portfolio.chains.map((c) => c.chainId).join(", ")})`,
    );

  const clients = portfolio.chains.map((c) =>
    clientFromProvider(
      c.chainId === taskChainId
        ? context.multiChainProvider.default()
        : context.multiChainProvider.chainId(c.chainId),
      c.chainId,
    ),
  );
  await Promise.all(portfolio.chains.map((c, i) => checkChain(c, clients[i] as ChainPublicClient)));
  const ownClient = clients[portfolio.chains.indexOf(own)] as ChainPublicClient;
  const block = await ownClient.getBlock();
  const last = await context.storage.get(LAST_REBALANCE_KEY);
  const lastRebalanceAt = last === undefined || last === "" ? undefined : Number(last);

  const result = await runCycle({
    chains: portfolio.chains.map((c, i) => chainSetupFor(c, clients[i] as ChainPublicClient)),
    sleeves: policy.sleeves,
    rules: policy.rules,
    priceGuard: policy.priceGuard,
    now: Number(block.timestamp),
    ...(lastRebalanceAt === undefined || Number.isNaN(lastRebalanceAt) ? {} : { lastRebalanceAt }),
  });
  // A portfolio-level failure (policy resolution, valuation, planning) is a configuration problem or a bug: throw it.
  if (result.stage === "failed") throw result.error;
  const reason = explain(result, taskChainId);
  const no = (message: string) => ({ result: { canExec: false as const, message }, cycle: result });
  if (reason !== undefined) return no(reason);
  const request = result.batches.find((b) => b.chainId === taskChainId)?.simulation?.request;
  if (!request) return no("no simulated request");
  // The cooldown starts when the calls are handed over; `onFail` ({@link failHandler}) takes it back.
  await context.storage.set(PREVIOUS_REBALANCE_KEY, last ?? "");
  await context.storage.set(LAST_REBALANCE_KEY, String(block.timestamp));
  const token = completionTokenOf(own);
  const calls = [request, ...(token ? [completionTransferFrom({ token }, own.safe)] : [])];
  return {
    result: {
      canExec: true,
      callData: calls.map((c) => ({ to: c.to, data: c.data, value: c.value.toString() })),
    },
    cycle: result,
  };
}

/**
 * The Web3 Function's `onFail` (Gelato could not execute the calls: simulation failed, reverted, no funds): restores
 * the last rebalance time from before the failed hand-over, so the cooldown does not delay the retry.
 */
export async function failHandler(context: Pick<HandlerContext, "storage">): Promise<void> {
  const previous = await context.storage.get(PREVIOUS_REBALANCE_KEY);
  await context.storage.set(LAST_REBALANCE_KEY, previous ?? "");
}

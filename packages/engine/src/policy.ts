import {
  type BridgeRoute,
  holdingUsd,
  type Policy,
  type PriceBook,
  type Protocol,
  type Sleeve,
  type SleeveSpec,
  SleeveSpecError,
  type SleeveTarget,
  type Snapshot,
  slotKey,
  tokenBySymbol,
} from "@ballast/core";
import { InvalidCycleConfigError } from "./errors.ts";
import type { ChainFetch, ChainStatics, PolicyRules } from "./types.ts";

/** A sleeve spec resolved against the chain setups: its slot (chain, protocol, kind, ref) and what it names. */
export type SleeveSlot = SleeveTarget & {
  readonly spec: SleeveSpec;
  readonly index: number;
  readonly setup: ChainStatics;
  readonly chainId: number;
};

/** Runs a protocol's sleeve code, turning its `SleeveSpecError` into the cycle's error on `sleeves[i].<field>`. */
function atSleeve<T>(index: number, fn: () => T, suffix = ""): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SleeveSpecError)
      throw new InvalidCycleConfigError(`sleeves[${index}].${err.field}`, `${err.expected}${suffix}`);
    throw err;
  }
}

/** The protocol of a chain that owns a sleeve kind. */
const protocolFor = (setup: ChainStatics, kind: string): Protocol | undefined =>
  setup.protocols.find((p) => Object.hasOwn(p.sleeveKinds, kind));

/** Resolves one sleeve spec on its chain: "token" sleeves here, every other kind by the protocol that owns it. */
function resolveSlot(spec: SleeveSpec, index: number, setup: ChainStatics): SleeveSlot {
  const base = { spec, index, setup, chainId: setup.chainId };
  if (spec.kind === "token") {
    const asset = atSleeve(index, () => {
      if (!spec.asset) throw new SleeveSpecError("asset", "a token sleeve names its asset");
      return tokenBySymbol(setup, spec.asset, "asset");
    });
    return { ...base, protocol: "wallet", kind: "token", ref: asset.id, asset };
  }
  const protocol = protocolFor(setup, spec.kind);
  if (!protocol) {
    const kinds = ["token", ...setup.protocols.flatMap((p) => Object.keys(p.sleeveKinds))];
    throw new InvalidCycleConfigError(
      `sleeves[${index}].kind`,
      `chain "${setup.key}" has no protocol for "${spec.kind}" (kinds there: ${kinds.join(", ")})`,
    );
  }
  return { ...base, ...atSleeve(index, () => protocol.resolveSleeve(spec, setup)) };
}

/**
 * Resolves sleeve specs against the chain setups, statically (no reads): chain key → chain, then the sleeve's kind →
 * the chain's protocol that owns it, which resolves symbols and pools. Throws {@link InvalidCycleConfigError} naming
 * the field.
 */
export function resolveSleeveSlots(
  specs: readonly SleeveSpec[],
  chains: readonly ChainStatics[],
): SleeveSlot[] {
  const byKey = new Map(chains.map((c) => [c.key, c]));
  return specs.map((spec, index): SleeveSlot => {
    const setup = byKey.get(spec.chain);
    if (!setup)
      throw new InvalidCycleConfigError(
        `sleeves[${index}].chain`,
        `unknown chain "${spec.chain}" (chains: ${chains.map((c) => c.key).join(", ")})`,
      );
    return resolveSlot(spec, index, setup);
  });
}

/** The resolved sleeves of each chain, by chain id (what its protocols read for). */
export function sleevesByChain(slots: readonly SleeveSlot[]): Map<number, SleeveSlot[]> {
  const out = new Map<number, SleeveSlot[]>();
  for (const s of slots) out.set(s.chainId, [...(out.get(s.chainId) ?? []), s]);
  return out;
}

/** Inputs of {@link resolveSleeves} and {@link buildPolicy}. */
export type ResolveSleevesParameters = {
  readonly specs: readonly SleeveSpec[];
  readonly chains: readonly ChainStatics[];
  /** The fetched chains (every chain a sleeve names must be there). */
  readonly fetched: readonly ChainFetch[];
  /** The cycle's price book (LP compositions need both tokens' prices). */
  readonly prices: PriceBook;
  /** The specs already resolved by {@link resolveSleeveSlots} (saves resolving them again). */
  readonly slots?: readonly SleeveSlot[];
};

/**
 * SleeveSpec[] + fetched chains → core Sleeves, in spec order: slots from {@link resolveSleeveSlots}, compositions
 * from the protocol that owns the sleeve (an LP: the pool's current price and the entry range).
 */
export function resolveSleeves(params: ResolveSleevesParameters): Sleeve[] {
  const slots = params.slots ?? resolveSleeveSlots(params.specs, params.chains);
  const byChain = new Map(params.fetched.map((f) => [f.chainId, f]));
  return slots.map((slot): Sleeve => {
    const base = {
      id: slot.spec.id,
      chainId: slot.chainId,
      protocol: slot.protocol,
      kind: slot.kind,
      ref: slot.ref,
      targetBps: slot.spec.weightBps,
    };
    const protocol = protocolFor(slot.setup, slot.spec.kind);
    if (!protocol?.composition) return base;
    const read = byChain.get(slot.chainId)?.reads[protocol.name];
    if (!read)
      throw new InvalidCycleConfigError(
        `sleeves[${slot.index}].kind`,
        `${protocol.name} was not read on chain "${slot.setup.key}"`,
      );
    const field = `sleeves[${slot.index}].pool`;
    const composition = atSleeve(
      slot.index,
      () => protocol.composition?.(slot, read.state, params.prices, field),
      ` on chain "${slot.setup.key}"`,
    );
    return composition ? { ...base, composition } : base;
  });
}

/** Liquidation thresholds (bps) of the registered assets on every fetched lending market, by asset id. */
export function liquidationThresholds(fetched: readonly ChainFetch[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of [...fetched].sort((a, b) => a.chainId - b.chainId)) {
    const registered = new Set(f.assets.map((a) => a.id));
    for (const read of Object.values(f.reads))
      for (const [id, lt] of read.liquidationThresholdBps ?? []) if (registered.has(id)) out[id] = Number(lt);
  }
  return out;
}

/**
 * The core Policy of a cycle: the rules, the resolved sleeves and, when `rules.healthFactorFloorWad` is set, the
 * health-factor inputs (the floor and the lending markets' liquidation thresholds, e-mode aware, as read).
 */
export function buildPolicy(params: ResolveSleevesParameters & { readonly rules: PolicyRules }): Policy {
  const { healthFactorFloorWad, ...rules } = params.rules;
  const sleeves = resolveSleeves(params);
  return {
    ...rules,
    sleeves,
    ...(healthFactorFloorWad === undefined
      ? {}
      : {
          healthFactor: {
            floorWad: healthFactorFloorWad,
            liquidationThresholdBps: liquidationThresholds(params.fetched),
          },
        }),
  };
}

/** The id prefix of a holding in transit to its chain (see `withInTransit`). */
export const IN_TRANSIT = "in-transit:";

const LANDING = "landing:";

/** The id of a landing sleeve: not a valid config id (`:`), so it never names a configured sleeve. */
export const landingSleeveId = (chainKey: string, symbol: string): string =>
  `${LANDING}${chainKey}:${symbol}`;

/** Whether a sleeve id is a landing sleeve's (added by {@link withLandingSleeves}, not configured). */
export const isLandingSleeve = (id: string): boolean => id.startsWith(LANDING);

/**
 * Adds a landing sleeve — a 0%-target token sleeve — for every (chain, token) a bridge route starts or ends at that
 * no token sleeve holds, when the chain's wallet has some of it in transit, or worth at least the minimum trade
 * (arrived, or refunded to the origin). Without it, what a transfer brings to a chain whose sleeves of that token are
 * all protocol sleeves (a lending supply) is claimed by no sleeve: outside NAV, never placed, and the destination still
 * looks short, so every cycle would bridge it again. Claimed at 0%, it is in NAV, its chain's total is right, and the
 * planner places it like any excess. Less than a minimum trade stays outside (the planner could not move it anyway),
 * so dust does not add a sleeve.
 */
export function withLandingSleeves(
  policy: Policy,
  snapshot: Snapshot,
  prices: PriceBook,
  chains: readonly Pick<ChainStatics, "key" | "chainId" | "tokens">[],
  routes: readonly BridgeRoute[],
): Policy {
  const claimed = new Set(policy.sleeves.map((s) => slotKey(s)));
  const ends = new Set(routes.flatMap((r) => [`${r.fromChainId}|${r.symbol}`, `${r.toChainId}|${r.symbol}`]));
  const landing: Sleeve[] = [];
  for (const setup of chains) {
    const holdings = snapshot.chains.find((c) => c.chainId === setup.chainId)?.holdings ?? [];
    for (const token of setup.tokens) {
      const slot = { chainId: setup.chainId, protocol: "wallet", kind: "token" as const, ref: token.id };
      if (!ends.has(`${setup.chainId}|${token.symbol}`) || claimed.has(slotKey(slot))) continue;
      const mine = holdings.filter((h) => slotKey(h) === slotKey(slot));
      const usd = mine.reduce((a, h) => a + holdingUsd(h, snapshot.assets, prices, h.id), 0n);
      if (mine.some((h) => h.id.startsWith(IN_TRANSIT)) || (usd > 0n && usd >= policy.minTradeUsd))
        landing.push({ ...slot, id: landingSleeveId(setup.key, token.symbol), targetBps: 0 });
    }
  }
  return landing.length === 0 ? policy : { ...policy, sleeves: [...policy.sleeves, ...landing] };
}

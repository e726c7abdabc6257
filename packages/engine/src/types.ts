import type { Executor, Guards, InFlightItem, Simulation } from "@ballast/chain";
import type {
  Address,
  Asset,
  BallastError,
  BridgeQuote,
  BridgeVenue,
  Call,
  ChainSnapshot,
  CostModel,
  Decision,
  Leg,
  LegAction,
  Plan,
  PlanOptions,
  Policy,
  PortfolioState,
  PriceGuardPolicy,
  Protocol,
  ProtocolRead,
  SleeveSpec,
  Snapshot,
  SwapQuote,
  SwapVenue,
  Transfer,
} from "@ballast/core";
import type { Chain, Client, Transport } from "viem";
import type { SymbolPriceMoves } from "./price-moves.ts";

export type { SleeveSpec } from "@ballast/core";

/** The viem client the engine reads with (a `PublicClient` fits). The engine never sends. */
export type ReadClient = Client<Transport, Chain | undefined>;

/** What each protocol's read left for the next one, by protocol name (JSON-safe; see `ProtocolRead.hint`). */
export type ProtocolHints = Readonly<Record<string, unknown>>;

/** Static description of one chain of the portfolio (built by the keeper from its config, or by the Gelato function). */
export type ChainSetup = {
  /** Config name, e.g. "ethereum"; used in messages and in `SleeveSpec.chain`. */
  readonly key: string;
  readonly chainId: number;
  /** Reads; the engine never sends. */
  readonly client: ReadClient;
  /** The portfolio account on this chain (EIP-7702 EOA, or a Safe). */
  readonly account: Address;
  /** Core assets (symbol, decimals, address) the portfolio may hold on this chain. */
  readonly tokens: readonly Asset[];
  /**
   * The chain's protocols, each bound to its config (see `protocolsOf`): read in the chain's one multicall, valued,
   * and asked to realize the legs that name them, in this order.
   */
  readonly protocols: readonly Protocol[];
  /** Swap venues in preference order: the first whose quote meets the leg's minOut wins. */
  readonly venues: readonly SwapVenue[];
  /**
   * The bridge that moves value out of this chain (deposits here, fills on the other chain's account). With a bridge
   * on both ends, the planner may route a token both chains list in `bridge.tokens` between them.
   */
  readonly bridge?: BridgeVenue;
  /**
   * Large swaps as signed orders settled later by others (1inch Fusion): a swap leg worth more than `aboveUsd` is not
   * quoted by the venues; the batch carries the route's approval and the order is placed once the batch landed.
   */
  readonly orders?: OrderRoute;
  /** From @ballast/chain; used for encode + simulate only. */
  readonly executor: Executor;
  /**
   * The previous read's hints ({@link ChainFetch.hints}, {@link CycleResult.hints}): with them the steady state is ONE
   * eth_call (e.g. known LP keys); without, a protocol may need another round for what it sees for the first time.
   */
  readonly hints?: ProtocolHints;
  /** Multicall3 address (default: the canonical one). */
  readonly multicall3?: Address;
};

/** A route for swaps as signed orders (1inch Fusion): settled after the batch, by someone else, in flight until then. */
export type OrderRoute = {
  /** Its id in the journal, logs and `history` (e.g. `1inch-fusion`). */
  readonly name: string;
  /** What people read in the plan (e.g. `1inch Fusion order`). */
  readonly label: string;
  /** Swaps worth more than this (USD, 18 decimals) go as orders. */
  readonly aboveUsd: bigint;
  /** The batch's calls for an order: the exact approval of the contract that settles it (never an API's spender). */
  readonly approval: (token: Address, amount: bigint) => readonly Call[];
};

/** A swap leg realized as an order: the batch carries its approval; the order is signed and placed after it lands. */
export type SwapOrder = {
  readonly route: string;
  /** The route's {@link OrderRoute.label}. */
  readonly label: string;
  readonly chainId: number;
  readonly step: number;
  readonly tokenIn: Address;
  readonly tokenOut: Address;
  readonly amountIn: bigint;
  /** The plan's minOut for the leg: the order's guaranteed output (auction end) must reach it. */
  readonly minAmountOut: bigint;
  /** USD of `amountIn` at the cycle's prices. */
  readonly usd: bigint;
};

/** The static part of a chain setup that resolving sleeves needs: no client, account or executor (e.g. a backtest). */
export type ChainStatics = Pick<ChainSetup, "key" | "chainId" | "tokens" | "protocols">;

/** The policy's rules without its sleeves; the health-factor LTs come from the lending markets read, only the floor is given. */
export type PolicyRules = Omit<Policy, "sleeves" | "healthFactor"> & {
  readonly healthFactorFloorWad?: bigint;
};

/** Inputs of {@link runCycle}. */
export type CycleParams = {
  readonly chains: readonly ChainSetup[];
  readonly sleeves: readonly SleeveSpec[];
  readonly rules: PolicyRules;
  /** Default: {@link defaultCostModel} (LP pools' own fees, 30 bps elsewhere, 10 bps slippage, a rough gas table). */
  readonly costModel?: CostModel;
  /** Unix seconds (the engine has no clock). */
  readonly now: number;
  readonly lastRebalanceAt?: number;
  /** Plan, realize and simulate even when no trigger fires or a gate blocks (for `ballast plan --force`). */
  readonly force?: boolean;
  /** Pin reads per chain id (default: latest, read once per chain inside the same eth_call). */
  readonly blockNumbers?: Partial<Record<number, bigint>>;
  /** Planner options. Default `{ onNoBridge: "per-chain" }`: chain pairs without bridges rebalance each chain alone. */
  readonly planOptions?: PlanOptions;
  /** Seconds after the chain's snapshot timestamp that swaps and LP actions stay valid (default 1,800). */
  readonly deadlineSeconds?: number;
  /**
   * The last good read of each chain (a previous {@link CycleResult.fetches}; the caller decides how old is too old).
   * A chain whose read fails this cycle is valued from it instead, so the other chains still rebalance; the stale
   * chain itself gets no batch, and its error is still reported.
   */
  readonly previousFetches?: Readonly<Partial<Record<number, ChainFetch>>>;
  /**
   * What is in flight (sent, not final) per chain, from the caller's in-flight ledger. Such a chain gets no batch, and
   * the decision carries an `in-flight` reason (`hold: in flight …`); it fires only if another planned chain is free.
   */
  readonly inFlight?: readonly InFlightItem[];
  /**
   * Value in transit between chains (bridge deposits not filled yet): counted as the destination account's wallet
   * balance, so NAV holds it and the destination's sleeves are not planned again. A bridge item in flight (`inFlight`
   * with a `toChainId`) holds its origin and its destination chains (`heldChains`): nothing there re-plans the
   * move or sells what is about to arrive.
   */
  readonly inTransit?: readonly InTransit[];
  /**
   * Price sanity limits (default {@link DEFAULT_PRICE_GUARD}): before any batch is simulated, stale or invalid feeds
   * and sources that disagree hold the whole cycle with a `price-sanity` reason (even with `force`).
   */
  readonly priceGuard?: PriceGuardPolicy;
  /**
   * What-if: value and plan as if USD prices had moved by `priceMoves` (by symbol, see {@link SymbolPriceMoves}) since
   * the block read; pools and LP positions follow (`Protocol.atPrices`). The cycle ends at `planned` at most: nothing
   * is realized or simulated.
   */
  readonly whatIf?: { readonly priceMoves: SymbolPriceMoves };
};

/** An amount on its way to a chain (a bridge deposit not filled yet). */
export type InTransit = {
  /** Journal id of the transfer, for the holding's id. */
  readonly id: string;
  /** The destination chain. */
  readonly chainId: number;
  readonly token: Address;
  /** Base units expected to arrive. */
  readonly amount: bigint;
};

/** Everything {@link fetchChainSnapshot} read about one chain at one block. */
export type ChainFetch = {
  readonly chainId: number;
  readonly key: string;
  /** Holdings and prices as core data. */
  readonly snapshot: ChainSnapshot;
  /** This chain's entries of the asset registry: its `tokens` plus assets its protocols found (e.g. held reserves). */
  readonly assets: readonly Asset[];
  /** Each protocol's read, by protocol name (its holdings are in `snapshot`; its state is what it encodes from). */
  readonly reads: Readonly<Record<string, ProtocolRead>>;
  /** Each protocol's hint for the next read: pass them back as {@link ChainSetup.hints} for a one-call fetch. */
  readonly hints: ProtocolHints;
  /** eth_calls the fetch made (1 in the steady state). */
  readonly ethCalls: number;
  readonly warnings: readonly string[];
};

/** One leg as realized: its calls (a slice of the batch) and the amounts actually encoded. */
export type RealizedLeg = {
  /** The leg's `step` in the chain plan. */
  readonly step: number;
  readonly action: LegAction | "swap" | "bridge";
  readonly sleeveId?: string;
  /** Calls of this leg (approvals included); empty for `sell` / `buy-hold` and skipped legs. */
  readonly calls: readonly Call[];
  /** Base units per token address actually put in (negative) or guaranteed out (positive). */
  readonly flows: readonly { readonly token: Address; readonly amount: bigint }[];
  /** Why the leg was trimmed or skipped, when it was. */
  readonly note?: string;
};

/** A chain's legs turned into calls, before simulation. */
export type RealizedChain = {
  readonly chainId: number;
  readonly key: string;
  /** Every call of the batch, in leg order. */
  readonly calls: readonly Call[];
  readonly legs: readonly Leg[];
  readonly realized: readonly RealizedLeg[];
  readonly quotes: readonly SwapQuote[];
  /** The bridge deposits that end the batch: journal each before the batch is sent. */
  readonly bridges: readonly BridgeQuote[];
  /** The swaps placed as orders once the batch landed (it carries their approvals): journal each before sending. */
  readonly orders: readonly SwapOrder[];
  /** The post-conditions for the simulation (and for the executor to check again when sending). */
  readonly guards: Guards;
  readonly warnings: readonly string[];
};

/** A chain's simulated batch: the realized chain and the simulation's outcome. */
export type ChainBatch = RealizedChain & {
  /** True when the simulation passed: only such a batch may be sent. */
  readonly ok: boolean;
  /** The passing simulation (request to send, gas, guard report); undefined when it failed. */
  readonly simulation: Simulation | undefined;
  /** Why the simulation failed (SimulationFailedError, GuardViolationError, SimulationRequestError, …). */
  readonly error: BallastError | undefined;
};

/** A chain-level failure: its fetch, or the realization of its legs. */
export type ChainError = { readonly chainId: number; readonly key: string; readonly error: BallastError };

/** What every cycle reports, whatever stage it reached. */
export type CycleReads = {
  /** The chains that answered (and those valued from their previous read). */
  readonly snapshot: Snapshot;
  /** Per chain id, the protocols' hints for the next cycle (the previous ones for a chain whose fetch failed). */
  readonly hints: Record<number, ProtocolHints>;
  /**
   * One chain's failure never stalls the others: a chain that cannot be read is valued from its previous read when
   * one is given (and gets no batch); without one, nothing is planned (NAV needs every chain). Realization failures too.
   */
  readonly chainErrors: readonly ChainError[];
  /** This cycle's fresh reads by chain id: pass them back as {@link CycleParams.previousFetches}. */
  readonly fetches: Readonly<Record<number, ChainFetch>>;
  /** Chains valued from a previous read this cycle (their read failed); they get no batch. */
  readonly staleChains: readonly number[];
  readonly warnings: readonly string[];
  /** One per chain that has calls to make (`simulated` only); only `ok` batches may be sent. */
  readonly batches: readonly ChainBatch[];
  /** Cross-chain transfers the plan wants; the sending chains' batches carry their deposits (`ChainBatch.bridges`). */
  readonly transfers: readonly Transfer[];
};

/** A cycle that valued the portfolio and decided. */
type Valued = { readonly state: PortfolioState; readonly policy: Policy; readonly decision: Decision };
type Unvalued = { readonly state: null; readonly policy: null; readonly decision: null };

/**
 * What one cycle found, decided, planned and simulated: a union on the stage it reached, so callers switch on
 * `stage` (the fields a stage lacks are `null`):
 * - `read-failed`: a chain could not be read and has no previous read; NAV needs every chain, so nothing was valued;
 * - `failed`: a portfolio-level failure (policy resolution, valuation, decision or planning) in `error`;
 * - `hold`: valued and decided; no trigger fired (or something is in flight), so no plan was made;
 * - `gated`: a plan was made and a gate blocked it (empty plan, cost gate, value loss, in flight);
 * - `planned`: the plan passed (or `force`), but no chain had a batch to simulate (no calls, stale, in flight, bridged);
 * - `simulated`: batches were realized and simulated; send only those with `ok`.
 */
export type CycleResult = CycleReads &
  (
    | (Unvalued & { readonly stage: "read-failed"; readonly plan: null; readonly error: null })
    | {
        readonly stage: "failed";
        readonly state: PortfolioState | null;
        readonly policy: Policy | null;
        readonly decision: Decision | null;
        readonly plan: null;
        readonly error: BallastError;
      }
    | (Valued & { readonly stage: "hold"; readonly plan: null; readonly error: null })
    | (Valued & {
        readonly stage: "gated" | "planned" | "simulated";
        readonly plan: Plan;
        readonly error: null;
      })
  );

/** The stage a cycle reached. */
export type CycleStage = CycleResult["stage"];

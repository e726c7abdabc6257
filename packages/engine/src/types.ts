import type { AaveMarketVersion, AavePositions } from "@ballast/aave-v3";
import type { Executor, Guards, InFlightItem, Simulation } from "@ballast/chain";
import type {
  Address,
  Asset,
  BallastError,
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
  Snapshot,
  SwapQuote,
  SwapVenue,
  Transfer,
} from "@ballast/core";
import type { LpPosition, LpPositionKey } from "@ballast/uniswap-v3";
import type { Chain, Client, Transport } from "viem";

/** The viem client the engine reads with (a `PublicClient` fits). The engine never sends. */
export type ReadClient = Client<Transport, Chain | undefined>;

/** The Aave V3 market of a chain. `version` picks the UiPoolDataProvider layout (default "latest"). */
export type AaveSetup = {
  readonly pool: Address;
  readonly poolAddressesProvider: Address;
  readonly uiPoolDataProvider: Address;
  /** "latest" for aave-v3-origin 3.6 (production and the testkit default), "legacy" for v3.0–3.1 periphery. */
  readonly version?: AaveMarketVersion;
};

/** The Uniswap V3 deployment of a chain. `feeTiers` are the tiers the default cost model knows about. */
export type UniswapSetup = {
  readonly factory: Address;
  readonly positionManager: Address;
  readonly quoter: Address;
  readonly router: Address;
  readonly feeTiers: readonly number[];
  /** Pool init code hash override (Uniswap V3 forks). */
  readonly initCodeHash?: `0x${string}`;
};

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
  readonly aave?: AaveSetup;
  readonly uniswap?: UniswapSetup;
  /** Swap venues in preference order: the first whose quote meets the leg's minOut wins. */
  readonly venues: readonly SwapVenue[];
  /** From @ballast/chain; used for encode + simulate only. */
  readonly executor: Executor;
  /** Known LP token ids (hints; the account's NFTs are enumerated in the same call anyway). */
  readonly lpTokenIds?: readonly bigint[];
  /**
   * Cached immutable facts of known LP ids (from the previous {@link CycleResult.lpKeys}): with them the steady state
   * is ONE eth_call; with ids only, the pool and tick reads need a second one.
   */
  readonly lpKeys?: readonly LpPositionKey[];
  /** Multicall3 address (default: the canonical one). */
  readonly multicall3?: Address;
};

/** The static part of a chain setup that resolving sleeves needs: no client, account or executor (e.g. a backtest). */
export type ChainStatics = Pick<ChainSetup, "key" | "chainId" | "tokens" | "aave" | "uniswap">;

/** A sleeve as the user writes it (symbols, not addresses); the engine resolves it against the fetched state. */
export type SleeveSpec = {
  readonly id: string;
  /** A {@link ChainSetup.key}. */
  readonly chain: string;
  readonly kind: "token" | "aave-supply" | "aave-borrow" | "uniswap-v3-lp";
  /** Token symbol (token / aave-supply / aave-borrow sleeves). */
  readonly asset?: string;
  /** LP sleeves: the pool, as `{symbol0, symbol1, fee}` or `"WETH/USDC/500"` (symbols in either order). */
  readonly pool?: { readonly symbol0: string; readonly symbol1: string; readonly fee: number } | string;
  /** LP range half-width in bps of the price for new positions (default 1000 = ±10%). */
  readonly rangeBps?: number;
  /** Signed target weight in bps of NAV (borrow sleeves negative). */
  readonly weightBps: number;
};

/** The policy's rules without its sleeves; the health-factor LTs come from Aave, only the floor is given. */
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
  /** Planner options. Default `{ onNoBridge: "per-chain" }`: the engine does not bridge, so each chain rebalances alone. */
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
   * Price sanity limits (default {@link DEFAULT_PRICE_GUARD}): before any batch is simulated, stale or invalid feeds
   * and sources that disagree hold the whole cycle with a `price-sanity` reason (even with `force`).
   */
  readonly priceGuard?: PriceGuardPolicy;
};

/** A Uniswap V3 pool's state at the snapshot block. */
export type PoolSnapshot = {
  readonly address: Address;
  readonly token0: Address;
  readonly token1: Address;
  readonly fee: number;
  readonly tickSpacing: number;
  readonly sqrtPriceX96: bigint;
  readonly tick: number;
  readonly liquidity: bigint;
};

/** Everything {@link fetchChainSnapshot} read about one chain at one block. */
export type ChainFetch = {
  readonly chainId: number;
  readonly key: string;
  /** Holdings and prices as core data. */
  readonly snapshot: ChainSnapshot;
  /** This chain's entries of the asset registry: its `tokens` plus Aave reserves the account holds. */
  readonly assets: readonly Asset[];
  /** The account's Aave positions, when the chain has a market. */
  readonly aave?: AavePositions;
  /** The account's LP positions (those whose tokens are registered). */
  readonly lpPositions: readonly LpPosition[];
  /** State of the requested pools and of every position's pool, by lower-cased address. */
  readonly pools: ReadonlyMap<string, PoolSnapshot>;
  /** The LP ids the account holds now (for the next cycle). */
  readonly lpTokenIds: bigint[];
  /** Immutable facts of those ids: pass them back as {@link ChainSetup.lpKeys} for a one-call fetch. */
  readonly lpKeys: LpPositionKey[];
  /** eth_calls the fetch made (1 in the steady state). */
  readonly ethCalls: number;
  readonly warnings: readonly string[];
};

/** One leg as realized: its calls (a slice of the batch) and the amounts actually encoded. */
export type RealizedLeg = {
  /** The leg's `step` in the chain plan. */
  readonly step: number;
  readonly action: LegAction | "swap";
  readonly sleeveId?: string;
  /** Calls of this leg (approvals included); empty for `sell` / `buy-hold` and skipped legs. */
  readonly calls: readonly Call[];
  /** Base units per token address actually put in (negative) or guaranteed out (positive). */
  readonly flows: readonly { readonly token: Address; readonly amount: bigint }[];
  /** Why the leg was trimmed or skipped, when it was. */
  readonly note?: string;
};

/** A chain's simulated batch: the calls in leg order, the quotes behind the swaps, the guards and the outcome. */
export type ChainBatch = {
  readonly chainId: number;
  readonly key: string;
  readonly calls: readonly Call[];
  readonly legs: readonly Leg[];
  readonly realized: readonly RealizedLeg[];
  readonly quotes: readonly SwapQuote[];
  /** The post-conditions the simulation checked (and the executor should check again when sending). */
  readonly guards: Guards;
  /** True when the simulation passed: only such a batch may be sent. */
  readonly ok: boolean;
  /** The passing simulation (request to send, gas, guard report); undefined when it failed. */
  readonly simulation: Simulation | undefined;
  /** Why the simulation failed (SimulationFailedError, GuardViolationError, SimulationRequestError, …). */
  readonly error: BallastError | undefined;
  readonly warnings: readonly string[];
};

/** A chain-level failure: its fetch, or the realization of its legs. */
export type ChainError = { readonly chainId: number; readonly key: string; readonly error: BallastError };

/** What one cycle found, decided, planned and simulated. */
export type CycleResult = {
  /** The chains that answered (all of them unless `chainErrors` has a fetch failure). */
  readonly snapshot: Snapshot;
  /** Null when a chain's snapshot is missing (NAV needs every chain) or valuation failed (see `error`). */
  readonly state: PortfolioState | null;
  readonly policy: Policy | null;
  /** Pre-plan decision, completed by the plan's gates when a plan was made; null when no state. */
  readonly decision: Decision | null;
  /** The plan, when the decision fired (or `force`); also kept when a gate then blocked it. */
  readonly plan: Plan | null;
  /** One per chain that has calls to make; only `ok` batches may be sent. */
  readonly batches: readonly ChainBatch[];
  /** Cross-chain transfers the plan wants: reported, never executed in this version. */
  readonly transfers: readonly Transfer[];
  /** Per chain id, the LP ids held now (for the next cycle; the previous ones for a chain whose fetch failed). */
  readonly lpTokenIds: Record<number, bigint[]>;
  /** Per chain id, the LP keys to pass back as `ChainSetup.lpKeys`. */
  readonly lpKeys: Record<number, LpPositionKey[]>;
  /**
   * One chain's failure never stalls the others: a chain that cannot be read is valued from its previous read when
   * one is given (and gets no batch); without one, nothing is planned (NAV needs every chain).
   */
  readonly chainErrors: readonly ChainError[];
  /** This cycle's fresh reads by chain id: pass them back as {@link CycleParams.previousFetches}. */
  readonly fetches: Readonly<Record<number, ChainFetch>>;
  /** Chains valued from a previous read this cycle (their read failed); they get no batch. */
  readonly staleChains: readonly number[];
  /** A portfolio-level failure: policy resolution, valuation or planning. */
  readonly error: BallastError | null;
  readonly warnings: readonly string[];
};

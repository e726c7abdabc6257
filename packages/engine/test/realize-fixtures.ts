/**
 * Fixtures of the chain-free realize tests: a chain with the real Aave V3 adapter over the aave-v3 package's synthetic
 * positions (1 WETH supplied, 1,000 USDC borrowed), and a swap venue, bridge and order route at their interfaces.
 */
import { aaveHoldings, aaveV3Protocol } from "@ballast/aave-v3";
// The aave-v3 package's own synthetic market (its test fixtures, not published), so the adapter's real encoder runs.
import {
  basicPositions,
  POOL,
  USDC as USDC_ADDRESS,
  USER,
  WBTC as WBTC_ADDRESS,
  WETH as WETH_ADDRESS,
} from "@ballast/aave-v3/test-fixtures";
import {
  type Address,
  type Asset,
  type AssetId,
  assetId,
  type BridgeQuote,
  type BridgeRequest,
  type BridgeSettlement,
  type BridgeVenue,
  type Call,
  type ChainPlan,
  type EncodeContext,
  type Holding,
  type LegAction,
  type Plan,
  type Policy,
  type PortfolioState,
  type Protocol,
  type SleeveLeg,
  type SwapLeg,
  type SwapQuote,
  type SwapRequest,
  type SwapVenue,
  type Transfer,
} from "@ballast/core";
import { encodeFunctionData, erc20Abi } from "viem";
import type { ChainFetch, ChainSetup, OrderRoute, RealizedChain, SleeveSlot } from "../src/index.ts";
import { type RealizeChainPlanParameters, realizeChainPlan } from "../src/realize.ts";

export const WAD = 10n ** 18n;
/** One USDC (6 decimals). */
export const E6 = 10n ** 6n;
export const CHAIN_ID = 31337;
export const DEST_CHAIN_ID = 8453;
export const TIMESTAMP = 1_700_000_000n;
export const ROUTER: Address = "0x5000000000000000000000000000000000000005";
export const SPOKE: Address = "0x6000000000000000000000000000000000000006";
export { basicPositions, POOL, USER };

const token = (chainId: number, address: Address, symbol: string, decimals: number): Asset => ({
  id: assetId(chainId, address),
  chainId,
  address,
  symbol,
  decimals,
});
export const WETH = token(CHAIN_ID, WETH_ADDRESS, "WETH", 18);
export const USDC = token(CHAIN_ID, USDC_ADDRESS, "USDC", 6);
export const WBTC = token(CHAIN_ID, WBTC_ADDRESS, "WBTC", 8);
export const DEST_USDC = token(DEST_CHAIN_ID, "0x7000000000000000000000000000000000000007", "USDC", 6);
export const PRICES = new Map<AssetId, bigint>([
  [WETH.id, 2000n * WAD],
  [USDC.id, WAD],
  [WBTC.id, 60_000n * WAD],
  [DEST_USDC.id, WAD],
]);

export const aave = aaveV3Protocol({
  pool: POOL,
  poolAddressesProvider: "0x2000000000000000000000000000000000000002",
  uiPoolDataProvider: "0x2000000000000000000000000000000000000003",
});

/** What the engine gave the adapter for one leg: its context, with `spare` read for every asset. */
export type Seen = {
  readonly step: number;
  readonly ctx: Omit<EncodeContext<unknown>, "spare" | "state">;
  readonly spare: Record<string, bigint>;
};

/** The real Aave adapter, recording what the engine passed it. */
export function recordingAave(): { protocol: Protocol; seen: Seen[] } {
  const seen: Seen[] = [];
  const protocol: Protocol = {
    ...(aave as Protocol),
    encode(leg, ctx) {
      const { spare, state: _state, ...rest } = ctx;
      const spares = Object.fromEntries([WETH, USDC, WBTC].map((a) => [a.symbol, spare(a.id)]));
      seen.push({ step: leg.step, ctx: { ...rest, funded: new Map(ctx.funded) }, spare: spares });
      return aave.encode(leg, ctx as EncodeContext<never>);
    },
  };
  return { protocol, seen };
}

export const approveCall = (tokenAddress: Address, spender: Address, amount: bigint): Call => ({
  to: tokenAddress,
  data: encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [spender, amount] }),
  value: 0n,
});

/** A venue at a fixed rate (output per 1e18 of input, in output base units), or answering `answer` when given. */
export function rateVenue(
  name: string,
  outPerUnit: bigint,
  answer?: (request: SwapRequest, quote: SwapQuote) => SwapQuote,
): SwapVenue & { requests: SwapRequest[] } {
  const requests: SwapRequest[] = [];
  return {
    name,
    requests,
    async quote(request) {
      requests.push(request);
      const amountOut = (request.amountIn * outPerUnit) / WAD;
      const quote: SwapQuote = {
        venue: name,
        chainId: request.chainId,
        tokenIn: request.tokenIn,
        tokenOut: request.tokenOut,
        amountIn: request.amountIn,
        amountOut,
        minAmountOut: request.minAmountOut,
        spender: ROUTER,
        calls: [
          approveCall(request.tokenIn, ROUTER, request.amountIn),
          { to: ROUTER, data: "0x01", value: 0n },
        ],
      };
      return answer ? answer(request, quote) : quote;
    },
  };
}

/** A venue that throws `error` for every request. */
export const failingVenue = (name: string, error: unknown): SwapVenue => ({
  name,
  quote: () => Promise.reject(error),
});

/** Realize never follows a transfer: a test bridge's settlement reads fail loudly if something starts to. */
const unread = (): never => {
  throw new Error("realize does not settle transfers");
};
const unreadSettlement: BridgeSettlement = {
  depositor: unread,
  findDeposit: unread,
  fillState: unread,
  findRefund: unread,
};

/** A bridge that takes `feeIn` of the input (same decimals both ends), or answers `answer` when given. */
export function testBridge(
  feeIn: bigint,
  answer?: (request: BridgeRequest, quote: BridgeQuote) => BridgeQuote | Promise<BridgeQuote>,
): BridgeVenue & { requests: BridgeRequest[] } {
  const requests: BridgeRequest[] = [];
  return {
    name: "testbridge",
    chainId: CHAIN_ID,
    tokens: [USDC.address],
    feeBps: 5,
    fixedUsd: 0n,
    requests,
    settlement: unreadSettlement,
    async quote(request) {
      requests.push(request);
      const quote: BridgeQuote = {
        bridge: "testbridge",
        fromChainId: request.fromChainId,
        toChainId: request.toChainId,
        tokenIn: request.tokenIn,
        tokenOut: request.tokenOut,
        amountIn: request.amountIn,
        amountOut: request.amountIn - feeIn,
        feeIn,
        fillDeadline: request.now + 3600,
        estimatedFillSec: 10,
        spender: SPOKE,
        calls: [
          approveCall(request.tokenIn, SPOKE, request.amountIn),
          { to: SPOKE, data: "0x02", value: 0n },
        ],
        record: {},
      };
      return answer ? answer(request, quote) : quote;
    },
  };
}

/** An order route (1inch Fusion's shape): swaps above `aboveUsd` go as orders; the batch carries the approval. */
export const orderRoute = (aboveUsd: bigint): OrderRoute => ({
  name: "1inch-fusion",
  label: "1inch Fusion order",
  aboveUsd,
  approval: (tokenAddress, amount) => [approveCall(tokenAddress, ROUTER, amount)],
});

const wallet = (amounts: readonly (readonly [Asset, bigint])[]): Holding[] =>
  amounts.map(([a, amount]) => ({
    id: `wallet:${a.id}`,
    chainId: CHAIN_ID,
    protocol: "wallet",
    kind: "token",
    ref: a.id,
    exposures: [{ asset: a.id, amount }],
  }));

/** The chain: its setup (the engine's realize never reads, simulates or sends) and its fetch. */
export function chain(
  opts: {
    protocols?: readonly Protocol[];
    venues?: readonly SwapVenue[];
    bridge?: BridgeVenue;
    orders?: OrderRoute;
    wallet?: readonly (readonly [Asset, bigint])[];
    key?: string;
    chainId?: number;
  } = {},
): { setup: ChainSetup; fetch: ChainFetch } {
  const key = opts.key ?? "local";
  const chainId = opts.chainId ?? CHAIN_ID;
  const setup = {
    key,
    chainId,
    account: USER,
    tokens: [WETH, USDC, WBTC],
    protocols: opts.protocols ?? [aave],
    venues: opts.venues ?? [],
    ...(opts.bridge ? { bridge: opts.bridge } : {}),
    ...(opts.orders ? { orders: opts.orders } : {}),
  } as unknown as ChainSetup;
  const fetch = {
    chainId,
    key,
    snapshot: {
      chainId,
      blockNumber: 1n,
      timestamp: TIMESTAMP,
      // The Aave positions are in the snapshot too: only the wallet's own balances may cover anything.
      holdings: [...wallet(opts.wallet ?? []), ...aaveHoldings(basicPositions())],
      prices: PRICES,
    },
    assets: [WETH, USDC, WBTC],
    reads: { [aave.name]: { holdings: [], prices: new Map(), state: basicPositions() } },
    hints: {},
    ethCalls: 1,
    warnings: [],
  } as unknown as ChainFetch;
  return { setup, fetch };
}

export const state = (prices: ReadonlyMap<AssetId, bigint> = PRICES): PortfolioState =>
  ({
    snapshot: { assets: new Map([WETH, USDC, WBTC, DEST_USDC].map((a) => [a.id, a])), chains: [] },
    prices,
  }) as unknown as PortfolioState;

export const policy = (healthFactorFloorWad?: bigint): Policy =>
  ({
    maxSlippageBps: 50,
    ...(healthFactorFloorWad === undefined
      ? {}
      : { healthFactor: { floorWad: healthFactorFloorWad, liquidationThresholdBps: {} } }),
  }) as unknown as Policy;

/** The resolved sleeves the legs name. */
export const slots = [
  { spec: { id: "aave-usdc" }, protocol: aave.name, kind: "supply", ref: USDC.id, asset: USDC },
  { spec: { id: "aave-weth" }, protocol: aave.name, kind: "supply", ref: WETH.id, asset: WETH },
  { spec: { id: "usdc-debt" }, protocol: aave.name, kind: "debt", ref: USDC.id, asset: USDC },
] as unknown as readonly SleeveSlot[];

const sleeveOf = (action: LegAction, a: Asset): { sleeveId: string; protocol: string; kind: string } =>
  action === "sell" || action === "buy-hold"
    ? { sleeveId: `idle-${a.symbol.toLowerCase()}`, protocol: "wallet", kind: "token" }
    : action === "repay" || action === "borrow"
      ? { sleeveId: `${a.symbol.toLowerCase()}-debt`, protocol: aave.name, kind: "debt" }
      : { sleeveId: `aave-${a.symbol.toLowerCase()}`, protocol: aave.name, kind: "supply" };

/** A sleeve leg on one asset: `sell` and `buy-hold` need no call, every other action is Aave's. */
export function leg(step: number, action: LegAction, a: Asset, amount: bigint, fractionWad = 0n): SleeveLeg {
  const exit = action === "sell" || action === "withdraw" || action === "borrow" || action === "decrease";
  return {
    type: exit ? "exit" : "entry",
    step,
    action,
    chainId: a.chainId,
    ...sleeveOf(action, a),
    ref: a.id,
    holdingIds: [],
    amounts: [{ asset: a.id, amount }],
    fractionWad,
    usd: 0n,
    gasUsd: 0n,
    needsCall: action !== "sell" && action !== "buy-hold",
  } as SleeveLeg;
}

export const swap = (step: number, from: Asset, to: Asset, amountIn: bigint, minOut: bigint): SwapLeg => ({
  type: "swap",
  step,
  chainId: from.chainId,
  assetIn: from.id,
  assetOut: to.id,
  amountIn,
  expectedOut: minOut,
  minOut,
  usd: 0n,
  feeUsd: 0n,
  slippageUsd: 0n,
  gasUsd: 0n,
});

export const transfer = (amount: bigint, expectedReceived: bigint): Transfer => ({
  symbol: "USDC",
  fromChainId: CHAIN_ID,
  toChainId: DEST_CHAIN_ID,
  assetFrom: USDC.id,
  assetTo: DEST_USDC.id,
  amount,
  expectedReceived,
  usd: 0n,
  costUsd: 0n,
  gasUsd: 0n,
});

export const chainPlan = (
  legs: ChainPlan["legs"],
  chainId = CHAIN_ID,
  awaitsTransfers = false,
): ChainPlan => ({
  chainId,
  legs,
  awaitsTransfers,
});

export const plan = (chains: readonly ChainPlan[], transfers: readonly Transfer[] = []): Plan =>
  ({ chains, transfers, guards: { maxValueLossUsd: 7n * WAD } }) as unknown as Plan;

/** The value-loss limit the chain tests realize with. */
export const LOSS = 5n * WAD;

/** `realizeChainPlan` of `legs` on chain `c`, at the fixtures' prices, policy and sleeves. */
export const realize = (
  c: ReturnType<typeof chain>,
  legs: ChainPlan["legs"],
  extra: Partial<RealizeChainPlanParameters> = {},
): Promise<RealizedChain> =>
  realizeChainPlan({
    ...c,
    chainPlan: chainPlan(legs),
    state: state(),
    policy: policy(),
    slots,
    maxValueLossUsd: LOSS,
    ...extra,
  });

/** Each guarded balance change by token symbol (the guard's label starts with it). */
export const deltas = (r: RealizedChain): Record<string, bigint> =>
  Object.fromEntries((r.guards.balanceDeltas ?? []).map((d) => [(d.label ?? "").split(" ")[0], d.min]));

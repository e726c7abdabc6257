/**
 * A two-chain portfolio from DESIGN.md §8, end to end: snapshot + policy → decide → plan → table.
 * Run: cd packages/core && npx tsx examples/rebalance.ts
 */
import {
  type Asset,
  assetId,
  type CostModel,
  decide,
  formatPlanTable,
  formatStatusTable,
  gateDecision,
  type Policy,
  parseUnits,
  plan,
  planToJSON,
  portfolioState,
  type Snapshot,
} from "@ballast/core";

const usd = (x: string) => parseUnits(x, 18);
const token = (chainId: number, address: `0x${string}`, symbol: string, decimals: number): Asset => ({
  id: assetId(chainId, address),
  chainId,
  address,
  symbol,
  decimals,
});
const WETH = token(1, "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "WETH", 18);
const USDC = token(1, "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "USDC", 6);
const bUSDC = token(8453, "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", "USDC", 6);
const POOL = `1:0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640`; // WETH/USDC 0.05%

// What the adapters read (one Multicall per chain). ETH rallied to $3,000: the WETH-heavy sleeves are overweight.
const snapshot: Snapshot = {
  assets: new Map([WETH, USDC, bUSDC].map((a) => [a.id, a])),
  chains: [
    {
      chainId: 1,
      blockNumber: 21_000_000n,
      timestamp: 1_700_000_000n,
      prices: new Map([
        [WETH.id, usd("3000")],
        [USDC.id, usd("1")],
      ]),
      holdings: [
        {
          id: "eth-weth",
          chainId: 1,
          protocol: "wallet",
          kind: "token",
          ref: WETH.id,
          exposures: [{ asset: WETH.id, amount: parseUnits("14", 18) }],
        },
        {
          id: "lp-#4711",
          chainId: 1,
          protocol: "uniswap-v3",
          kind: "lp",
          ref: POOL,
          exposures: [
            { asset: WETH.id, amount: parseUnits("6", 18) },
            { asset: USDC.id, amount: parseUnits("18000", 6) },
          ],
        },
      ],
    },
    {
      chainId: 8453,
      blockNumber: 22_000_000n,
      timestamp: 1_700_000_001n,
      prices: new Map([[bUSDC.id, usd("1")]]),
      holdings: [
        {
          id: "base-ausdc",
          chainId: 8453,
          protocol: "aave-v3",
          kind: "supply",
          ref: bUSDC.id,
          exposures: [{ asset: bUSDC.id, amount: parseUnits("45000", 6) }],
        },
        {
          id: "base-debt",
          chainId: 8453,
          protocol: "aave-v3",
          kind: "debt",
          ref: bUSDC.id,
          exposures: [{ asset: bUSDC.id, amount: -parseUnits("10000", 6) }],
        },
      ],
    },
  ],
};

const policy: Policy = {
  sleeves: [
    { id: "eth-idle", chainId: 1, protocol: "wallet", kind: "token", ref: WETH.id, targetBps: 3000 },
    {
      id: "eth-usdc-lp",
      chainId: 1,
      protocol: "uniswap-v3",
      kind: "lp",
      ref: POOL,
      targetBps: 3500,
      // From the Uniswap adapter: what $1 of this position holds at the current price and range.
      composition: [
        { asset: WETH.id, shareWad: parseUnits("0.5", 18) },
        { asset: USDC.id, shareWad: parseUnits("0.5", 18) },
      ],
    },
    { id: "usdc-aave", chainId: 8453, protocol: "aave-v3", kind: "supply", ref: bUSDC.id, targetBps: 4500 },
    { id: "usdc-debt", chainId: 8453, protocol: "aave-v3", kind: "debt", ref: bUSDC.id, targetBps: -1000 },
  ],
  bands: { absoluteBps: 500, relativeBps: 2500 }, // the 5/25 rule
  calendarSeconds: 7 * 86_400,
  cooldownSeconds: 3_600,
  rebalanceTo: "target",
  minTradeUsd: usd("100"),
  maxSlippageBps: 30,
  maxValueLossBps: 50,
  maxCostOfDriftRemovedBps: 1_000,
  healthFactor: { floorWad: usd("1.8"), liquidationThresholdBps: { [bUSDC.id]: 7800 } },
};

const costModel: CostModel = {
  swap: { default: { feeBps: 5, slippageBps: 10 } },
  gasUsd: {
    default: {
      swap: usd("0.05"),
      supply: usd("0.03"),
      borrow: usd("0.04"),
      repay: usd("0.03"),
      withdraw: usd("0.03"),
    },
    chains: [
      { chainId: 1, gas: { swap: usd("6"), increase: usd("5"), decrease: usd("5"), withdraw: usd("4") } },
    ],
  },
  bridges: [
    { symbol: "USDC", fromChainId: 1, toChainId: 8453, feeBps: 4, fixedUsd: usd("2") },
    { symbol: "USDC", fromChainId: 8453, toChainId: 1, feeBps: 4, fixedUsd: usd("4") },
  ],
};

const now = 1_700_003_600;
const state = portfolioState(snapshot, policy);
console.log(formatStatusTable(state), "\n");
const decision = decide(state, policy, { now, lastRebalanceAt: now - 2 * 86_400 });
for (const r of decision.reasons) console.log(`${r.fired ? "✔" : "·"} ${r.rule}: ${r.detail}`);
if (decision.fire) {
  const p = plan(state, costModel, { now });
  const final = gateDecision(decision, p, policy);
  console.log(`\n${formatPlanTable(p, snapshot.assets)}\n`);
  console.log(`execute: ${final.fire}`);
  console.log(`plan JSON: ${planToJSON(p).length} bytes, id ${p.id}`);
}

// One dry-run cycle for an account on Ethereum: read it in one eth_call, value it, decide, plan, realize, simulate.
// Nothing is signed or sent. NETWORK (JSON, the shape below) and RPC_URL point it at another deployment (the package
// test: a local anvil with Aave 3.6 and Uniswap V3); ACCOUNT is the portfolio's EIP-7702 account.
import { aaveMarkets, aavePoolKind } from "@ballast/aave-v3";
import { createChainClients, eip7702Executor } from "@ballast/chain";
import { type Address, assetId, formatPlanTable, formatStatusTable, formatUsd } from "@ballast/core";
import { type ChainSetup, type PolicyRules, protocolsOf, runCycle, type SleeveSpec } from "@ballast/engine";
import { UNISWAP_V3_MAINNET, uniswapSwapRouterKind, uniswapV3Venue } from "@ballast/uniswap-v3";

const env = process.env;
const network = env.NETWORK
  ? JSON.parse(env.NETWORK)
  : {
      aave: aaveMarkets.AaveV3Ethereum,
      uniswap: UNISWAP_V3_MAINNET,
      WETH: "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
      USDC: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
      simple7702Account: "0x4Cd241E8d1510e30b2076397afc7508Ae59C66c9", // eth-infinitism v0.8
    };
const account = env.ACCOUNT as Address;
const clients = createChainClients({
  chain: 1,
  rpcUrls: [env.RPC_URL ?? "https://ethereum-rpc.publicnode.com"],
});
const { aave, uniswap, WETH, USDC } = network;

const ethereum: ChainSetup = {
  key: "ethereum",
  chainId: 1,
  client: clients.public,
  account,
  tokens: [
    { id: assetId(1, WETH), chainId: 1, address: WETH, symbol: "WETH", decimals: 18 },
    { id: assetId(1, USDC), chainId: 1, address: USDC, symbol: "USDC", decimals: 6 },
  ],
  protocols: protocolsOf({
    aave,
    uniswap: { ...uniswap, quoter: uniswap.quoterV2, router: uniswap.swapRouter, feeTiers: [500, 3000] },
  }),
  venues: [uniswapV3Venue({ client: clients.public, quoter: uniswap.quoterV2, router: uniswap.swapRouter })],
  // Simulate-only (no transaction manager, no key); its firewall allows exactly these tokens and contracts.
  executor: eip7702Executor({
    clients,
    account,
    implementation: network.simple7702Account,
    firewall: {
      chainId: 1,
      accounts: [account],
      tokens: [WETH, USDC],
      contracts: [
        { address: aave.pool, kind: aavePoolKind },
        { address: uniswap.swapRouter, kind: uniswapSwapRouterKind },
      ],
      delegation: network.simple7702Account,
    },
  }),
};
// Half in WETH, half supplied to Aave as USDC; rebalance past the 5/25 bands.
const sleeves: SleeveSpec[] = [
  { id: "eth", chain: "ethereum", kind: "token", asset: "WETH", weightBps: 5000 },
  { id: "usdc-aave", chain: "ethereum", kind: "aave-supply", asset: "USDC", weightBps: 5000 },
];
const rules: PolicyRules = {
  bands: { absoluteBps: 500, relativeBps: 2500 },
  rebalanceTo: "target",
  minTradeUsd: 100n * 10n ** 18n,
  maxSlippageBps: 100,
  maxValueLossBps: 100,
};

const r = await runCycle({ chains: [ethereum], sleeves, rules, now: Math.floor(Date.now() / 1000) });
if (r.error || r.chainErrors.length) throw r.error ?? r.chainErrors[0]!.error;
if (!r.state || !r.decision) throw new Error(`no valuation (stage ${r.stage})`);
console.log(formatStatusTable(r.state));
console.log(`NAV ${formatUsd(r.state.navUsd)} fire ${r.decision.fire}`);
if (r.plan) console.log(formatPlanTable(r.plan, r.snapshot.assets));
for (const b of r.batches) {
  const outcome = b.ok ? `simulated ok, gas ${b.simulation?.gasUsed}` : `refused: ${b.error?.message}`;
  console.log(`batch ${b.key} ${outcome}`);
  for (const call of b.calls) console.log(`call ${call.to} ${call.data}`);
}
// To send: executor.execute(b.calls, { planId: r.plan.id, guards: b.guards }) with a transaction manager; next cycle,
// pass r.hints[1] back as ChainSetup.hints (one eth_call per chain).

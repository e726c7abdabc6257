import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeBorrow, encodeSupply, fetchAavePositions } from "@ballast/aave-v3";
import type { Call } from "@ballast/core";
import {
  ANVIL_PRIVATE_KEYS,
  fund,
  sendAndWait,
  startTestChain,
  TEST_ACCOUNT_INDEX,
  type TestChain,
  testkitAaveMarket,
} from "@ballast/testkit";
import { encodeMint, poolAbi, rangeAround } from "@ballast/uniswap-v3";
import { type Address, type PrivateKeyAccount, parseUnits } from "viem";
import { loadConfig } from "./config.ts";
import { openJournal } from "./journal.ts";
import type { Keeper } from "./keeper.ts";
import { createLogger } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import { buildRuntime } from "./setup.ts";

/** The two local chains of the demo and the end-to-end tests, by config key. */
export type DemoChains = { ethereum: TestChain; base: TestChain };

/** The demo's LP range half-width (bps) and the portfolio's target, in the order of the config's sleeves. */
export const DEMO_RANGE_BPS = 2_500;

async function send(chain: TestChain, account: PrivateKeyAccount, calls: readonly Call[]): Promise<void> {
  const wallet = chain.walletClient(account);
  for (const call of calls) await sendAndWait(chain, wallet, { ...call, gas: 1_500_000n }, "demo seeding");
}

/**
 * Builds the demo portfolio (≈ $100k at ETH = $3,000) for `account`:
 * - ethereum: idle WETH (25%) and a WETH/USDC 0.05% LP, ±25% around the price (25%);
 * - base: WETH supplied to Aave (45%), USDC borrowed against it (−10%), idle USDC (15%).
 * Every position is opened with the real contracts through the adapters' own encoders.
 */
export async function seedDemoPortfolio(chains: DemoChains, account: PrivateKeyAccount): Promise<void> {
  const me: Address = account.address;
  const { ethereum: a, base: b } = chains;
  await Promise.all([
    fund(a, { account: me, token: "ETH", amount: parseUnits("10", 18) }),
    fund(b, { account: me, token: "ETH", amount: parseUnits("10", 18) }),
  ]);
  await fund(a, { account: me, token: "WETH", amount: parseUnits("12", 18) });
  await fund(a, { account: me, token: "USDC", amount: parseUnits("14000", 6) });
  await fund(b, { account: me, token: "WETH", amount: parseUnits("15", 18) });
  await fund(b, { account: me, token: "USDC", amount: parseUnits("5000", 6) });

  // ethereum: the LP. USDC is the limiting side; the WETH it leaves stays idle (the WETH sleeve).
  const pool = a.deployment.uniswap.pools["WETH/USDC/500"];
  if (!pool) throw new Error("testkit has no WETH/USDC/500 pool");
  const [sqrtPriceX96, tick] = await a.publicClient.readContract({
    address: pool.address,
    abi: poolAbi,
    functionName: "slot0",
  });
  const range = rangeAround({ tick, tickSpacing: pool.tickSpacing, widthBps: DEMO_RANGE_BPS });
  const wethIs0 = pool.token0.toLowerCase() === a.deployment.tokens.WETH.address.toLowerCase();
  const weth = parseUnits("5", 18);
  const usdc = parseUnits("14000", 6); // ±25% around the price, the LP is ~44% WETH: ≈ $25k
  const { calls } = encodeMint({
    positionManager: a.deployment.uniswap.positionManager,
    token0: pool.token0,
    token1: pool.token1,
    fee: pool.fee,
    tickSpacing: pool.tickSpacing,
    ...range,
    amount0Desired: wethIs0 ? weth : usdc,
    amount1Desired: wethIs0 ? usdc : weth,
    sqrtPriceX96,
    slippageBps: 100,
    recipient: me,
    deadline: BigInt(Math.floor(Date.now() / 1000) + 3_600),
  });
  await send(a, account, calls);

  // base: supply WETH, borrow USDC against it.
  const market = testkitAaveMarket(b.deployment);
  const before = await fetchAavePositions(b.publicClient, { market, user: me });
  await send(
    b,
    account,
    encodeSupply({
      positions: before,
      asset: b.deployment.tokens.WETH.address,
      amount: parseUnits("15", 18),
    }),
  );
  const supplied = await fetchAavePositions(b.publicClient, { market, user: me });
  await send(
    b,
    account,
    encodeBorrow({
      positions: supplied,
      asset: b.deployment.tokens.USDC.address,
      amount: parseUnits("10000", 6),
    }),
  );
}

/** One `chains.<key>` entry of a config for a testkit chain (WETH, USDC, its Aave market and Uniswap V3). */
export function testkitChainYaml(
  key: string,
  c: TestChain,
  opts: {
    keyVar: string;
    rpc?: string;
    name?: string;
    blockTime?: string;
    address?: string;
    rpcTimeout?: string;
  },
): string {
  const d = c.deployment;
  const t = d.tokens;
  return `  ${key}:
    chainId: ${c.chainId}
    name: ${opts.name ?? key}${opts.blockTime ? `\n    blockTime: ${opts.blockTime}` : ""}
    rpc: ["${opts.rpc ?? c.rpcUrl}"]${opts.rpcTimeout ? `\n    rpcTimeout: ${opts.rpcTimeout}` : ""}
    account: { type: eip7702, key: env:${opts.keyVar}, implementation: "${d.simple7702Account}"${opts.address ? `, address: "${opts.address}"` : ""} }
    tokens:
      WETH: { address: "${t.WETH.address}", decimals: ${t.WETH.decimals} }
      USDC: { address: "${t.USDC.address}", decimals: ${t.USDC.decimals} }
    aave:
      poolAddressesProvider: "${d.aave.poolAddressesProvider}"
      pool: "${d.aave.pool}"
      uiPoolDataProvider: "${d.aave.uiPoolDataProvider}"
      version: ${testkitAaveMarket(d).version}
    uniswap:
      factory: "${d.uniswap.factory}"
      positionManager: "${d.uniswap.positionManager}"
      quoter: "${d.uniswap.quoterV2}"
      router: "${d.uniswap.swapRouter}"
      feeTiers: [500, 3000]
    swap: [uniswap-v3]
`;
}

/** The demo's config file for two testkit chains (the key is read from `env:BALLAST_DEMO_KEY`). */
export function demoConfigYaml(
  chains: DemoChains,
  opts: {
    journal: string;
    cooldown?: string;
    rpc?: Partial<Record<keyof DemoChains, string>>;
    /** The account's address, so read-only commands run without the key. */
    address?: string;
    /** `keeper.tick` (default `block`). */
    tick?: string;
    /** `keeper.confirmTimeout` (default the config's). */
    confirmTimeout?: string;
    /** Every chain's `rpcTimeout` (default the config's). */
    rpcTimeout?: string;
    /** Every chain's `blockTime`, for chains mined faster than their chain id's (default the known chain's). */
    blockTime?: string;
    /** `policy.bands` (default the demo's `{ absolute: 2%, relative: 10% }`). */
    bands?: string;
    /** The Across API's URL: USDC bridges between the chains through their SpokePools (default no bridge). */
    across?: string;
  },
): string {
  const chain = (key: keyof DemoChains, c: TestChain) =>
    testkitChainYaml(key, c, {
      keyVar: "BALLAST_DEMO_KEY",
      rpc: opts.rpc?.[key] ?? c.rpcUrl,
      name: `${key} (local anvil)`,
      ...(opts.address ? { address: opts.address } : {}),
      ...(opts.rpcTimeout ? { rpcTimeout: opts.rpcTimeout } : {}),
      ...(opts.blockTime ? { blockTime: opts.blockTime } : {}),
    }) + (opts.across ? acrossChainYaml(c) : "");
  return `# Written by \`ballast demo\`: two local anvil chains with the real Aave V3, Uniswap V3${opts.across ? " and Across" : ""}.
chains:
${chain("ethereum", chains.ethereum)}${chain("base", chains.base)}
${opts.across ? acrossYaml({ api: opts.across }) : ""}policy:
  sleeves:
    - { id: eth-idle,    chain: ethereum, kind: token,         asset: WETH, weight: 25% }
    - { id: eth-usdc-lp, chain: ethereum, kind: uniswap-v3-lp, pool: WETH/USDC/500, range: ${DEMO_RANGE_BPS / 100}%, weight: 25% }
    - { id: weth-aave,   chain: base,     kind: aave-supply,   asset: WETH, weight: 45% }
    - { id: usdc-idle,   chain: base,     kind: token,         asset: USDC, weight: 15% }
    - { id: usdc-debt,   chain: base,     kind: aave-borrow,   asset: USDC, weight: -10% }
  bands: ${opts.bands ?? "{ absolute: 2%, relative: 10% }"}
  cooldown: ${opts.cooldown ?? "1h"}
  rebalanceTo: target
  minTrade: 50 USD
  maxSlippage: 1%
  maxValueLoss: 1%
  healthFactorFloor: 1.8
  maxCostOfDriftRemoved: 20%
keeper:
  tick: ${opts.tick ?? "block"}
  journal: ${opts.journal}
  listen: 127.0.0.1:0
${opts.confirmTimeout ? `  confirmTimeout: ${opts.confirmTimeout}\n` : ""}`;
}

/**
 * The cross-chain portfolio of the bridge tests and bench (≈ $100k): ethereum holds 5 WETH and 45k USDC idle (~60% of
 * NAV against a 45% target), base 40k USDC idle with nothing supplied; only USDC can cross.
 */
export async function seedBridgePortfolio(chains: DemoChains, account: Address): Promise<void> {
  const { ethereum: a, base: b } = chains;
  await Promise.all([
    fund(a, { account, token: "ETH", amount: parseUnits("10", 18) }),
    fund(b, { account, token: "ETH", amount: parseUnits("10", 18) }),
  ]);
  await fund(a, { account, token: "WETH", amount: parseUnits("5", 18) });
  await fund(a, { account, token: "USDC", amount: parseUnits("45000", 6) });
  await fund(b, { account, token: "USDC", amount: parseUnits("40000", 6) });
}

/** A testkit chain's `across` entry (indented under `chains.<key>`): its SpokePool, USDC bridged. */
const acrossChainYaml = (c: TestChain): string =>
  `    across: { spokePool: "${c.deployment.across.spokePool}", tokens: [USDC] }\n`;

/** The config's top-level `across` section: the API at `api`, the fee limit and the fill window. */
const acrossYaml = (opts: { api: string; maxFee?: string; fillDeadline?: string }): string => `across:
  api: ${opts.api}
  maxFee: ${opts.maxFee ?? "0.5%"}
  fillDeadline: ${opts.fillDeadline ?? "1h"}
`;

/** The config of {@link seedBridgePortfolio}: Across on both chains (USDC), the API at `api`, ethereum over target. */
export function bridgeConfigYaml(
  chains: DemoChains,
  opts: { api: string; journal: string; maxFee?: string; fillDeadline?: string; tick?: string },
): string {
  const chain = (key: keyof DemoChains) =>
    testkitChainYaml(key, chains[key], { keyVar: "BALLAST_DEMO_KEY" }) + acrossChainYaml(chains[key]);
  return `chains:
${chain("ethereum")}${chain("base")}
${acrossYaml(opts)}policy:
  sleeves:
    - { id: eth-weth,  chain: ethereum, kind: token,       asset: WETH, weight: 15% }
    - { id: eth-usdc,  chain: ethereum, kind: token,       asset: USDC, weight: 30% }
    - { id: base-usdc, chain: base,     kind: token,       asset: USDC, weight: 10% }
    - { id: base-aave, chain: base,     kind: aave-supply, asset: USDC, weight: 45% }
  bands: { absolute: 2%, relative: 10% }
  cooldown: 1h
  minTrade: 50 USD
  maxSlippage: 1%
  maxValueLoss: 1%
  maxCostOfDriftRemoved: 20%
keeper:
  tick: ${opts.tick ?? "1s"}
  journal: ${opts.journal}
  listen: 127.0.0.1:0
  confirmTimeout: 30s
`;
}

/** The config file {@link openDemoKeeper} writes in its directory. */
export const DEMO_CONFIG_FILE = "ballast.yaml";

/** Starts the demo's two local chains (ethereum, chain 1; base, chain 8453) from the testkit's cached deployment. */
export async function startDemoChains(): Promise<DemoChains> {
  const [ethereum, base] = await Promise.all([
    startTestChain({ chainId: 1 }),
    startTestChain({ chainId: 8453 }),
  ]);
  return { ethereum, base };
}

/** The demo key's environment (`env:BALLAST_DEMO_KEY` in the demo config: the testkit's keeper account). */
export const demoEnv = (): Record<string, string> => ({
  BALLAST_DEMO_KEY: ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX.keeper],
});

/** Options of {@link openDemoKeeper}. */
export type OpenDemoKeeperOptions = {
  /** `policy.cooldown` (default the demo's 1h). */
  readonly cooldown?: string;
  /** Rewrites the config text before it is written (tighter bands, block times, …). */
  readonly edit?: (yaml: string) => string;
  /** The clients' polling interval, ms. */
  readonly pollingIntervalMs?: number;
  /** The Across API's URL: the config bridges USDC between the chains (default no bridge). */
  readonly across?: string;
};

/**
 * The demo's keeper as `ballast run` builds it: the demo config written to `dir/ballast.yaml` (journal beside it),
 * loaded with the demo key, its journal opened, every chain's runtime built with the key, logs silent. The one set-up
 * of `ballast demo` and the benches that run the demo portfolio (`bench/drift.ts`, `bench/react.ts`).
 */
export async function openDemoKeeper(
  chains: DemoChains,
  dir: string,
  opts: OpenDemoKeeperOptions = {},
): Promise<Keeper> {
  const file = join(dir, DEMO_CONFIG_FILE);
  const yaml = demoConfigYaml(chains, {
    journal: join(dir, "ballast.db"),
    ...(opts.cooldown ? { cooldown: opts.cooldown } : {}),
    ...(opts.across ? { across: opts.across } : {}),
  });
  writeFileSync(file, opts.edit ? opts.edit(yaml) : yaml);
  const env = demoEnv();
  const config = loadConfig(file, env);
  const journal = await openJournal(config.keeper.journal);
  const chainsRuntime = buildRuntime(config, env, {
    store: journal.txStore,
    needKeys: true,
    ...(opts.pollingIntervalMs ? { pollingIntervalMs: opts.pollingIntervalMs } : {}),
  });
  return {
    config,
    chains: chainsRuntime,
    journal,
    metrics: createMetrics(),
    log: createLogger({ level: "silent", pretty: false }),
  };
}

/**
 * The commented example `ballast init` writes: two public chains, every sleeve kind. With the keeper's `address`,
 * each account names it, so `status` and `plan` run without the key.
 */
export function exampleConfig(address?: string): string {
  if (!address) return EXAMPLE_CONFIG;
  return EXAMPLE_CONFIG.replaceAll(
    "account: { type: eip7702, key: env:BALLAST_KEY }",
    `account: { type: eip7702, key: env:BALLAST_KEY, address: "${address}" }`,
  );
}

/** {@link exampleConfig} without an address. */
export const EXAMPLE_CONFIG = `# ballast.yaml — one portfolio over two chains.
# Validate with \`ballast status\`; every error names the field and what was expected.

chains:
  ethereum:
    chainId: 1
    # Fallback order; ranked by health at run time. \${VAR} is read from the environment.
    rpc: ["\${ETH_RPC_URL}"]
    # Optional send-only endpoint (a private / MEV-protected relay): transactions go there, reads stay on rpc.
    # sendRpc: "\${ETH_SEND_RPC_URL}"
    # Price feeds with a heartbeat shorter than maxPriceAge (README "Price sanity"): ETH/USD beats hourly here.
    priceFeeds:
      WETH: { maxAge: 75m }
    # The keeper's EOA, delegated to Simple7702Account (EIP-7702) — one atomic batch per chain.
    # key: env:NAME, or { keystore: ./key.json, password: env:NAME } (Web3 Secret Storage v3).
    # address lets read-only commands (status, plan) run without the key.
    account: { type: eip7702, key: env:BALLAST_KEY }
    # Or a Safe 1.3.0 with the keeper enabled as a module:
    # account: { type: safe, safe: "0x…", as: module, key: env:BALLAST_KEY }
    tokens:
      WETH: { address: "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", decimals: 18 }
      USDC: { address: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", decimals: 6 }
    aave: AaveV3Ethereum            # a known market, or { poolAddressesProvider, pool, uiPoolDataProvider }
    uniswap:
      factory: "0x1F98431c8aD98523631AE4a59f267346ea31F984"
      positionManager: "0xC36442b4a4522E871399CD717aBDD847Ab11FE88"
      quoter: "0x61fFE014bA17989E743c5F6cB21bF9697530B21e"
      router: "0xE592427A0AEce92De3Edee1F18E0157C05861564"
      feeTiers: [500, 3000]
    swap: [uniswap-v3]              # venue preference; add 1inch with oneInch: { apiKey: env:ONEINCH_KEY }
    maxFeePerGasGwei: 80            # hard cap, replacements included
    explorer: https://etherscan.io  # the dashboard links transactions here
    # Cross-chain moves through Across (README "Cross-chain transfers"): this chain's SpokePool and what may leave it.
    # across: { spokePool: "0x5c7BCd6E7De5423a257D81B442095A1a6ced35C5", tokens: [USDC] }
  arbitrum:
    chainId: 42161
    rpc: ["\${ARB_RPC_URL}"]
    account: { type: eip7702, key: env:BALLAST_KEY }
    tokens:
      USDC: { address: "0xaf88d065e77c8cC2239327C5EDb3A432268e5831", decimals: 6 }
      WETH: { address: "0x82aF49447D8a07e3bd95BD0d56f35241523fBab1", decimals: 18 }
    aave: AaveV3Arbitrum
    uniswap:
      factory: "0x1F98431c8aD98523631AE4a59f267346ea31F984"
      positionManager: "0xC36442b4a4522E871399CD717aBDD847Ab11FE88"
      quoter: "0x61fFE014bA17989E743c5F6cB21bF9697530B21e"
      router: "0xE592427A0AEce92De3Edee1F18E0157C05861564"
    # across: { spokePool: "0xe35e9842fceaCA96570B734083f4a58e8F7C5f2A", tokens: [USDC] }

# across: { api: https://app.across.to/api, apiKey: env:ACROSS_API_KEY, maxFee: 0.5%, fillDeadline: 1h }

policy:
  sleeves:
    - { id: eth-idle,    chain: ethereum, kind: token,         asset: WETH, weight: 30% }
    - { id: eth-usdc-lp, chain: ethereum, kind: uniswap-v3-lp, pool: WETH/USDC/500, range: 10%, weight: 35% }
    - { id: usdc-aave,   chain: arbitrum, kind: aave-supply,   asset: USDC, weight: 45% }
    - { id: usdc-debt,   chain: arbitrum, kind: aave-borrow,   asset: USDC, weight: -10% }
  bands: { absolute: 5%, relative: 25% }   # fire when a sleeve is 5 points or 25% of its target away
  calendar: 7d                             # and at least weekly
  cooldown: 1h
  rebalanceTo: target                      # or band-edge
  minTrade: 100 USD
  maxSlippage: 0.3%
  maxValueLoss: 0.5%                       # of NAV, per rebalance, checked in simulation
  healthFactorFloor: 1.8
  maxCostOfDriftRemoved: 10%               # cost gate
  # bridge: { premium: 0.1%, objective: cost }   # what a cross-chain move must save (or objective: least-bridging)
  # fusion: { aboveUsd: 250000 USD, preset: medium, maxWait: 30m, retry: atomic }   # large swaps as 1inch Fusion orders
  # Price sanity (README "Price sanity"): hold when the oracle, a pool and a quote disagree, or a feed is stale.
  maxPriceDeviation: 1%
  maxPriceAge: 25h                         # any Chainlink feed without its own chains.<name>.priceFeeds maxAge
  # Risk controls (README "Risk controls"); the defaults suit a portfolio around $100k: size them to yours.
  limits:
    maxTradeUsd: 50000 USD                  # largest single leg
    maxCycleUsd: 100000 USD                 # largest turnover of one cycle, all chains
    maxDailyUsd: 250000 USD                 # rolling 24 h, all chains
    onExceed: scale                         # or hold
    maxLossUsd: 2500 USD                    # realised cost over lossWindow that trips the circuit breaker
    lossWindow: 24h
    maxConsecutiveFailures: 3               # failed or refused batches in a row that trip it on a chain

keeper:
  tick: block                              # or an interval such as 30s
  journal: ./ballast.db
  listen: 127.0.0.1:9464                   # /metrics, /healthz and the dashboard (http://127.0.0.1:9464/)
  confirmTimeout: 2m                       # a batch not final by then stays in flight; its chain holds
  unhealthyAfter: 3                        # /healthz fails after this many unreadable cycles of a chain
  # dashboard: { token: env:DASHBOARD_TOKEN }   # required to listen beyond 127.0.0.1
  # alerts:
  #   sinks:
  #     - { type: slack, url: env:SLACK_WEBHOOK_URL }
  #     - { type: telegram, token: env:TELEGRAM_BOT_TOKEN, chatId: "-1001234567890" }
  #   staleAfter: 5m
`;

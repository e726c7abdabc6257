export * from "./abis.ts";
export * from "./accounts.ts";
export * from "./across.ts";
export * from "./across-api.ts";
export * from "./across-relayer.ts";
export { type Anvil, anvilArgs, resolveAnvilBinary, type StartAnvilParameters, startAnvil } from "./anvil.ts";
export {
  type Artifact,
  type ArtifactName,
  linkBytecode,
  loadArtifact,
  multicall3CreationCode,
} from "./artifacts.ts";
export { type CachedState, DEFAULT_CACHE_DIR, ensureCachedState, stateCacheKey } from "./cache.ts";
export {
  connectTestChain,
  forkUrlFromEnv,
  type StartTestChainParameters,
  startTestChain,
  TEST_POLLING_INTERVAL_MS,
  type TestChain,
} from "./chain.ts";
export {
  AAVE_36_SOLC_SETTINGS,
  AAVE_36_SOURCES,
  type Aave36Artifacts,
  type Aave36ContractName,
  aave36ArtifactsKey,
  compileAave36,
  ensureAave36Artifacts,
} from "./compile.ts";
export * from "./config.ts";
export * from "./countingProxy.ts";
export { computePoolAddress, deployProtocols } from "./deploy.ts";
export * from "./deployment.ts";
export * from "./eip7702.ts";
export * from "./errors.ts";
export * from "./feed.ts";
export * from "./fund.ts";
export * from "./fusion.ts";
export * from "./fusion-api.ts";
export * from "./fusion-resolver.ts";
export * from "./poll.ts";
export {
  type Postgres,
  type StartPostgresParameters,
  startPostgres,
  TEST_POSTGRES_ENV,
  testDatabase,
} from "./postgres.ts";
export * from "./price.ts";
export { killLiveAnvils, liveAnvilPids, reapOrphanAnvils, registryDir } from "./reaper.ts";
export * from "./rpcProxy.ts";
export * from "./safe.ts";
export * from "./stand-in.ts";
export { startTcpProxy, type TcpProxy } from "./tcpProxy.ts";
export * from "./time.ts";
export { HELPER_GAS, sendAndWait, waitForSuccess } from "./tx.ts";
export * from "./uniswap-math.ts";

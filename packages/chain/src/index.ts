export * from "./abis.ts";
export * from "./address.ts";
export * from "./clients.ts";
export * from "./decode.ts";
export * from "./eip7702.ts";
export * from "./errors.ts";
export type {
  ExecuteOptions,
  ExecutionResult,
  Executor,
  ExecutorKind,
  SimulateOptions,
  Simulation,
} from "./executor.ts";
export * from "./fees.ts";
export * from "./firewall.ts";
export * from "./guards.ts";
export * from "./inflight.ts";
export * from "./multicall.ts";
export * from "./registry.ts";
export * from "./rpc.ts";
export * from "./safe.ts";
export * from "./simulate.ts";
export * from "./sleep.ts";
export * from "./store.ts";
export * from "./txManager.ts";

export * from "./cost.ts";
export * from "./cycle.ts";
export * from "./errors.ts";
export * from "./fetch.ts";
export * from "./policy.ts";
export * from "./prices.ts";
export * from "./realize.ts";
export * from "./simulate.ts";
export type * from "./types.ts";

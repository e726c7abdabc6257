export * from "./account.ts";
export * from "./chart.ts";
export * from "./errors.ts";
export * from "./format.ts";
export * from "./history.ts";
export * from "./run.ts";
export * from "./world.ts";

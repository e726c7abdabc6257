export * from "./account.ts";
export * from "./errors.ts";
export * from "./history.ts";
export * from "./run.ts";
export * from "./world.ts";

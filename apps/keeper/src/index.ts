export * from "./config.ts";
export * from "./daemon.ts";
export * from "./journal.ts";
export * from "./keeper.ts";
export * from "./metrics.ts";
export * from "./secrets.ts";
export * from "./setup.ts";

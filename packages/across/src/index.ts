export * from "./abi.ts";
export * from "./api.ts";
export * from "./deposit.ts";
export * from "./errors.ts";
export * from "./fill.ts";
export * from "./http.ts";
export * from "./quote.ts";
export * from "./schemas.ts";

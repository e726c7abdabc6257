/** `@ballast/keeper/dashboard`: the dashboard's journal store and JSON API, for tools that measure or embed them. */
export * from "./api.ts";
export * from "./store.ts";
export * from "./view.ts";

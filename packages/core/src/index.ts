export * from "./errors.ts";
export * from "./math.ts";
export * from "./model.ts";
export * from "./venue.ts";

export * from "./schema.ts";
export * from "./setup.ts";
export * from "./units.ts";

/**
 * `@ballast/chain/bench` (workspace only, never published): the realistic rebalance the chain tests and
 * `pnpm bench:gas` share, on the testkit market.
 */
export * from "./gas.ts";
export * from "./rebalance.ts";

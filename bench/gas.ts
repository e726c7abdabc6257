/**
 * `pnpm bench:gas` — gas of one rebalance (withdraw from Aave, swap, supply to Aave, add to an LP) on the
 * local real contracts, as one EIP-7702 batch and as the same legs sent separately; prints `ratio: 0.xx`.
 * Starts a testkit anvil and always stops it.
 */
import { runGasBench } from "@ballast/chain/bench";

try {
  await runGasBench();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
}

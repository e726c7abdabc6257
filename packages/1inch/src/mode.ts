/** How a swap leg settles: inside the account's atomic batch, or later through a Fusion intent order. */
export type SwapMode = "atomic" | "async";

/** Parameters of {@link chooseSwapMode}: USD amounts as 18-decimal bigints. */
export type ChooseSwapModeParameters = {
  /** The leg's size in USD (wad). */
  readonly amountUsd: bigint;
  /** The policy's Fusion threshold in USD (wad); absent means "never use Fusion". */
  readonly fusionAboveUsd?: bigint | undefined;
};

/**
 * Picks "async" (a Fusion order, settled by resolvers; the next cycle sees the proceeds) for legs strictly
 * above the policy's threshold, "atomic" (Swap API calldata inside the batch) otherwise. Pure.
 */
export function chooseSwapMode(params: ChooseSwapModeParameters): SwapMode {
  return params.fusionAboveUsd !== undefined && params.amountUsd > params.fusionAboveUsd ? "async" : "atomic";
}

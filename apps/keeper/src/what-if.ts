import { BallastError, parseUnits } from "@ballast/core";

/** A `--what-if` text the keeper cannot read, or a symbol no configured token has: exit code 2. */
export class WhatIfError extends BallastError {
  override name = "WhatIfError";
}

/**
 * Parses `--what-if` price moves, "ETH=-20%,BTC=+5%" (percent with up to 4 decimals, above −100%), into exact factors
 * by upper-cased symbol: "-20%" is 800,000 / 1,000,000. Throws {@link WhatIfError} naming the bad item.
 */
export function parsePriceMoves(text: string): Map<string, { num: bigint; den: bigint }> {
  const moves = new Map<string, { num: bigint; den: bigint }>();
  const den = 1_000_000n;
  for (const item of text.split(",").map((x) => x.trim())) {
    const m = /^([A-Za-z][A-Za-z0-9.]*)\s*=\s*([+-]?\d+(?:\.\d{1,4})?)\s*%$/.exec(item);
    if (!m)
      throw new WhatIfError(`--what-if: cannot read "${item}"`, {
        details: 'Write SYMBOL=±N%, comma-separated, e.g. --what-if "ETH=-20%,BTC=+5%".',
      });
    const symbol = (m[1] as string).toUpperCase();
    const num = den + parseUnits((m[2] as string).replace("+", ""), 4, "--what-if");
    if (num <= 0n)
      throw new WhatIfError(`--what-if: ${item} would take the price of ${symbol} to zero or below`);
    if (moves.has(symbol)) throw new WhatIfError(`--what-if: ${symbol} is moved twice`);
    moves.set(symbol, { num, den });
  }
  return moves;
}

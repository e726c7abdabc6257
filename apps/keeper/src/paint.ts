/** ANSI styles for tables and lines on a terminal; identity functions when colour is off. */
export type Paint = {
  readonly enabled: boolean;
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
};

/**
 * Whether to colour an output: only on a terminal, never with `--no-color` (`flag` false) or with `NO_COLOR` set to
 * anything non-empty (https://no-color.org); `FORCE_COLOR` (non-empty, not "0") colours even when piped.
 */
export function colorEnabled(
  stream: { readonly isTTY?: boolean | undefined },
  env: Readonly<Record<string, string | undefined>>,
  flag = true,
): boolean {
  if (!flag || (env.NO_COLOR ?? "") !== "") return false;
  if ((env.FORCE_COLOR ?? "") !== "" && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

const sgr = (on: number, off: number) => (s: string) => `\u001b[${on}m${s}\u001b[${off}m`;
const plain = (s: string) => s;

/** The styles, or plain text when `enabled` is false. */
export function paint(enabled: boolean): Paint {
  return enabled
    ? {
        enabled,
        bold: sgr(1, 22),
        dim: sgr(2, 22),
        red: sgr(31, 39),
        green: sgr(32, 39),
        yellow: sgr(33, 39),
      }
    : { enabled, bold: plain, dim: plain, red: plain, green: plain, yellow: plain };
}

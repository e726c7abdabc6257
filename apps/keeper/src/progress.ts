/** What a long step is doing, for a person waiting: `update` as it goes, `done` when it is over. */
export type Progress = {
  /** `phase` is the step ("reading 2 chains"); `detail` what changes within it ("42%"), shown on a terminal only. */
  update(phase: string, detail?: string): void;
  /** Clears the live line (a terminal); the next output starts on a clean line. */
  done(): void;
};

/** A stream progress can be written to (`process.stderr`). */
export type ProgressStream = { readonly isTTY?: boolean | undefined; write(text: string): unknown };

const silent: Progress = { update: () => {}, done: () => {} };

/**
 * Progress on `stream` (stderr, so stdout stays the command's output): one live line rewritten in place on a
 * terminal; on a pipe, a plain line per phase (no control codes, no percent spam); nothing at all under `--json`
 * (`quiet`), where scripts read stdout and a clean stderr.
 */
export function progressOn(stream: ProgressStream, opts: { readonly quiet?: boolean } = {}): Progress {
  if (opts.quiet) return silent;
  if (stream.isTTY === true) {
    let shown = false;
    return {
      update: (phase, detail) => {
        stream.write(`\r\u001b[K${phase} …${detail ? ` ${detail}` : ""}`);
        shown = true;
      },
      done: () => {
        if (shown) stream.write("\r\u001b[K");
        shown = false;
      },
    };
  }
  let last: string | undefined;
  return {
    update: (phase) => {
      if (phase !== last) stream.write(`${phase} …\n`);
      last = phase;
    },
    done: () => {
      last = undefined;
    },
  };
}

import type { TestChain } from "@ballast/testkit";
import type { Address, Hex } from "viem";

/** Hashes of the transactions `from` sent in blocks (after, head] of `chain`, oldest first, read from the chain. */
export async function hashesFrom(chain: TestChain, from: Address, after: bigint): Promise<Hex[]> {
  const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
  const hashes: Hex[] = [];
  for (let b = after + 1n; b <= head; b++) {
    const block = await chain.publicClient.getBlock({ blockNumber: b, includeTransactions: true });
    for (const t of block.transactions) if (t.from.toLowerCase() === from.toLowerCase()) hashes.push(t.hash);
  }
  return hashes;
}

/** How many transactions `from` sent in blocks (after, head] of `chain`. */
export const txsFrom = async (chain: TestChain, from: Address, after: bigint): Promise<number> =>
  (await hashesFrom(chain, from, after)).length;

/** The account's mined (`latest`) and `pending` nonces on `chain`. */
export async function nonces(
  chain: TestChain,
  address: Address,
): Promise<{ latest: number; pending: number }> {
  const [latest, pending] = await Promise.all([
    chain.publicClient.getTransactionCount({ address, blockTag: "latest" }),
    chain.publicClient.getTransactionCount({ address, blockTag: "pending" }),
  ]);
  return { latest, pending };
}

/** Polls `check` every 50 ms until it returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `step`; if it throws, the error carries the tail of the started process's log (the cause of a timeout). */
export async function withLogOnError<T>(
  run: { stderrSoFar: () => string },
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (e) {
    const log = run.stderrSoFar().split("\n").slice(-60).join("\n");
    throw new Error(
      `${e instanceof Error ? e.message : String(e)}\n--- the process's log, last 60 lines ---\n${log}`,
    );
  }
}

/**
 * The port a started `ballast run` (or `work`) serves on, from its `listen` log line (logged at level info): waits for
 * the line, which comes through a pipe, in no fixed order with what the process does over sockets.
 */
export async function listenPort(run: { stderrSoFar: () => string }): Promise<number> {
  let port = 0;
  await waitFor("the process's listener in its log", () => {
    port = Number(/"listen":"127\.0\.0\.1:(\d+)"/.exec(run.stderrSoFar())?.[1] ?? 0);
    return port > 0;
  });
  return port;
}

/** Labels that take any value (config keys, symbols, JSON-RPC methods, portfolio names): HELP describes them. */
const OPEN_LABELS = new Set(["chain", "sleeve", "asset", "method", "portfolio"]);

/**
 * What a `/metrics` text does not document: a label its family's HELP does not name (`label (…)`), or a value of a
 * closed label (every one but {@link OPEN_LABELS}) its HELP does not list. Empty when HELP tells every label value.
 */
export function undocumentedLabels(text: string): string[] {
  const help = new Map<string, string>();
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const h = /^# HELP (\S+) (.*)$/.exec(line);
    if (h) help.set(h[1] as string, h[2] as string);
    const m = /^(\w+)\{(.*)\} /.exec(line);
    if (!m) continue;
    const family = m[1] as string;
    const doc = help.get(family) ?? "";
    for (const [, k, v] of (m[2] as string).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      // A listed value stands between "(", " " and ",", ":", ")": `outcome (ok, error)`, `reason (pause: …)`.
      const listed = (x: string) =>
        new RegExp(`[ (]${x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[,:)]`).test(doc);
      if (!doc.includes(`${k} (`)) out.push(`${family}: label ${k} not in HELP`);
      else if (!OPEN_LABELS.has(k as string) && !listed(v as string))
        out.push(`${family}: ${k}="${v}" not in HELP`);
    }
  }
  return out;
}

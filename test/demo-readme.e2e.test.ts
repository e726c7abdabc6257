import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDeposits, readFillStatus, relayHash } from "@ballast/across";
import { testAccounts } from "@ballast/testkit";
import { createPublicClient, http, parseUnits } from "viem";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT, startCli } from "./cli.ts";

/** Lines of the README's demo excerpt: the first code block after "An excerpt". */
function readmeExcerpt(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const from = readme.indexOf("An excerpt");
  const block = /```\n([\s\S]*?)```/.exec(readme.slice(from));
  if (from < 0 || !block?.[1]) throw new Error('README.md has no "An excerpt" code block');
  return block[1].split("\n").filter((l) => l.trim() !== "" && l.trim() !== "…");
}

type DemoConfig = {
  chains: Record<
    "ethereum" | "base",
    { chainId: number; rpc: string[]; across: { spokePool: `0x${string}` } }
  >;
};

/**
 * The demo's cross-chain move as the chains recorded it: the keeper's deposits (`FundsDeposited`) in ethereum's
 * SpokePool, and for each, base's SpokePool `fillStatuses` of its relay hash (the proof of a fill).
 */
async function crossChainMoves(configFile: string) {
  const { chains } = parse(readFileSync(configFile, "utf8")) as DemoConfig;
  const client = (c: DemoConfig["chains"]["base"]) => createPublicClient({ transport: http(c.rpc[0]) });
  const [origin, dest] = [client(chains.ethereum), client(chains.base)];
  const spokePool = chains.ethereum.across.spokePool;
  const logs = await origin.getLogs({ address: spokePool, fromBlock: 0n });
  const deposits = parseDeposits({ logs, spokePool, originChainId: chains.ethereum.chainId }).filter(
    (d) => d.depositor.toLowerCase() === testAccounts.keeper.address.toLowerCase(),
  );
  return Promise.all(
    deposits.map(async (d) => ({
      deposit: d,
      fill: await readFillStatus(dest, {
        spokePool: chains.base.across.spokePool,
        relayHash: relayHash(d.relayData, chains.base.chainId),
      }),
    })),
  );
}

/** A line with its figures and hashes abstracted: what must stay true when prices, gas or timings differ. */
const shape = (line: string) =>
  line
    .replace(/0x[0-9a-fA-F]+(…[0-9a-fA-F]+)?/g, "HEX")
    .replace(/[-+]?\$?[0-9][0-9,]*(\.[0-9]+)?/g, "N")
    .replace(/\s+/g, " ")
    .trim();

describe("the README's demo excerpt", () => {
  it("is what `ballast demo --keep` prints, in the same order (modulo figures and hashes); --keep leaves the dashboard open", async () => {
    // The demo keeps its journal folder for `ballast history`; here it goes into a folder the test removes.
    const tmp = mkdtempSync(join(tmpdir(), "ballast-demo-test-"));
    const demo = startCli(["demo", "--keep"], { TMPDIR: tmp });
    try {
      // --keep: the dashboard URL is printed and answers from the demo's journal, with its rebalance.
      const url = await new Promise<string>((resolve, reject) => {
        const seen = () => /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(demo.stdoutSoFar())?.[1];
        demo.child.stdout.on("data", () => {
          const u = seen();
          if (u) resolve(u);
        });
        demo.child.once("exit", (code) => reject(new Error(`demo exited ${code}: ${demo.stderrSoFar()}`)));
      });
      const status = (await (await fetch(`${url}api/status`)).json()) as {
        source: string;
        plan: { transactions: { status: string }[] } | null;
      };
      expect(status.source).toBe("journal");
      // The latest plan is the second cycle's: base placing what arrived, in one confirmed transaction.
      expect(status.plan?.transactions.map((t) => t.status)).toEqual(["confirmed"]);
      expect((await fetch(url)).status).toBe(200);
      // The cross-chain move happened on chain: the keeper's deposit on ethereum (to base, for itself), filled on base.
      // The first is the demo's (the market keeps moving: later cycles may bridge again).
      const config = /Config and journal: (\S+) /.exec(demo.stdoutSoFar())?.[1];
      const [first] = await crossChainMoves(join(config ?? "", "ballast.yaml"));
      expect(first?.deposit).toMatchObject({ destinationChainId: 8453, depositId: 0n });
      expect(first?.deposit.recipient.toLowerCase()).toBe(testAccounts.keeper.address.toLowerCase());
      expect(first?.deposit.outputAmount).toBeGreaterThan(0n);
      expect(first?.fill).toBe("filled");
      // … and the demo printed that very deposit as filled.
      expect(demo.stdoutSoFar()).toMatch(/across [0-9.]+ USDC ethereum → base deposit #0: filled/);
    } finally {
      demo.child.kill("SIGTERM");
    }
    const run = await demo.done.finally(() => rmSync(tmp, { recursive: true, force: true }));
    expect(run.code, run.stderr).toBe(0);
    const printed = run.stdout.split("\n").map(shape);
    let at = 0;
    for (const line of readmeExcerpt()) {
      const found = printed.indexOf(shape(line), at);
      expect(found, `README line not printed by the demo (after line ${at}): ${line}`).toBeGreaterThanOrEqual(
        0,
      );
      at = found + 1;
    }
  }, 120_000);

  it("demo --json prints one JSON object and nothing else: both batches confirmed, the deposit filled, every sleeve back in band", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "ballast-demo-test-"));
    const run = await startCli(["demo", "--json"], { TMPDIR: tmp }).done.finally(() =>
      rmSync(tmp, { recursive: true, force: true }),
    );
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as {
      decision: { fire: boolean };
      plan: { id: string } | null;
      sent: { key: string; status: string }[];
      transfers: { status: string; originChainId: number; destChainId: number; amountOut: string }[];
      sleeves: { id: string; beforeBps: number; afterBps: number; inBand: boolean }[];
      nav: { before: string; after: string };
      outsideSleeves: { before: string; after: string };
      cost: { estimated: string; actual: string };
      nextDecision: string;
    };
    expect(out.decision.fire).toBe(true);
    expect(out.plan?.id).toMatch(/^[0-9a-f]{64}$/);
    expect(out.sent.map((s) => `${s.key} ${s.status}`).sort()).toEqual([
      "base confirmed",
      "ethereum confirmed",
    ]);
    // Ethereum's batch ended with an Across deposit to base, filled before base's batch placed it.
    expect(out.transfers).toHaveLength(1);
    expect(out.transfers[0]).toMatchObject({ status: "filled", originChainId: 1, destChainId: 8453 });
    expect(BigInt(out.transfers[0]?.amountOut ?? "0")).toBeGreaterThan(0n);
    expect(out.sleeves.map((s) => s.id)).toEqual([
      "eth-idle",
      "eth-usdc-lp",
      "weth-aave",
      "usdc-idle",
      "usdc-debt",
    ]);
    expect(out.sleeves.filter((s) => !s.inBand)).toEqual([]);
    expect(out.nextDecision).toBe("hold");
    // Exact decimal strings: the actual cost is the account's value (NAV and what is outside the sleeves) before − after.
    const wad = (x: string) => parseUnits(x, 18);
    const value = (at: "before" | "after") => wad(out.nav[at]) + wad(out.outsideSleeves[at]);
    expect(value("before") - value("after")).toBe(wad(out.cost.actual));
  }, 120_000);
});

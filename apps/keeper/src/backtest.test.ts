import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ballastArgv } from "../test/bin.ts";

const dir = mkdtempSync(join(tmpdir(), "ballast-backtest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// No RPC variable is set and no key exists: the backtest must need neither.
const CONFIG = `chains:
  ethereum:
    chainId: 1
    rpc: ["\${BACKTEST_TEST_UNSET_RPC}"]
    account: { type: eip7702, key: env:BACKTEST_TEST_UNSET_KEY }
    tokens:
      WETH: { address: "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", decimals: 18 }
      USDC: { address: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", decimals: 6 }
    aave: AaveV3Ethereum
    uniswap:
      factory: "0x1F98431c8aD98523631AE4a59f267346ea31F984"
      positionManager: "0xC36442b4a4522E871399CD717aBDD847Ab11FE88"
      quoter: "0x61fFE014bA17989E743c5F6cB21bF9697530B21e"
      router: "0xE592427A0AEce92De3Edee1F18E0157C05861564"
policy:
  sleeves:
    - { id: eth, chain: ethereum, kind: token, asset: WETH, weight: 50% }
    - { id: usdc-aave, chain: ethereum, kind: aave-supply, asset: USDC, weight: 50% }
  bands: { absolute: 5%, relative: 25% }
`;
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const config = file("ballast.yaml", CONFIG);
/** WETH from $3,000 up 2% a day for a month (a rebalance or two), USDC at $1. */
const rows = Array.from(
  { length: 30 },
  (_, i) => `${1_735_689_600 + i * 86_400},${(3000 * 1.02 ** i).toFixed(2)},1`,
);

const ballast = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const env = { ...process.env };
    delete env.BACKTEST_TEST_UNSET_RPC;
    execFile(process.execPath, ballastArgv(args), { env }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });

describe("ballast backtest", () => {
  it("stops at a bad CSV row with an error naming the file and line, exit code 2", async () => {
    const bad = [...rows.slice(0, 2), `${1_735_689_600 + 2 * 86_400},3100,not-a-price`, ...rows.slice(3)];
    const prices = file("bad.csv", ["timestamp,WETH,USDC", ...bad].join("\n"));
    const r = await ballast(["backtest", "-c", config, "--prices", prices, "--no-chart"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${prices}:4: USDC price "not-a-price" is not a positive decimal number of USD`,
    );
    expect(r.stdout).toBe("");
  }, 60_000);

  it("replays a CSV and two --compare variants: a table, JSON with the same numbers, and an SVG chart", async () => {
    const prices = file("prices.csv", ["timestamp,WETH,USDC", ...rows].join("\n"));
    const compare = file(
      "policies.yaml",
      "policies:\n  - name: to target\n  - name: band edge\n    rebalanceTo: band-edge\n",
    );
    const chart = join(dir, "chart.svg");
    const text = await ballast([
      "backtest",
      "-c",
      config,
      "--prices",
      prices,
      "--compare",
      compare,
      "--chart",
      chart,
    ]);
    // Piped: the progress of this long step as plain lines, one per walk (no control codes, no percentages).
    expect(text.stderr).toBe(
      ["buy-and-hold", "continuous rebalance", "to target", "band edge"]
        .map((w) => `replaying ${w} …\n`)
        .join(""),
    );
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/to target\s+band edge/);
    expect(text.stdout).toMatch(/rebalances\s+[1-9]\d*\s+[1-9]\d*/);
    expect(readFileSync(chart, "utf8")).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const json = await ballast([
      "backtest",
      "-c",
      config,
      "--prices",
      prices,
      "--compare",
      compare,
      "--json",
      "--no-chart",
    ]);
    expect(json.stderr).toBe(""); // nothing but the JSON for scripts
    const report = JSON.parse(json.stdout) as {
      steps: number;
      policies: { name: string; rebalances: number }[];
    };
    expect(report.steps).toBe(30);
    expect(report.policies.map((p) => p.name)).toEqual(["to target", "band edge"]);
    const [a, b] = report.policies.map((p) => p.rebalances);
    expect(text.stdout).toMatch(new RegExp(`\\nrebalances\\s+${a}\\s+${b}\\n`));
  }, 60_000);

  it("bridges drift between chains at the --bridge-fee and --bridge-fixed cost; --no-bridge leaves it", async () => {
    // Half in WETH on Ethereum, half in USDC on Base: WETH +50% on day 3 moves value between the chains.
    const base = `  base:
    chainId: 8453
    rpc: ["\${BACKTEST_TEST_UNSET_RPC}"]
    account: { type: eip7702, key: env:BACKTEST_TEST_UNSET_KEY }
    tokens:
      USDC: { address: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", decimals: 6 }
      WETH: { address: "0x4200000000000000000000000000000000000006", decimals: 18 }
`;
    const twoChains = file(
      "two-chains.yaml",
      CONFIG.replace("policy:", `${base}policy:`).replace(
        "{ id: usdc-aave, chain: ethereum, kind: aave-supply",
        "{ id: usdc-base, chain: base, kind: token",
      ),
    );
    const jump = Array.from(
      { length: 8 },
      (_, i) => `${1_735_689_600 + i * 86_400},${i < 3 ? 3000 : 4500},1`,
    );
    const prices = file("jump.csv", ["timestamp,WETH,USDC", ...jump].join("\n"));
    type Out = {
      policies: { rebalances: number; cost: { bridgeUsd: string }; log: { legs: { action: string }[] }[] }[];
    };
    const run = async (...flags: string[]) => {
      const r = await ballast([
        "backtest",
        "-c",
        twoChains,
        "--prices",
        prices,
        "--json",
        "--no-chart",
        ...flags,
      ]);
      expect(r.stderr).toBe("");
      return (JSON.parse(r.stdout) as Out).policies[0];
    };
    const bridged = await run("--bridge-fee", "0.1%", "--bridge-fixed", "3");
    expect(bridged?.rebalances).toBe(1);
    const legs = bridged?.log[0]?.legs.map((l) => l.action) ?? [];
    expect(legs).toContain("transfer");
    // One transfer of about $125k (a tenth of the NAV after the jump): 10 bps + $3.
    const fee = Number(BigInt(bridged?.cost.bridgeUsd ?? "0") / 10n ** 16n) / 100;
    expect(fee).toBeGreaterThan(100);
    expect(fee).toBeLessThan(150);
    const alone = await run("--no-bridge");
    expect(alone?.rebalances).toBe(0);
    expect(alone?.cost.bridgeUsd).toBe("0");
  }, 60_000);

  it("names the variant and field of a bad --compare file", async () => {
    const prices = file("ok.csv", ["timestamp,WETH,USDC", ...rows].join("\n"));
    const compare = file("bad-policies.yaml", "policies:\n  - name: wide\n    bands: { absolute: 5 }\n");
    const r = await ballast([
      "backtest",
      "-c",
      config,
      "--prices",
      prices,
      "--compare",
      compare,
      "--no-chart",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("policies.0.bands.absolute");
  }, 60_000);
});

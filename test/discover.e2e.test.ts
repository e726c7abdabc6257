import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DemoChains, demoConfigYaml, seedDemoPortfolio } from "@ballast/keeper/demo";
import { createSafe, execSafeTransaction, fund, startTestChain, testAccounts } from "@ballast/testkit";
import { encodeFunctionData, erc20Abi, parseAbi, parseUnits } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { cli } from "./cli.ts";

const keeper = testAccounts.keeper;
let chains: DemoChains;
let dir: string;
let demo: string;

type Sleeve = { id: string; chain: string; kind: string; asset?: string; pool?: string; weight: string };
type StatusJson = { sleeves: { id: string; weightWad: string; targetBps: number }[] };

const status = async (file: string): Promise<StatusJson> => {
  const r = await cli(["status", "--json", "-c", file], {});
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout) as StatusJson;
};
const sleevesOf = (file: string) =>
  (parseYaml(readFileSync(file, "utf8")) as { policy: { sleeves: Sleeve[] } }).policy.sleeves;
/** What a sleeve manages, whatever its id: chain, kind, asset or the pool's tokens (in either order) and fee. */
const what = (s: Sleeve) =>
  `${s.chain}:${s.kind}:${
    s.asset ??
    s.pool
      ?.split("/")
      .slice(0, 2)
      .sort()
      .join("/")
      .concat(`/${s.pool.split("/")[2]}`)
  }`;

/** The demo's sleeves, as {@link what} names them. */
const demoSleeves = () => sleevesOf(demo).map(what).sort();

beforeAll(async () => {
  const [ethereum, base] = await Promise.all([
    startTestChain({ chainId: 1 }),
    startTestChain({ chainId: 8453 }),
  ]);
  chains = { ethereum, base };
  await seedDemoPortfolio(chains, keeper);
  dir = mkdtempSync(join(tmpdir(), "ballast-discover-"));
  demo = join(dir, "demo.yaml");
  writeFileSync(demo, demoConfigYaml(chains, { journal: join(dir, "demo.db"), address: keeper.address }));
});

afterAll(async () => {
  await Promise.all([chains?.ethereum.stop(), chains?.base.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("ballast init --discover", () => {
  it("writes the demo portfolio's config: status accepts it, same sleeves, targets = the demo's weights within 1 bp", async () => {
    const out = join(dir, "found.yaml");
    const r = await cli(["init", "--discover", "--address", keeper.address, "--chains-from", demo, out], {});
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/Found/);
    expect(r.stdout).toMatch(/native ETH .* gas money/);
    const found = sleevesOf(out);
    const wanted = sleevesOf(demo);
    expect(found.map(what).sort()).toEqual(demoSleeves());
    const before = await status(demo);
    const after = await status(out);
    // Every discovered target is the demo sleeve's weight today (1e14 wad = 1 bp).
    for (const s of wanted) {
      const d = found.find((f) => what(f) === what(s)) as Sleeve;
      const today = BigInt(before.sleeves.find((x) => x.id === s.id)?.weightWad ?? "0");
      const target = after.sleeves.find((x) => x.id === d.id)?.targetBps as number;
      expect(Math.abs(Number(today / 10n ** 12n) - target * 100), `${s.id} → ${d.id}`).toBeLessThanOrEqual(
        100,
      );
    }
    expect(after.sleeves.reduce((a, s) => a + s.targetBps, 0)).toBe(10_000);
    const yaml = readFileSync(out, "utf8");
    expect(yaml).toContain(`address: "${keeper.address}"`);
    expect(yaml).not.toMatch(/BALLAST_DISCOVER_NO_KEY/);
  }, 180_000);

  it("discovers a Safe's portfolio with --safe (account type safe, the Aave supply and the idle tokens)", async () => {
    const c = chains.ethereum;
    const alice = testAccounts.alice;
    const safe = await createSafe(c, { owners: [alice.address], modules: [], saltNonce: 77n });
    await fund(c, { account: safe, token: "WETH", amount: parseUnits("5", 18) });
    await fund(c, { account: safe, token: "USDC", amount: parseUnits("4000", 6) });
    const supplied = parseUnits("2", 18);
    const d = c.deployment;
    const exec = (to: `0x${string}`, data: `0x${string}`) =>
      execSafeTransaction(c, { safe, owners: [alice.address], to, data });
    await exec(
      d.tokens.WETH.address,
      encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [d.aave.pool, supplied] }),
    );
    await exec(
      d.aave.pool,
      encodeFunctionData({
        abi: parseAbi(["function supply(address,uint256,address,uint16)"]),
        functionName: "supply",
        args: [d.tokens.WETH.address, supplied, safe, 0],
      }),
    );
    const out = join(dir, "safe.yaml");
    const r = await cli(
      ["init", "--discover", "--safe", safe, "--chains-from", demo, "--chains", "ethereum", out, "--json"],
      {},
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const found = sleevesOf(out);
    expect(found.map(what).sort()).toEqual([
      "ethereum:aave-supply:WETH",
      "ethereum:token:USDC",
      "ethereum:token:WETH",
    ]);
    const yaml = parseYaml(readFileSync(out, "utf8")) as {
      chains: { ethereum: { account: Record<string, string> } };
    };
    expect(yaml.chains.ethereum.account).toMatchObject({ type: "safe", safe, as: "module" });
    const s = await status(out);
    expect(s.sleeves).toHaveLength(3);
  }, 180_000);

  it("says what is wrong: nothing held (2), a dead RPC naming chain and variable (3), a wrong chain id (2), an LP of an unlisted token naming --token (2)", async () => {
    const empty = await cli(
      [
        "init",
        "--discover",
        "--address",
        "0x000000000000000000000000000000000000dEaD",
        "--chains-from",
        demo,
        join(dir, "none.yaml"),
      ],
      {},
    );
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/holds nothing worth \$10\.00 or more on ethereum, base/);
    const dead = join(dir, "dead.yaml");
    writeFileSync(dead, readFileSync(demo, "utf8").replace(`"${chains.base.rpcUrl}"`, `"\${BASE_RPC_URL}"`));
    const r = await cli(
      ["init", "--discover", "--address", keeper.address, "--chains-from", dead, join(dir, "x.yaml")],
      {
        BASE_RPC_URL: "http://127.0.0.1:9",
      },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /Chain "base": the RPC http:\/\/127\.0\.0\.1:9 \(from \$\{BASE_RPC_URL\}\) did not answer/,
    );
    // A chain whose RPC serves another chain id, and an LP whose pool token is not a candidate.
    const other = join(dir, "other.yaml");
    writeFileSync(other, readFileSync(demo, "utf8").replace("chainId: 8453", "chainId: 10"));
    const mismatch = await cli(
      ["init", "--discover", "--address", keeper.address, "--chains-from", other, join(dir, "m.yaml")],
      {},
    );
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/base.*8453|8453.*base/s);
    const usdc = chains.ethereum.deployment.tokens.USDC.address;
    // USDC is not among ethereum's tokens: still a candidate as one of the Aave market's reserves ...
    const noUsdc = join(dir, "no-usdc.yaml");
    const demoText = readFileSync(demo, "utf8");
    writeFileSync(noUsdc, demoText.replace(/\n\s+USDC: \{ address: "0x[0-9a-fA-F]+", decimals: 6 \}/, ""));
    const viaAave = await cli(
      [
        "init",
        "--discover",
        "--address",
        keeper.address,
        "--chains-from",
        noUsdc,
        "--chains",
        "ethereum",
        join(dir, "r.yaml"),
      ],
      {},
    );
    expect(viaAave.code, viaAave.stderr).toBe(0);
    expect(sleevesOf(join(dir, "r.yaml")).map(what).sort()).toEqual([
      "ethereum:token:WETH",
      "ethereum:uniswap-v3-lp:USDC/WETH/500",
    ]);
    // ... but without the market either, the LP's USDC is unknown: named, with the flag that adds it.
    const bare = join(dir, "bare.yaml");
    writeFileSync(bare, readFileSync(noUsdc, "utf8").replace(/\n {4}aave:\n(?: {6}.*\n)+/, "\n"));
    const lp = await cli(
      [
        "init",
        "--discover",
        "--address",
        keeper.address,
        "--chains-from",
        bare,
        "--chains",
        "ethereum",
        join(dir, "l.yaml"),
      ],
      {},
    );
    expect(lp.code).toBe(2);
    expect(lp.stderr).toMatch(/uniswap-v3:1:.* holds tokens that are not on the token list/);
    expect(lp.stderr).toContain(`--token ${usdc.toLowerCase()}`);
    const added = await cli(
      [
        "init",
        "--discover",
        "--address",
        keeper.address,
        "--chains-from",
        bare,
        "--token",
        usdc,
        join(dir, "l2.yaml"),
      ],
      {},
    );
    // With no Aave oracle on ethereum, its tokens are priced by symbol from base, as the cycle prices them.
    expect(added.code, added.stderr).toBe(0);
    expect(sleevesOf(join(dir, "l2.yaml")).map(what).sort()).toEqual(demoSleeves());
    const unset = await cli(
      ["init", "--discover", "--address", keeper.address, "--chains-from", dead, join(dir, "y.yaml")],
      {},
    );
    expect(unset.code).toBe(2);
    expect(unset.stderr).toMatch(/Chain "base" needs an RPC URL: set BASE_RPC_URL/);
  }, 240_000);
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DemoChains, demoConfigYaml, seedDemoPortfolio } from "@ballast/keeper/demo";
import {
  ANVIL_PRIVATE_KEYS,
  setPrice,
  startTestChain,
  TEST_ACCOUNT_INDEX,
  testAccounts,
} from "@ballast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./cli.ts";

const env = { BALLAST_DEMO_KEY: ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX.keeper] as string };
let chains: DemoChains;
let dir: string;
let config: string;

type Leg = {
  type: string;
  action?: string;
  sleeveId?: string;
  assetIn?: string;
  assetOut?: string;
  amountIn?: string;
  amounts?: { asset: string; amount: string }[];
  usd: string;
};
type PlanJson = {
  hypothetical?: { whatIf: string; simulated: boolean };
  decision: { fire: boolean; reasons: { rule: string; fired: boolean }[] };
  plan: { chains: { chainId: number; legs: Leg[] }[] } | null;
  simulations: unknown[];
};

const plan = async (...args: string[]): Promise<PlanJson> => {
  const r = await cli(["plan", "--json", "-c", config, ...args], env);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout) as PlanJson;
};
const historyRows = async () => {
  const r = await cli(["history", "--json", "-c", config], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as unknown[];
};
/** A leg's identity: what it does to which sleeve or assets (amounts left out). */
const shape = (l: Leg) =>
  `${l.type}:${l.action ?? ""}:${l.sleeveId ?? ""}:${l.assetIn ?? ""}>${l.assetOut ?? ""}`;
const legs = (p: PlanJson) => p.plan?.chains.flatMap((c) => c.legs) ?? [];

beforeAll(async () => {
  const [ethereum, base] = await Promise.all([
    startTestChain({ chainId: 1 }),
    startTestChain({ chainId: 8453 }),
  ]);
  chains = { ethereum, base };
  await seedDemoPortfolio(chains, testAccounts.keeper);
  dir = mkdtempSync(join(tmpdir(), "ballast-what-if-"));
  config = join(dir, "ballast.yaml");
  writeFileSync(config, demoConfigYaml(chains, { journal: join(dir, "ballast.db"), cooldown: "0s" }));
});

afterAll(async () => {
  await Promise.all([chains?.ethereum.stop(), chains?.base.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("ballast plan --what-if", () => {
  it("plans what the real −20% move then plans: same decision and legs, amounts within the slippage model; nothing journaled", async () => {
    const now = await plan();
    expect(now.decision.fire).toBe(false);
    const before = await historyRows();

    const hypothetical = await plan("--what-if", "ETH=-20%");
    expect(hypothetical.hypothetical).toEqual({ whatIf: "ETH=-20%", simulated: false });
    expect(hypothetical.simulations).toEqual([]);
    expect(hypothetical.decision.fire).toBe(true);
    expect(await historyRows()).toEqual(before);

    // The demo's real move: both feeds to $2,400 and the pools swapped to the new price.
    await Promise.all(
      [chains.ethereum, chains.base].map((c) => setPrice(c, { asset: "WETH", usdPrice: 2_400n * 10n ** 8n })),
    );
    const real = await plan();
    expect(real.decision.fire).toBe(true);
    expect(legs(hypothetical).map(shape)).toEqual(legs(real).map(shape));
    // Within the demo's slippage model (1%): the real move also swapped through the pools, and interest accrued.
    legs(hypothetical).forEach((l, i) => {
      const r = legs(real)[i] as Leg;
      const [a, b] = [BigInt(l.usd), BigInt(r.usd)];
      expect(a > b ? a - b : b - a, `${shape(l)}: ${a} vs ${b}`).toBeLessThanOrEqual(b / 100n + 10n ** 18n);
    });
  }, 180_000);

  it("refuses a move it cannot read or a symbol no token has, with exit code 2", async () => {
    const bad = await cli(["plan", "-c", config, "--what-if", "ETH=-20"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot read "ETH=-20".*\n.*SYMBOL=±N%/s);
    const unknown = await cli(["plan", "-c", config, "--what-if", "DOGE=+5%"], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no configured token is DOGE/);
    expect(unknown.stderr).toMatch(/WETH/);
    const zero = await cli(["plan", "-c", config, "--what-if", "ETH=-100%"], env);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/zero or below/);
  }, 60_000);
});

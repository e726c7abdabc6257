import type { Executor } from "@ballast/chain";
import type { ReadClient } from "@ballast/engine";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigError,
  chainSetupOf,
  chainShape,
  checkPortfolio,
  firewallContractsOf,
  parseWith,
  policyOf,
  policySchema,
} from "./index.ts";

const A = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const schema = z
  .object({ chains: z.record(z.string(), z.object(chainShape).strict()), policy: policySchema })
  .strict()
  .superRefine((c, ctx) =>
    checkPortfolio(
      Object.entries(c.chains).map(([key, chain]) => ({ key, path: ["chains", key], chain })),
      c.policy,
      ctx,
    ),
  );
const uniswap = { factory: A(1), positionManager: A(2), quoter: A(3), router: A(4) };
const doc = (chain: Record<string, unknown>) => ({
  chains: { a: { chainId: 1, tokens: { WETH: { address: A(9), decimals: 18 } }, ...chain } },
  policy: {
    sleeves: [{ id: "eth", chain: "a", kind: "token", asset: "WETH", weight: "100%" }],
    bands: { absolute: "5%", relative: "25%" },
  },
});
const issuesOf = (raw: unknown): string[] => {
  try {
    parseWith(schema, raw, "test");
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("expected a ConfigError");
};

describe("the shared config path", () => {
  it("reports a protocol section's own issues at their path inside the section", () => {
    expect(issuesOf(doc({ uniswap: { ...uniswap, router: "0x12" } }))).toEqual([
      'chains.a.uniswap.router: expected a 0x-prefixed 20-byte address, got "0x12"',
    ]);
    expect(issuesOf(doc({ uniswap: { ...uniswap, feeTiers: [] } }))[0]).toMatch(
      /^chains\.a\.uniswap\.feeTiers: /,
    );
  });

  it("a swap venue must exist and have its protocol section on the chain", () => {
    expect(issuesOf(doc({ swap: ["uniswap-v3"] }))).toEqual([
      "chains.a.swap.0: uniswap-v3 needs chains.a.uniswap",
    ]);
    expect(issuesOf(doc({ uniswap, swap: ["sushi"] }))).toEqual([
      'chains.a.swap.0: unknown swap venue "sushi"; known: uniswap-v3',
    ]);
  });

  it("builds venues in swap order, by default every venue its sections offer, and the firewall from the sections", () => {
    const parts = { client: {} as ReadClient, account: A(7) as `0x${string}`, executor: {} as Executor };
    const withUni = parseWith(schema, doc({ uniswap }), "test").chains.a!;
    expect(chainSetupOf("a", withUni, parts).venues.map((v) => v.name)).toEqual(["uniswap-v3"]);
    expect(chainSetupOf("a", withUni, parts).protocols.map((p) => p.name)).toEqual(["uniswap-v3"]);
    expect(firewallContractsOf(withUni).map(({ address, kind }) => ({ address, kind: kind.name }))).toEqual([
      { address: A(2), kind: "uniswap-position-manager" },
      { address: A(4), kind: "uniswap-swap-router" },
    ]);
    const bare = parseWith(schema, doc({}), "test").chains.a!;
    expect(chainSetupOf("a", bare, parts).venues).toEqual([]);
    expect(firewallContractsOf(bare)).toEqual([]);
  });

  it("gives the engine the policy's one slippage and the names it uses (weight → weightBps once)", () => {
    const c = parseWith(schema, { ...doc({}), policy: { ...doc({}).policy, maxSlippage: "0.5%" } }, "test");
    const { sleeves, rules } = policyOf(c.policy, Object.values(c.chains));
    expect(rules.maxSlippageBps).toBe(50);
    expect(sleeves).toEqual([{ id: "eth", chain: "a", kind: "token", asset: "WETH", weightBps: 10_000 }]);
  });
});

describe("config errors in the config's own words", () => {
  const s = z.object({
    keeper: z.object({ tick: z.union([z.literal("block"), z.number()]), port: z.number().positive() }),
    account: z.object({ key: z.string().startsWith("env:") }),
  });
  const issues = (raw: unknown) => {
    try {
      parseWith(s, raw, "test.yaml");
    } catch (e) {
      return (e as ConfigError).issues;
    }
    throw new Error("parsed");
  };

  it("a generic schema message gets the user's own value", () => {
    expect(issues({ keeper: { tick: "sometimes", port: -5 }, account: { key: "env:K" } })).toEqual([
      { path: "keeper.tick", message: 'Invalid input, got "sometimes"' },
      { path: "keeper.port", message: "Too small: expected number to be >0, got -5" },
    ]);
  });

  it("never shows the value of a secret-named field", () => {
    const [issue] = issues({ keeper: { tick: "block", port: 1 }, account: { key: "0xsecret" } });
    expect(issue?.path).toBe("account.key");
    expect(issue?.message).not.toContain("0xsecret");
  });
});

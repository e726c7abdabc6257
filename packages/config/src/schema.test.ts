import type { Executor } from "@ballast/chain";
import type { ReadClient } from "@ballast/engine";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigError,
  chainSetupOf,
  chainShape,
  chainShapeWith,
  checkPortfolio,
  firewallContractsOf,
  parseWith,
  policyOf,
  policySchema,
  sharedShapeWith,
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

  it("policy.fusion is off unless set; set, it takes a USD threshold and defaults the rest", () => {
    const policy = (fusion?: unknown) => ({ ...doc({}), policy: { ...doc({}).policy, fusion } });
    expect(parseWith(schema, doc({}), "test").policy.fusion).toBeUndefined();
    expect(parseWith(schema, policy({ aboveUsd: "250000 USD" }), "test").policy.fusion).toEqual({
      aboveUsd: 250_000n * 10n ** 18n,
      preset: "medium",
      maxWait: 1_800,
      retry: "atomic",
    });
    expect(issuesOf(policy({ preset: "fast" }))).toEqual(["policy.fusion.aboveUsd: Invalid input"]);
    expect(issuesOf(policy({ aboveUsd: 1000, maxWait: "10s", retry: "later" }))).toEqual([
      "policy.fusion.maxWait: expected between 1m and 24h",
      'policy.fusion.retry: Invalid option: expected one of "atomic"|"fusion", got "later"',
    ]);
  });

  it("runs a plugin only in an app that provides what it requires (1inch: secrets; Across: secrets and bridges)", () => {
    expect(issuesOf(doc({ oneInch: {} }))).toEqual(['chains.a: Unrecognized key: "oneInch"']);
    expect(issuesOf(doc({ across: { spokePool: A(5), tokens: ["WETH"] } }))).toEqual([
      'chains.a: Unrecognized key: "across"',
    ]);
    expect(issuesOf(doc({ uniswap, swap: ["1inch"] }))).toEqual([
      'chains.a.swap.0: unknown swap venue "1inch"; known: uniswap-v3',
    ]);
  });
});

describe("plugins with secrets, listed-only venues and bridges (an app providing secrets and bridges)", () => {
  const provides = ["secrets", "bridges"] as const;
  const full = z
    .object({
      chains: z.record(z.string(), z.object(chainShapeWith(provides)).strict()),
      policy: policySchema,
      ...sharedShapeWith(provides),
    })
    .strict()
    .superRefine((c, ctx) =>
      checkPortfolio(
        Object.entries(c.chains).map(([key, chain]) => ({ key, path: ["chains", key], chain })),
        c.policy,
        ctx,
        provides,
        c,
      ),
    );
  const parse = (raw: unknown) => parseWith(full, raw, "test");
  const asked: string[] = [];
  const parts = {
    client: {} as ReadClient,
    account: A(7) as `0x${string}`,
    executor: {} as Executor,
    secret: (ref: unknown, field: string) => {
      asked.push(`${field} ← ${String(ref)}`);
      return "k";
    },
  };

  it("1inch is used only where swap lists it, with or without its section; its router joins the firewall then", () => {
    const listed = parse(doc({ uniswap, swap: ["1inch", "uniswap-v3"], oneInch: { apiKey: "env:ONE" } }));
    const a = listed.chains.a!;
    expect(chainSetupOf("a", a, parts).venues.map((v) => v.name)).toEqual(["1inch", "uniswap-v3"]);
    expect(asked).toEqual(["chains.a.oneInch.apiKey ← env:ONE"]);
    expect(firewallContractsOf(a).map((c) => c.kind.name)).toEqual([
      "uniswap-position-manager",
      "uniswap-swap-router",
      "1inch-router",
    ]);
    // Listed without a section: its defaults (1inch's router on chain 1, no key asked).
    const bare = parse(doc({ swap: ["1inch"] })).chains.a!;
    expect(firewallContractsOf(bare).map((c) => c.address)).toEqual([
      "0x111111125421cA6dc452d289314280a0f8842A65",
    ]);
    // A section without the listing: no venue (defaults leave it out), no router.
    const unlisted = parse(doc({ uniswap, oneInch: {} })).chains.a!;
    expect(chainSetupOf("a", unlisted, parts).venues.map((v) => v.name)).toEqual(["uniswap-v3"]);
    expect(firewallContractsOf(unlisted).map((c) => c.kind.name)).not.toContain("1inch-router");
    // Fusion orders: the Limit Order Protocol they are approved to joins the router (the default is the router).
    const fusion = (f: object) => parse(doc({ swap: ["1inch"], oneInch: { fusion: f } })).chains.a!;
    expect(
      firewallContractsOf(fusion({ settlements: [A(9)], limitOrderProtocol: A(8) })).map((c) => c.address),
    ).toEqual(["0x111111125421cA6dc452d289314280a0f8842A65", A(8)]);
    expect(firewallContractsOf(fusion({ settlements: [A(9)] })).map((c) => c.address)).toEqual([
      "0x111111125421cA6dc452d289314280a0f8842A65",
    ]);
  });

  it("Across: the chain's section needs the top-level one; the bridge takes both, its API key resolved at across.apiKey", () => {
    const across = { spokePool: A(5), tokens: ["WETH"] };
    expect(() => parse(doc({ across }))).toThrow(/chains\.a\.across needs the top-level across \(api\)/);
    asked.length = 0;
    const c = parse({ ...doc({ across }), across: { apiKey: "env:ACROSS", maxFee: "0.2%" } });
    const setup = chainSetupOf("a", c.chains.a!, { ...parts, shared: c });
    expect(setup.bridge).toMatchObject({ name: "across", chainId: 1, tokens: [A(9)], feeBps: 5 });
    expect(asked).toEqual(["across.apiKey ← env:ACROSS"]);
    expect(firewallContractsOf(c.chains.a!)).toEqual([expect.objectContaining({ address: A(5) })]);
    expect(chainSetupOf("a", parse(doc({})).chains.a!, parts).bridge).toBeUndefined();
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

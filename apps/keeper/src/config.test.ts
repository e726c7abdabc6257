import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { encodeKey } from "zodiac-roles-sdk";
import { BALLAST_ROLE, ConfigError, configWarnings, loadConfig, parseConfig } from "./config.ts";

const A = "0x0000000000000000000000000000000000000001";
const base = () => ({
  chains: {
    a: {
      chainId: 1,
      rpc: ["http://127.0.0.1:8545"],
      account: { type: "eip7702", key: "env:BALLAST_KEY" },
      tokens: { WETH: { address: A, decimals: 18 }, USDC: { address: A.replace("1", "2"), decimals: 6 } },
      aave: { poolAddressesProvider: A, pool: A, uiPoolDataProvider: A },
    },
  },
  policy: {
    sleeves: [
      { id: "eth", chain: "a", kind: "token", asset: "WETH", weight: "60%" },
      { id: "usdc", chain: "a", kind: "aave-supply", asset: "USDC", weight: "50%" },
      { id: "debt", chain: "a", kind: "aave-borrow", asset: "USDC", weight: "-10%" },
    ],
    bands: { absolute: "5%", relative: "25%" },
    maxSlippage: "0.3%",
    minTrade: "100 USD",
    healthFactorFloor: "1.8",
  },
});

function issuesOf(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  it("takes a production Aave market by its address-book name, on its own chain only", () => {
    const raw = base();
    (raw.chains.a as { aave: unknown }).aave = "AaveV3Ethereum";
    expect(parseConfig(raw).chains.a!.aave).toBe("AaveV3Ethereum");
    (raw.chains.a as { aave: unknown }).aave = "AaveV3Base";
    expect(issuesOf(raw)).toContain("chains.a.aave: AaveV3Base is on chain 8453, not 1");
    for (const name of ["AaveV3Mars", "toString"]) {
      (raw.chains.a as { aave: unknown }).aave = name;
      expect(
        issuesOf(raw).some((i) =>
          i.startsWith("chains.a.aave: expected market addresses or a known market name"),
        ),
      ).toBe(true);
    }
  });

  it("parses percentages, money and health factors exactly", () => {
    const c = parseConfig(base());
    expect(c.policy.sleeves.map((s) => s.weight)).toEqual([6000, 5000, -1000]);
    expect(c.policy.maxSlippage).toBe(30);
    expect(c.policy.minTrade).toBe(100n * 10n ** 18n);
    expect(c.policy.healthFactorFloor).toBe(18n * 10n ** 17n);
    expect(c.keeper.listen).toBe("127.0.0.1:9464");
  });

  it("names the exact field that is wrong", () => {
    const raw = base();
    (raw.chains.a as { rpc: string[] }).rpc = ["not a url"];
    raw.policy.sleeves[0] = { ...raw.policy.sleeves[0]!, asset: "DAI" };
    raw.policy.sleeves[2] = { ...raw.policy.sleeves[2]!, weight: "10%" };
    const issues = issuesOf(raw);
    expect(issues).toContain('chains.a.rpc.0: expected an http(s) URL, got "not a url"');
    expect(
      issues.some((i) => i.startsWith("policy.sleeves.2.weight: a borrow sleeve has a negative weight")),
    ).toBe(true);
    expect(issues.some((i) => i.startsWith('policy.sleeves.0.asset: unknown token "DAI"'))).toBe(true);
  });

  it("rejects unknown keys and bad percentages", () => {
    const raw = { ...base(), extra: 1 } as Record<string, unknown>;
    expect(issuesOf(raw).some((i) => i.includes("extra"))).toBe(true);
    const bad = base();
    bad.policy.maxSlippage = "0.3";
    expect(issuesOf(bad)[0]).toMatch(/^policy.maxSlippage: expected a percentage/);
  });
});

describe("config errors are caught at load, in the config's own words", () => {
  type Raw = ReturnType<typeof base>;
  const cases: [string, (raw: Raw) => void, string][] = [
    [
      "an RPC URL without a scheme",
      (r) => {
        r.chains.a.rpc = ["localhost:8545"];
      },
      'chains.a.rpc.0: expected an http(s) URL, got "localhost:8545"',
    ],
    [
      "a non-http RPC, its credentials redacted",
      (r) => {
        r.chains.a.rpc = ["ftp://user:hunter2@example.com/key123"];
      },
      'chains.a.rpc.0: expected an http(s) URL, got "ftp://example.com/***"',
    ],
    [
      "a mistyped checksummed address",
      (r) => {
        r.chains.a.tokens.WETH.address = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756cC2";
      },
      'chains.a.tokens.WETH.address: "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756cC2" has a bad EIP-55 checksum (a typo?); the checksummed form of these bytes is 0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2',
    ],
    [
      "weights summing to 99%",
      (r) => {
        r.policy.sleeves[0]!.weight = "59%";
      },
      "policy.sleeves: weights sum to 99% (eth 59%, usdc 50%, debt -10%); they must sum to 100%: add 1%",
    ],
    [
      "weights summing to 101%",
      (r) => {
        r.policy.sleeves[1]!.weight = "51%";
      },
      "policy.sleeves: weights sum to 101% (eth 60%, usdc 51%, debt -10%); they must sum to 100%: remove 1%",
    ],
    [
      "maxSlippage of 100% or more",
      (r) => {
        r.policy.maxSlippage = "100%";
      },
      'policy.maxSlippage: expected between 0% and 99.99%, got "100%"',
    ],
    [
      "a health-factor floor below 1",
      (r) => {
        r.policy.healthFactorFloor = "0.9";
      },
      "policy.healthFactorFloor: expected a health factor of at least 1 (below 1 the account is liquidatable)",
    ],
    [
      "a duplicate sleeve id",
      (r) => {
        r.policy.sleeves[2]!.id = "eth";
      },
      'policy.sleeves.2.id: duplicate sleeve id "eth" (also policy.sleeves.0.id)',
    ],
  ];
  it.each(cases)("%s", (_, mutate, expected) => {
    const raw = base();
    mutate(raw);
    expect(issuesOf(raw)).toEqual([expected]);
  });

  it("takes price sanity limits, with documented defaults, and names a feed of an unknown token", () => {
    const defaults = parseConfig(base());
    expect([defaults.policy.maxPriceDeviation, defaults.policy.maxPriceAge]).toEqual([100, 90_000]);
    expect(defaults.chains.a!.priceFeeds).toEqual({});
    const raw = base();
    Object.assign(raw.policy, { maxPriceDeviation: "0.5%", maxPriceAge: "2h" });
    Object.assign(raw.chains.a, { priceFeeds: { WETH: { maxAge: "1h" } } });
    const c = parseConfig(raw);
    expect([c.policy.maxPriceDeviation, c.policy.maxPriceAge]).toEqual([50, 7_200]);
    expect(c.chains.a!.priceFeeds).toEqual({ WETH: { maxAge: 3_600 } });
    Object.assign(raw.policy, { maxPriceDeviation: "0%" });
    expect(issuesOf(raw).some((i) => i.startsWith("policy.maxPriceDeviation: "))).toBe(true);
    Object.assign(raw.policy, { maxPriceDeviation: "1%" });
    Object.assign(raw.chains.a, { priceFeeds: { WBTC: { maxAge: "1h" } } });
    expect(issuesOf(raw)).toEqual([
      'chains.a.priceFeeds.WBTC: unknown token "WBTC" on chain a; known: WETH, USDC',
    ]);
  });

  it("takes an http(s) sendRpc and refuses another scheme there too", () => {
    const raw = base();
    Object.assign(raw.chains.a, { sendRpc: "https://relay.example/rpc" });
    expect(parseConfig(raw).chains.a!.sendRpc).toBe("https://relay.example/rpc");
    Object.assign(raw.chains.a, { sendRpc: "localhost:8545" });
    expect(issuesOf(raw).some((i) => i.startsWith("chains.a.sendRpc: expected an http(s) URL"))).toBe(true);
  });

  it("takes an RPC timeout per chain (default 10 s), as a duration in seconds", () => {
    const raw = base();
    expect(parseConfig(raw).chains.a!.rpcTimeout).toBe(10);
    Object.assign(raw.chains.a, { rpcTimeout: "2s" });
    expect(parseConfig(raw).chains.a!.rpcTimeout).toBe(2);
    for (const bad of ["soon", "0s"]) {
      Object.assign(raw.chains.a, { rpcTimeout: bad });
      expect(issuesOf(raw).some((i) => i.startsWith("chains.a.rpcTimeout:"))).toBe(true);
    }
  });

  it("takes a Safe reached through a Zodiac Roles role: the modifier, and the role by name (encoded as the SDK does) or key", () => {
    const raw = base();
    const safe = { type: "safe", safe: A, key: "env:K", as: "roles" };
    Object.assign(raw.chains.a, { account: safe });
    expect(issuesOf(raw)).toEqual([
      "chains.a.account.roles: as: roles needs roles: { modifier: 0x…, role: ballast-keeper }",
    ]);
    Object.assign(safe, { roles: { modifier: A } });
    const account = () => parseConfig(raw).chains.a!.account as { roles?: { role: string } };
    expect(account().roles?.role).toBe(encodeKey(BALLAST_ROLE));
    Object.assign(safe, { roles: { modifier: A, role: "treasury-ops" } });
    expect(account().roles?.role).toBe(encodeKey("treasury-ops"));
    const key = `0x${"ab".repeat(32)}`;
    Object.assign(safe, { roles: { modifier: A, role: key.toUpperCase().replace("0X", "0x") } });
    expect(account().roles?.role).toBe(key);
    for (const bad of ["x".repeat(32), "0x1234"]) {
      Object.assign(safe, { roles: { modifier: A, role: bad } });
      expect(issuesOf(raw).some((i) => i.startsWith("chains.a.account.roles.role:"))).toBe(true);
    }
    Object.assign(safe, { as: "module", roles: { modifier: A } });
    expect(issuesOf(raw)).toEqual([
      "chains.a.account.roles: roles is only read with as: roles (this account is as: module)",
    ]);
  });

  it("an all-lowercase address is accepted (no checksum to check)", () => {
    const raw = base();
    raw.chains.a.tokens.WETH.address = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2";
    expect(parseConfig(raw).chains.a?.tokens.WETH?.address).toBe(
      "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",
    );
  });

  it("warns when a band is as wide as its sleeve's weight", () => {
    const raw = base();
    expect(configWarnings(parseConfig(raw))).toEqual([]);
    raw.policy.sleeves = [
      { id: "eth", chain: "a", kind: "token", asset: "WETH", weight: "97%" },
      { id: "usdc", chain: "a", kind: "aave-supply", asset: "USDC", weight: "3%" },
    ];
    raw.policy.bands = { absolute: "5%", relative: "200%" };
    expect(configWarnings(parseConfig(raw))).toEqual([
      "policy.sleeves.1 (usdc): its band (±5%) is as wide as its weight (3%), so it can empty without a rebalance",
    ]);
  });
});

describe("loadConfig", () => {
  it("accepts the example's commented Across, bridge and Fusion lines once uncommented", async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { loadConfig } = await import("./config.ts");
    const { EXAMPLE_CONFIG } = await import("./example.ts");
    const dir = mkdtempSync(join(tmpdir(), "ballast-config-"));
    try {
      const file = join(dir, "ballast.yaml");
      writeFileSync(file, EXAMPLE_CONFIG.replace(/^(\s*)# (across|bridge|fusion): /gm, "$1$2: "));
      const env = { ETH_RPC_URL: "http://127.0.0.1:8545", ARB_RPC_URL: "http://127.0.0.1:8546" };
      const c = loadConfig(file, { ...env, ACROSS_API_KEY: "k" });
      expect(c.chains.ethereum?.across?.tokens).toEqual(["USDC"]);
      expect(c.chains.arbitrum?.across?.spokePool).toBe("0xe35e9842fceaCA96570B734083f4a58e8F7C5f2A");
      expect(c.across?.api).toBe("https://app.across.to/api");
      expect(c.policy.bridge).toMatchObject({ objective: "cost" });
      expect(c.policy.fusion).toEqual({
        aboveUsd: 250_000n * 10n ** 18n,
        preset: "medium",
        maxWait: 1_800,
        retry: "atomic",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("interpolates environment variables in values only, naming the field of a missing one", async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { loadConfig } = await import("./config.ts");
    const { EXAMPLE_CONFIG } = await import("./example.ts");
    const dir = mkdtempSync(join(tmpdir(), "ballast-config-"));
    try {
      const file = join(dir, "ballast.yaml");
      writeFileSync(file, EXAMPLE_CONFIG);
      const env = { ETH_RPC_URL: "http://127.0.0.1:8545", ARB_RPC_URL: "http://127.0.0.1:8546" };
      const c = loadConfig(file, env);
      expect(c.chains.ethereum?.rpc).toEqual(["http://127.0.0.1:8545"]);
      // A relative journal path is relative to the config file's folder, not to the working directory.
      expect(c.keeper.journal).toBe(join(dir, "ballast.db"));
      expect(c.policy.sleeves).toHaveLength(4);
      try {
        loadConfig(file, { ETH_RPC_URL: "http://127.0.0.1:8545" });
        expect.unreachable();
      } catch (e) {
        expect((e as ConfigError).issues).toEqual([
          {
            path: "chains.arbitrum.rpc.0",
            message: "environment variable ARB_RPC_URL is referenced but not set",
          },
        ]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes how bridges compete: a premium (default 0.1%) and an objective (default cost)", () => {
    const raw = base();
    expect(parseConfig(raw).policy.bridge).toEqual({ premium: 10, objective: "cost" });
    const set = {
      ...raw,
      policy: { ...raw.policy, bridge: { premium: "0.25%", objective: "least-bridging" } },
    };
    expect(parseConfig(set).policy.bridge).toEqual({ premium: 25, objective: "least-bridging" });
    expect(issuesOf({ ...raw, policy: { ...raw.policy, bridge: { premium: "150%" } } })).toEqual([
      'policy.bridge.premium: expected between 0% and 100%, got "150%"',
    ]);
    expect(issuesOf({ ...raw, policy: { ...raw.policy, bridge: { objective: "least" } } })[0]).toMatch(
      /^policy\.bridge\.objective: /,
    );
  });

  it("takes Across per chain (SpokePool, tokens, fee estimate) and globally (API, fee limit, fill deadline)", () => {
    const raw = base();
    const spokePool = "0x5c7BCd6E7De5423a257D81B442095A1a6ced35C5";
    const chains = { a: { ...raw.chains.a, across: { spokePool, tokens: ["USDC"] } } };
    const c = parseConfig({ ...raw, chains, across: { api: "http://127.0.0.1:1/api", maxFee: "0.2%" } });
    expect(c.chains.a!.across).toEqual({ spokePool, tokens: ["USDC"], fee: 5 });
    expect(c.across).toEqual({ api: "http://127.0.0.1:1/api", maxFee: 20, fillDeadline: 3_600 });
    expect(issuesOf({ ...raw, chains })).toEqual([
      "across: chains.a.across needs the top-level across (api)",
    ]);
    const bad = { a: { ...raw.chains.a, across: { spokePool, tokens: ["DAI"] } } };
    expect(issuesOf({ ...raw, chains: bad, across: { fillDeadline: "7h" } })).toEqual([
      "across.fillDeadline: expected between 1m and 5h50m",
      'chains.a.across.tokens.0: unknown token "DAI" on chain a; known: WETH, USDC',
    ]);
  });

  it("takes a trigger mode, and a calendar period with any mode but band", () => {
    const raw = base();
    expect(parseConfig({ ...raw, policy: { ...raw.policy, trigger: "band" } }).policy.trigger).toBe("band");
    expect(issuesOf({ ...raw, policy: { ...raw.policy, trigger: "calendar" } })).toEqual([
      'policy.calendar: trigger "calendar" needs a calendar period such as "7d"',
    ]);
  });

  it("offline (backtest, history) tolerates an unset variable in an RPC URL only", () => {
    const dir = mkdtempSync(join(tmpdir(), "ballast-config-"));
    try {
      const file = join(dir, "ballast.yaml");
      const raw = base();
      const unset = "$" + "{CONFIG_TEST_UNSET}"; // the config's own interpolation syntax, not a template
      const a = { ...raw.chains.a, rpc: [unset], sendRpc: unset };
      writeFileSync(file, stringify({ ...raw, chains: { a } }));
      expect(() => loadConfig(file, {})).toThrow(/CONFIG_TEST_UNSET is referenced but not set/);
      const offline = loadConfig(file, {}, { offline: true }).chains.a;
      expect([offline?.rpc, offline?.sendRpc]).toEqual([
        ["http://offline.invalid"],
        "http://offline.invalid",
      ]);
      writeFileSync(file, stringify({ ...raw, chains: { a: { ...a, name: unset } } }));
      expect(() => loadConfig(file, {}, { offline: true })).toThrow(ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

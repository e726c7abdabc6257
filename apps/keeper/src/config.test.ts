import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ConfigError, loadConfig, parseConfig } from "./config.ts";

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
    expect(issues).toContain("chains.a.rpc.0: expected an http(s) URL");
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

describe("loadConfig", () => {
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

  it("takes a trigger mode, and a calendar period with any mode but band", () => {
    const raw = base();
    expect(parseConfig({ ...raw, policy: { ...raw.policy, trigger: "band" } }).policy.trigger).toBe("band");
    expect(issuesOf({ ...raw, policy: { ...raw.policy, trigger: "calendar" } })).toEqual([
      'policy.calendar: trigger "calendar" needs a calendar period such as "7d"',
    ]);
  });

  it("offline (backtest) tolerates an unset variable in an RPC URL only", () => {
    const dir = mkdtempSync(join(tmpdir(), "ballast-config-"));
    try {
      const file = join(dir, "ballast.yaml");
      const raw = base();
      const unset = "$" + "{CONFIG_TEST_UNSET}"; // the config's own interpolation syntax, not a template
      const a = { ...raw.chains.a, rpc: [unset] };
      writeFileSync(file, stringify({ ...raw, chains: { a } }));
      expect(() => loadConfig(file, {})).toThrow(/CONFIG_TEST_UNSET is referenced but not set/);
      expect(loadConfig(file, {}, { offline: true }).chains.a?.rpc).toEqual(["http://offline.invalid"]);
      writeFileSync(file, stringify({ ...raw, chains: { a: { ...a, name: unset } } }));
      expect(() => loadConfig(file, {}, { offline: true })).toThrow(ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
